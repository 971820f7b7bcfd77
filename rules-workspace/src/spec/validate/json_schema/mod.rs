//! PAT's second validation layer: the JSON-Schema check of an analysis spec.
//!
//! After a spec has passed the `schema`-library check, the ID checks and the duplicate-value
//! checks, `panther_analysis_tool` (PAT) 1.6.3 runs
//! `Draft202012Validator(ANALYSIS_CONFIG_SCHEMA).validate(spec)` (`classify_analysis` in
//! `analysis_utils.py`) and reports a failure as `f"{err.json_path}: {err.message}"`.
//!
//! This module reproduces that layer without Python:
//!
//! * **The schema.** The constraints below mirror the *behaviour* of PAT 1.6.3's
//!   `detection_schemas/analysis_config_schema.json` (the `SimpleDetectionSchema` and its `$defs`),
//!   written here as Rust data with a small builder DSL. Keyword order inside every schema object
//!   is kept as in PAT's file because it decides which error is reported first. Keywords that never
//!   validate anything (`$schema`, `$id`) are left out. A test compares a fingerprint of this mirror
//!   with one of PAT's file computed by `tests/fixtures/json_schema/gen_expected.py`.
//! * **Which error wins.** `Validator.validate` (the *method* PAT calls) raises the **first** error
//!   that `iter_errors` yields; it does not apply `best_match`. So the reported error is the first
//!   one in evaluation order: keywords in schema-object order, `properties` in schema order,
//!   `patternProperties`/`items` in instance order. `oneOf`/`anyOf` report their own error
//!   (`... is not valid under any of the given schemas`); errors of their branches are only
//!   context and never reach PAT's message, so branches are evaluated for validity only.
//! * **Messages** use jsonschema 4.25's wording and embed Python `repr`s of the instance values
//!   (see `py_repr`): `True`/`False`/`None`, Python's string quoting and escaping rules
//!   (including which non-ASCII characters are escaped), `1.0`, `1e+16`, dict and list reprs.
//! * **Types** follow jsonschema: a bool is neither an `integer` nor a `number`; a float with an
//!   integral value (`1.0`) is an `integer`.
//!
//! Known differences from PAT (the corpus test lists the one its cases exercise):
//! * Speed only: jsonschema evaluates each of the three list-comprehension forms of a match
//!   expression fully, which is exponential in the nesting depth of `Expressions` (PAT needs
//!   half a minute for 10 levels, three times that per extra level); this module checks the
//!   cheap keywords of a branch first (validity does not depend on order), so it stays linear.
//!   Results are the same.
//! * Nesting deeper than [`MAX_DEPTH`] instance levels is not checked; the spec is rejected with
//!   the text of the `RecursionError` PAT reports (without a JSON path) for such specs. Python's
//!   limit counts stack frames, so it matches ours exactly only for chains of combinators; and
//!   Python words the error either `maximum recursion depth exceeded` or, more often for these
//!   chains, `... while calling a Python object` (used here).
//! * Instances are `serde_json` values: integers beyond `u64` arrive as floats and are printed as
//!   floats, whereas Python would print the exact integer. (Non-string mapping keys are also the
//!   converter's business: Python's jsonschema would see the original key objects.)

use crate::spec::pyrepr::{str_repr, write_float_repr, write_str_repr};
use serde_json::{Map, Value};

/// One place in the spec, from the root: a mapping key or a list index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSegment {
    Key(String),
    Index(usize),
}

/// The error PAT would report from its JSON-Schema layer.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonSchemaViolation {
    /// Where the offending value is (jsonschema's `absolute_path`).
    pub path: Vec<PathSegment>,
    /// PAT's exact text: `<json_path>: <message>`, e.g. `$.Tests[0]: 'Log' is a required property`.
    pub message: String,
}

/// The deepest instance level (the root is level 0) that is evaluated. PAT, under CPython's
/// default recursion limit, fails with a `RecursionError` on the same specs for chains of
/// combinators: 120 nested `All`/`Any`/`OnlyOne`/`None` (or inline-filter `All`/`Any`) blocks
/// around a `KeyPath` leaf, 119 around a `DeepKey` or multi-key leaf (measured with
/// `panther_analysis_tool test` 1.6.3). For other shapes Python's limit, which counts stack
/// frames, differs somewhat.
pub const MAX_DEPTH: usize = 241;

/// What PAT prints for a `RecursionError` raised while validating a deeply nested spec.
const RECURSION_MESSAGE: &str = "maximum recursion depth exceeded while calling a Python object";

/// Checks a spec (already converted from YAML to JSON, keys in file order) as PAT's JSON-Schema
/// layer does.
pub fn check(spec: &Value) -> Result<(), JsonSchemaViolation> {
    let mut ev = Evaluator {
        path: Vec::new(),
        too_deep: None,
    };
    let found = ev.first_error(ROOT, spec, 0);
    if let Some(path) = ev.too_deep.take() {
        return Err(JsonSchemaViolation {
            path,
            message: RECURSION_MESSAGE.to_string(),
        });
    }
    match found {
        None => Ok(()),
        Some(violation) => Err(violation),
    }
}

// ---------------------------------------------------------------------------------------------
// Schema model
// ---------------------------------------------------------------------------------------------

/// A JSON type name as used by the `type` keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    String,
    Integer,
    Number,
    Boolean,
    Object,
    Array,
}

impl Ty {
    fn name(self) -> &'static str {
        match self {
            Ty::String => "string",
            Ty::Integer => "integer",
            Ty::Number => "number",
            Ty::Boolean => "boolean",
            Ty::Object => "object",
            Ty::Array => "array",
        }
    }

    /// jsonschema's Draft 2020-12 type checker.
    fn matches(self, v: &Value) -> bool {
        match self {
            Ty::String => v.is_string(),
            Ty::Boolean => v.is_boolean(),
            Ty::Object => v.is_object(),
            Ty::Array => v.is_array(),
            Ty::Number => v.is_number(),
            Ty::Integer => match v {
                Value::Number(n) => {
                    n.is_i64() || n.is_u64() || n.as_f64().is_some_and(float_is_integer)
                }
                _ => false,
            },
        }
    }
}

/// Python's `float.is_integer()`. (Kept out of line: written with `fract()`, the compiler hoisted
/// a libm `trunc` call into every schema check.)
#[inline(never)]
fn float_is_integer(f: f64) -> bool {
    // Every finite f64 of magnitude 2^52 or more is an integer; below that `as i64` is exact.
    f.is_finite() && (f.abs() >= 4_503_599_627_370_496.0 || (f as i64) as f64 == f)
}

/// A schema: the boolean schema `true`, or a schema object whose keywords are kept in order.
#[derive(Debug, Clone, Copy)]
enum Node {
    True,
    S(&'static [Kw]),
}

/// The keywords PAT's schema uses (with the values it uses them with).
#[derive(Debug, Clone, Copy)]
enum Kw {
    Type(Ty),
    /// `enum` with string members (the only kind PAT's schema has).
    Enum(&'static [&'static str]),
    Properties(&'static [(&'static str, Node)]),
    AdditionalProperties(bool),
    Required(&'static [&'static str]),
    /// `patternProperties: {".*": ...}`: `.*` matches every key under `re.search`.
    PatternPropertiesAny(Node),
    Items(Node),
    MinItems(usize),
    MaxItems(usize),
    OneOf(&'static [Node]),
    AnyOf(&'static [Node]),
    Ref(Def),
}

/// Builds a schema object from keywords, in order.
macro_rules! node {
    ($($kw:expr),* $(,)?) => { Node::S(&[$($kw),*]) };
}

/// `{"$ref": "#/$defs/<Def>"}`.
macro_rules! reference {
    ($def:ident) => {
        Node::S(&[Kw::Ref(Def::$def)])
    };
}

/// `{"items": <node>, "type": "array"}`.
macro_rules! array_of {
    ($items:expr) => {
        Node::S(&[Kw::Items($items), Kw::Type(Ty::Array)])
    };
}

/// `{"patternProperties": {".*": <node>}, "type": "object"}`.
macro_rules! map_of {
    ($values:expr) => {
        Node::S(&[Kw::PatternPropertiesAny($values), Kw::Type(Ty::Object)])
    };
}

/// `{"properties": {...}, "additionalProperties": false, "type": "object"[, "required": [...]]}`.
macro_rules! closed {
    ({ $($name:literal : $n:expr),* $(,)? }, required [$($r:literal),* $(,)?]) => {
        Node::S(&[
            Kw::Properties(&[$(($name, $n)),*]),
            Kw::AdditionalProperties(false),
            Kw::Type(Ty::Object),
            Kw::Required(&[$($r),*]),
        ])
    };
    ({ $($name:literal : $n:expr),* $(,)? }) => {
        Node::S(&[
            Kw::Properties(&[$(($name, $n)),*]),
            Kw::AdditionalProperties(false),
            Kw::Type(Ty::Object),
        ])
    };
}

const STRING: Node = node![Kw::Type(Ty::String)];
const INTEGER: Node = node![Kw::Type(Ty::Integer)];
const NUMBER: Node = node![Kw::Type(Ty::Number)];
const BOOLEAN: Node = node![Kw::Type(Ty::Boolean)];
const OBJECT: Node = node![Kw::Type(Ty::Object)];
const ARRAY: Node = node![Kw::Type(Ty::Array)];
const STRINGS: Node = array_of!(STRING);

/// `Value` of a key/value match expression: a scalar.
const SCALAR_VALUE: Node = node![
    Kw::AnyOf(&[NUMBER, STRING, INTEGER, BOOLEAN]),
    Kw::AdditionalProperties(false),
];
/// `Values` of a key/value match expression: a homogeneous list of scalars.
const HOMOGENEOUS_VALUES: Node = node![Kw::AnyOf(&[
    array_of!(NUMBER),
    array_of!(STRING),
    array_of!(INTEGER),
    array_of!(BOOLEAN),
])];
const ENRICHMENT: Node = closed!(
    { "Table": STRING, "Selector": STRING, "FieldPath": STRING },
    required ["Table", "Selector", "FieldPath"]
);
/// `DeepKey`: a list of keys (strings) and indexes (integers).
const DEEP_KEY: Node = array_of!(node![Kw::OneOf(&[STRING, INTEGER])]);
const ELEMENT_CONDITION: Node = node![
    Kw::Type(Ty::String),
    Kw::Enum(&["AllElements", "AnyElement", "NoElement", "OnlyOneElement"]),
];
const ABSOLUTE_CONDITION: Node = node![
    Kw::Type(Ty::String),
    Kw::Enum(&["AlwaysTrue", "AlwaysFalse"])
];
/// `Key`, `DeepKey` or `KeyPath` (the `KeySpecifier` definition, also inlined in multi-key
/// match expressions).
const KEY_SPECIFIER: Node = node![
    Kw::OneOf(&[
        closed!({ "Key": STRING }, required ["Key"]),
        closed!({ "DeepKey": DEEP_KEY }, required ["DeepKey"]),
        closed!({ "KeyPath": STRING }, required ["KeyPath"]),
    ]),
    Kw::Type(Ty::Object),
];
/// `Schedule` of scheduled queries (`QuerySchedule`) and, inlined, of correlation rules.
const SCHEDULE: Node = closed!(
    { "CronExpression": STRING, "RateMinutes": INTEGER, "TimeoutMinutes": INTEGER },
    required ["TimeoutMinutes"]
);
const EVENT_EVALUATION_ORDER: Node = node![
    Kw::Type(Ty::String),
    Kw::Enum(&["Chronological", "ReverseChronological"])
];
/// One entry of a correlation rule's `Sequence` or `Group`.
const CORRELATION_STEP: Node = closed!(
    {
        "ID": STRING,
        "RuleID": STRING,
        "MinMatchCount": INTEGER,
        "MaxMatchCount": INTEGER,
        "Absence": BOOLEAN,
    },
    required ["RuleID"]
);
const TRANSITION: Node = closed!(
    {
        "ID": STRING,
        "From": STRING,
        "To": STRING,
        "WithinTimeFrameMinutes": INTEGER,
        "Match": node![
            Kw::Items(closed!({ "On": STRING, "From": STRING, "To": STRING })),
            Kw::Type(Ty::Array),
            Kw::MaxItems(1),
            Kw::MinItems(1),
        ],
    },
    required ["From", "To"]
);
const MATCH_CRITERIA: Node = map_of!(array_of!(closed!(
    { "GroupID": STRING, "Match": STRING },
    required ["GroupID", "Match"]
)));

/// The 22 forms one `Detection` match expression can take (exactly one must match).
const MATCH_EXPRESSION_FORMS: &[Node] = &[
    closed!({ "KeyPath": STRING, "Condition": STRING }, required ["KeyPath", "Condition"]),
    closed!(
        { "KeyPath": STRING, "Condition": STRING, "Value": SCALAR_VALUE },
        required ["KeyPath", "Condition", "Value"]
    ),
    closed!(
        { "KeyPath": STRING, "Condition": STRING, "Values": HOMOGENEOUS_VALUES },
        required ["KeyPath", "Condition", "Values"]
    ),
    closed!(
        { "Enrichment": ENRICHMENT, "Condition": STRING, "Value": SCALAR_VALUE },
        required ["Enrichment", "Condition", "Value"]
    ),
    closed!(
        { "Enrichment": ENRICHMENT, "Condition": STRING, "Values": HOMOGENEOUS_VALUES },
        required ["Enrichment", "Condition", "Values"]
    ),
    closed!({ "All": reference!(MatchExpressions) }, required ["All"]),
    closed!({ "Any": reference!(MatchExpressions) }, required ["Any"]),
    closed!({ "OnlyOne": reference!(MatchExpressions) }, required ["OnlyOne"]),
    closed!({ "None": reference!(MatchExpressions) }, required ["None"]),
    closed!({ "Key": STRING, "Condition": STRING }, required ["Key", "Condition"]),
    closed!({ "DeepKey": DEEP_KEY, "Condition": STRING }, required ["DeepKey", "Condition"]),
    closed!(
        { "Key": STRING, "Condition": STRING, "Value": SCALAR_VALUE },
        required ["Key", "Condition", "Value"]
    ),
    closed!(
        { "Key": STRING, "Condition": STRING, "Values": HOMOGENEOUS_VALUES },
        required ["Key", "Condition", "Values"]
    ),
    closed!(
        { "DeepKey": DEEP_KEY, "Condition": STRING, "Value": SCALAR_VALUE },
        required ["DeepKey", "Condition", "Value"]
    ),
    closed!(
        { "DeepKey": DEEP_KEY, "Condition": STRING, "Values": HOMOGENEOUS_VALUES },
        required ["DeepKey", "Condition", "Values"]
    ),
    closed!(
        {
            "Expressions": reference!(MatchExpressions),
            "Key": STRING,
            "Condition": ELEMENT_CONDITION,
        },
        required ["Expressions", "Key", "Condition"]
    ),
    closed!(
        {
            "Expressions": reference!(MatchExpressions),
            "DeepKey": STRINGS,
            "Condition": ELEMENT_CONDITION,
        },
        required ["Expressions", "DeepKey", "Condition"]
    ),
    closed!(
        {
            "Expressions": reference!(MatchExpressions),
            "KeyPath": STRING,
            "Condition": ELEMENT_CONDITION,
        },
        required ["Expressions", "KeyPath", "Condition"]
    ),
    closed!({ "Condition": ABSOLUTE_CONDITION }, required ["Condition"]),
    closed!(
        {
            "Condition": STRING,
            "Values": node![
                Kw::Items(KEY_SPECIFIER),
                Kw::Type(Ty::Array),
                Kw::MaxItems(2),
                Kw::MinItems(2),
            ],
        },
        required ["Condition", "Values"]
    ),
    closed!(
        {
            "EventEvaluationOrder": EVENT_EVALUATION_ORDER,
            "LookbackWindowMinutes": INTEGER,
            "Schedule": SCHEDULE,
            "Sequence": array_of!(CORRELATION_STEP),
            "Transitions": array_of!(TRANSITION),
        },
        required ["Schedule", "Sequence"]
    ),
    closed!(
        {
            "EventEvaluationOrder": EVENT_EVALUATION_ORDER,
            "LookbackWindowMinutes": INTEGER,
            "Schedule": SCHEDULE,
            "Group": array_of!(CORRELATION_STEP),
            "MatchCriteria": MATCH_CRITERIA,
            "MinMatchCount": INTEGER,
        },
        required ["Schedule", "Group"]
    ),
];

/// The 7 forms one `InlineFilters` match expression can take.
const INLINE_FILTER_FORMS: &[Node] = &[
    closed!({ "KeyPath": STRING, "Condition": STRING }, required ["KeyPath", "Condition"]),
    closed!(
        { "KeyPath": STRING, "Condition": STRING, "Value": SCALAR_VALUE },
        required ["KeyPath", "Condition", "Value"]
    ),
    closed!(
        { "KeyPath": STRING, "Condition": STRING, "Values": HOMOGENEOUS_VALUES },
        required ["KeyPath", "Condition", "Values"]
    ),
    closed!(
        { "Enrichment": ENRICHMENT, "Condition": STRING, "Value": SCALAR_VALUE },
        required ["Enrichment", "Condition", "Value"]
    ),
    closed!(
        { "Enrichment": ENRICHMENT, "Condition": STRING, "Values": HOMOGENEOUS_VALUES },
        required ["Enrichment", "Condition", "Values"]
    ),
    closed!({ "All": reference!(InlineFilterMatchExpressions) }, required ["All"]),
    closed!({ "Any": reference!(InlineFilterMatchExpressions) }, required ["Any"]),
];

/// The named definitions (`$defs`), in PAT's file order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Def {
    AssociatedLogType,
    CorrelationRuleTestCaseMatch,
    CorrelationRuleTestCaseOutput,
    DynamicSeverity,
    EmailConfig,
    InlineFilterMatchExpressions,
    KeySpecifier,
    KeyValueDefinition,
    LogTypeMap,
    Mapping,
    MatchExpressions,
    MockReturnValue,
    Mocks,
    PackDefinition,
    QuerySchedule,
    Refresh,
    ReportItem,
    Reports,
    SimpleDetectionSchema,
    Status,
    Test,
}

impl Def {
    #[cfg_attr(not(test), allow(dead_code))]
    const ALL: [Def; 21] = [
        Def::AssociatedLogType,
        Def::CorrelationRuleTestCaseMatch,
        Def::CorrelationRuleTestCaseOutput,
        Def::DynamicSeverity,
        Def::EmailConfig,
        Def::InlineFilterMatchExpressions,
        Def::KeySpecifier,
        Def::KeyValueDefinition,
        Def::LogTypeMap,
        Def::Mapping,
        Def::MatchExpressions,
        Def::MockReturnValue,
        Def::Mocks,
        Def::PackDefinition,
        Def::QuerySchedule,
        Def::Refresh,
        Def::ReportItem,
        Def::Reports,
        Def::SimpleDetectionSchema,
        Def::Status,
        Def::Test,
    ];

    fn name(self) -> &'static str {
        match self {
            Def::AssociatedLogType => "AssociatedLogType",
            Def::CorrelationRuleTestCaseMatch => "CorrelationRuleTestCaseMatch",
            Def::CorrelationRuleTestCaseOutput => "CorrelationRuleTestCaseOutput",
            Def::DynamicSeverity => "DynamicSeverity",
            Def::EmailConfig => "EmailConfig",
            Def::InlineFilterMatchExpressions => "InlineFilterMatchExpressions",
            Def::KeySpecifier => "KeySpecifier",
            Def::KeyValueDefinition => "KeyValueDefinition",
            Def::LogTypeMap => "LogTypeMap",
            Def::Mapping => "Mapping",
            Def::MatchExpressions => "MatchExpressions",
            Def::MockReturnValue => "MockReturnValue",
            Def::Mocks => "Mocks",
            Def::PackDefinition => "PackDefinition",
            Def::QuerySchedule => "QuerySchedule",
            Def::Refresh => "Refresh",
            Def::ReportItem => "ReportItem",
            Def::Reports => "Reports",
            Def::SimpleDetectionSchema => "SimpleDetectionSchema",
            Def::Status => "Status",
            Def::Test => "Test",
        }
    }

    fn schema(self) -> Node {
        match self {
            Def::AssociatedLogType => closed!(
                { "LogType": STRING, "Selectors": STRINGS },
                required ["LogType", "Selectors"]
            ),
            Def::CorrelationRuleTestCaseMatch => map_of!(array_of!(Node::True)),
            Def::CorrelationRuleTestCaseOutput => closed!(
                { "ID": STRING, "Matches": map_of!(reference!(CorrelationRuleTestCaseMatch)) },
                required ["ID"]
            ),
            Def::DynamicSeverity => closed!(
                { "ChangeTo": STRING, "Conditions": array_of!(Node::True) },
                required ["ChangeTo", "Conditions"]
            ),
            Def::EmailConfig => closed!(
                { "PreferAttachment": BOOLEAN, "Recipients": STRINGS, "SendEmpty": BOOLEAN },
                required ["Recipients"]
            ),
            Def::InlineFilterMatchExpressions => {
                array_of!(node![Kw::OneOf(INLINE_FILTER_FORMS), Kw::Type(Ty::Object)])
            }
            Def::KeySpecifier => KEY_SPECIFIER,
            Def::KeyValueDefinition => closed!(
                { "KeyName": STRING, "KeyValue": reference!(KeySpecifier) },
                required ["KeyName", "KeyValue"]
            ),
            Def::LogTypeMap => closed!(
                { "PrimaryKey": STRING, "AssociatedLogTypes": array_of!(reference!(AssociatedLogType)) },
                required ["PrimaryKey"]
            ),
            Def::Mapping => closed!(
                { "Name": STRING, "Method": STRING, "Path": STRING },
                required ["Name"]
            ),
            Def::MatchExpressions => {
                array_of!(node![
                    Kw::OneOf(MATCH_EXPRESSION_FORMS),
                    Kw::Type(Ty::Object)
                ])
            }
            Def::MockReturnValue => node![Kw::OneOf(&[STRING, NUMBER, BOOLEAN, OBJECT, ARRAY])],
            Def::Mocks => array_of!(map_of!(reference!(MockReturnValue))),
            Def::PackDefinition => closed!({ "IDs": STRINGS }, required ["IDs"]),
            Def::QuerySchedule => SCHEDULE,
            Def::Refresh => node![
                Kw::Type(Ty::Object),
                Kw::OneOf(&[
                    // An S3/GCS-backed table: exactly one of the credentials.
                    node![
                        Kw::Properties(&[
                            ("PeriodMinutes", INTEGER),
                            ("AlarmPeriodMinutes", INTEGER),
                            ("ObjectPath", STRING),
                            ("RoleARN", STRING),
                            ("ObjectKMSKey", STRING),
                            ("GCSCredentials", STRING),
                            ("StorageProvider", STRING),
                        ]),
                        Kw::AdditionalProperties(false),
                        Kw::Required(&["PeriodMinutes", "ObjectPath"]),
                        Kw::OneOf(&[
                            node![Kw::Required(&["GCSCredentials"])],
                            node![Kw::Required(&["RoleARN"])],
                        ]),
                    ],
                    // A query-backed table: a period or a cron expression, not both.
                    node![
                        Kw::Properties(&[("PeriodMinutes", INTEGER), ("CronExpression", STRING)]),
                        Kw::AdditionalProperties(false),
                        Kw::OneOf(&[
                            node![Kw::Required(&["PeriodMinutes"])],
                            node![Kw::Required(&["CronExpression"])],
                        ]),
                    ],
                ]),
            ],
            Def::ReportItem => node![Kw::OneOf(&[STRING, NUMBER])],
            Def::Reports => map_of!(array_of!(reference!(ReportItem))),
            Def::SimpleDetectionSchema => SIMPLE_DETECTION_SCHEMA,
            Def::Status => STRING,
            Def::Test => closed!(
                {
                    "Name": STRING,
                    "ExpectedResult": BOOLEAN,
                    "LogType": STRING,
                    "ResourceType": STRING,
                    "Mocks": reference!(Mocks),
                    "Log": Node::True,
                    "Resource": Node::True,
                    "RuleOutputs": array_of!(reference!(CorrelationRuleTestCaseOutput)),
                },
                required ["Name", "ExpectedResult"]
            ),
        }
    }
}

const SEVERITIES: &[&str] = &[
    "Info", "INFO", "Low", "LOW", "Medium", "MEDIUM", "High", "HIGH", "Critical", "CRITICAL",
];
const ANALYSIS_TYPES: &[&str] = &[
    "datamodel",
    "global",
    "pack",
    "policy",
    "rule",
    "scheduled_rule",
    "scheduled_query",
    "lookup_table",
    "saved_query",
    "correlation_rule",
    // PAT 1.7.0 adds scheduled prompts (and `DatabricksQuery` below); Prowl follows 1.7.0.
    "scheduled_prompt",
];

/// The top-level schema: known keys are typed, unknown keys are allowed, `AnalysisType` required.
const SIMPLE_DETECTION_SCHEMA: Node = node![
    Kw::Properties(&[
        (
            "AnalysisType",
            node![Kw::Type(Ty::String), Kw::Enum(ANALYSIS_TYPES)]
        ),
        ("Description", STRING),
        ("DisplayName", STRING),
        ("Enabled", BOOLEAN),
        ("CreatedBy", STRING),
        ("Filename", STRING),
        ("LogTypes", STRINGS),
        ("OnlyUseBaseRiskScore", BOOLEAN),
        ("Reference", STRING),
        ("Reports", reference!(Reports)),
        ("Runbook", STRING),
        (
            "Severity",
            node![Kw::Type(Ty::String), Kw::Enum(SEVERITIES)]
        ),
        ("Tags", STRINGS),
        ("Tests", array_of!(reference!(Test))),
        ("PolicyID", STRING),
        ("ResourceTypes", STRINGS),
        ("Suppressions", STRINGS),
        ("DataModelID", STRING),
        ("Mappings", array_of!(reference!(Mapping))),
        ("DedupPeriodMinutes", INTEGER),
        ("OutputIds", STRINGS),
        ("RuleID", STRING),
        ("SummaryAttributes", STRINGS),
        ("Threshold", INTEGER),
        ("CreateAlert", BOOLEAN),
        ("ScheduledQueries", STRINGS),
        ("GlobalID", STRING),
        ("AthenaQuery", STRING),
        ("Query", STRING),
        ("QueryName", STRING),
        ("Schedule", reference!(QuerySchedule)),
        ("SnowflakeQuery", STRING),
        ("DatabricksQuery", STRING),
        ("Lookback", BOOLEAN),
        ("LookbackWindowSeconds", INTEGER),
        ("LogTypeMap", reference!(LogTypeMap)),
        ("LookupName", STRING),
        ("Refresh", reference!(Refresh)),
        ("Schema", STRING),
        ("PackID", STRING),
        ("PackDefinition", reference!(PackDefinition)),
        ("Detection", reference!(MatchExpressions)),
        ("InlineFilters", reference!(InlineFilterMatchExpressions)),
        ("GroupBy", array_of!(reference!(KeySpecifier))),
        ("AlertContext", array_of!(reference!(KeyValueDefinition))),
        ("AlertTitle", STRING),
        ("DynamicSeverities", array_of!(reference!(DynamicSeverity))),
    ]),
    Kw::AdditionalProperties(true),
    Kw::Type(Ty::Object),
    Kw::Required(&["AnalysisType"]),
];

/// The document root: `{"$ref": "#/$defs/SimpleDetectionSchema", ...}`.
const ROOT: Node = reference!(SimpleDetectionSchema);

// ---------------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy)]
enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

struct Evaluator<'a> {
    /// Path of the instance being evaluated by `first_error`.
    path: Vec<Seg<'a>>,
    /// Set when evaluation hit [`MAX_DEPTH`]; the place where it did.
    too_deep: Option<Vec<PathSegment>>,
}

impl<'a> Evaluator<'a> {
    fn owned_path(&self) -> Vec<PathSegment> {
        self.path
            .iter()
            .map(|s| match *s {
                Seg::Key(k) => PathSegment::Key(k.to_string()),
                Seg::Index(i) => PathSegment::Index(i),
            })
            .collect()
    }

    fn violation(&self, message: String) -> JsonSchemaViolation {
        let path = self.owned_path();
        let message = format!("{}: {}", json_path(&path), message);
        JsonSchemaViolation { path, message }
    }

    fn note_too_deep(&mut self) {
        if self.too_deep.is_none() {
            self.too_deep = Some(self.owned_path());
        }
    }

    /// The first error jsonschema's `iter_errors` would yield for `inst` under `node`.
    fn first_error(
        &mut self,
        node: Node,
        inst: &'a Value,
        depth: usize,
    ) -> Option<JsonSchemaViolation> {
        let kws = match node {
            Node::True => return None,
            Node::S(kws) => kws,
        };
        for kw in kws {
            match *kw {
                Kw::Type(ty) => {
                    if !ty.matches(inst) {
                        return Some(self.violation(format!(
                            "{} is not of type {}",
                            py_repr(inst),
                            str_repr(ty.name())
                        )));
                    }
                }
                Kw::Enum(members) => {
                    if !enum_contains(members, inst) {
                        return Some(self.violation(format!(
                            "{} is not one of {}",
                            py_repr(inst),
                            py_str_list_repr(members)
                        )));
                    }
                }
                Kw::Properties(props) => {
                    if let Value::Object(map) = inst {
                        for &(name, sub) in props {
                            if let Some(value) = lookup(map, name) {
                                let found = self.descend(sub, value, Seg::Key(name), depth);
                                if found.is_some() {
                                    return found;
                                }
                            }
                        }
                    }
                }
                Kw::AdditionalProperties(false) => {
                    if let Value::Object(map) = inst {
                        let mut extras: Vec<&str> = additional_keys(kws, map).collect();
                        if !extras.is_empty() {
                            extras.sort_unstable();
                            let listed: Vec<String> = extras.iter().map(|k| str_repr(k)).collect();
                            let verb = if extras.len() == 1 { "was" } else { "were" };
                            return Some(self.violation(format!(
                                "Additional properties are not allowed ({} {} unexpected)",
                                listed.join(", "),
                                verb
                            )));
                        }
                    }
                }
                Kw::AdditionalProperties(true) => {}
                Kw::Required(names) => {
                    if let Value::Object(map) = inst {
                        if let Some(missing) = names.iter().find(|n| lookup(map, n).is_none()) {
                            return Some(self.violation(format!(
                                "{} is a required property",
                                str_repr(missing)
                            )));
                        }
                    }
                }
                Kw::PatternPropertiesAny(sub) => {
                    if let Value::Object(map) = inst {
                        for (key, value) in map {
                            let found = self.descend(sub, value, Seg::Key(key), depth);
                            if found.is_some() {
                                return found;
                            }
                        }
                    }
                }
                Kw::Items(sub) => {
                    if let Value::Array(items) = inst {
                        for (i, value) in items.iter().enumerate() {
                            let found = self.descend(sub, value, Seg::Index(i), depth);
                            if found.is_some() {
                                return found;
                            }
                        }
                    }
                }
                Kw::MinItems(min) => {
                    if let Value::Array(items) = inst {
                        if items.len() < min {
                            let what = if min == 1 {
                                "should be non-empty"
                            } else {
                                "is too short"
                            };
                            return Some(self.violation(format!("{} {}", py_repr(inst), what)));
                        }
                    }
                }
                Kw::MaxItems(max) => {
                    if let Value::Array(items) = inst {
                        if items.len() > max {
                            let what = if max == 0 {
                                "is expected to be empty"
                            } else {
                                "is too long"
                            };
                            return Some(self.violation(format!("{} {}", py_repr(inst), what)));
                        }
                    }
                }
                Kw::AnyOf(branches) => {
                    if !branches.iter().any(|b| self.is_valid(*b, inst, depth)) {
                        return Some(self.violation(format!(
                            "{} is not valid under any of the given schemas",
                            py_repr(inst)
                        )));
                    }
                }
                Kw::OneOf(branches) => {
                    let Some(first) =
                        (0..branches.len()).find(|&i| self.is_valid(branches[i], inst, depth))
                    else {
                        return Some(self.violation(format!(
                            "{} is not valid under any of the given schemas",
                            py_repr(inst)
                        )));
                    };
                    let more: Vec<usize> = (first + 1..branches.len())
                        .filter(|&i| self.is_valid(branches[i], inst, depth))
                        .collect();
                    if !more.is_empty() {
                        // jsonschema lists the later matches, then the first one. (With PAT's
                        // schema this only happens inside another `oneOf`, as context.)
                        let mut reprs: Vec<String> =
                            more.iter().map(|&i| schema_repr(branches[i])).collect();
                        reprs.push(schema_repr(branches[first]));
                        return Some(self.violation(format!(
                            "{} is valid under each of {}",
                            py_repr(inst),
                            reprs.join(", ")
                        )));
                    }
                }
                Kw::Ref(def) => {
                    let found = self.first_error(def.schema(), inst, depth);
                    if found.is_some() {
                        return found;
                    }
                }
            }
        }
        None
    }

    fn descend(
        &mut self,
        node: Node,
        inst: &'a Value,
        seg: Seg<'a>,
        depth: usize,
    ) -> Option<JsonSchemaViolation> {
        if matches!(node, Node::True) {
            return None;
        }
        self.path.push(seg);
        let found = if depth >= MAX_DEPTH {
            self.note_too_deep();
            Some(self.violation(RECURSION_MESSAGE.to_string()))
        } else {
            self.first_error(node, inst, depth + 1)
        };
        self.path.pop();
        found
    }

    /// `is_valid` for a member of an instance at `depth`.
    fn is_valid_child(&mut self, node: Node, child: &'a Value, depth: usize) -> bool {
        if matches!(node, Node::True) {
            return true;
        }
        if depth >= MAX_DEPTH {
            self.note_too_deep();
            return false;
        }
        self.is_valid(node, child, depth + 1)
    }

    /// Whether `inst` is valid under `node`. Order-independent, so the cheap keywords are checked
    /// before the ones that descend into the instance.
    fn is_valid(&mut self, node: Node, inst: &'a Value, depth: usize) -> bool {
        let kws = match node {
            Node::True => return true,
            Node::S(kws) => kws,
        };
        // The cheap checks first; `additionalProperties: false` after `required`, which usually
        // tells the forms of a match expression apart sooner.
        let mut closed = false;
        for kw in kws {
            let ok = match *kw {
                Kw::Type(ty) => ty.matches(inst),
                Kw::Enum(members) => enum_contains(members, inst),
                Kw::Required(names) => match inst {
                    Value::Object(map) => names.iter().all(|n| lookup(map, n).is_some()),
                    _ => true,
                },
                Kw::AdditionalProperties(false) => {
                    closed = true;
                    true
                }
                Kw::MinItems(min) => inst.as_array().is_none_or(|a| a.len() >= min),
                Kw::MaxItems(max) => inst.as_array().is_none_or(|a| a.len() <= max),
                _ => true,
            };
            if !ok {
                return false;
            }
        }
        if closed {
            if let Value::Object(map) = inst {
                if additional_keys(kws, map).next().is_some() {
                    return false;
                }
            }
        }
        for kw in kws {
            let ok = match *kw {
                Kw::Properties(props) => match inst {
                    Value::Object(map) => props.iter().all(|&(name, sub)| {
                        lookup(map, name).is_none_or(|v| self.is_valid_child(sub, v, depth))
                    }),
                    _ => true,
                },
                Kw::PatternPropertiesAny(sub) => match inst {
                    Value::Object(map) => map.values().all(|v| self.is_valid_child(sub, v, depth)),
                    _ => true,
                },
                Kw::Items(sub) => match inst {
                    Value::Array(items) => items.iter().all(|v| self.is_valid_child(sub, v, depth)),
                    _ => true,
                },
                Kw::AnyOf(branches) => branches.iter().any(|b| self.is_valid(*b, inst, depth)),
                Kw::OneOf(branches) => {
                    let mut valid = 0;
                    for b in branches {
                        if self.is_valid(*b, inst, depth) {
                            valid += 1;
                            if valid > 1 {
                                break;
                            }
                        }
                    }
                    valid == 1
                }
                Kw::Ref(def) => self.is_valid(def.schema(), inst, depth),
                _ => true,
            };
            if !ok {
                return false;
            }
        }
        true
    }
}

/// `map.get(key)`; small mappings (most of a spec) are scanned, which beats hashing the key.
fn lookup<'m>(map: &'m Map<String, Value>, key: &str) -> Option<&'m Value> {
    if map.len() <= 12 {
        map.iter().find(|(k, _)| same_key(k, key)).map(|(_, v)| v)
    } else {
        map.get(key)
    }
}

/// `a == b`, without a `memcmp` call for the short keys of a spec.
#[inline]
fn same_key(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| x == y)
}

fn enum_contains(members: &[&str], inst: &Value) -> bool {
    matches!(inst, Value::String(s) if members.contains(&s.as_str()))
}

/// Keys of `map` not covered by the schema object's `properties` / `patternProperties`, in
/// instance order (jsonschema's `find_additional_properties`).
fn additional_keys<'m>(
    kws: &'static [Kw],
    map: &'m Map<String, Value>,
) -> impl Iterator<Item = &'m str> {
    let mut props: &[(&str, Node)] = &[];
    let mut any_pattern = false;
    for kw in kws {
        match *kw {
            Kw::Properties(p) => props = p,
            Kw::PatternPropertiesAny(_) => any_pattern = true,
            _ => {}
        }
    }
    map.keys()
        .map(String::as_str)
        .filter(move |k| !any_pattern && !props.iter().any(|(name, _)| same_key(name, k)))
}

/// jsonschema's `ValidationError.json_path` for an absolute path.
pub fn json_path(path: &[PathSegment]) -> String {
    let mut out = String::from("$");
    for seg in path {
        match seg {
            PathSegment::Index(i) => {
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
            PathSegment::Key(k) if is_json_path_identifier(k) => {
                out.push('.');
                out.push_str(k);
            }
            PathSegment::Key(k) => {
                out.push_str("['");
                out.push_str(&k.replace('\\', "\\\\").replace('\'', "\\'"));
                out.push_str("']");
            }
        }
    }
    out
}

/// `re.match("^[a-zA-Z][a-zA-Z0-9_]*$", key)`; Python's `$` also matches before a final `\n`.
fn is_json_path_identifier(key: &str) -> bool {
    let body = key.strip_suffix('\n').unwrap_or(key);
    let mut chars = body.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

// ---------------------------------------------------------------------------------------------
// Python repr
// ---------------------------------------------------------------------------------------------

/// Python's `repr()` of the value `json.loads`/PyYAML would produce for `v`.
fn py_repr(v: &Value) -> String {
    enum Tok<'v> {
        Val(&'v Value),
        Key(&'v str),
        Lit(&'static str),
    }
    let mut out = String::new();
    // Iterative, so that deeply nested values cannot exhaust the stack.
    let mut stack = vec![Tok::Val(v)];
    while let Some(tok) = stack.pop() {
        match tok {
            Tok::Lit(s) => out.push_str(s),
            Tok::Key(k) => write_str_repr(&mut out, k),
            Tok::Val(v) => match v {
                Value::Null => out.push_str("None"),
                Value::Bool(true) => out.push_str("True"),
                Value::Bool(false) => out.push_str("False"),
                Value::Number(n) => {
                    if let Some(i) = n.as_i64() {
                        out.push_str(&i.to_string());
                    } else if let Some(u) = n.as_u64() {
                        out.push_str(&u.to_string());
                    } else {
                        write_float_repr(&mut out, n.as_f64().unwrap_or(f64::NAN));
                    }
                }
                Value::String(s) => write_str_repr(&mut out, s),
                Value::Array(items) => {
                    out.push('[');
                    stack.push(Tok::Lit("]"));
                    for (i, item) in items.iter().enumerate().rev() {
                        stack.push(Tok::Val(item));
                        if i > 0 {
                            stack.push(Tok::Lit(", "));
                        }
                    }
                }
                Value::Object(map) => {
                    out.push('{');
                    stack.push(Tok::Lit("}"));
                    for (i, (k, item)) in map.iter().enumerate().rev() {
                        stack.push(Tok::Val(item));
                        stack.push(Tok::Lit(": "));
                        stack.push(Tok::Key(k));
                        if i > 0 {
                            stack.push(Tok::Lit(", "));
                        }
                    }
                }
            },
        }
    }
    out
}

fn py_str_list_repr(items: &[&str]) -> String {
    let reprs: Vec<String> = items.iter().map(|s| str_repr(s)).collect();
    format!("[{}]", reprs.join(", "))
}

/// Python's `repr` of a schema object of the mirror (the dict jsonschema would print).
fn schema_repr(node: Node) -> String {
    let mut out = String::new();
    write_schema(&mut out, node, true);
    out
}

/// Writes a schema of the mirror as a Python dict repr (`python`) or as compact JSON.
fn write_schema(out: &mut String, node: Node, python: bool) {
    let kws = match node {
        Node::True => {
            out.push_str(if python { "True" } else { "true" });
            return;
        }
        Node::S(kws) => kws,
    };
    let sep = if python { ": " } else { ":" };
    let comma = if python { ", " } else { "," };
    let string = |out: &mut String, s: &str| {
        if python {
            write_str_repr(out, s);
        } else {
            out.push_str(&Value::String(s.to_string()).to_string());
        }
    };
    let strings = |out: &mut String, items: &[&str]| {
        out.push('[');
        for (i, s) in items.iter().enumerate() {
            if i > 0 {
                out.push_str(comma);
            }
            string(out, s);
        }
        out.push(']');
    };
    out.push('{');
    for (i, kw) in kws.iter().enumerate() {
        if i > 0 {
            out.push_str(comma);
        }
        let key = match kw {
            Kw::Type(_) => "type",
            Kw::Enum(_) => "enum",
            Kw::Properties(_) => "properties",
            Kw::AdditionalProperties(_) => "additionalProperties",
            Kw::Required(_) => "required",
            Kw::PatternPropertiesAny(_) => "patternProperties",
            Kw::Items(_) => "items",
            Kw::MinItems(_) => "minItems",
            Kw::MaxItems(_) => "maxItems",
            Kw::OneOf(_) => "oneOf",
            Kw::AnyOf(_) => "anyOf",
            Kw::Ref(_) => "$ref",
        };
        string(out, key);
        out.push_str(sep);
        match *kw {
            Kw::Type(ty) => string(out, ty.name()),
            Kw::Enum(members) | Kw::Required(members) => strings(out, members),
            Kw::Properties(props) => {
                out.push('{');
                for (j, &(name, sub)) in props.iter().enumerate() {
                    if j > 0 {
                        out.push_str(comma);
                    }
                    string(out, name);
                    out.push_str(sep);
                    write_schema(out, sub, python);
                }
                out.push('}');
            }
            Kw::AdditionalProperties(b) => out.push_str(match (b, python) {
                (true, true) => "True",
                (false, true) => "False",
                (true, false) => "true",
                (false, false) => "false",
            }),
            Kw::PatternPropertiesAny(sub) => {
                out.push('{');
                string(out, ".*");
                out.push_str(sep);
                write_schema(out, sub, python);
                out.push('}');
            }
            Kw::Items(sub) => write_schema(out, sub, python),
            Kw::MinItems(n) | Kw::MaxItems(n) => out.push_str(&n.to_string()),
            Kw::OneOf(branches) | Kw::AnyOf(branches) => {
                out.push('[');
                for (j, b) in branches.iter().enumerate() {
                    if j > 0 {
                        out.push_str(comma);
                    }
                    write_schema(out, *b, python);
                }
                out.push(']');
            }
            Kw::Ref(def) => string(out, &format!("#/$defs/{}", def.name())),
        }
    }
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::path::PathBuf;

    fn fixtures() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/json_schema")
    }

    /// Cases where this module knowingly differs from PAT, with the reason.
    const KNOWN_DIFFERENCES: &[(&str, &str)] = &[(
        "known_difference_integer_beyond_u64",
        "serde_json (without arbitrary_precision) holds integers beyond u64 as floats, so the repr \
         is `1.2345678901234568e+29` where Python prints the exact integer",
    )];

    fn message_of(v: &Value) -> Option<String> {
        v.get("message").and_then(Value::as_str).map(str::to_string)
    }

    fn path_of(v: &Value) -> Vec<PathSegment> {
        v.get("path")
            .and_then(Value::as_array)
            .map(|segs| {
                segs.iter()
                    .map(|s| match s {
                        Value::String(k) => PathSegment::Key(k.clone()),
                        other => PathSegment::Index(other.as_u64().expect("index") as usize),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn load_expected() -> Value {
        let text =
            std::fs::read_to_string(fixtures().join("expected.json")).expect("expected.json");
        serde_json::from_str(&text).expect("expected.json parses")
    }

    #[test]
    fn agrees_with_pat_on_every_corpus_case() {
        let expected = load_expected();
        let cases = expected["cases"].as_object().expect("cases");
        let mut names: Vec<String> = std::fs::read_dir(fixtures().join("cases"))
            .expect("cases dir")
            .filter_map(|e| {
                let p = e.ok()?.path();
                (p.extension()? == "json").then(|| p.file_stem()?.to_str().map(str::to_string))?
            })
            .collect();
        names.sort();
        assert!(names.len() >= 60, "corpus has only {} cases", names.len());
        assert_eq!(
            names.len(),
            cases.len(),
            "expected.json is stale: rerun gen_expected.py"
        );

        let mut disagreements = Vec::new();
        let mut known_seen = Vec::new();
        for name in &names {
            let text =
                std::fs::read_to_string(fixtures().join("cases").join(format!("{name}.json")))
                    .expect("case file");
            let spec: Value = serde_json::from_str(&text).expect("case parses");
            let want = &cases
                .get(name)
                .unwrap_or_else(|| panic!("{name} missing from expected.json"))["expected"];
            let got = check(&spec);
            let agree = match (&got, want) {
                (Ok(()), Value::Null) => true,
                (Err(v), want) if !want.is_null() => {
                    // PAT 1.6.3 (the corpus) lists the types without 1.7.0's scheduled_prompt.
                    let ours = v.message.replace(", 'scheduled_prompt']", "]");
                    Some(&ours) == message_of(want).as_ref() && v.path == path_of(want)
                }
                _ => false,
            };
            if KNOWN_DIFFERENCES.iter().any(|(n, _)| n == name) {
                known_seen.push(name.clone());
                assert!(
                    !agree,
                    "{name} is listed as a known difference but now agrees"
                );
                continue;
            }
            if !agree {
                disagreements.push(format!("{name}:\n   PAT: {want}\n  ours: {got:?}"));
            }
        }
        assert_eq!(
            known_seen.len(),
            KNOWN_DIFFERENCES.len(),
            "a known-difference case is missing"
        );
        assert!(
            disagreements.is_empty(),
            "{} disagreements:\n{}",
            disagreements.len(),
            disagreements.join("\n")
        );
    }

    #[test]
    fn at_least_sixty_corpus_cases_reach_pats_json_schema_layer() {
        let expected = load_expected();
        let reached = expected["cases"]
            .as_object()
            .expect("cases")
            .values()
            .filter(|c| c["pat"]["layer"] != "earlier")
            .count();
        assert!(
            reached >= 60,
            "only {reached} cases get past PAT's earlier layers"
        );
    }

    fn fnv1a64(data: &[u8]) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in data {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        format!("{h:016x}")
    }

    /// The mirror as the compact JSON document `gen_expected.py` fingerprints.
    fn mirror_json() -> String {
        let mut out = String::from("{\"$ref\":\"#/$defs/SimpleDetectionSchema\",\"$defs\":{");
        for (i, def) in Def::ALL.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&format!("\"{}\":", def.name()));
            write_schema(&mut out, def.schema(), false);
        }
        out.push_str("}}");
        out
    }

    #[test]
    fn schema_mirror_has_the_fingerprint_of_pats_schema_file() {
        let expected = load_expected();
        // The corpus was generated with PAT 1.6.3; PAT 1.7.0's two additions are taken out
        // before comparing.
        let mirror = mirror_json()
            .replace(",\"scheduled_prompt\"", "")
            .replace(",\"DatabricksQuery\":{\"type\":\"string\"}", "");
        assert_ne!(
            mirror,
            mirror_json(),
            "the 1.7.0 additions are in the mirror"
        );
        // Keep the mirror parseable, so a mismatch can be diffed against PAT's file.
        serde_json::from_str::<Value>(&mirror).expect("mirror is JSON");
        assert_eq!(
            expected["schema_fingerprint"].as_str(),
            Some(fnv1a64(mirror.as_bytes()).as_str()),
            "the Rust mirror no longer matches PAT's analysis_config_schema.json; mirror:\n{mirror}"
        );
    }

    fn violation(spec: Value) -> JsonSchemaViolation {
        check(&spec).expect_err("spec should be rejected")
    }

    #[test]
    fn reports_the_first_error_in_evaluation_order_not_jsonschemas_best_match() {
        // best_match would pick `Runbook` (same depth, later path); `validate` raises the first.
        let v = violation(json!({"AnalysisType": "rule", "Runbook": 2, "Description": 1}));
        assert_eq!(v.message, "$.Description: 1 is not of type 'string'");
        assert_eq!(v.path, vec![PathSegment::Key("Description".into())]);
    }

    #[test]
    fn properties_are_checked_before_additional_properties_type_and_required() {
        let v = violation(json!({"AnalysisType": "rule", "Tests": [{"Name": 1, "Bogus": true}]}));
        assert_eq!(v.message, "$.Tests[0].Name: 1 is not of type 'string'");
        let v = violation(json!({"AnalysisType": "rule", "Tests": [{"Bogus": true}]}));
        assert_eq!(
            v.message,
            "$.Tests[0]: Additional properties are not allowed ('Bogus' was unexpected)"
        );
        let v = violation(json!({"AnalysisType": "rule", "Tests": [{"Name": "n"}]}));
        assert_eq!(
            v.message,
            "$.Tests[0]: 'ExpectedResult' is a required property"
        );
    }

    #[test]
    fn bools_are_not_integers_but_integral_floats_are() {
        let v = violation(json!({"AnalysisType": "rule", "Threshold": true}));
        assert_eq!(v.message, "$.Threshold: True is not of type 'integer'");
        assert!(check(&json!({"AnalysisType": "rule", "Threshold": 3.0})).is_ok());
        let v = violation(json!({"AnalysisType": "rule", "Reports": {"A": [false]}}));
        assert_eq!(
            v.message,
            "$.Reports.A[0]: False is not valid under any of the given schemas"
        );
    }

    #[test]
    fn refresh_needs_exactly_one_credential_or_one_schedule() {
        let base = json!({"AnalysisType": "lookup_table"});
        let with = |refresh: Value| {
            let mut spec = base.clone();
            spec["Refresh"] = refresh;
            check(&spec)
        };
        assert!(with(json!({"ObjectPath": "p", "PeriodMinutes": 5, "RoleARN": "r"})).is_ok());
        assert!(with(json!({"CronExpression": "* * * * *"})).is_ok());
        assert!(with(json!({"PeriodMinutes": 5, "CronExpression": "c"})).is_err());
        assert!(with(
            json!({"ObjectPath": "p", "PeriodMinutes": 5, "RoleARN": "r", "GCSCredentials": "g"})
        )
        .is_err());
        assert_eq!(
            with(json!({})).unwrap_err().message,
            "$.Refresh: {} is not valid under any of the given schemas"
        );
    }

    /// The message jsonschema would give for `inst` under a sub-schema of the mirror.
    fn message_under(node: Node, inst: Value) -> Option<String> {
        let mut ev = Evaluator {
            path: Vec::new(),
            too_deep: None,
        };
        ev.first_error(node, &inst, 0).map(|v| v.message)
    }

    fn property(node: Node, name: &str) -> Node {
        let Node::S(kws) = node else {
            panic!("not a schema object")
        };
        kws.iter()
            .find_map(|kw| match kw {
                Kw::Properties(props) => props.iter().find(|(n, _)| *n == name).map(|(_, s)| *s),
                _ => None,
            })
            .expect("property")
    }

    fn one_of_branches(node: Node) -> &'static [Node] {
        let Node::S(kws) = node else {
            panic!("not a schema object")
        };
        kws.iter()
            .find_map(|kw| {
                if let Kw::OneOf(b) = kw {
                    Some(*b)
                } else {
                    None
                }
            })
            .expect("oneOf")
    }

    // These keywords only occur inside `oneOf` branches, where PAT never shows their messages;
    // the wording is still jsonschema's (checked against it when this test was written).
    #[test]
    fn min_and_max_items_use_jsonschemas_wording() {
        let transition_match = property(TRANSITION, "Match");
        assert_eq!(message_under(transition_match, json!([{"On": "x"}])), None);
        assert_eq!(
            message_under(transition_match, json!([])).as_deref(),
            Some("$: [] should be non-empty")
        );
        assert_eq!(
            message_under(transition_match, json!([{}, {}])).as_deref(),
            Some("$: [{}, {}] is too long")
        );
        let multi_key = property(MATCH_EXPRESSION_FORMS[19], "Values");
        assert_eq!(
            message_under(multi_key, json!([{"Key": "a"}])).as_deref(),
            Some("$: [{'Key': 'a'}] is too short")
        );
    }

    #[test]
    fn one_of_with_several_matches_lists_the_later_ones_first() {
        let refresh = one_of_branches(Def::Refresh.schema());
        assert_eq!(
            message_under(
                refresh[1],
                json!({"PeriodMinutes": 5, "CronExpression": "c"})
            )
            .as_deref(),
            Some(
                "$: {'PeriodMinutes': 5, 'CronExpression': 'c'} is valid under each of \
                  {'required': ['CronExpression']}, {'required': ['PeriodMinutes']}"
            )
        );
        assert_eq!(
            message_under(refresh[0], json!({"PeriodMinutes": 5, "ObjectPath": "p", "RoleARN": "r", "GCSCredentials": "g"}))
                .as_deref(),
            Some("$: {'PeriodMinutes': 5, 'ObjectPath': 'p', 'RoleARN': 'r', 'GCSCredentials': 'g'} is valid under \
                  each of {'required': ['RoleARN']}, {'required': ['GCSCredentials']}")
        );
    }

    #[test]
    fn py_repr_prints_python_literals_and_containers() {
        assert_eq!(py_repr(&json!(null)), "None");
        assert_eq!(py_repr(&json!(true)), "True");
        assert_eq!(
            py_repr(&json!([false, null, 1, -2])),
            "[False, None, 1, -2]"
        );
        assert_eq!(
            py_repr(&json!({"a": {"b": []}, "c": {}})),
            "{'a': {'b': []}, 'c': {}}"
        );
        assert_eq!(
            py_repr(&json!(18446744073709551615u64)),
            "18446744073709551615"
        );
    }

    #[test]
    fn py_repr_prints_floats_like_python() {
        let cases = [
            (1.0, "1.0"),
            (-0.0, "-0.0"),
            (0.1, "0.1"),
            (100.0, "100.0"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (1234567890123456.0, "1234567890123456.0"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (1e100, "1e+100"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (123456789.125, "123456789.125"),
            (-2.5e22, "-2.5e+22"),
            // Two shortest strings round-trip: Python takes the nearer one, ties to even.
            (882_503_655_060_309.0 + 0.25, "882503655060309.2"),
            (1_006_034_095_324_224.0 + 0.25, "1006034095324224.2"),
            (-(188_074_264_154_718.0 + 0.625), "-188074264154718.62"),
        ];
        for (f, want) in cases {
            assert_eq!(py_repr(&json!(f)), want, "repr of {f:e}");
        }
    }

    #[test]
    fn py_repr_quotes_and_escapes_strings_like_python() {
        assert_eq!(py_repr(&json!("plain")), "'plain'");
        assert_eq!(py_repr(&json!("it's")), "\"it's\"");
        assert_eq!(py_repr(&json!("it's \"x\"")), "'it\\'s \"x\"'");
        assert_eq!(
            py_repr(&json!("a\\b\t\n\r\u{7}\u{7f}")),
            "'a\\\\b\\t\\n\\r\\x07\\x7f'"
        );
        assert_eq!(py_repr(&json!("café ☃ 🦀")), "'café ☃ 🦀'");
        assert_eq!(py_repr(&json!("\u{85}\u{a0}\u{ad}")), "'\\x85\\xa0\\xad'");
        assert_eq!(
            py_repr(&json!("\u{200b}\u{2028}\u{feff}\u{e000}")),
            "'\\u200b\\u2028\\ufeff\\ue000'"
        );
        assert_eq!(py_repr(&json!("\u{e0001}\u{378}")), "'\\U000e0001\\u0378'");
    }

    #[test]
    fn json_path_quotes_keys_that_are_not_identifiers() {
        let k = |s: &str| PathSegment::Key(s.into());
        assert_eq!(json_path(&[]), "$");
        assert_eq!(
            json_path(&[k("Tests"), PathSegment::Index(3), k("Log_2")]),
            "$.Tests[3].Log_2"
        );
        assert_eq!(
            json_path(&[k("_x"), k("a b"), k("é")]),
            "$['_x']['a b']['é']"
        );
        assert_eq!(json_path(&[k("it's \\")]), "$['it\\'s \\\\']");
        // Python's `$` also matches before a trailing newline.
        assert_eq!(json_path(&[k("abc\n")]), "$.abc\n");
        assert_eq!(json_path(&[k("abc\n\n")]), "$['abc\n\n']");
    }

    /// Drops a deeply nested value without recursing.
    fn dismantle(v: Value) {
        let mut stack = vec![v];
        while let Some(mut v) = stack.pop() {
            match &mut v {
                Value::Array(items) => stack.append(items),
                Value::Object(map) => {
                    let keys: Vec<String> = map.keys().cloned().collect();
                    for k in keys {
                        if let Some(child) = map.remove(&k) {
                            stack.push(child);
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// `[{key: inner}]`, built without `json!` (which would deep-copy `inner`).
    fn wrap(key: &str, inner: Value) -> Value {
        let mut map = Map::new();
        map.insert(key.to_string(), inner);
        Value::Array(vec![Value::Object(map)])
    }

    fn spec_with(key: &str, value: Value) -> Value {
        let mut map = Map::new();
        map.insert("AnalysisType".to_string(), json!("rule"));
        map.insert(key.to_string(), value);
        Value::Object(map)
    }

    #[test]
    fn deeply_nested_match_expressions_are_rejected_without_overflowing_the_stack() {
        for depth in [MAX_DEPTH / 2, MAX_DEPTH, 100_000] {
            let mut detection = json!([{"KeyPath": "a", "Condition": "Exists"}]);
            for _ in 0..depth {
                detection = wrap("All", detection);
            }
            let spec = spec_with("Detection", detection);
            let v = check(&spec).expect_err("too deep");
            assert_eq!(v.message, RECURSION_MESSAGE);
            assert!(v.path.len() <= MAX_DEPTH + 2);
            dismantle(spec);
        }
    }

    fn chain(key: &str, combinator: &str, leaf: Value, nesting: usize) -> Value {
        let mut list = Value::Array(vec![leaf]);
        for _ in 0..nesting {
            list = wrap(combinator, list);
        }
        spec_with(key, list)
    }

    #[test]
    fn recursion_limit_matches_pat_for_chains_of_combinators() {
        let key_path = json!({"KeyPath": "a", "Condition": "Exists"});
        let deep_key = json!({"DeepKey": ["a", "b"], "Condition": "Exists"});
        let multi_key = json!({"Condition": "Equals", "Values": [{"Key": "a"}, {"Key": "b"}]});
        let element = json!({"Key": "a", "Condition": "AnyElement", "Expressions": [{"Condition": "AlwaysTrue"}]});
        // (where, combinator, leaf, deepest nesting `panther_analysis_tool test` 1.6.3 accepts).
        // Not every shape lines up: with a `DeepKey` inside a multi-key leaf PAT still accepts
        // nesting 118, which this module rejects.
        let shapes = [
            ("Detection", "All", key_path.clone(), 119),
            ("Detection", "None", key_path.clone(), 119),
            ("InlineFilters", "Any", key_path, 119),
            ("Detection", "All", deep_key, 118),
            ("Detection", "OnlyOne", multi_key, 118),
            ("Detection", "OnlyOne", element, 118),
        ];
        for (key, combinator, leaf, accepted) in shapes {
            let ok = chain(key, combinator, leaf.clone(), accepted);
            assert_eq!(check(&ok), Ok(()), "{key}/{combinator} nesting {accepted}");
            let deep = chain(key, combinator, leaf, accepted + 1);
            let v = check(&deep).expect_err("one level more is too deep");
            assert_eq!(
                v.message,
                RECURSION_MESSAGE,
                "{key}/{combinator} nesting {}",
                accepted + 1
            );
            assert_eq!(
                v.path[..2],
                [PathSegment::Key(key.into()), PathSegment::Index(0)]
            );
        }
    }

    #[test]
    fn deep_values_the_schema_does_not_descend_into_are_fine_and_print() {
        let mut log = json!(1);
        for _ in 0..100_000 {
            log = Value::Array(vec![log]);
        }
        let mut test = Map::new();
        test.insert("Name".to_string(), json!("t"));
        test.insert("ExpectedResult".to_string(), json!(true));
        test.insert("Log".to_string(), log);
        let spec = spec_with("Tests", Value::Array(vec![Value::Object(test)]));
        assert!(check(&spec).is_ok());
        let mut spec = spec;
        let log = spec["Tests"][0]["Log"].take();
        spec["Tests"] = log;
        let v = check(&spec).expect_err("Tests items are not objects");
        assert!(
            v.message.starts_with("$.Tests[0]: [[[[")
                && v.message.ends_with("]]]] is not of type 'object'")
        );
        dismantle(spec);
    }

    #[test]
    fn moderately_nested_match_expressions_are_checked() {
        let mut detection = json!([{"KeyPath": "a", "Condition": "Exists"}]);
        for i in 0..60 {
            detection = if i % 2 == 0 {
                let mut item = Map::new();
                item.insert("Key".to_string(), json!("k"));
                item.insert("Condition".to_string(), json!("AnyElement"));
                item.insert("Expressions".to_string(), detection);
                Value::Array(vec![Value::Object(item)])
            } else {
                wrap("Any", detection)
            };
        }
        assert!(check(&spec_with("Detection", detection)).is_ok());
    }

    #[test]
    fn huge_arrays_are_checked_without_trouble() {
        let tags: Vec<Value> = (0..200_000).map(|i| json!(format!("tag{i}"))).collect();
        assert!(check(&json!({"AnalysisType": "rule", "Tags": tags})).is_ok());
        let mut items: Vec<Value> = (0..50_000)
            .map(|i| json!({"Key": format!("k{i}"), "Condition": "Equals", "Value": i}))
            .collect();
        items.push(json!({"Key": "last"}));
        let v = violation(json!({"AnalysisType": "rule", "Detection": items}));
        assert_eq!(
            v.message,
            "$.Detection[50000]: {'Key': 'last'} is not valid under any of the given schemas"
        );
    }

    #[test]
    fn two_thousand_typical_specs_validate() {
        let spec = json!({
            "AnalysisType": "rule", "RuleID": "Demo.Rule", "Enabled": true, "LogTypes": ["AWS.CloudTrail"],
            "Severity": "High", "Description": "d", "Tags": ["a", "b"], "Reports": {"MITRE ATT&CK": ["TA0001:T1078"]},
            "Detection": [
                {"Key": "eventName", "Condition": "Equals", "Value": "ConsoleLogin"},
                {"DeepKey": ["userIdentity", "type"], "Condition": "IsIn", "Values": ["Root", "IAMUser"]},
                {"Any": [{"KeyPath": "a.b", "Condition": "Exists"}, {"Condition": "AlwaysFalse"}]}
            ],
            "AlertContext": [{"KeyName": "u", "KeyValue": {"KeyPath": "userIdentity.arn"}}],
            "Tests": [{"Name": "t", "ExpectedResult": true, "Log": {"eventName": "ConsoleLogin"}}]
        });
        let start = std::time::Instant::now();
        for _ in 0..2_000 {
            assert!(check(&spec).is_ok());
        }
        // Generous bound so that unoptimised builds on a busy machine pass too.
        assert!(
            start.elapsed() < std::time::Duration::from_secs(2),
            "took {:?}",
            start.elapsed()
        );
    }
}

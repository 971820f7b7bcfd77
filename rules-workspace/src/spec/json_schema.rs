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
                            py_str_repr(ty.name())
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
                            let listed: Vec<String> =
                                extras.iter().map(|k| py_str_repr(k)).collect();
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
                                py_str_repr(missing)
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
            Tok::Key(k) => write_py_str(&mut out, k),
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
                        write_py_float(&mut out, n.as_f64().unwrap_or(f64::NAN));
                    }
                }
                Value::String(s) => write_py_str(&mut out, s),
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

fn py_str_repr(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    write_py_str(&mut out, s);
    out
}

fn py_str_list_repr(items: &[&str]) -> String {
    let reprs: Vec<String> = items.iter().map(|s| py_str_repr(s)).collect();
    format!("[{}]", reprs.join(", "))
}

/// CPython's `str.__repr__`: single quotes unless the text has `'` and no `"`; `\\`, the quote,
/// `\t`, `\n`, `\r` escaped; other control characters and non-printable characters as
/// `\xhh`/`\uhhhh`/`\Uhhhhhhhh`; printable non-ASCII kept as is.
fn write_py_str(out: &mut String, s: &str) {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if c < ' ' || c == '\x7f' => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if c.is_ascii() => out.push(c),
            c if is_py_printable(c) => out.push(c),
            c => {
                let cp = c as u32;
                if cp <= 0xff {
                    out.push_str(&format!("\\x{cp:02x}"));
                } else if cp <= 0xffff {
                    out.push_str(&format!("\\u{cp:04x}"));
                } else {
                    out.push_str(&format!("\\U{cp:08x}"));
                }
            }
        }
    }
    out.push(quote);
}

/// CPython's `float.__repr__`: the shortest round-tripping digits, positional when the decimal
/// exponent is in `-4..16` (with at least one fractional digit), scientific otherwise
/// (`1e+16`, `1.5e-05`).
fn write_py_float(out: &mut String, f: f64) {
    if f.is_nan() {
        out.push_str("nan");
        return;
    }
    if f.is_infinite() {
        out.push_str(if f < 0.0 { "-inf" } else { "inf" });
        return;
    }
    // Rust's `{:e}` prints a shortest round-tripping digit string too, as `d.ddde<exp>`. When two
    // strings of that length round-trip, Python picks the one nearest to the value (ties to even);
    // Rust's exact formatting with that many digits is exactly that nearest string.
    let mut sci = format!("{f:e}");
    let len = sci
        .split('e')
        .next()
        .unwrap_or("")
        .bytes()
        .filter(u8::is_ascii_digit)
        .count();
    if len > 1 {
        let nearest = format!("{:.*e}", len - 1, f);
        if nearest.parse::<f64>() == Ok(f) {
            sci = nearest;
        }
    }
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (negative, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if negative {
        out.push('-');
    }
    if (-4..16).contains(&exp) {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                out.push_str(&digits);
                out.push_str(&"0".repeat(int_len - digits.len()));
                out.push_str(".0");
            } else {
                out.push_str(&digits[..int_len]);
                out.push('.');
                out.push_str(&digits[int_len..]);
            }
        } else {
            out.push_str("0.");
            out.push_str(&"0".repeat((-exp - 1) as usize));
            out.push_str(&digits);
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", exp.unsigned_abs()));
    }
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
            write_py_str(out, s);
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

/// Whether CPython 3.11 (Unicode 14.0) considers a non-ASCII character printable, i.e. it is not
/// in categories Cc, Cf, Cs, Co, Cn, Zl, Zp or Zs.
fn is_py_printable(c: char) -> bool {
    let cp = c as u32;
    let i = NON_PRINTABLE.partition_point(|&(_, end)| end < cp);
    !(i < NON_PRINTABLE.len() && NON_PRINTABLE[i].0 <= cp)
}

/// Inclusive ranges of non-ASCII code points that CPython 3.11's `str.isprintable()` rejects.
/// Generated with the PAT venv's Python 3.11.7 (`unicodedata.unidata_version == "14.0.0"`):
/// `[c for c in range(0x80, 0x110000) if not chr(c).isprintable()]`, merged into ranges.
#[rustfmt::skip]
const NON_PRINTABLE: &[(u32, u32)] = &[
    (0x80, 0xA0), (0xAD, 0xAD), (0x378, 0x379), (0x380, 0x383), (0x38B, 0x38B), (0x38D, 0x38D),
    (0x3A2, 0x3A2), (0x530, 0x530), (0x557, 0x558), (0x58B, 0x58C), (0x590, 0x590), (0x5C8, 0x5CF),
    (0x5EB, 0x5EE), (0x5F5, 0x605), (0x61C, 0x61C), (0x6DD, 0x6DD), (0x70E, 0x70F), (0x74B, 0x74C),
    (0x7B2, 0x7BF), (0x7FB, 0x7FC), (0x82E, 0x82F), (0x83F, 0x83F), (0x85C, 0x85D), (0x85F, 0x85F),
    (0x86B, 0x86F), (0x88F, 0x897), (0x8E2, 0x8E2), (0x984, 0x984), (0x98D, 0x98E), (0x991, 0x992),
    (0x9A9, 0x9A9), (0x9B1, 0x9B1), (0x9B3, 0x9B5), (0x9BA, 0x9BB), (0x9C5, 0x9C6), (0x9C9, 0x9CA),
    (0x9CF, 0x9D6), (0x9D8, 0x9DB), (0x9DE, 0x9DE), (0x9E4, 0x9E5), (0x9FF, 0xA00), (0xA04, 0xA04),
    (0xA0B, 0xA0E), (0xA11, 0xA12), (0xA29, 0xA29), (0xA31, 0xA31), (0xA34, 0xA34), (0xA37, 0xA37),
    (0xA3A, 0xA3B), (0xA3D, 0xA3D), (0xA43, 0xA46), (0xA49, 0xA4A), (0xA4E, 0xA50), (0xA52, 0xA58),
    (0xA5D, 0xA5D), (0xA5F, 0xA65), (0xA77, 0xA80), (0xA84, 0xA84), (0xA8E, 0xA8E), (0xA92, 0xA92),
    (0xAA9, 0xAA9), (0xAB1, 0xAB1), (0xAB4, 0xAB4), (0xABA, 0xABB), (0xAC6, 0xAC6), (0xACA, 0xACA),
    (0xACE, 0xACF), (0xAD1, 0xADF), (0xAE4, 0xAE5), (0xAF2, 0xAF8), (0xB00, 0xB00), (0xB04, 0xB04),
    (0xB0D, 0xB0E), (0xB11, 0xB12), (0xB29, 0xB29), (0xB31, 0xB31), (0xB34, 0xB34), (0xB3A, 0xB3B),
    (0xB45, 0xB46), (0xB49, 0xB4A), (0xB4E, 0xB54), (0xB58, 0xB5B), (0xB5E, 0xB5E), (0xB64, 0xB65),
    (0xB78, 0xB81), (0xB84, 0xB84), (0xB8B, 0xB8D), (0xB91, 0xB91), (0xB96, 0xB98), (0xB9B, 0xB9B),
    (0xB9D, 0xB9D), (0xBA0, 0xBA2), (0xBA5, 0xBA7), (0xBAB, 0xBAD), (0xBBA, 0xBBD), (0xBC3, 0xBC5),
    (0xBC9, 0xBC9), (0xBCE, 0xBCF), (0xBD1, 0xBD6), (0xBD8, 0xBE5), (0xBFB, 0xBFF), (0xC0D, 0xC0D),
    (0xC11, 0xC11), (0xC29, 0xC29), (0xC3A, 0xC3B), (0xC45, 0xC45), (0xC49, 0xC49), (0xC4E, 0xC54),
    (0xC57, 0xC57), (0xC5B, 0xC5C), (0xC5E, 0xC5F), (0xC64, 0xC65), (0xC70, 0xC76), (0xC8D, 0xC8D),
    (0xC91, 0xC91), (0xCA9, 0xCA9), (0xCB4, 0xCB4), (0xCBA, 0xCBB), (0xCC5, 0xCC5), (0xCC9, 0xCC9),
    (0xCCE, 0xCD4), (0xCD7, 0xCDC), (0xCDF, 0xCDF), (0xCE4, 0xCE5), (0xCF0, 0xCF0), (0xCF3, 0xCFF),
    (0xD0D, 0xD0D), (0xD11, 0xD11), (0xD45, 0xD45), (0xD49, 0xD49), (0xD50, 0xD53), (0xD64, 0xD65),
    (0xD80, 0xD80), (0xD84, 0xD84), (0xD97, 0xD99), (0xDB2, 0xDB2), (0xDBC, 0xDBC), (0xDBE, 0xDBF),
    (0xDC7, 0xDC9), (0xDCB, 0xDCE), (0xDD5, 0xDD5), (0xDD7, 0xDD7), (0xDE0, 0xDE5), (0xDF0, 0xDF1),
    (0xDF5, 0xE00), (0xE3B, 0xE3E), (0xE5C, 0xE80), (0xE83, 0xE83), (0xE85, 0xE85), (0xE8B, 0xE8B),
    (0xEA4, 0xEA4), (0xEA6, 0xEA6), (0xEBE, 0xEBF), (0xEC5, 0xEC5), (0xEC7, 0xEC7), (0xECE, 0xECF),
    (0xEDA, 0xEDB), (0xEE0, 0xEFF), (0xF48, 0xF48), (0xF6D, 0xF70), (0xF98, 0xF98), (0xFBD, 0xFBD),
    (0xFCD, 0xFCD), (0xFDB, 0xFFF), (0x10C6, 0x10C6), (0x10C8, 0x10CC), (0x10CE, 0x10CF),
    (0x1249, 0x1249), (0x124E, 0x124F), (0x1257, 0x1257), (0x1259, 0x1259), (0x125E, 0x125F),
    (0x1289, 0x1289), (0x128E, 0x128F), (0x12B1, 0x12B1), (0x12B6, 0x12B7), (0x12BF, 0x12BF),
    (0x12C1, 0x12C1), (0x12C6, 0x12C7), (0x12D7, 0x12D7), (0x1311, 0x1311), (0x1316, 0x1317),
    (0x135B, 0x135C), (0x137D, 0x137F), (0x139A, 0x139F), (0x13F6, 0x13F7), (0x13FE, 0x13FF),
    (0x1680, 0x1680), (0x169D, 0x169F), (0x16F9, 0x16FF), (0x1716, 0x171E), (0x1737, 0x173F),
    (0x1754, 0x175F), (0x176D, 0x176D), (0x1771, 0x1771), (0x1774, 0x177F), (0x17DE, 0x17DF),
    (0x17EA, 0x17EF), (0x17FA, 0x17FF), (0x180E, 0x180E), (0x181A, 0x181F), (0x1879, 0x187F),
    (0x18AB, 0x18AF), (0x18F6, 0x18FF), (0x191F, 0x191F), (0x192C, 0x192F), (0x193C, 0x193F),
    (0x1941, 0x1943), (0x196E, 0x196F), (0x1975, 0x197F), (0x19AC, 0x19AF), (0x19CA, 0x19CF),
    (0x19DB, 0x19DD), (0x1A1C, 0x1A1D), (0x1A5F, 0x1A5F), (0x1A7D, 0x1A7E), (0x1A8A, 0x1A8F),
    (0x1A9A, 0x1A9F), (0x1AAE, 0x1AAF), (0x1ACF, 0x1AFF), (0x1B4D, 0x1B4F), (0x1B7F, 0x1B7F),
    (0x1BF4, 0x1BFB), (0x1C38, 0x1C3A), (0x1C4A, 0x1C4C), (0x1C89, 0x1C8F), (0x1CBB, 0x1CBC),
    (0x1CC8, 0x1CCF), (0x1CFB, 0x1CFF), (0x1F16, 0x1F17), (0x1F1E, 0x1F1F), (0x1F46, 0x1F47),
    (0x1F4E, 0x1F4F), (0x1F58, 0x1F58), (0x1F5A, 0x1F5A), (0x1F5C, 0x1F5C), (0x1F5E, 0x1F5E),
    (0x1F7E, 0x1F7F), (0x1FB5, 0x1FB5), (0x1FC5, 0x1FC5), (0x1FD4, 0x1FD5), (0x1FDC, 0x1FDC),
    (0x1FF0, 0x1FF1), (0x1FF5, 0x1FF5), (0x1FFF, 0x200F), (0x2028, 0x202F), (0x205F, 0x206F),
    (0x2072, 0x2073), (0x208F, 0x208F), (0x209D, 0x209F), (0x20C1, 0x20CF), (0x20F1, 0x20FF),
    (0x218C, 0x218F), (0x2427, 0x243F), (0x244B, 0x245F), (0x2B74, 0x2B75), (0x2B96, 0x2B96),
    (0x2CF4, 0x2CF8), (0x2D26, 0x2D26), (0x2D28, 0x2D2C), (0x2D2E, 0x2D2F), (0x2D68, 0x2D6E),
    (0x2D71, 0x2D7E), (0x2D97, 0x2D9F), (0x2DA7, 0x2DA7), (0x2DAF, 0x2DAF), (0x2DB7, 0x2DB7),
    (0x2DBF, 0x2DBF), (0x2DC7, 0x2DC7), (0x2DCF, 0x2DCF), (0x2DD7, 0x2DD7), (0x2DDF, 0x2DDF),
    (0x2E5E, 0x2E7F), (0x2E9A, 0x2E9A), (0x2EF4, 0x2EFF), (0x2FD6, 0x2FEF), (0x2FFC, 0x3000),
    (0x3040, 0x3040), (0x3097, 0x3098), (0x3100, 0x3104), (0x3130, 0x3130), (0x318F, 0x318F),
    (0x31E4, 0x31EF), (0x321F, 0x321F), (0xA48D, 0xA48F), (0xA4C7, 0xA4CF), (0xA62C, 0xA63F),
    (0xA6F8, 0xA6FF), (0xA7CB, 0xA7CF), (0xA7D2, 0xA7D2), (0xA7D4, 0xA7D4), (0xA7DA, 0xA7F1),
    (0xA82D, 0xA82F), (0xA83A, 0xA83F), (0xA878, 0xA87F), (0xA8C6, 0xA8CD), (0xA8DA, 0xA8DF),
    (0xA954, 0xA95E), (0xA97D, 0xA97F), (0xA9CE, 0xA9CE), (0xA9DA, 0xA9DD), (0xA9FF, 0xA9FF),
    (0xAA37, 0xAA3F), (0xAA4E, 0xAA4F), (0xAA5A, 0xAA5B), (0xAAC3, 0xAADA), (0xAAF7, 0xAB00),
    (0xAB07, 0xAB08), (0xAB0F, 0xAB10), (0xAB17, 0xAB1F), (0xAB27, 0xAB27), (0xAB2F, 0xAB2F),
    (0xAB6C, 0xAB6F), (0xABEE, 0xABEF), (0xABFA, 0xABFF), (0xD7A4, 0xD7AF), (0xD7C7, 0xD7CA),
    (0xD7FC, 0xF8FF), (0xFA6E, 0xFA6F), (0xFADA, 0xFAFF), (0xFB07, 0xFB12), (0xFB18, 0xFB1C),
    (0xFB37, 0xFB37), (0xFB3D, 0xFB3D), (0xFB3F, 0xFB3F), (0xFB42, 0xFB42), (0xFB45, 0xFB45),
    (0xFBC3, 0xFBD2), (0xFD90, 0xFD91), (0xFDC8, 0xFDCE), (0xFDD0, 0xFDEF), (0xFE1A, 0xFE1F),
    (0xFE53, 0xFE53), (0xFE67, 0xFE67), (0xFE6C, 0xFE6F), (0xFE75, 0xFE75), (0xFEFD, 0xFF00),
    (0xFFBF, 0xFFC1), (0xFFC8, 0xFFC9), (0xFFD0, 0xFFD1), (0xFFD8, 0xFFD9), (0xFFDD, 0xFFDF),
    (0xFFE7, 0xFFE7), (0xFFEF, 0xFFFB), (0xFFFE, 0xFFFF), (0x1000C, 0x1000C), (0x10027, 0x10027),
    (0x1003B, 0x1003B), (0x1003E, 0x1003E), (0x1004E, 0x1004F), (0x1005E, 0x1007F),
    (0x100FB, 0x100FF), (0x10103, 0x10106), (0x10134, 0x10136), (0x1018F, 0x1018F),
    (0x1019D, 0x1019F), (0x101A1, 0x101CF), (0x101FE, 0x1027F), (0x1029D, 0x1029F),
    (0x102D1, 0x102DF), (0x102FC, 0x102FF), (0x10324, 0x1032C), (0x1034B, 0x1034F),
    (0x1037B, 0x1037F), (0x1039E, 0x1039E), (0x103C4, 0x103C7), (0x103D6, 0x103FF),
    (0x1049E, 0x1049F), (0x104AA, 0x104AF), (0x104D4, 0x104D7), (0x104FC, 0x104FF),
    (0x10528, 0x1052F), (0x10564, 0x1056E), (0x1057B, 0x1057B), (0x1058B, 0x1058B),
    (0x10593, 0x10593), (0x10596, 0x10596), (0x105A2, 0x105A2), (0x105B2, 0x105B2),
    (0x105BA, 0x105BA), (0x105BD, 0x105FF), (0x10737, 0x1073F), (0x10756, 0x1075F),
    (0x10768, 0x1077F), (0x10786, 0x10786), (0x107B1, 0x107B1), (0x107BB, 0x107FF),
    (0x10806, 0x10807), (0x10809, 0x10809), (0x10836, 0x10836), (0x10839, 0x1083B),
    (0x1083D, 0x1083E), (0x10856, 0x10856), (0x1089F, 0x108A6), (0x108B0, 0x108DF),
    (0x108F3, 0x108F3), (0x108F6, 0x108FA), (0x1091C, 0x1091E), (0x1093A, 0x1093E),
    (0x10940, 0x1097F), (0x109B8, 0x109BB), (0x109D0, 0x109D1), (0x10A04, 0x10A04),
    (0x10A07, 0x10A0B), (0x10A14, 0x10A14), (0x10A18, 0x10A18), (0x10A36, 0x10A37),
    (0x10A3B, 0x10A3E), (0x10A49, 0x10A4F), (0x10A59, 0x10A5F), (0x10AA0, 0x10ABF),
    (0x10AE7, 0x10AEA), (0x10AF7, 0x10AFF), (0x10B36, 0x10B38), (0x10B56, 0x10B57),
    (0x10B73, 0x10B77), (0x10B92, 0x10B98), (0x10B9D, 0x10BA8), (0x10BB0, 0x10BFF),
    (0x10C49, 0x10C7F), (0x10CB3, 0x10CBF), (0x10CF3, 0x10CF9), (0x10D28, 0x10D2F),
    (0x10D3A, 0x10E5F), (0x10E7F, 0x10E7F), (0x10EAA, 0x10EAA), (0x10EAE, 0x10EAF),
    (0x10EB2, 0x10EFF), (0x10F28, 0x10F2F), (0x10F5A, 0x10F6F), (0x10F8A, 0x10FAF),
    (0x10FCC, 0x10FDF), (0x10FF7, 0x10FFF), (0x1104E, 0x11051), (0x11076, 0x1107E),
    (0x110BD, 0x110BD), (0x110C3, 0x110CF), (0x110E9, 0x110EF), (0x110FA, 0x110FF),
    (0x11135, 0x11135), (0x11148, 0x1114F), (0x11177, 0x1117F), (0x111E0, 0x111E0),
    (0x111F5, 0x111FF), (0x11212, 0x11212), (0x1123F, 0x1127F), (0x11287, 0x11287),
    (0x11289, 0x11289), (0x1128E, 0x1128E), (0x1129E, 0x1129E), (0x112AA, 0x112AF),
    (0x112EB, 0x112EF), (0x112FA, 0x112FF), (0x11304, 0x11304), (0x1130D, 0x1130E),
    (0x11311, 0x11312), (0x11329, 0x11329), (0x11331, 0x11331), (0x11334, 0x11334),
    (0x1133A, 0x1133A), (0x11345, 0x11346), (0x11349, 0x1134A), (0x1134E, 0x1134F),
    (0x11351, 0x11356), (0x11358, 0x1135C), (0x11364, 0x11365), (0x1136D, 0x1136F),
    (0x11375, 0x113FF), (0x1145C, 0x1145C), (0x11462, 0x1147F), (0x114C8, 0x114CF),
    (0x114DA, 0x1157F), (0x115B6, 0x115B7), (0x115DE, 0x115FF), (0x11645, 0x1164F),
    (0x1165A, 0x1165F), (0x1166D, 0x1167F), (0x116BA, 0x116BF), (0x116CA, 0x116FF),
    (0x1171B, 0x1171C), (0x1172C, 0x1172F), (0x11747, 0x117FF), (0x1183C, 0x1189F),
    (0x118F3, 0x118FE), (0x11907, 0x11908), (0x1190A, 0x1190B), (0x11914, 0x11914),
    (0x11917, 0x11917), (0x11936, 0x11936), (0x11939, 0x1193A), (0x11947, 0x1194F),
    (0x1195A, 0x1199F), (0x119A8, 0x119A9), (0x119D8, 0x119D9), (0x119E5, 0x119FF),
    (0x11A48, 0x11A4F), (0x11AA3, 0x11AAF), (0x11AF9, 0x11BFF), (0x11C09, 0x11C09),
    (0x11C37, 0x11C37), (0x11C46, 0x11C4F), (0x11C6D, 0x11C6F), (0x11C90, 0x11C91),
    (0x11CA8, 0x11CA8), (0x11CB7, 0x11CFF), (0x11D07, 0x11D07), (0x11D0A, 0x11D0A),
    (0x11D37, 0x11D39), (0x11D3B, 0x11D3B), (0x11D3E, 0x11D3E), (0x11D48, 0x11D4F),
    (0x11D5A, 0x11D5F), (0x11D66, 0x11D66), (0x11D69, 0x11D69), (0x11D8F, 0x11D8F),
    (0x11D92, 0x11D92), (0x11D99, 0x11D9F), (0x11DAA, 0x11EDF), (0x11EF9, 0x11FAF),
    (0x11FB1, 0x11FBF), (0x11FF2, 0x11FFE), (0x1239A, 0x123FF), (0x1246F, 0x1246F),
    (0x12475, 0x1247F), (0x12544, 0x12F8F), (0x12FF3, 0x12FFF), (0x1342F, 0x143FF),
    (0x14647, 0x167FF), (0x16A39, 0x16A3F), (0x16A5F, 0x16A5F), (0x16A6A, 0x16A6D),
    (0x16ABF, 0x16ABF), (0x16ACA, 0x16ACF), (0x16AEE, 0x16AEF), (0x16AF6, 0x16AFF),
    (0x16B46, 0x16B4F), (0x16B5A, 0x16B5A), (0x16B62, 0x16B62), (0x16B78, 0x16B7C),
    (0x16B90, 0x16E3F), (0x16E9B, 0x16EFF), (0x16F4B, 0x16F4E), (0x16F88, 0x16F8E),
    (0x16FA0, 0x16FDF), (0x16FE5, 0x16FEF), (0x16FF2, 0x16FFF), (0x187F8, 0x187FF),
    (0x18CD6, 0x18CFF), (0x18D09, 0x1AFEF), (0x1AFF4, 0x1AFF4), (0x1AFFC, 0x1AFFC),
    (0x1AFFF, 0x1AFFF), (0x1B123, 0x1B14F), (0x1B153, 0x1B163), (0x1B168, 0x1B16F),
    (0x1B2FC, 0x1BBFF), (0x1BC6B, 0x1BC6F), (0x1BC7D, 0x1BC7F), (0x1BC89, 0x1BC8F),
    (0x1BC9A, 0x1BC9B), (0x1BCA0, 0x1CEFF), (0x1CF2E, 0x1CF2F), (0x1CF47, 0x1CF4F),
    (0x1CFC4, 0x1CFFF), (0x1D0F6, 0x1D0FF), (0x1D127, 0x1D128), (0x1D173, 0x1D17A),
    (0x1D1EB, 0x1D1FF), (0x1D246, 0x1D2DF), (0x1D2F4, 0x1D2FF), (0x1D357, 0x1D35F),
    (0x1D379, 0x1D3FF), (0x1D455, 0x1D455), (0x1D49D, 0x1D49D), (0x1D4A0, 0x1D4A1),
    (0x1D4A3, 0x1D4A4), (0x1D4A7, 0x1D4A8), (0x1D4AD, 0x1D4AD), (0x1D4BA, 0x1D4BA),
    (0x1D4BC, 0x1D4BC), (0x1D4C4, 0x1D4C4), (0x1D506, 0x1D506), (0x1D50B, 0x1D50C),
    (0x1D515, 0x1D515), (0x1D51D, 0x1D51D), (0x1D53A, 0x1D53A), (0x1D53F, 0x1D53F),
    (0x1D545, 0x1D545), (0x1D547, 0x1D549), (0x1D551, 0x1D551), (0x1D6A6, 0x1D6A7),
    (0x1D7CC, 0x1D7CD), (0x1DA8C, 0x1DA9A), (0x1DAA0, 0x1DAA0), (0x1DAB0, 0x1DEFF),
    (0x1DF1F, 0x1DFFF), (0x1E007, 0x1E007), (0x1E019, 0x1E01A), (0x1E022, 0x1E022),
    (0x1E025, 0x1E025), (0x1E02B, 0x1E0FF), (0x1E12D, 0x1E12F), (0x1E13E, 0x1E13F),
    (0x1E14A, 0x1E14D), (0x1E150, 0x1E28F), (0x1E2AF, 0x1E2BF), (0x1E2FA, 0x1E2FE),
    (0x1E300, 0x1E7DF), (0x1E7E7, 0x1E7E7), (0x1E7EC, 0x1E7EC), (0x1E7EF, 0x1E7EF),
    (0x1E7FF, 0x1E7FF), (0x1E8C5, 0x1E8C6), (0x1E8D7, 0x1E8FF), (0x1E94C, 0x1E94F),
    (0x1E95A, 0x1E95D), (0x1E960, 0x1EC70), (0x1ECB5, 0x1ED00), (0x1ED3E, 0x1EDFF),
    (0x1EE04, 0x1EE04), (0x1EE20, 0x1EE20), (0x1EE23, 0x1EE23), (0x1EE25, 0x1EE26),
    (0x1EE28, 0x1EE28), (0x1EE33, 0x1EE33), (0x1EE38, 0x1EE38), (0x1EE3A, 0x1EE3A),
    (0x1EE3C, 0x1EE41), (0x1EE43, 0x1EE46), (0x1EE48, 0x1EE48), (0x1EE4A, 0x1EE4A),
    (0x1EE4C, 0x1EE4C), (0x1EE50, 0x1EE50), (0x1EE53, 0x1EE53), (0x1EE55, 0x1EE56),
    (0x1EE58, 0x1EE58), (0x1EE5A, 0x1EE5A), (0x1EE5C, 0x1EE5C), (0x1EE5E, 0x1EE5E),
    (0x1EE60, 0x1EE60), (0x1EE63, 0x1EE63), (0x1EE65, 0x1EE66), (0x1EE6B, 0x1EE6B),
    (0x1EE73, 0x1EE73), (0x1EE78, 0x1EE78), (0x1EE7D, 0x1EE7D), (0x1EE7F, 0x1EE7F),
    (0x1EE8A, 0x1EE8A), (0x1EE9C, 0x1EEA0), (0x1EEA4, 0x1EEA4), (0x1EEAA, 0x1EEAA),
    (0x1EEBC, 0x1EEEF), (0x1EEF2, 0x1EFFF), (0x1F02C, 0x1F02F), (0x1F094, 0x1F09F),
    (0x1F0AF, 0x1F0B0), (0x1F0C0, 0x1F0C0), (0x1F0D0, 0x1F0D0), (0x1F0F6, 0x1F0FF),
    (0x1F1AE, 0x1F1E5), (0x1F203, 0x1F20F), (0x1F23C, 0x1F23F), (0x1F249, 0x1F24F),
    (0x1F252, 0x1F25F), (0x1F266, 0x1F2FF), (0x1F6D8, 0x1F6DC), (0x1F6ED, 0x1F6EF),
    (0x1F6FD, 0x1F6FF), (0x1F774, 0x1F77F), (0x1F7D9, 0x1F7DF), (0x1F7EC, 0x1F7EF),
    (0x1F7F1, 0x1F7FF), (0x1F80C, 0x1F80F), (0x1F848, 0x1F84F), (0x1F85A, 0x1F85F),
    (0x1F888, 0x1F88F), (0x1F8AE, 0x1F8AF), (0x1F8B2, 0x1F8FF), (0x1FA54, 0x1FA5F),
    (0x1FA6E, 0x1FA6F), (0x1FA75, 0x1FA77), (0x1FA7D, 0x1FA7F), (0x1FA87, 0x1FA8F),
    (0x1FAAD, 0x1FAAF), (0x1FABB, 0x1FABF), (0x1FAC6, 0x1FACF), (0x1FADA, 0x1FADF),
    (0x1FAE8, 0x1FAEF), (0x1FAF7, 0x1FAFF), (0x1FB93, 0x1FB93), (0x1FBCB, 0x1FBEF),
    (0x1FBFA, 0x1FFFF), (0x2A6E0, 0x2A6FF), (0x2B739, 0x2B73F), (0x2B81E, 0x2B81F),
    (0x2CEA2, 0x2CEAF), (0x2EBE1, 0x2F7FF), (0x2FA1E, 0x2FFFF), (0x3134B, 0xE00FF),
    (0xE01F0, 0x10FFFF),
];

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

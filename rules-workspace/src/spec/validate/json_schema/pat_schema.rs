//! PAT's `detection_schemas/analysis_config_schema.json` (1.6.3, plus 1.7.0's two additions,
//! `scheduled_prompt` and `DatabricksQuery`), transcribed as data: the `SimpleDetectionSchema`
//! root and its `$defs`, keyword by keyword in the file's order.
//!
//! This file is a transcription, not logic: it changes only when PAT's schema file does, and a
//! test (`schema_mirror_has_the_fingerprint_of_pats_schema_file`) compares its fingerprint with
//! the one `tests/fixtures/json_schema/gen_expected.py` computes from PAT's file. Keywords that
//! never validate anything (`$schema`, `$id`) are left out.

use super::schema::{array_of, closed, map_of, node, reference, Kw, Node, Ty};

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
/// One entry of a correlation rule's `Transitions`.
pub(super) const TRANSITION: Node = closed!(
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
pub(super) const MATCH_EXPRESSION_FORMS: &[Node] = &[
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
pub(super) enum Def {
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
    /// Every definition, in PAT's file order.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(super) const ALL: [Def; 21] = [
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

    /// The definition's name under `$defs`.
    pub(super) fn name(self) -> &'static str {
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

    /// The definition's schema.
    pub(super) fn schema(self) -> Node {
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
pub(super) const ROOT: Node = reference!(SimpleDetectionSchema);

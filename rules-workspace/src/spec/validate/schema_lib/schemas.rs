//! PAT's schemas (`schemas.py` of PAT 1.7.0), transcribed into the `schema`-library model of
//! the parent module: one function per analysis type, plus `TYPE_SCHEMA` and the schemas of
//! derived rules and SQL lookup tables.
//!
//! Invariant: keys, their order, `Optional`/`Or` wrappers and literals are PAT's as written,
//! since the library's messages print them (`Missing keys: 'Enabled', Or('Filename', …)`) and
//! its key order decides which error wins. Regexes are plain functions equivalent to PAT's
//! patterns under `re.search`, with the pattern text kept for the messages.

use super::{Key, PyType, Schema};
use std::cell::Cell;

/// `^[^<>&\"%]+$` with `re.search`.
fn name_id_ok(s: &str) -> bool {
    // `[^...]` also matches newlines, so `$` adds nothing beyond "non-empty".
    !s.is_empty() && !s.chars().any(|c| matches!(c, '<' | '>' | '&' | '"' | '%'))
}

/// `^[a-z][a-z0-9_]*\Z`.
fn prompt_name_ok(s: &str) -> bool {
    let mut cs = s.chars();
    matches!(cs.next(), Some('a'..='z')) && cs.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
}

/// The resource types PAT's hard-coded regex accepts (with `$` also matching before a final
/// newline, as Python's does).
const RESOURCE_TYPES: &[&str] = &[
    "ACM.Certificate",
    "CloudFormation.Stack",
    "CloudTrail.Meta",
    "CloudTrail",
    "CloudWatch.LogGroup",
    "Config.Recorder.Meta",
    "Config.Recorder",
    "DynamoDB.Table",
    "EC2.AMI",
    "EC2.Instance",
    "EC2.NetworkACL",
    "EC2.SecurityGroup",
    "EC2.Volume",
    "EC2.VPC",
    "ECS.Cluster",
    "EKS.Cluster",
    "ELBV2.ApplicationLoadBalancer",
    "GuardDuty.Detector.Meta",
    "GuardDuty.Detector",
    "IAM.Group",
    "IAM.Policy",
    "IAM.Role",
    "IAM.RootUser",
    "IAM.User",
    "KMS.Key",
    "Lambda.Function",
    "PasswordPolicy",
    "RDS.Instance",
    "Redshift.Cluster",
    "Route53.HostedZone",
    "Route53Domains",
    "S3.Bucket",
    "WAF.Regional.WebACL",
    "WAF.WebACL",
];

fn resource_type_ok(s: &str) -> bool {
    let s = s.strip_suffix('\n').unwrap_or(s);
    s.strip_prefix("AWS.")
        .is_some_and(|rest| RESOURCE_TYPES.contains(&rest))
}

const RESOURCE_TYPE_PATTERN: &str = "^AWS\\.(ACM\\.Certificate|CloudFormation\\.Stack|CloudTrail\\.Meta|CloudTrail|CloudWatch\\.LogGroup|Config\\.Recorder\\.Meta|Config\\.Recorder|DynamoDB\\.Table|EC2\\.AMI|EC2\\.Instance|EC2\\.NetworkACL|EC2\\.SecurityGroup|EC2\\.Volume|EC2\\.VPC|ECS\\.Cluster|EKS\\.Cluster|ELBV2\\.ApplicationLoadBalancer|GuardDuty\\.Detector\\.Meta|GuardDuty\\.Detector|IAM\\.Group|IAM\\.Policy|IAM\\.Role|IAM\\.RootUser|IAM\\.User|KMS\\.Key|Lambda\\.Function|PasswordPolicy|RDS\\.Instance|Redshift\\.Cluster|Route53\\.HostedZone|Route53Domains|S3\\.Bucket|WAF\\.Regional\\.WebACL|WAF\\.WebACL)$";

use Key::{Lit as K, Optional as Opt};
use PyType::*;

fn t(ty: PyType) -> Schema {
    Schema::Type(ty)
}
fn lit(s: &'static str) -> Schema {
    Schema::Lit(s)
}
fn or(items: Vec<Schema>) -> Schema {
    Schema::Or(items, false, Cell::new(0))
}
fn or_key(names: &[&'static str], only_one: bool) -> Key {
    Key::Or(names.to_vec(), only_one, Cell::new(0))
}
fn list_of(s: Schema) -> Schema {
    Schema::List(vec![s])
}
fn id_str() -> Schema {
    Schema::And(vec![t(Str), Schema::Regex("^[^<>&\\\"%]+$", name_id_ok)])
}
fn severity() -> Schema {
    or(vec![
        lit("Info"),
        lit("Low"),
        lit("Medium"),
        lit("High"),
        lit("Critical"),
    ])
}
fn reports() -> Schema {
    Schema::Dict(vec![(Key::Type(Str), t(List))])
}
fn mock_schema() -> Schema {
    Schema::Wrapped(
        "Schema",
        Box::new(Schema::Dict(vec![
            (K("objectName"), t(Str)),
            (K("returnValue"), or(vec![t(Str), t(Bool)])),
        ])),
        false,
    )
}
fn query_schedule() -> Schema {
    Schema::Wrapped(
        "QueryScheduleSchema",
        Box::new(Schema::Dict(vec![
            (
                or_key(&["CronExpression", "RateMinutes"], true),
                or(vec![t(Str), t(Int)]),
            ),
            (K("TimeoutMinutes"), t(Int)),
        ])),
        false,
    )
}
fn log_type_map() -> Schema {
    Schema::Dict(vec![
        (K("PrimaryKey"), t(Str)),
        (
            Opt("AssociatedLogTypes"),
            list_of(Schema::Dict(vec![
                (K("LogType"), t(Str)),
                (Opt("Selectors"), list_of(t(Str))),
            ])),
        ),
    ])
}

/// `TYPE_SCHEMA` (extra keys ignored).
pub fn type_schema() -> Schema {
    Schema::Dict(vec![(
        K("AnalysisType"),
        or(vec![
            lit("correlation_rule"),
            lit("datamodel"),
            lit("global"),
            lit("pack"),
            lit("policy"),
            lit("rule"),
            lit("saved_query"),
            lit("scheduled_rule"),
            lit("scheduled_query"),
            lit("lookup_table"),
            lit("scheduled_prompt"),
        ]),
    )])
}

/// PAT's schema for `datamodel`.
pub fn data_model_schema() -> Schema {
    Schema::Dict(vec![
        (K("AnalysisType"), or(vec![lit("datamodel")])),
        (K("DataModelID"), id_str()),
        (K("Enabled"), t(Bool)),
        (K("LogTypes"), list_of(t(Str))),
        (
            K("Mappings"),
            list_of(Schema::Dict(vec![
                (K("Name"), t(Str)),
                (or_key(&["Method", "Path"], true), t(Str)),
            ])),
        ),
        (Opt("DisplayName"), id_str()),
        (Opt("Filename"), t(Str)),
        (Opt("BaseVersion"), t(Int)),
    ])
}

/// PAT's schema for `global`.
pub fn global_schema() -> Schema {
    Schema::Dict(vec![
        (K("AnalysisType"), or(vec![lit("global")])),
        (K("Filename"), t(Str)),
        (K("GlobalID"), id_str()),
        (Opt("Description"), t(Str)),
        (Opt("Tags"), list_of(t(Str))),
        (Opt("BaseVersion"), t(Int)),
    ])
}

/// PAT's schema for `pack`.
pub fn pack_schema() -> Schema {
    Schema::Dict(vec![
        (K("AnalysisType"), or(vec![lit("pack")])),
        (K("PackID"), id_str()),
        (
            K("PackDefinition"),
            Schema::Dict(vec![(K("IDs"), list_of(t(Str)))]),
        ),
        (Opt("Description"), t(Str)),
        (Opt("DisplayName"), id_str()),
    ])
}

/// PAT's schema for `policy`.
pub fn policy_schema() -> Schema {
    Schema::Dict(vec![
        (K("AnalysisType"), or(vec![lit("policy")])),
        (K("Enabled"), t(Bool)),
        (K("Filename"), t(Str)),
        (K("PolicyID"), id_str()),
        (
            Opt("ResourceTypes"),
            Schema::And(vec![
                list_of(t(Str)),
                list_of(Schema::Regex(RESOURCE_TYPE_PATTERN, resource_type_ok)),
            ]),
        ),
        (K("Severity"), severity()),
        (Opt("ActionDelaySeconds"), t(Int)),
        (Opt("AutoRemediationID"), t(Str)),
        (Opt("AutoRemediationParameters"), t(Object)),
        (Opt("Description"), t(Str)),
        (Opt("DisplayName"), id_str()),
        (Opt("OnlyUseBaseRiskScore"), t(Bool)),
        (Opt("OutputIds"), list_of(t(Str))),
        (Opt("CreatedBy"), t(Str)),
        (Opt("Reference"), t(Str)),
        (Opt("Runbook"), t(Str)),
        (Opt("Status"), t(Str)),
        (Opt("Suppressions"), list_of(t(Str))),
        (Opt("Tags"), list_of(t(Str))),
        (Opt("Reports"), reports()),
        (
            Opt("Tests"),
            list_of(Schema::Dict(vec![
                (K("Name"), t(Str)),
                (Opt("ResourceType"), t(Str)),
                (K("ExpectedResult"), t(Bool)),
                (K("Resource"), t(Object)),
                (Opt("Mocks"), list_of(mock_schema())),
            ])),
        ),
        (Opt("BaseVersion"), t(Int)),
    ])
}

/// PAT's schema for `rule` and `scheduled_rule`.
pub fn rule_schema() -> Schema {
    Schema::Dict(vec![
        (
            K("AnalysisType"),
            or(vec![lit("rule"), lit("scheduled_rule")]),
        ),
        (K("Enabled"), t(Bool)),
        (
            or_key(&["Filename", "Detection"], true),
            or(vec![t(Str), t(Object)]),
        ),
        (K("RuleID"), id_str()),
        (
            or_key(&["LogTypes", "ScheduledQueries"], true),
            list_of(t(Str)),
        ),
        (K("Severity"), severity()),
        (Opt("Description"), t(Str)),
        (Opt("DedupPeriodMinutes"), t(Int)),
        (Opt("InlineFilters"), t(Object)),
        (Opt("DisplayName"), id_str()),
        (Opt("OnlyUseBaseRiskScore"), t(Bool)),
        (Opt("OutputIds"), list_of(t(Str))),
        (Opt("CreatedBy"), t(Str)),
        (Opt("Reference"), t(Str)),
        (Opt("Runbook"), t(Str)),
        (Opt("Status"), t(Str)),
        (Opt("SummaryAttributes"), list_of(t(Str))),
        (Opt("Threshold"), t(Int)),
        (Opt("Tags"), list_of(t(Str))),
        (Opt("Reports"), reports()),
        (
            Opt("Tests"),
            list_of(Schema::Dict(vec![
                (K("Name"), t(Str)),
                (Opt("LogType"), t(Str)),
                (K("ExpectedResult"), t(Bool)),
                (K("Log"), t(Object)),
                (Opt("Mocks"), list_of(mock_schema())),
            ])),
        ),
        (Opt("DynamicSeverities"), t(Object)),
        (Opt("AlertTitle"), t(Str)),
        (Opt("AlertContext"), t(Object)),
        (Opt("GroupBy"), t(Object)),
        (Opt("CreateAlert"), t(Bool)),
        (Opt("BaseVersion"), t(Int)),
    ])
}

/// PAT's schema for a derived rule (`BaseDetection`).
pub fn derived_schema() -> Schema {
    Schema::Dict(vec![
        (K("AnalysisType"), lit("rule")),
        (K("RuleID"), id_str()),
        (K("BaseDetection"), id_str()),
        (Opt("Enabled"), t(Bool)),
        (Opt("Severity"), severity()),
        (Opt("Description"), t(Str)),
        (Opt("DedupPeriodMinutes"), t(Int)),
        (Opt("InlineFilters"), t(Object)),
        (Opt("DisplayName"), id_str()),
        (Opt("OnlyUseBaseRiskScore"), t(Bool)),
        (Opt("OutputIds"), list_of(t(Str))),
        (Opt("Reference"), t(Str)),
        (Opt("Runbook"), t(Str)),
        (Opt("Status"), t(Str)),
        (Opt("SummaryAttributes"), list_of(t(Str))),
        (Opt("Threshold"), t(Int)),
        (Opt("Tags"), list_of(t(Str))),
        (Opt("Reports"), reports()),
        (Opt("DynamicSeverities"), t(Object)),
        (Opt("AlertTitle"), t(Str)),
        (Opt("AlertContext"), t(Object)),
        (Opt("GroupBy"), t(Object)),
        (Opt("Tests"), t(Object)),
        (Opt("CreateAlert"), t(Bool)),
        (Opt("BaseVersion"), t(Int)),
    ])
}

/// PAT's schema for `correlation_rule`.
pub fn correlation_rule_schema() -> Schema {
    Schema::Dict(vec![
        (K("AnalysisType"), lit("correlation_rule")),
        (K("RuleID"), id_str()),
        (K("Enabled"), t(Bool)),
        (K("Detection"), t(Object)),
        (K("Severity"), severity()),
        (Opt("Description"), t(Str)),
        (Opt("DisplayName"), id_str()),
        (Opt("OnlyUseBaseRiskScore"), t(Bool)),
        (Opt("OutputIds"), list_of(t(Str))),
        (Opt("CreatedBy"), t(Str)),
        (Opt("Reference"), t(Str)),
        (Opt("Runbook"), t(Str)),
        (Opt("Status"), t(Str)),
        (Opt("SummaryAttributes"), list_of(t(Str))),
        (Opt("Tags"), list_of(t(Str))),
        (Opt("Reports"), reports()),
        (Opt("CreateAlert"), t(Bool)),
        (
            Opt("Tests"),
            list_of(Schema::Dict(vec![
                (K("Name"), t(Str)),
                (K("ExpectedResult"), t(Bool)),
                (
                    K("RuleOutputs"),
                    list_of(Schema::Dict(vec![
                        (K("ID"), t(Str)),
                        (Opt("Matches"), t(Object)),
                    ])),
                ),
            ])),
        ),
        (Opt("BaseVersion"), t(Int)),
    ])
}

const QUERY_KEYS: &[&str] = &["Query", "AthenaQuery", "SnowflakeQuery", "DatabricksQuery"];

/// PAT's schema for `saved_query`.
pub fn saved_query_schema() -> Schema {
    Schema::Dict(vec![
        (K("AnalysisType"), or(vec![lit("saved_query")])),
        (K("QueryName"), id_str()),
        (or_key(QUERY_KEYS, false), t(Str)),
        (Opt("Description"), t(Str)),
        (Opt("Tags"), list_of(t(Str))),
        (Opt("Lookback"), t(Bool)),
        (Opt("LookbackWindowSeconds"), t(Int)),
        (Opt("BaseVersion"), t(Int)),
    ])
}

/// PAT's schema for `scheduled_query`.
pub fn scheduled_query_schema() -> Schema {
    Schema::Dict(vec![
        (K("AnalysisType"), or(vec![lit("scheduled_query")])),
        (K("QueryName"), id_str()),
        (K("Enabled"), t(Bool)),
        (or_key(QUERY_KEYS, false), t(Str)),
        (K("Schedule"), query_schedule()),
        (Opt("Description"), t(Str)),
        (Opt("Tags"), list_of(t(Str))),
        (Opt("Lookback"), t(Bool)),
        (Opt("LookbackWindowSeconds"), t(Int)),
        (
            Opt("EmailConfig"),
            Schema::Dict(vec![
                (K("Recipients"), list_of(t(Str))),
                (Opt("SendEmpty"), t(Bool)),
                (Opt("PreferAttachment"), t(Bool)),
            ]),
        ),
        (Opt("BaseVersion"), t(Int)),
    ])
}

/// PAT's schema for `scheduled_prompt`.
pub fn scheduled_prompt_schema() -> Schema {
    Schema::Dict(vec![
        (K("AnalysisType"), or(vec![lit("scheduled_prompt")])),
        (
            K("PromptName"),
            Schema::And(vec![
                t(Str),
                Schema::Regex("^[a-z][a-z0-9_]*\\Z", prompt_name_ok),
            ]),
        ),
        (K("DisplayName"), t(Str)),
        (K("PromptText"), t(Str)),
        (K("RunAsUser"), Schema::And(vec![t(Str), Schema::Len])),
        (K("Schedule"), query_schedule()),
        (Opt("Description"), t(Str)),
        (
            Opt("OutputLength"),
            or(vec![lit("small"), lit("medium"), lit("largest")]),
        ),
        (Opt("Enabled"), t(Bool)),
        (Opt("Private"), Schema::False),
    ])
}

/// PAT's schema for `lookup_table` backed by a file or S3/GCS.
pub fn lookup_table_schema() -> Schema {
    Schema::Dict(vec![
        (K("AnalysisType"), or(vec![lit("lookup_table")])),
        (K("LookupName"), t(Str)),
        (K("Enabled"), t(Bool)),
        (
            or_key(&["Filename", "Refresh"], false),
            or(vec![
                t(Str),
                Schema::Dict(vec![
                    (K("ObjectPath"), t(Str)),
                    (Opt("PeriodMinutes"), t(Int)),
                    (Opt("AlarmPeriodMinutes"), t(Int)),
                    (Opt("RoleARN"), t(Str)),
                    (Opt("ObjectKMSKey"), t(Str)),
                    (Opt("GCSCredentials"), t(Str)),
                    (Opt("StorageProvider"), t(Str)),
                ]),
            ]),
        ),
        (K("Schema"), t(Str)),
        (K("LogTypeMap"), log_type_map()),
        (Opt("Description"), t(Str)),
        (Opt("Reference"), t(Str)),
        (Opt("BaseVersion"), t(Int)),
    ])
}

/// PAT's schema for `lookup_table` backed by a query.
pub fn sql_lookup_table_schema() -> Schema {
    Schema::Dict(vec![
        (K("AnalysisType"), or(vec![lit("lookup_table")])),
        (K("LookupName"), t(Str)),
        (K("Enabled"), t(Bool)),
        (or_key(QUERY_KEYS, false), t(Str)),
        (K("LogTypeMap"), log_type_map()),
        (
            K("Refresh"),
            or(vec![
                Schema::Dict(vec![(K("PeriodMinutes"), t(Int))]),
                Schema::Dict(vec![(K("CronExpression"), t(Str))]),
            ]),
        ),
        (
            Opt("Indicators"),
            list_of(Schema::Dict(vec![
                (K("Field"), t(Str)),
                (K("Indicators"), list_of(t(Str))),
            ])),
        ),
        (
            Opt("Validations"),
            list_of(Schema::Dict(vec![
                (K("Field"), t(Str)),
                (K("Validations"), list_of(t(Str))),
            ])),
        ),
        (Opt("Description"), t(Str)),
        (Opt("Reference"), t(Str)),
        (Opt("BaseVersion"), t(Int)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_types_use_the_hard_coded_list() {
        assert!(resource_type_ok("AWS.S3.Bucket"));
        assert!(!resource_type_ok("AWS.S3.Buckets"));
        assert!(!resource_type_ok("GCP.Bucket"));
    }
}

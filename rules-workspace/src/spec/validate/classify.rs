//! One file on its own, as PAT's `classify_analysis` sees it before the ID pass: is it a spec,
//! does it pass `TYPE_SCHEMA` and its type's `schema`-library schema, which set-like fields
//! repeat a value, and what the JSON-Schema layer says (kept for the ID pass, which decides
//! whether it is reported).
//!
//! Invariant: the verdict depends on the file alone, so files are classified in parallel; the
//! order-dependent steps (the ID namespace, the SQL table-name check) are the parent's.

use super::json_schema::{self, PathSegment};
use super::schema_diag::{schema_diag, span_at_steps};
use super::schema_lib::{self, Schema, Step};
use super::{diag, LoadFailure, SpecFile, ValidationOptions};
use crate::diagnostics::{Code, Diagnostic, Severity};
use crate::spec::value::{Node, Span, Value};
use crate::spec::{AnalysisType, SpecTree};
use std::sync::Arc;

/// The outcome of classifying one file on its own.
pub(super) enum FileVerdict {
    /// Not an analysis spec (empty, or no `AnalysisType`): PAT skips it silently.
    NotASpec,
    Invalid(Diagnostic),
    Valid(Box<ValidSpec>),
}

/// A spec that passed the first layer, with the later checks' results kept for the ID pass.
pub(super) struct ValidSpec {
    /// The spec's type.
    pub(super) analysis_type: AnalysisType,
    /// Its ID (`UNKNOWN_ID` when the ID key is missing, as in PAT).
    pub(super) id: String,
    /// The loaded spec.
    pub(super) spec: SpecTree,
    /// The set-field check failed (checked after the ID conflict, as PAT does).
    pub(super) duplicates: Option<Diagnostic>,
    /// The JSON-Schema layer failed (checked after the ID is claimed).
    pub(super) json: Option<Diagnostic>,
    /// Warnings reported once the ID is claimed (`DedupPeriodMinutes`).
    pub(super) warnings: Vec<Diagnostic>,
}

/// Classifies one file on its own: not a spec, invalid (why), or valid with the later checks' results.
pub(super) fn classify_file(file: &SpecFile, options: &ValidationOptions) -> FileVerdict {
    let loaded =
        match &file.content {
            Ok(l) => l,
            Err(LoadFailure::Yaml(e)) => {
                return FileVerdict::Invalid(diag(
                    file,
                    Code::YamlSyntax,
                    Some(e.span),
                    format!("not valid YAML: {}", e.message),
                    e.message.clone(),
                    Some(
                        if e.message.contains("codec")
                            || e.message.contains("unacceptable character")
                        {
                            "save the file as UTF-8 text; PAT rejects files it cannot decode"
                        } else {
                            "fix the YAML syntax at this line; PAT rejects the whole file"
                        }
                        .into(),
                    ),
                ))
            }
            Err(LoadFailure::Io(msg)) => {
                return FileVerdict::Invalid(Diagnostic {
                    pat: false,
                    ..diag(
                        file,
                        Code::Unreadable,
                        None,
                        format!("cannot read the file: {msg}"),
                        msg.clone(),
                        Some("check the file's permissions, or whether it is a broken link".into()),
                    )
                })
            }
            Err(LoadFailure::Refused { reason, hint }) => {
                return FileVerdict::Invalid(Diagnostic {
                    pat: false,
                    ..diag(
                        file,
                        Code::Unreadable,
                        None,
                        format!("not read: {reason}"),
                        String::new(),
                        Some(hint.clone()),
                    )
                })
            }
        };
    let Some(tree) = SpecTree::new(Arc::clone(loaded)) else {
        return FileVerdict::NotASpec;
    };
    let root: &Node = &tree;
    // `"AnalysisType" not in yaml_content`: a membership test whose meaning depends on the type.
    let has_type = match &root.value {
        Value::Map(_) => root.get("AnalysisType").is_some(),
        Value::List(items) => items.iter().any(|i| i.as_str() == Some("AnalysisType")),
        Value::Str(s) => s.contains("AnalysisType"),
        Value::Null => false,
        other => {
            return FileVerdict::Invalid(Diagnostic {
                pat: false,
                ..diag(
                    file,
                    Code::AnalysisType,
                    Some(root.span),
                    format!("the file holds a single {} instead of a spec mapping", other.type_name()),
                    format!("argument of type '{}' is not iterable", other.type_name()),
                    Some("PAT stops the whole run on such a file (TypeError); make it a mapping or remove it".into()),
                )
            })
        }
    };
    if !has_type {
        return FileVerdict::NotASpec;
    }
    let type_schema = schema_lib::type_schema();
    if let Err(e) = type_schema.validate(root, true) {
        return FileVerdict::Invalid(schema_diag(file, root, &e, None, &type_schema));
    }
    let Some(analysis_type) = root
        .get("AnalysisType")
        .and_then(Node::as_str)
        .and_then(AnalysisType::parse)
    else {
        return FileVerdict::NotASpec;
    };
    let derived = root.get("BaseDetection").is_some_and(Node::is_truthy);
    let schema = if derived {
        schema_lib::derived_schema()
    } else if analysis_type == AnalysisType::LookupTable
        && ["Query", "AthenaQuery", "SnowflakeQuery", "DatabricksQuery"]
            .iter()
            .any(|k| root.get(k).is_some())
    {
        schema_lib::sql_lookup_table_schema()
    } else {
        schema_for(analysis_type)
    };
    let ignore_extra = options.ignore_extra_keys
        && (derived
            || matches!(
                analysis_type,
                AnalysisType::Rule | AnalysisType::ScheduledRule | AnalysisType::Policy
            ));
    if let Err(e) = schema.validate(root, ignore_extra) {
        return FileVerdict::Invalid(schema_diag(file, root, &e, Some(analysis_type), &schema));
    }
    let id = root
        .get(analysis_type.id_field())
        .map(|n| n.value.py_str())
        .unwrap_or_else(|| "UNKNOWN_ID".to_owned());
    let duplicates = duplicate_values(root).map(|(fields, span)| {
        diag(
            file,
            Code::DuplicateValues,
            span,
            format!(
                "{} must not repeat a value",
                fields
                    .join(", ")
                    .replace("LowerTags", "Tags (ignoring case)")
            ),
            format!(
                "Specification file for [{id}] contains fields         with duplicate values: [{}]",
                fields.join(", ")
            ),
            Some("remove the repeated entries".into()),
        )
    });
    let mut warnings = Vec::new();
    if let Some(entry) = root.entry("DedupPeriodMinutes") {
        if let Value::Int(minutes) = entry.value.value {
            let (summary, message) = if minutes == 0 {
                (
                    "DedupPeriodMinutes 0 is ignored by Panther".to_string(),
                    format!("DedupPeriodMinutes is set to 0 for {id}. This will be ignored by the backend. If you want to disable dedup, alter the `dedup` function to return 'p_row_id' instead."),
                )
            } else if minutes < 5 {
                (
                    format!("DedupPeriodMinutes {minutes} will be raised to 5 on upload"),
                    format!("DedupPeriodMinutes for {id} is less than 5. This is below Panther's DedupPeriodMinutes threshold, and will be treated as '5' upon upload."),
                )
            } else {
                (String::new(), String::new())
            };
            if !summary.is_empty() {
                warnings.push(Diagnostic {
                    severity: Severity::Warning,
                    ..diag(file, Code::DedupPeriod, Some(entry.value.span), summary, message, Some("use at least 5 minutes, or a `dedup()` returning p_row_id to disable grouping".into()))
                });
            }
        }
    }
    // The tests' events are most of a spec and the schema accepts whatever they hold: checked
    // without them first; a violation is found again on the whole spec, for PAT's message.
    let json = json_schema::check(&schema_view(root))
        .err()
        .and_then(|_| json_schema::check(&root.to_json()).err())
        .map(|v| {
        let span = span_at_json_path(root, &v.path);
        diag(
            file,
            Code::JsonSchema,
            Some(span),
            json_summary(&v.message),
            v.message.clone(),
            Some("this is checked by PAT's JSON schema for analysis specs; see Panther's docs for the expected shape".into()),
        )
    });
    FileVerdict::Valid(Box::new(ValidSpec {
        analysis_type,
        id,
        spec: tree,
        duplicates,
        json,
        warnings,
    }))
}

fn schema_for(t: AnalysisType) -> Schema {
    match t {
        AnalysisType::Rule | AnalysisType::ScheduledRule => schema_lib::rule_schema(),
        AnalysisType::Policy => schema_lib::policy_schema(),
        AnalysisType::Global => schema_lib::global_schema(),
        AnalysisType::DataModel => schema_lib::data_model_schema(),
        AnalysisType::Pack => schema_lib::pack_schema(),
        AnalysisType::SavedQuery => schema_lib::saved_query_schema(),
        AnalysisType::ScheduledQuery => schema_lib::scheduled_query_schema(),
        AnalysisType::LookupTable => schema_lib::lookup_table_schema(),
        AnalysisType::CorrelationRule => schema_lib::correlation_rule_schema(),
        AnalysisType::ScheduledPrompt => schema_lib::scheduled_prompt_schema(),
    }
}

/// The span of the value at a JSON-Schema error's path.
fn span_at_json_path(root: &Node, path: &[PathSegment]) -> Span {
    let steps: Vec<Step> = path
        .iter()
        .map(|p| match p {
            PathSegment::Key(k) => Step::Key(k.clone()),
            PathSegment::Index(i) => Step::Index(*i),
        })
        .collect();
    span_at_steps(root, &steps)
}

/// The summary of a JSON-Schema error: PAT's message says it all.
fn json_summary(message: &str) -> String {
    message.to_owned()
}

/// The set-like fields PAT checks for repeated values.
const SET_FIELDS: [&str; 6] = [
    "LogTypes",
    "PackIDs",
    "OutputIds",
    "SummaryAttributes",
    "Suppressions",
    "Tags",
];

/// `contains_invalid_field_set`: set-like fields with repeated values (`Tags` also ignoring case).
fn duplicate_values(root: &Node) -> Option<(Vec<String>, Option<Span>)> {
    let mut fields = Vec::new();
    let mut span = None;
    for field in SET_FIELDS {
        let Some(entry) = root.entry(field) else {
            continue;
        };
        let Some(items) = entry.value.as_list() else {
            continue;
        };
        let values: Vec<&Value> = items.iter().map(|n| &n.value).collect();
        let has_dup = |eq: &dyn Fn(&Value, &Value) -> bool| -> Option<usize> {
            (0..values.len()).find(|&j| (0..j).any(|i| eq(values[i], values[j])))
        };
        if field == "Tags" {
            let lower_eq = |a: &Value, b: &Value| match (a, b) {
                (Value::Str(x), Value::Str(y)) => x.to_lowercase() == y.to_lowercase(),
                _ => a.py_eq(b),
            };
            if let Some(j) = has_dup(&lower_eq) {
                fields.push("LowerTags".to_owned());
                span = span.or(Some(items[j].span));
            }
        }
        if let Some(j) = has_dup(&|a: &Value, b: &Value| a.py_eq(b)) {
            fields.push(field.to_owned());
            span = span.or(Some(items[j].span));
        }
    }
    if fields.is_empty() {
        None
    } else {
        Some((fields, span))
    }
}

/// The spec as PAT's JSON schema sees it, without the values of `Tests[*].Log` and
/// `Tests[*].Resource` (null in their place): the schema accepts anything there (`true`) and
/// has no keyword that compares whole values (`const`, `enum` of objects, `uniqueItems`, `not`),
/// so a spec is valid exactly when this view is.
fn schema_view(root: &crate::spec::value::Node) -> serde_json::Value {
    use crate::spec::value::Value;
    use serde_json::Value as J;
    let Value::Map(entries) = &root.value else {
        return root.to_json();
    };
    let mut map = serde_json::Map::new();
    for e in entries {
        let key = e.key.value.py_str();
        let value = match (&key[..], &e.value.value) {
            ("Tests", Value::List(tests)) => J::Array(
                tests
                    .iter()
                    .map(|t| match &t.value {
                        Value::Map(fields) => {
                            let mut test = serde_json::Map::new();
                            for f in fields {
                                let k = f.key.value.py_str();
                                let v = if k == "Log" || k == "Resource" {
                                    J::Null
                                } else {
                                    f.value.to_json()
                                };
                                test.insert(k, v);
                            }
                            J::Object(test)
                        }
                        _ => t.to_json(),
                    })
                    .collect(),
            ),
            _ => e.value.to_json(),
        };
        map.insert(key, value);
    }
    J::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(text: &str) -> Node {
        crate::spec::yaml::load_str(text).unwrap().root.unwrap()
    }

    #[test]
    fn the_schema_view_leaves_out_only_the_tests_events_and_gives_the_same_verdict() {
        let valid = root(
            "AnalysisType: rule\nRuleID: A\nTests:\n  - Name: t\n    ExpectedResult: true\n    Log:\n      deep: {a: [1, {b: 2}]}\n  - Name: u\n    ExpectedResult: false\n    Resource: [1, 2]\n",
        );
        let view = schema_view(&valid);
        assert_eq!(view["Tests"][0]["Log"], serde_json::Value::Null);
        assert_eq!(view["Tests"][1]["Resource"], serde_json::Value::Null);
        assert_eq!(view["Tests"][0]["Name"], "t");
        assert_eq!(view["RuleID"], "A");
        assert!(json_schema::check(&view).is_ok());
        assert!(json_schema::check(&valid.to_json()).is_ok());

        // A test without ExpectedResult: invalid either way, at the same place.
        let invalid = root("AnalysisType: rule\nRuleID: A\nTests:\n  - Name: t\n    Log: {x: 1}\n");
        let pruned = json_schema::check(&schema_view(&invalid)).unwrap_err();
        let full = json_schema::check(&invalid.to_json()).unwrap_err();
        assert_eq!(pruned.path, full.path);

        // Not a map, or Tests not a list: the whole spec, as before.
        assert_eq!(schema_view(&root("[1, 2]")), root("[1, 2]").to_json());
        let odd = root("Tests: {Log: 1}\n");
        assert_eq!(schema_view(&odd), odd.to_json());
    }
}

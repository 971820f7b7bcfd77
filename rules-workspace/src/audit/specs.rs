//! Findings about what the specs (and the matcher functions' syntax trees) make a detection
//! do: never alerting, disabled, suppressed by dedup or threshold, filtered to nothing, alerts
//! routed elsewhere, no test in which it alerts; helpers named like standard modules; Filename
//! leading outside the pack; specs PAT refuses.
//!
//! Inline filters are decided only where the spec alone decides them (`docs/AUDIT.md`): in an
//! AND (the top-level list, `All`), conditions on one `KeyPath` that contradict each other
//! (`Exists` and `DoesNotExist`; `Equals`/`IsIn` values that no value satisfies, or that
//! `DoesNotEqual`/`IsNotIn` exclude), an empty `IsIn` or `Any`, a `p_` field Panther always
//! sets required not to exist, and `p_log_type` conditions that exclude every one of the
//! detection's `LogTypes`; an `Any` excludes everything when each of its branches does.

use super::python::StaticResults;
use super::{relative, Code, Finding, Scope};
use crate::spec::{AnalysisItem, AnalysisType, DetectionForm, Node, Value};
use crate::workspace::Workspace;
use std::collections::{BTreeMap, BTreeSet};

/// DedupPeriodMinutes above this (a day) is a suppression.
pub const MAX_DEDUP_MINUTES: i128 = 1440;
/// Threshold above this is a suppression.
pub const MAX_THRESHOLD: i128 = 1000;
/// Fields Panther sets on every event.
const ALWAYS_SET: &[&str] = &[
    "p_log_type",
    "p_event_time",
    "p_parse_time",
    "p_row_id",
    "p_source_id",
];

/// The spec findings of the audited items, and PA305 for specs PAT refuses.
pub fn findings(ws: &Workspace, scope: &Scope, statics: &StaticResults) -> Vec<Finding> {
    let mut out = Vec::new();
    for &i in &scope.items {
        item_findings(&ws.items[i], scope, statics, &mut out);
    }
    let mut seen = BTreeSet::new();
    for d in ws.diagnostics.iter().filter(|d| d.is_error()) {
        if scope
            .changed
            .as_ref()
            .is_some_and(|c| !c.contains(&d.rel_path))
            || scope.links.contains(&d.rel_path)
        {
            continue; // not changed by the branch, or read through a link (PA304 says so)
        }
        if !seen.insert(d.rel_path.clone()) {
            continue;
        }
        out.push(
            Finding::new(
                Code::InvalidSpec,
                format!("not audited as an item, PAT refuses it: {}", d.summary),
            )
            .at(&d.rel_path, d.span.map(|s| s.line), d.span.map(|s| s.col)),
        );
    }
    out
}

fn key_line(item: &AnalysisItem, key: &str) -> Option<u32> {
    item.spec.entry(key).map(|e| e.key.span.line)
}

fn int(node: Option<&Node>) -> Option<i128> {
    match node.map(|n| &n.value) {
        Some(Value::Int(i)) => Some(*i),
        _ => None,
    }
}

fn item_findings(
    item: &AnalysisItem,
    scope: &Scope,
    statics: &StaticResults,
    out: &mut Vec<Finding>,
) {
    let id = Some(item.id.as_str());
    let spec = item.rel_path.as_str();
    let at_key = |code: Code, key: &str, message: String| {
        Finding::new(code, message)
            .at(
                spec,
                key_line(item, key).or(Some(item.spec.span.line)),
                None,
            )
            .item(id)
    };
    let is_detection = item.analysis_type.is_detection();
    let code_rel = item
        .code_path
        .as_deref()
        .and_then(|p| relative(&scope.root, p));

    if item.code_path.is_some() && code_rel.is_none() {
        out.push(at_key(
            Code::OutsidePack,
            "Filename",
            "Filename leads outside the pack: PAT would load a file that is not part of it".into(),
        ));
    }
    if item.analysis_type == AnalysisType::Global {
        if let Some(what) = statics.shadowing.get(&item.id) {
            out.push(at_key(
                Code::ShadowingHelper,
                "GlobalID",
                format!(
                    "the helper `{}` shadows {what}: detections importing it get the pack's code",
                    item.id
                ),
            ));
        }
    }
    if !is_detection {
        return;
    }
    if item.enabled == Some(false) {
        out.push(at_key(
            Code::Disabled,
            "Enabled",
            "Enabled: false: deployed but never run".into(),
        ));
    }
    if let Some(m) = int(item.spec.get("DedupPeriodMinutes")).filter(|m| *m > MAX_DEDUP_MINUTES) {
        out.push(at_key(
            Code::Suppressed,
            "DedupPeriodMinutes",
            format!("DedupPeriodMinutes: {m} (more than a day): one alert per {m} minutes at most for each dedup string"),
        ));
    }
    if let Some(t) = int(item.spec.get("Threshold")).filter(|t| *t > MAX_THRESHOLD) {
        out.push(at_key(
            Code::Suppressed,
            "Threshold",
            format!("Threshold: {t}: no alert until {t} events match"),
        ));
    }
    if let Some(filters) = item.spec.get("InlineFilters").and_then(Node::as_list) {
        if let Some(why) = group_false(filters, &item.log_types) {
            out.push(at_key(
                Code::FiltersExcludeAll,
                "InlineFilters",
                format!("InlineFilters exclude every event: {why}"),
            ));
        }
    }
    if let Some(ids) = item.spec.get("OutputIds").and_then(Node::string_list) {
        if !ids.is_empty() {
            out.push(at_key(
                Code::OutputIds,
                "OutputIds",
                format!(
                    "alerts go to the destinations {}",
                    ids.iter()
                        .map(|i| format!("`{i}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
    let python = item.form == Some(DetectionForm::Python);
    if let (true, Some(rel)) = (python, code_rel.as_deref()) {
        if let Some(file) = statics.files.get(rel) {
            let policy = item.analysis_type == AnalysisType::Policy;
            let (name, never) = if policy {
                ("policy", "truthy")
            } else {
                ("rule", "falsy")
            };
            for m in file
                .matchers
                .iter()
                .filter(|m| m.name == name && m.always.as_deref() == Some(never))
            {
                let what = if policy {
                    "policy() returns only constant true values: a compliant resource never alerts, and every resource is compliant"
                } else {
                    "rule() returns only constant false values: it never alerts"
                };
                out.push(
                    Finding::new(Code::NeverAlerts, what)
                        .at(rel, Some(m.line), Some(m.col))
                        .item(id),
                );
            }
            for f in file.functions.iter().filter(|f| f.name == "destinations") {
                out.push(
                    Finding::new(
                        Code::Destinations,
                        "destinations() chooses where alerts go, overriding your routing",
                    )
                    .at(rel, Some(f.line), Some(f.col))
                    .item(id),
                );
            }
        }
    }
    let tested = matches!(
        item.analysis_type,
        AnalysisType::Rule | AnalysisType::ScheduledRule | AnalysisType::Policy
    ) && item.form != Some(DetectionForm::Derived);
    if tested {
        let alerting = item.analysis_type != AnalysisType::Policy;
        if !item.tests.iter().any(|t| t.expected_result == alerting) {
            let why = if item.tests.is_empty() {
                "no unit tests: nothing shows that it ever alerts".to_owned()
            } else if alerting {
                "no test with ExpectedResult: true: nothing shows that it ever alerts".to_owned()
            } else {
                "no test with ExpectedResult: false (the alerting case of a policy): nothing shows that it ever alerts".to_owned()
            };
            let key = if item.tests.is_empty() {
                item.analysis_type.id_field()
            } else {
                "Tests"
            };
            out.push(at_key(Code::NoAlertingTest, key, why));
        }
    }
}

/// A scalar as text, for comparing filter values.
fn scalar(node: &Node) -> Option<String> {
    Some(match &node.value {
        Value::Str(s) => format!("s:{s}"),
        Value::Int(i) => format!("n:{i}"),
        Value::Float(f) => format!("n:{f}"),
        Value::Bool(b) => format!("b:{b}"),
        Value::Null => "null".into(),
        _ => return None,
    })
}

fn shown(v: &str) -> &str {
    v.split_once(':').map(|(_, s)| s).unwrap_or(v)
}

/// What an AND of conditions requires of one key.
#[derive(Default)]
struct KeyConstraint {
    exists: bool,
    missing: bool,
    equals: Option<BTreeSet<String>>,
    excluded: BTreeSet<String>,
}

/// Why the AND of `exprs` is false for every event, when the spec decides it.
fn group_false(exprs: &[Node], log_types: &[String]) -> Option<String> {
    let mut keys: BTreeMap<String, KeyConstraint> = BTreeMap::new();
    let mut stack: Vec<&Node> = exprs.iter().collect();
    while let Some(e) = stack.pop() {
        if let Some(all) = e.get("All").and_then(Node::as_list) {
            stack.extend(all.iter());
            continue;
        }
        if let Some(any) = e.get("Any").and_then(Node::as_list) {
            if let Some(why) = any_false(any, log_types) {
                return Some(why);
            }
            continue;
        }
        let (Some(key), Some(condition)) = (
            e.get("KeyPath").and_then(Node::as_str),
            e.get("Condition").and_then(Node::as_str),
        ) else {
            continue;
        };
        let c = keys.entry(key.to_owned()).or_default();
        let value = e.get("Value").and_then(scalar);
        let values: Option<BTreeSet<String>> = e
            .get("Values")
            .and_then(Node::as_list)
            .map(|l| l.iter().filter_map(scalar).collect());
        let mut narrow = |set: BTreeSet<String>| {
            c.equals = Some(match c.equals.take() {
                Some(prev) => prev.intersection(&set).cloned().collect(),
                None => set,
            });
        };
        match condition {
            "Exists" => c.exists = true,
            "DoesNotExist" => c.missing = true,
            "Equals" => {
                if let Some(v) = value {
                    narrow(BTreeSet::from([v]));
                }
            }
            "IsIn" => {
                if let Some(v) = values {
                    narrow(v);
                }
            }
            "DoesNotEqual" => c.excluded.extend(value),
            "IsNotIn" => c.excluded.extend(values.into_iter().flatten()),
            _ => {}
        }
    }
    for (key, c) in &keys {
        let always_set = ALWAYS_SET.contains(&key.as_str());
        if c.missing && (c.exists || always_set) {
            return Some(if always_set {
                format!("`{key}` is required not to exist, and Panther sets it on every event")
            } else {
                format!("`{key}` is required both to exist and not to exist")
            });
        }
        let mut allowed = c.equals.clone();
        if key == "p_log_type" && !log_types.is_empty() {
            let types: BTreeSet<String> = log_types.iter().map(|t| format!("s:{t}")).collect();
            allowed = Some(match allowed {
                Some(a) => a.intersection(&types).cloned().collect(),
                None => types,
            });
        }
        if let Some(allowed) = allowed {
            let left: Vec<&String> = allowed
                .iter()
                .filter(|v| !c.excluded.contains(*v))
                .collect();
            if left.is_empty() {
                return Some(if key == "p_log_type" && !log_types.is_empty() {
                    format!(
                        "no log type of the detection ({}) passes the conditions on `p_log_type`",
                        log_types.join(", ")
                    )
                } else if c.equals.as_ref().is_some_and(|e| e.is_empty()) {
                    format!("no value of `{key}` satisfies every Equals/IsIn condition on it (every event in which it is set is excluded)")
                } else {
                    let values: Vec<&str> = allowed.iter().map(|v| shown(v)).collect();
                    format!("`{key}` must be one of {values:?} and none of them (every event in which it is set is excluded)")
                });
            }
        }
    }
    None
}

/// Why the OR of `exprs` is false for every event: every branch is.
fn any_false(exprs: &[Node], log_types: &[String]) -> Option<String> {
    if exprs.is_empty() {
        return Some("an empty Any matches nothing".into());
    }
    let mut first = None;
    for e in exprs {
        let why = group_false(std::slice::from_ref(e), log_types)?;
        first.get_or_insert(why);
    }
    first.map(|w| format!("every branch of an Any excludes everything ({w})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filters(yaml: &str) -> Vec<Node> {
        let loaded = crate::spec::yaml::load_str(yaml).unwrap();
        loaded.root.unwrap().as_list().unwrap().to_vec()
    }

    #[test]
    fn contradictions_the_spec_decides_are_found_and_others_are_not() {
        let types = vec!["AWS.CloudTrail".to_owned()];
        let no = |y: &str| assert_eq!(group_false(&filters(y), &types), None, "{y}");
        let yes = |y: &str| assert!(group_false(&filters(y), &types).is_some(), "{y}");
        no("- {KeyPath: a, Condition: Equals, Value: x}\n- {KeyPath: b, Condition: Equals, Value: y}\n");
        yes("- {KeyPath: a, Condition: Equals, Value: x}\n- {KeyPath: a, Condition: Equals, Value: y}\n");
        yes("- {KeyPath: a, Condition: Equals, Value: x}\n- All: [{KeyPath: a, Condition: DoesNotEqual, Value: x}]\n");
        yes("- {KeyPath: a, Condition: IsIn, Values: [x, y]}\n- {KeyPath: a, Condition: IsNotIn, Values: [y, x]}\n");
        no("- {KeyPath: a, Condition: IsIn, Values: [x, y]}\n- {KeyPath: a, Condition: IsNotIn, Values: [x]}\n");
        yes("- {KeyPath: a, Condition: Exists}\n- {KeyPath: a, Condition: DoesNotExist}\n");
        yes("- {KeyPath: p_row_id, Condition: DoesNotExist}\n");
        yes("- {KeyPath: p_log_type, Condition: IsNotIn, Values: [AWS.CloudTrail]}\n");
        no("- {KeyPath: p_log_type, Condition: Equals, Value: AWS.CloudTrail}\n");
        yes("- Any: [{KeyPath: p_log_type, Condition: Equals, Value: Okta.SystemLog}, {KeyPath: p_row_id, Condition: DoesNotExist}]\n");
        no("- Any: [{KeyPath: a, Condition: Equals, Value: x}, {KeyPath: a, Condition: Equals, Value: y}]\n");
    }
}

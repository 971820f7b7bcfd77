//! PAT's `--filter KEY=V1,V2` / `KEY!=V1,V2` (panther-spec §2.7), reproduced exactly.
//!
//! One filter per flag; a repeated key replaces the earlier one; values within a filter are
//! ORed, filters are ANDed. Both sides are lower-cased when strings; a missing field is `""`;
//! non-string spec values are compared as they are (so `DedupPeriodMinutes=60` never matches).
//! Items in `*/global_helpers` and `*data_models*` directories always pass.

use crate::spec::{AnalysisItem, Node, Value};
use crate::workspace::discover::fnmatch;

/// The keys PAT accepts in a filter: the top-level keys of its global, policy and rule schemas.
pub const FILTER_KEYS: &[&str] = &[
    "ActionDelaySeconds",
    "AlertContext",
    "AlertTitle",
    "AnalysisType",
    "AutoRemediationID",
    "AutoRemediationParameters",
    "BaseVersion",
    "CreateAlert",
    "CreatedBy",
    "DedupPeriodMinutes",
    "Description",
    "Detection",
    "DisplayName",
    "DynamicSeverities",
    "Enabled",
    "Filename",
    "GlobalID",
    "GroupBy",
    "InlineFilters",
    "LogTypes",
    "OnlyUseBaseRiskScore",
    "OutputIds",
    "PolicyID",
    "Reference",
    "Reports",
    "ResourceTypes",
    "RuleID",
    "Runbook",
    "ScheduledQueries",
    "Severity",
    "Status",
    "SummaryAttributes",
    "Suppressions",
    "Tags",
    "Tests",
    "Threshold",
];

/// A filter value: a string, or a boolean for `Enabled`.
#[derive(Debug, Clone, PartialEq)]
pub enum FilterValue {
    /// A value as typed; matches a string spec value (or list element) ignoring case.
    Str(String),
    /// `Enabled`'s value, read as Python's `strtobool` does (`yes`, `1`, `off`, …).
    Bool(bool),
}

/// One parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    /// The spec key compared, one of [`FILTER_KEYS`] (case as PAT spells it).
    pub key: String,
    /// The item passes when any of them matches (one `Bool` for `Enabled`).
    pub values: Vec<FilterValue>,
    /// Written `KEY!=…`: the item passes when none matches.
    pub inverted: bool,
}

/// A filter argument PAT would refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    /// Not `KEY=VALUE`.
    #[error("Filter {0} is not in format KEY=VALUE")]
    Format(String),
    /// A key PAT does not filter on.
    #[error("Filter key {0} is not a valid filter field")]
    UnknownKey(String),
    /// `Enabled` with a value other than true or false.
    #[error("Filter key {0} should have either true or false")]
    NotABool(String),
}

impl crate::error::UserError for FilterError {
    fn family(&self) -> &'static str {
        "filter"
    }

    fn name(&self) -> &'static str {
        match self {
            FilterError::Format(_) => "format",
            FilterError::UnknownKey(_) => "unknown_key",
            FilterError::NotABool(_) => "not_a_bool",
        }
    }

    fn hint(&self) -> Option<String> {
        Some("write filters as --filter KEY=V1,V2 or --filter KEY!=V1,V2, one per flag".into())
    }
}

/// A set of filters, as PAT builds it from repeated `--filter` flags.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filters {
    /// `KEY=` filters first, then `KEY!=` ones, each in first-given order; at most one of each
    /// kind per key.
    pub filters: Vec<Filter>,
}

impl Filters {
    /// Parses `--filter` arguments.
    pub fn parse(args: &[String]) -> Result<Filters, FilterError> {
        let mut positive: Vec<Filter> = Vec::new();
        let mut inverted: Vec<Filter> = Vec::new();
        for arg in args {
            let parts: Vec<&str> = arg.split('=').collect();
            if parts.len() != 2 || parts[0].is_empty() || parts[1].is_empty() {
                return Err(FilterError::Format(arg.clone()));
            }
            let (key, invert) = match parts[0].strip_suffix('!') {
                Some(k) => (k, true),
                None => (parts[0], false),
            };
            if !FILTER_KEYS.contains(&key) {
                return Err(FilterError::UnknownKey(key.to_owned()));
            }
            let values = if key == "Enabled" {
                vec![FilterValue::Bool(
                    strtobool(parts[1]).ok_or_else(|| FilterError::NotABool(key.to_owned()))?,
                )]
            } else {
                parts[1]
                    .split(',')
                    .map(|v| FilterValue::Str(v.to_owned()))
                    .collect()
            };
            let list = if invert { &mut inverted } else { &mut positive };
            let filter = Filter {
                key: key.to_owned(),
                values,
                inverted: invert,
            };
            match list.iter_mut().find(|f| f.key == key) {
                Some(existing) => *existing = filter,
                None => list.push(filter),
            }
        }
        positive.extend(inverted);
        Ok(Filters { filters: positive })
    }

    /// PAT's text for "matched nothing": `<filters> - <inverted filters>` as Python reprs of
    /// its `Filter` dataclasses.
    pub fn pat_repr(&self) -> String {
        let repr = |inverted: bool| {
            let items: Vec<String> = self
                .filters
                .iter()
                .filter(|f| f.inverted == inverted)
                .map(|f| {
                    let values: Vec<String> = f
                        .values
                        .iter()
                        .map(|v| match v {
                            FilterValue::Str(s) => crate::spec::pyrepr::str_repr(s),
                            FilterValue::Bool(true) => "True".into(),
                            FilterValue::Bool(false) => "False".into(),
                        })
                        .collect();
                    format!(
                        "Filter(key={}, values=[{}], inverted={})",
                        crate::spec::pyrepr::str_repr(&f.key),
                        values.join(", "),
                        if f.inverted { "True" } else { "False" }
                    )
                })
                .collect();
            format!("[{}]", items.join(", "))
        };
        format!("{} - {}", repr(false), repr(true))
    }

    /// No filter given: every item is kept.
    pub fn is_empty(&self) -> bool {
        self.filters.is_empty()
    }

    /// Adds PAT's upload-time status rule: `Status!=experimental,deprecated`.
    pub fn with_status_filters(mut self) -> Filters {
        const BLOCKED: [&str; 2] = ["experimental", "deprecated"];
        for f in self
            .filters
            .iter_mut()
            .filter(|f| f.key == "Status" && !f.inverted)
        {
            f.values.retain(|v| !matches!(v, FilterValue::Str(s) if BLOCKED.contains(&s.to_lowercase().as_str())));
        }
        if let Some(f) = self
            .filters
            .iter_mut()
            .find(|f| f.key == "Status" && f.inverted)
        {
            for b in BLOCKED {
                if !f.values.contains(&FilterValue::Str(b.into())) {
                    f.values.push(FilterValue::Str(b.into()));
                }
            }
        } else {
            self.filters.push(Filter {
                key: "Status".into(),
                values: BLOCKED
                    .iter()
                    .map(|b| FilterValue::Str((*b).into()))
                    .collect(),
                inverted: true,
            });
        }
        self
    }

    /// Whether an item survives the filters (helpers and data models always do).
    pub fn keeps(&self, item: &AnalysisItem) -> bool {
        if self.filters.is_empty()
            || fnmatch("*/global_helpers", &item.walk_dir)
            || fnmatch("*data_models*", &item.walk_dir)
        {
            return true;
        }
        self.matches_spec(&item.spec)
    }

    /// `filter_analysis_spec`: every filter must hold.
    pub fn matches_spec(&self, spec: &Node) -> bool {
        self.filters.iter().all(|f| {
            let empty = Node::new(Value::Str(String::new()), Default::default());
            let value = spec.get(&f.key).unwrap_or(&empty);
            let spec_values: Vec<&Value> = match &value.value {
                Value::List(items) => items.iter().map(|n| &n.value).collect(),
                other => vec![other],
            };
            let intersects = spec_values
                .iter()
                .any(|sv| f.values.iter().any(|fv| value_matches(sv, fv)));
            intersects != f.inverted
        })
    }
}

fn value_matches(spec: &Value, filter: &FilterValue) -> bool {
    match (spec, filter) {
        (Value::Str(s), FilterValue::Str(f)) => s.to_lowercase() == f.to_lowercase(),
        (other, FilterValue::Bool(b)) => other.py_eq(&Value::Bool(*b)),
        _ => false,
    }
}

fn strtobool(v: &str) -> Option<bool> {
    match v.to_lowercase().as_str() {
        "y" | "yes" | "t" | "true" | "on" | "1" => Some(true),
        "n" | "no" | "f" | "false" | "off" | "0" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::yaml::load_str;

    fn spec(text: &str) -> Node {
        load_str(text).unwrap().root.unwrap()
    }

    #[test]
    fn parse_rejects_what_pat_rejects() {
        assert_eq!(
            Filters::parse(&["Severity".into()]),
            Err(FilterError::Format("Severity".into()))
        );
        assert_eq!(
            Filters::parse(&["Severity=".into()]),
            Err(FilterError::Format("Severity=".into()))
        );
        assert_eq!(
            Filters::parse(&["PackID=x".into()]),
            Err(FilterError::UnknownKey("PackID".into()))
        );
        assert_eq!(
            Filters::parse(&["Enabled=maybe".into()]),
            Err(FilterError::NotABool("Enabled".into()))
        );
    }

    #[test]
    fn values_are_ored_filters_anded_case_insensitively() {
        let f = Filters::parse(&[
            "Severity=high,critical".into(),
            "LogTypes=AWS.CloudTrail".into(),
        ])
        .unwrap();
        assert!(f.matches_spec(&spec(
            "Severity: High\nLogTypes: [aws.cloudtrail, Okta.SystemLog]\n"
        )));
        assert!(!f.matches_spec(&spec("Severity: Low\nLogTypes: [AWS.CloudTrail]\n")));
    }

    #[test]
    fn missing_fields_match_an_empty_value_and_inversion_excludes() {
        let f = Filters::parse(&["Status=experimental,".into()]).unwrap();
        assert!(f.matches_spec(&spec("RuleID: x\n")));
        let f = Filters::parse(&["Status!=deprecated".into()]).unwrap();
        assert!(f.matches_spec(&spec("RuleID: x\n")));
        assert!(!f.matches_spec(&spec("Status: Deprecated\n")));
    }

    #[test]
    fn non_string_values_never_match_strings_but_enabled_is_a_bool() {
        let f = Filters::parse(&["DedupPeriodMinutes=60".into()]).unwrap();
        assert!(!f.matches_spec(&spec("DedupPeriodMinutes: 60\n")));
        let f = Filters::parse(&["Enabled=yes".into()]).unwrap();
        assert!(f.matches_spec(&spec("Enabled: true\n")));
        assert!(!f.matches_spec(&spec("Enabled: false\n")));
    }

    #[test]
    fn a_repeated_key_replaces_the_earlier_filter() {
        let f = Filters::parse(&["Severity=High".into(), "Severity=Low".into()]).unwrap();
        assert_eq!(f.filters.len(), 1);
        assert!(f.matches_spec(&spec("Severity: Low\n")));
    }

    #[test]
    fn status_filters_for_upload_exclude_experimental_and_deprecated() {
        let f = Filters::parse(&["Status=experimental,stable".into()])
            .unwrap()
            .with_status_filters();
        assert!(f.matches_spec(&spec("Status: stable\n")));
        assert!(!f.matches_spec(&spec("Status: experimental\n")));
    }
}

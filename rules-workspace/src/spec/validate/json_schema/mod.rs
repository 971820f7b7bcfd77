//! PAT's second validation layer: the JSON-Schema check of an analysis spec.
//!
//! After a spec has passed the `schema`-library check, the ID checks and the duplicate-value
//! checks, `panther_analysis_tool` (PAT) 1.6.3 runs
//! `Draft202012Validator(ANALYSIS_CONFIG_SCHEMA).validate(spec)` (`classify_analysis` in
//! `analysis_utils.py`) and reports a failure as `f"{err.json_path}: {err.message}"`.
//!
//! This module reproduces that layer without Python:
//!
//! * **The schema.** The constraints in `pat_schema` mirror the *behaviour* of PAT 1.6.3's
//!   `detection_schemas/analysis_config_schema.json` (the `SimpleDetectionSchema` and its
//!   `$defs`), written as Rust data with the small builder DSL of `schema`. Keyword order inside
//!   every schema object is kept as in PAT's file because it decides which error is reported
//!   first. Keywords that never validate anything (`$schema`, `$id`) are left out. A test
//!   compares a fingerprint of this mirror with one of PAT's file computed by
//!   `tests/fixtures/json_schema/gen_expected.py`.
//! * **Evaluation** (`evaluate`) and **message rendering** (`messages`) are separate from the
//!   data, so the transcription stays as PAT wrote it.
//! * **Which error wins.** `Validator.validate` (the *method* PAT calls) raises the **first** error
//!   that `iter_errors` yields; it does not apply `best_match`. So the reported error is the first
//!   one in evaluation order: keywords in schema-object order, `properties` in schema order,
//!   `patternProperties`/`items` in instance order. `oneOf`/`anyOf` report their own error
//!   (`... is not valid under any of the given schemas`); errors of their branches are only
//!   context and never reach PAT's message, so branches are evaluated for validity only.
//! * **Messages** use jsonschema 4.25's wording and embed Python `repr`s of the instance values
//!   (see `messages::py_repr`): `True`/`False`/`None`, Python's string quoting and escaping rules
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

mod evaluate;
mod messages;
mod pat_schema;
mod schema;

use evaluate::Evaluator;
use pat_schema::ROOT;
use serde_json::Value;

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

#[cfg(test)]
mod tests {
    use super::evaluate::Evaluator;
    use super::messages::write_schema;
    use super::pat_schema::{Def, MATCH_EXPRESSION_FORMS, TRANSITION};
    use super::schema::{Kw, Node};
    use super::*;
    use serde_json::{json, Map};
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
        format!("{:016x}", crate::env::fnv1a(data))
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

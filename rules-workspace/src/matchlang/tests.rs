use super::simple::{compile_simple, parse_template};
use super::*;
use crate::spec::yaml::load_str;

fn node(text: &str) -> Node {
    load_str(text).expect("yaml").root.expect("a document")
}

#[test]
fn key_paths_parse_names_indexes_and_wildcards() {
    assert_eq!(
        parse_key_path("a.b[0].c").unwrap(),
        vec![json!("a"), json!("b"), json!(0), json!("c")]
    );
    assert_eq!(
        parse_key_path("a[*].b").unwrap(),
        vec![json!("a"), Json::Null, json!("b")]
    );
    assert_eq!(
        parse_key_path("a[1][*]").unwrap(),
        vec![json!("a"), json!(1), Json::Null]
    );
    for bad in ["", "a.", ".a", "a..b", "a[", "a[-1]", "a[x]"] {
        assert!(parse_key_path(bad).is_err(), "{bad} should not parse");
    }
}

fn problems(text: &str, mode: Mode) -> Vec<(u32, String)> {
    let (_, found) = compile_list(&node(text), mode);
    found
        .into_iter()
        .map(|p| (p.span.line, p.message))
        .collect()
}

#[test]
fn problems_point_at_their_line() {
    let found = problems(
        "- KeyPath: a\n  Condition: Equals\n  Value: x\n- KeyPath: b\n  Condition: Equalz\n  Value: y\n",
        Mode::Detection,
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, 5);
    assert!(
        found[0].1.contains("unknown condition `Equalz`"),
        "{found:?}"
    );
    // Operands: a list condition given one Value, a unary one given a value, a number compared
    // with text, a bad network.
    let found = problems(
        "- {Key: a, Condition: IsIn, Value: x}\n- {Key: a, Condition: Exists, Value: 1}\n\
         - {Key: a, Condition: IsGreaterThan, Value: ten}\n- {Key: a, Condition: IsIPAddressInCIDR, Value: 10.0.0.0/33}\n",
        Mode::Detection,
    );
    assert_eq!(
        found.iter().map(|f| f.0).collect::<Vec<_>>(),
        vec![1, 2, 3, 4],
        "{found:?}"
    );
}

#[test]
fn inline_filters_allow_only_their_forms() {
    let found = problems(
        "- {Key: a, Condition: Equals, Value: x}\n- OnlyOne: []\n- {KeyPath: a, Condition: IEquals, Value: x}\n- {KeyPath: a, Condition: Equals, Value: x}\n",
        Mode::Filter,
    );
    assert_eq!(
        found.iter().map(|f| f.0).collect::<Vec<_>>(),
        vec![1, 2, 3],
        "{found:?}"
    );
    assert!(problems(
        "- All: []\n- Any: [{KeyPath: a.b, Condition: IsIn, Values: [1, 2]}]\n",
        Mode::Filter
    )
    .is_empty());
}

#[test]
fn programs_name_conditions_canonically_and_parse_paths() {
    let (program, found) = compile_list(
        &node("- {KeyPath: \"a[*].b\", Condition: IsGreaterThanOrEqual, Value: 2}\n- {DeepKey: [x, 0], Condition: IsNull}\n"),
        Mode::Detection,
    );
    assert!(found.is_empty(), "{found:?}");
    assert_eq!(
        program,
        json!([
            "all",
            [
                ["cond", ["a", null, "b"], "IsGreaterThanOrEquals", 2],
                ["cond", ["x", 0], "IsNull", null]
            ]
        ])
    );
    let (program, _) = compile_list(
        &node("- Condition: Equals\n  Values: [{KeyPath: a}, {Key: b}]\n- {Enrichment: {Table: t, Selector: ip, FieldPath: geo.city}, Condition: Equals, Value: x}\n"),
        Mode::Detection,
    );
    assert_eq!(program[1][0], json!(["pair", ["a"], "Equals", ["b"]]));
    assert_eq!(
        program[1][1][1],
        json!(["p_enrichment", "t", "ip", "geo", "city"])
    );
}

#[test]
fn titles_are_text_and_key_paths() {
    assert_eq!(
        parse_template("User {user.name} from {ips[0]} {{literal}}").unwrap(),
        vec![
            json!("User "),
            json!(["user", "name"]),
            json!(" from "),
            json!(["ips", 0]),
            json!(" {literal}")
        ]
    );
    assert!(parse_template("open {brace").is_err());
    assert!(parse_template("empty {}").is_err());
    let compiled = compile_simple(&node(
        "Detection: [{Condition: AlwaysTrue}]\nAlertTitle: \"x {a}\"\nGroupBy: [{KeyPath: a}]\n",
    ));
    assert!(compiled.problems.is_empty(), "{:?}", compiled.problems);
    assert_eq!(compiled.functions, vec!["rule", "title", "dedup"]);
}

#[test]
fn correlation_rules_evaluate_groups_and_sequences() {
    let group = node(
        "Detection:\n  - Group:\n      - {ID: A, RuleID: r.a, MinMatchCount: 2}\n      - {ID: B, RuleID: r.b, Absence: true}\n    MatchCriteria:\n      user:\n        - {GroupID: A, Match: p_alert_context.user}\n        - {GroupID: B, Match: user}\n    LookbackWindowMinutes: 10\n    Schedule: {RateMinutes: 5, TimeoutMinutes: 1}\n\
Tests:\n  - {Name: two, ExpectedResult: true, RuleOutputs: [{ID: A, Matches: {p_alert_context.user: {bob: [0, 3]}}}]}\n  - {Name: one, ExpectedResult: false, RuleOutputs: [{ID: A, Matches: {p_alert_context.user: {bob: [3]}}}]}\n  - {Name: absent broken, ExpectedResult: false, RuleOutputs: [{ID: A, Matches: {p_alert_context.user: {bob: [0, 3]}}}, {ID: B, Matches: {user: {bob: [1]}}}]}\n  - {Name: absent other user, ExpectedResult: true, RuleOutputs: [{ID: A, Matches: {p_alert_context.user: {bob: [0, 3]}}}, {ID: B, Matches: {user: {eve: [1]}}}]}\n  - {Name: too old, ExpectedResult: false, RuleOutputs: [{ID: A, Matches: {p_alert_context.user: {bob: [0, 30]}}}]}\n",
    );
    let verdicts = correlation::run_tests(&group, &|_| true).unwrap();
    assert!(verdicts.iter().all(|v| v.passed()), "{verdicts:#?}");
    let sequence = node(
        "Detection:\n  - Sequence:\n      - {ID: login, RuleID: r.l}\n      - {ID: change, RuleID: r.c}\n    Transitions:\n      - {From: login, To: change, WithinTimeFrameMinutes: 5, Match: [{On: p_alert_context.user}]}\n    Schedule: {RateMinutes: 5, TimeoutMinutes: 1}\n\
Tests:\n  - {Name: in time, ExpectedResult: true, RuleOutputs: [{ID: login, Matches: {p_alert_context.user: {a: [0]}}}, {ID: change, Matches: {p_alert_context.user: {a: [5]}}}]}\n  - {Name: late, ExpectedResult: false, RuleOutputs: [{ID: login, Matches: {p_alert_context.user: {a: [0]}}}, {ID: change, Matches: {p_alert_context.user: {a: [6]}}}]}\n  - {Name: out of order, ExpectedResult: false, RuleOutputs: [{ID: login, Matches: {p_alert_context.user: {a: [3]}}}, {ID: change, Matches: {p_alert_context.user: {a: [1]}}}]}\n  - {Name: timestamps, ExpectedResult: true, RuleOutputs: [{ID: login, Matches: {p_alert_context.user: {a: [\"2026-01-01T00:00:00Z\"]}}}, {ID: change, Matches: {p_alert_context.user: {a: [\"2026-01-01T00:04:59Z\"]}}}]}\n  - {Name: mixed, ExpectedResult: true, RuleOutputs: [{ID: login, Matches: {p_alert_context.user: {a: [0]}}}, {ID: change, Matches: {p_alert_context.user: {a: [\"2026-01-01T00:04:59Z\"]}}}]}\n",
    );
    let verdicts = correlation::run_tests(&sequence, &|_| true).unwrap();
    let by_name: Vec<(&str, Option<bool>)> = verdicts
        .iter()
        .map(|v| (v.name.as_str(), v.fired))
        .collect();
    assert_eq!(
        by_name,
        vec![
            ("in time", Some(true)),
            ("late", Some(false)),
            ("out of order", Some(false)),
            ("timestamps", Some(true)),
            ("mixed", None)
        ]
    );
    assert!(verdicts[4].error.as_deref().unwrap().contains("mixes"));
    // A transition naming an unknown member is a problem at its line.
    let bad = node("Detection:\n  - Sequence: [{ID: a, RuleID: r}]\n    Transitions: [{From: a, To: b}]\n    Schedule: {TimeoutMinutes: 1}\n");
    let problems = correlation::read(&bad).unwrap_err();
    assert!(problems[0].message.contains("`b`"), "{problems:?}");
}

#[test]
fn a_sequence_with_too_many_signals_is_refused_not_hung() {
    // Four present steps with 60 signals each, all within each other's time frame, and an
    // absent last step whose signals follow every choice: each of the 60^4 orders is
    // consistent until the absence check fails. The search stops at its budget and the test
    // is reported as not evaluated, instead of running for hours.
    let times: String = (0..60)
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let mut outputs = String::new();
    for s in ["a", "b", "c", "d", "e"] {
        outputs.push_str(&format!("{{ID: {s}, Matches: {{k: {{v: [{times}]}}}}}}, "));
    }
    let spec = node(&format!(
        "Detection:\n  - Sequence: [{{ID: a, RuleID: r}}, {{ID: b, RuleID: r}}, {{ID: c, RuleID: r}}, {{ID: d, RuleID: r}}, {{ID: e, RuleID: r, Absence: true}}]\n    Transitions:\n      - {{From: a, To: b, WithinTimeFrameMinutes: 100}}\n      - {{From: b, To: c, WithinTimeFrameMinutes: 100}}\n      - {{From: c, To: d, WithinTimeFrameMinutes: 100}}\n      - {{From: d, To: e, WithinTimeFrameMinutes: 100}}\n    LookbackWindowMinutes: 1000\n    Schedule: {{TimeoutMinutes: 1}}\nTests:\n  - {{Name: big, ExpectedResult: false, RuleOutputs: [{outputs}]}}\n"
    ));
    let verdicts = correlation::run_tests(&spec, &|_| true).unwrap();
    assert_eq!(verdicts[0].fired, None, "{verdicts:?}");
    assert!(
        verdicts[0]
            .error
            .as_deref()
            .unwrap()
            .contains("too many signals"),
        "{verdicts:?}"
    );
    assert!(!verdicts[0].passed());
}

#[test]
fn a_generated_module_cannot_be_broken_out_of() {
    let compiled = compile_simple(&node(
        "Detection: [{KeyPath: a, Condition: Equals, Value: \"x\\\"\\n'''\"}]\n",
    ));
    let body = super::simple::python_body("Id\nimport os", "rules/a\nb.yml", &compiled);
    // Every line is a comment, the import, the program or a function.
    for line in body.lines() {
        assert!(
            line.is_empty()
                || line.starts_with('#')
                || line.starts_with("import prowl_match")
                || line.starts_with("_DETECTION = _prowl_match.simple_detection(\"")
                || line.starts_with("def ")
                || line.starts_with("    return _DETECTION."),
            "{line}"
        );
    }
    assert_eq!(
        body.lines().filter(|l| l.starts_with("_DETECTION")).count(),
        1
    );
}

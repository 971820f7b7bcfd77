//! Prowl's local verdicts on what PAT tests only through a Panther backend: Simple Detections,
//! InlineFilters and correlation rules (docs/match-language.md).
//!
//! - `tests/fixtures/match-language/passing`: for every condition, combinator, list form and
//!   correlation shape, cases that must pass; `.../failing`: the same kinds of cases with the
//!   wrong `ExpectedResult`, every one of which must FAIL.
//! - Property tests: the compiler never panics on arbitrary YAML; the evaluator never raises
//!   on arbitrary expressions and events; Simple Detections of ours give, event by event, the
//!   verdicts of Python rules transpiled from them by hand (through `prowl replay`).

mod common;

use common::*;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use rules_workspace::matchlang::{self, correlation, simple, Mode};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

/// `prowl test WS --format json` with the shared test environment: (exit code, JSON).
fn prowl_test(ws: &Path, extra: &[&str]) -> (i32, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_prowl"))
        .arg("test")
        .arg(ws)
        .args(["--format", "json"])
        .args(extra)
        .env("PROWL_PYTHON_ENV", test_env())
        .env("NO_COLOR", "1")
        .output()
        .expect("run prowl test");
    let text = String::from_utf8_lossy(&out.stdout);
    let json: Value = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}):\n{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), json)
}

/// (detection, kind, test, passed) of every local verdict.
fn local_results(report: &Value) -> Vec<(String, String, String, bool)> {
    let mut out = Vec::new();
    for d in report["local"]["detections"]
        .as_array()
        .expect("local verdicts")
    {
        let id = d["id"].as_str().unwrap().to_owned();
        let kind = d["local"].as_str().unwrap().to_owned();
        assert!(
            d["setup_error"].is_null(),
            "{id} could not be evaluated: {}",
            d["setup_error"]
        );
        for t in d["results"].as_array().unwrap() {
            out.push((
                id.clone(),
                kind.clone(),
                t["name"].as_str().unwrap().to_owned(),
                t["passed"].as_bool().unwrap() && t["out_of_band"].is_null(),
            ));
        }
    }
    out
}

fn match_fixture(name: &str) -> std::path::PathBuf {
    repo().join("tests/fixtures/match-language").join(name)
}

#[test]
fn every_case_of_the_passing_fixture_passes_locally() {
    let (code, report) = prowl_test(&match_fixture("passing"), &["--fail-on-local"]);
    let results = local_results(&report);
    let failed: Vec<_> = results.iter().filter(|r| !r.3).collect();
    assert!(failed.is_empty(), "failed locally: {failed:#?}");
    // PAT's part runs the inline-filter rules without their filters, so the tests where a
    // filter drops the event fail there (and nowhere else): the exit code is PAT's.
    let pat_failed: Vec<&str> = report["summary"]["failed_tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f[0].as_str().unwrap())
        .collect();
    assert!(
        pat_failed
            .iter()
            .all(|id| id.starts_with("MatchLang.InlineFilter")),
        "{pat_failed:?}"
    );
    assert_eq!(code, 1, "{report}");
    let per_kind = |k: &str| results.iter().filter(|r| r.1 == k).count();
    assert!(
        per_kind("simple_detection") >= 100,
        "{}",
        per_kind("simple_detection")
    );
    assert!(
        per_kind("inline_filters") >= 10,
        "{}",
        per_kind("inline_filters")
    );
    assert!(
        per_kind("correlation_rule") >= 20,
        "{}",
        per_kind("correlation_rule")
    );
    assert_eq!(report["local"]["failed"], 0);
}

#[test]
fn every_case_of_the_failing_fixture_fails_and_fails_the_run_only_when_asked() {
    let ws = match_fixture("failing");
    let (code, report) = prowl_test(&ws, &["--fail-on-local"]);
    let results = local_results(&report);
    assert!(results.len() >= 25, "{}", results.len());
    let passed: Vec<_> = results.iter().filter(|r| r.3).collect();
    assert!(passed.is_empty(), "these must fail: {passed:#?}");
    for kind in ["simple_detection", "inline_filters", "correlation_rule"] {
        assert!(results.iter().any(|r| r.1 == kind), "no {kind} case");
    }
    assert_eq!(code, 1);
    // Without the flag the exit code is PAT's own (its signal rules have a failing test each);
    // the text says the local verdicts are not counted.
    let (code, _) = prowl_test(&ws, &[]);
    let (pat_code, report) = prowl_test(&ws, &["--pat-only"]);
    assert_eq!(code, pat_code);
    assert!(
        report["local"].is_null(),
        "--pat-only leaves them out: {}",
        report["local"]
    );
    let (_, out, err) = prowl(&["test", ws.to_str().unwrap()]);
    assert!(
        !out.contains("Evaluated locally"),
        "stdout stays PAT's:\n{out}"
    );
    assert!(err.contains("Evaluated locally by Prowl"), "{err}");
    assert!(err.contains("not counted in the exit code"), "{err}");
}

// --- Property tests ----------------------------------------------------------------------------

const KEYS: &[&str] = &[
    "Key",
    "DeepKey",
    "KeyPath",
    "Condition",
    "Value",
    "Values",
    "All",
    "Any",
    "OnlyOne",
    "None",
    "Expressions",
    "Enrichment",
    "Sequence",
    "Group",
    "Transitions",
    "MatchCriteria",
    "RuleID",
    "ID",
    "From",
    "To",
    "On",
    "Match",
    "Absence",
    "MinMatchCount",
];

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1e9f64..1e9).prop_map(Value::from),
        "[a-zA-Z0-9_.\\[\\]*:/ -]{0,12}".prop_map(Value::from),
        prop::sample::select(matchlang::condition_names().collect::<Vec<_>>())
            .prop_map(Value::from),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    prop::sample::select(KEYS).prop_map(str::to_owned),
                    "[a-z]{1,6}"
                ],
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn node_of(value: &Value) -> Option<rules_workspace::spec::Node> {
    rules_workspace::spec::yaml::load_str(&value.to_string())
        .ok()
        .and_then(|l| l.root)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Whatever the YAML, compiling it gives a program and problems, never a panic; and a
    /// correlation rule's tests give verdicts or an error.
    #[test]
    fn the_compiler_never_panics(expressions in arbitrary_json(), tests in arbitrary_json()) {
        if let Some(node) = node_of(&expressions) {
            let _ = matchlang::compile_list(&node, Mode::Detection);
            let _ = matchlang::compile_list(&node, Mode::Filter);
            let _ = matchlang::compile_key(&node);
        }
        let spec = json!({
            "AnalysisType": "correlation_rule", "RuleID": "X", "Detection": expressions,
            "AlertTitle": "t {a.b} {{x}}", "AlertContext": tests, "GroupBy": expressions,
            "DynamicSeverities": [{"ChangeTo": "HIGH", "Conditions": expressions}],
            "Tests": tests,
        });
        if let Some(node) = node_of(&spec) {
            let compiled = simple::compile_simple(&node);
            let _ = simple::python_body("X", "x.yml", &compiled);
            let _ = correlation::run_tests(&node, &|_| true);
        }
    }
}

/// Leaf expressions over a small vocabulary of fields, every condition, every operand shape.
fn expression() -> impl Strategy<Value = Value> {
    let path = prop::sample::select(vec![
        json!({"KeyPath": "a"}),
        json!({"KeyPath": "a.b"}),
        json!({"KeyPath": "list[*].b"}),
        json!({"KeyPath": "list[1]"}),
        json!({"Key": "n"}),
        json!({"Key": "A"}),
        json!({"DeepKey": ["a", "b", 0]}),
        json!({"Enrichment": {"Table": "t", "Selector": "ip", "FieldPath": "city"}}),
    ]);
    let scalar = prop_oneof![
        any::<bool>().prop_map(Value::from),
        (-5i64..5).prop_map(Value::from),
        prop::sample::select(vec!["x", "X", "10.0.0.0/8", "::1/128", "1.2.3.4", "", "ab"])
            .prop_map(Value::from),
    ];
    let condition = prop::sample::select(matchlang::condition_names().collect::<Vec<_>>());
    let leaf = (
        path,
        condition,
        scalar.clone(),
        prop::collection::vec(scalar, 0..3),
    )
        .prop_map(|(path, condition, value, values)| {
            let mut e = path.as_object().unwrap().clone();
            e.insert("Condition".into(), condition.into());
            match condition {
                "IsIn" | "IsNotIn" => {
                    // Homogeneous, as PAT's schema requires.
                    let strings: Vec<Value> =
                        values.iter().map(|v| Value::from(v.to_string())).collect();
                    e.insert("Values".into(), strings.into());
                }
                "AlwaysTrue" | "AlwaysFalse" => {
                    e.retain(|k, _| k == "Condition");
                }
                "AllElements" | "AnyElement" | "NoElement" | "OnlyOneElement" => {
                    e.insert(
                        "Expressions".into(),
                        json!([{"KeyPath": "b", "Condition": "Exists"}]),
                    );
                }
                _ => {
                    e.insert("Value".into(), value);
                }
            }
            Value::Object(e)
        });
    leaf.prop_recursive(3, 24, 4, |inner| {
        (
            prop::sample::select(vec!["All", "Any", "OnlyOne", "None"]),
            prop::collection::vec(inner, 0..4),
        )
            .prop_map(|(op, children)| json!({ op: children }))
    })
}

fn event() -> impl Strategy<Value = Value> {
    let value = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        (-5i64..5).prop_map(Value::from),
        prop::sample::select(vec!["x", "X", "10.1.2.3", "8.8.8.8", "::1", "", "abc"])
            .prop_map(Value::from),
    ];
    let nested = value.clone().prop_recursive(2, 12, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::btree_map(prop::sample::select(vec!["b", "B", "c"]), inner, 0..3)
                .prop_map(|m| json!(m)),
        ]
    });
    prop::collection::btree_map(
        prop::sample::select(vec!["a", "A", "n", "list", "p_enrichment"]),
        nested,
        0..5,
    )
    .prop_map(|m| json!(m))
}

fn generate<S: Strategy>(strategy: S, n: usize, runner: &mut TestRunner) -> Vec<S::Value> {
    (0..n)
        .map(|_| strategy.new_tree(runner).expect("a value").current())
        .collect()
}

#[test]
fn the_evaluator_never_raises_on_arbitrary_expressions_and_events() {
    let mut runner = TestRunner::deterministic();
    let expressions = generate(expression(), 80, &mut runner);
    let events = generate(event(), 12, &mut runner);
    let ws = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(ws.path().join("rules")).unwrap();
    let mut filters = 0;
    for (i, e) in expressions.iter().enumerate() {
        let tests: Vec<Value> = events
            .iter()
            .enumerate()
            .map(|(j, ev)| {
                let mut log = ev.as_object().unwrap().clone();
                log.insert("p_log_type".into(), "Custom.Prop".into());
                json!({"Name": format!("event {j}"), "ExpectedResult": true, "Log": log})
            })
            .collect();
        // As a Simple Detection, and the same expression as an inline filter where the
        // filter language allows it (a rule that always matches: the filter decides).
        let spec = format!(
            "AnalysisType: rule\nRuleID: Prop.Simple.{i}\nEnabled: true\nLogTypes: [Custom.Prop]\nSeverity: Info\n\
             Detection: {}\nAlertTitle: \"t {{a.b}} {{list[*].b}}\"\nGroupBy: [{{KeyPath: a}}, {{Key: n}}]\n\
             AlertContext: [{{KeyName: a, KeyValue: {{KeyPath: \"list[0]\"}}}}]\n\
             DynamicSeverities: [{{ChangeTo: High, Conditions: {}}}]\nTests: {}\n",
            json!([e]),
            json!([e]),
            Value::from(tests.clone())
        );
        std::fs::write(ws.path().join(format!("rules/simple_{i}.yml")), spec).unwrap();
        let filter = format!(
            "AnalysisType: rule\nRuleID: Prop.Filter.{i}\nFilename: always.py\nEnabled: true\n\
             LogTypes: [Custom.Prop]\nSeverity: Info\nInlineFilters: {}\nTests: {}\n",
            json!([e]),
            Value::from(tests)
        );
        // Only the expressions the filter language has (PAT's schema refuses the others).
        let filter_ok =
            node_of(&json!([e])).is_some_and(|n| simple::compile_filters(&n).1.is_empty());
        if filter_ok {
            filters += 1;
            std::fs::write(ws.path().join(format!("rules/filter_{i}.yml")), filter).unwrap();
        }
    }
    std::fs::write(
        ws.path().join("rules/always.py"),
        "def rule(_):\n    return True\n",
    )
    .unwrap();
    let (_, report) = prowl_test(ws.path(), &[]);
    let mut evaluated = 0;
    for d in report["local"]["detections"]
        .as_array()
        .expect("local verdicts")
    {
        assert!(
            d["setup_error"].is_null(),
            "{}: {}",
            d["id"],
            d["setup_error"]
        );
        for t in d["results"].as_array().unwrap() {
            evaluated += 1;
            assert!(t["out_of_band"].is_null(), "{}: {}", d["id"], t);
            for f in t["functions"].as_array().unwrap() {
                assert!(
                    f["error"].is_null(),
                    "{} / {}: {} raised: {}",
                    d["id"],
                    t["name"],
                    f["name"],
                    f["error"]
                );
            }
        }
    }
    // Specs PAT's schema refuses are not tested; most of the generated ones are valid.
    assert!(
        filters >= 5,
        "only {filters} expressions are inline filters"
    );
    // PAT's schema refuses a few generated shapes (a list comprehension over a DeepKey with an
    // index, or over an Enrichment): those specs are invalid and not tested.
    if evaluated * 10 < (80 + filters) * 12 * 9 {
        let (_, out, err) = prowl(&["validate", ws.path().to_str().unwrap()]);
        panic!("only {evaluated} evaluations:\n{out}\n{err}");
    }
}

/// Simple Detections of ours, each with a Python rule transpiled from it by hand following
/// docs/match-language.md.
const PAIRS: &[(&str, &str, &str)] = &[
    (
        "Admin",
        "- KeyPath: user.name\n  Condition: StartsWith\n  Value: adm\n\
         - KeyPath: action\n  Condition: IsIn\n  Values: [login, logout]\n\
         - None:\n    - Key: error\n      Condition: Exists\n",
        "def rule(event):\n    e = event.to_dict()\n    user = e.get('user')\n    name = user.get('name') if isinstance(user, dict) else None\n    action = e.get('action')\n    if isinstance(action, list):\n        listed = any(isinstance(a, str) and a in ('login', 'logout') for a in action)\n    else:\n        listed = isinstance(action, str) and action in ('login', 'logout')\n    return isinstance(name, str) and name.startswith('adm') and listed and 'error' not in e\n",
    ),
    (
        "Network",
        concat!(
            "- Any:\n",
            "    - KeyPath: src\n      Condition: IsIPAddressInCIDR\n      Value: 10.0.0.0/8\n",
            "    - KeyPath: tags\n      Condition: Contains\n      Value: prod\n",
            "- KeyPath: count\n  Condition: IsGreaterThan\n  Value: 2\n",
        ),
        "import ipaddress\n\ndef _in_ten(v):\n    if not isinstance(v, str):\n        return False\n    try:\n        n = ipaddress.ip_network(v, strict=False)\n    except ValueError:\n        return False\n    return n.version == 4 and n.overlaps(ipaddress.ip_network('10.0.0.0/8'))\n\n\
def _contains(v, x):\n    if isinstance(v, str):\n        return x in v\n    if isinstance(v, list):\n        return any(e == x and not isinstance(e, bool) for e in v) or any(isinstance(e, str) and x in e for e in v)\n    return False\n\n\
def rule(event):\n    e = event.to_dict()\n    c = e.get('count')\n    number = isinstance(c, (int, float)) and not isinstance(c, bool)\n    return (_in_ten(e.get('src')) or _contains(e.get('tags'), 'prod')) and number and c > 2\n",
    ),
    (
        "Items",
        "- KeyPath: items\n  Condition: AnyElement\n  Expressions:\n    - KeyPath: kind\n      Condition: Equals\n      Value: x\n    - KeyPath: size\n      Condition: IsLessThan\n      Value: 3\n",
        "def _small(v):\n    return isinstance(v, (int, float)) and not isinstance(v, bool) and v < 3\n\n\
def rule(event):\n    items = event.to_dict().get('items')\n    if not isinstance(items, list):\n        return False\n    return any(isinstance(i, dict) and i.get('kind') == 'x' and _small(i.get('size')) for i in items)\n",
    ),
];

/// A field that is usually one of a few telling values, sometimes anything, sometimes missing.
fn field(likely: Vec<Value>, other: BoxedStrategy<Value>) -> BoxedStrategy<Option<Value>> {
    prop::option::weighted(
        0.8,
        prop_oneof![3 => prop::sample::select(likely), 1 => other],
    )
    .boxed()
}

fn differential_event() -> impl Strategy<Value = Value> {
    let text = prop::sample::select(vec!["admin", "login", "x", "prod", "10.2.3.4", "fe80::1"]);
    let value: BoxedStrategy<Value> = prop_oneof![
        2 => text.clone().prop_map(Value::from),
        1 => (-1i64..6).prop_map(Value::from),
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::from),
        1 => prop::collection::vec(text.prop_map(Value::from), 0..3).prop_map(Value::Array),
    ]
    .boxed();
    let item = (
        field(vec![json!("x"), json!("y"), json!("X")], value.clone()),
        field(
            vec![json!(1), json!(2), json!(5), json!("1")],
            value.clone(),
        ),
    )
        .prop_map(|(k, s)| {
            let mut m = serde_json::Map::new();
            if let Some(k) = k {
                m.insert("kind".into(), k);
            }
            if let Some(s) = s {
                m.insert("size".into(), s);
            }
            Value::Object(m)
        });
    let fields = vec![
        (
            "user_name",
            field(
                vec![json!("admin"), json!("adm"), json!("bob")],
                value.clone(),
            ),
        ),
        (
            "action",
            field(
                vec![
                    json!("login"),
                    json!("logout"),
                    json!("read"),
                    json!(["login"]),
                ],
                value.clone(),
            ),
        ),
        ("error", prop::option::weighted(0.3, value.clone()).boxed()),
        (
            "src",
            field(
                vec![
                    json!("10.2.3.4"),
                    json!("11.0.0.1"),
                    json!("fe80::1"),
                    json!("10.9.0.0/16"),
                ],
                value.clone(),
            ),
        ),
        (
            "tags",
            field(
                vec![
                    json!(["prod"]),
                    json!(["preprod", "x"]),
                    json!("production"),
                    json!([]),
                ],
                value.clone(),
            ),
        ),
        (
            "count",
            field(
                vec![json!(1), json!(3), json!(5), json!(2.5), json!("7")],
                value.clone(),
            ),
        ),
    ];
    (fields, prop::option::of(prop::collection::vec(item, 0..3))).prop_map(|(fields, items)| {
        let mut e = serde_json::Map::new();
        for (name, v) in fields {
            let Some(v) = v else { continue };
            if name == "user_name" {
                e.insert("user".into(), json!({ "name": v }));
            } else {
                e.insert(name.to_owned(), v);
            }
        }
        if let Some(items) = items {
            e.insert("items".into(), Value::Array(items));
        }
        e.insert("p_log_type".into(), "Custom.Diff".into());
        e.insert("p_event_time".into(), "2026-12-01 00:00:00".into());
        Value::Object(e)
    })
}

#[test]
fn simple_detections_match_hand_transpiled_python_event_by_event() {
    let ws = tempfile::tempdir().unwrap();
    let rules = ws.path().join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    for (name, detection, python) in PAIRS {
        let header = |id: &str| {
            format!("AnalysisType: rule\nRuleID: {id}\nEnabled: true\nLogTypes: [Custom.Diff]\nSeverity: Low\n")
        };
        std::fs::write(
            rules.join(format!("{name}_simple.yml")),
            format!(
                "{}Detection:\n{}",
                header(&format!("Simple.{name}")),
                indent(detection)
            ),
        )
        .unwrap();
        std::fs::write(
            rules.join(format!("{name}_python.yml")),
            format!(
                "{}Filename: {name}_python.py\n",
                header(&format!("Python.{name}"))
            ),
        )
        .unwrap();
        std::fs::write(rules.join(format!("{name}_python.py")), python).unwrap();
    }
    let mut runner = TestRunner::deterministic();
    let events = generate(differential_event(), 3000, &mut runner);
    let logs = ws.path().join("events.jsonl");
    let text: String = events.iter().map(|e| format!("{e}\n")).collect();
    std::fs::write(&logs, text).unwrap();
    let out_dir = ws.path().join("out");
    let out = Command::new(env!("CARGO_BIN_EXE_prowl"))
        .args([
            "replay",
            "events.jsonl",
            "-w",
            ".",
            "--out",
            "out",
            "--format",
            "json",
        ])
        .current_dir(ws.path())
        .env("PROWL_PYTHON_ENV", test_env())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Per detection, the lines of the events that matched.
    let mut matched: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in std::fs::read_to_string(out_dir.join("events.jsonl"))
        .unwrap()
        .lines()
    {
        let v: Value = serde_json::from_str(line).unwrap();
        let id = v["detection"].as_str().unwrap().to_owned();
        assert_eq!(v["kind"], "alert", "{v}");
        matched
            .entry(id)
            .or_default()
            .insert(v["origin"].to_string());
    }
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ran: Vec<&str> = report["report"]["detections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            assert_eq!(d["errors"], 0, "{d}");
            d["id"].as_str().unwrap()
        })
        .collect();
    assert_eq!(ran.len(), 2 * PAIRS.len(), "every rule ran: {ran:?}");
    for (name, _, _) in PAIRS {
        let s = matched
            .get(&format!("Simple.{name}"))
            .cloned()
            .unwrap_or_default();
        let p = matched
            .get(&format!("Python.{name}"))
            .cloned()
            .unwrap_or_default();
        assert_eq!(s, p, "{name}: the Simple Detection and its Python differ");
        assert!(
            s.len() >= 20 && s.len() < 2900,
            "{name}: {} matches: the events should split",
            s.len()
        );
    }
}

fn indent(yaml: &str) -> String {
    yaml.lines().map(|l| format!("  {l}\n")).collect()
}

#[test]
fn match_expression_problems_are_warnings_at_their_line() {
    let ws = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(ws.path().join("rules")).unwrap();
    std::fs::write(
        ws.path().join("rules/simple.yml"),
        "AnalysisType: rule\nRuleID: Simple.Typo\nEnabled: true\nLogTypes: [Custom.X]\nSeverity: Low\nDetection:\n  - KeyPath: a\n    Condition: Equalz\n    Value: x\n",
    )
    .unwrap();
    std::fs::write(
        ws.path().join("rules/corr.yml"),
        "AnalysisType: correlation_rule\nRuleID: Corr.Missing\nEnabled: true\nSeverity: Low\nDetection:\n  - Group:\n      - ID: a\n        RuleID: Simple.Typo\n      - ID: b\n        RuleID: Not.In.Workspace\n    Schedule:\n      RateMinutes: 5\n      TimeoutMinutes: 1\n",
    )
    .unwrap();
    let (code, out, _) = prowl(&["validate", ws.path().to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 0, "warnings only: PAT's verdict stands\n{out}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let found: Vec<(String, u64, String)> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "match-expression")
        .map(|d| {
            assert_eq!(d["severity"], "warning");
            (
                d["rel_path"].as_str().unwrap().to_owned(),
                d["span"]["line"].as_u64().unwrap(),
                d["summary"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(
        (found[0].0.as_str(), found[0].1),
        ("rules/corr.yml", 10),
        "{found:?}"
    );
    assert!(found[0].2.contains("Not.In.Workspace"));
    assert_eq!(
        (found[1].0.as_str(), found[1].1),
        ("rules/simple.yml", 8),
        "{found:?}"
    );
    assert!(found[1].2.contains("Equalz"));
}

#[test]
fn lookup_data_outside_the_workspace_is_never_joined() {
    // The passing fixture joins ml_owners.csv; here the same table's data is a link to a file
    // outside the workspace (and then a `..` path): Prowl's process is not sandboxed, so it
    // reads neither, and the event that only the join would make match does not.
    let outer = tempfile::tempdir().unwrap();
    let ws = outer.path().join("ws");
    std::fs::create_dir_all(ws.join("rules")).unwrap();
    std::fs::create_dir_all(ws.join("lookup_tables")).unwrap();
    std::fs::write(
        outer.path().join("owners.csv"),
        "ip,tier\n203.0.113.7,hostile\n",
    )
    .unwrap();
    let table = |file: &str| {
        format!("AnalysisType: lookup_table\nLookupName: owners\nEnabled: true\nFilename: {file}\nSchema: Custom.Owners\nLogTypeMap:\n  PrimaryKey: ip\n  AssociatedLogTypes:\n    - LogType: Custom.X\n      Selectors: [srcAddr]\n")
    };
    std::fs::write(
        ws.join("rules/joined.yml"),
        "AnalysisType: rule\nRuleID: Joined\nEnabled: true\nLogTypes: [Custom.X]\nSeverity: Low\nDetection:\n  - Enrichment: {Table: owners, Selector: srcAddr, FieldPath: tier}\n    Condition: Equals\n    Value: hostile\nTests:\n  - Name: only a join would match\n    ExpectedResult: false\n    Log: {p_log_type: Custom.X, srcAddr: 203.0.113.7}\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(
        outer.path().join("owners.csv"),
        ws.join("lookup_tables/owners.csv"),
    )
    .unwrap();
    for file in ["owners.csv", "../../owners.csv"] {
        std::fs::write(ws.join("lookup_tables/owners.yml"), table(file)).unwrap();
        let (_, report) = prowl_test(&ws, &[]);
        let results = local_results(&report);
        assert_eq!(results.len(), 1, "{report}");
        assert!(
            results[0].3,
            "{file}: the outside data was joined: {report}"
        );
    }
    // Inside the workspace, the same data is joined (the test then fails on purpose).
    std::fs::remove_file(ws.join("lookup_tables/owners.csv")).unwrap();
    std::fs::copy(
        outer.path().join("owners.csv"),
        ws.join("lookup_tables/owners.csv"),
    )
    .unwrap();
    std::fs::write(ws.join("lookup_tables/owners.yml"), table("owners.csv")).unwrap();
    let (_, report) = prowl_test(&ws, &[]);
    assert!(
        !local_results(&report)[0].3,
        "the data inside the workspace is joined"
    );
}

#[test]
fn transpile_and_junit_show_what_ran_locally() {
    let spec = match_fixture("passing").join("rules/ml_alert_keys.yml");
    let (code, out, err) = prowl(&["transpile", spec.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("import prowl_match") && out.contains("def rule(event):"),
        "{out}"
    );
    let (code, out, _) = prowl(&["transpile", spec.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 0);
    let json: Value = serde_json::from_str(&out).unwrap();
    assert!(
        json["body"].as_str().unwrap().contains("def title(event):"),
        "{json}"
    );
    assert_eq!(json["problems"], json!([]));
    // A problem is reported at its line.
    let bad = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(bad.path(), "AnalysisType: rule\nRuleID: X\nDetection:\n  - {KeyPath: a, Condition: Equalz, Value: 1}\n").unwrap();
    let (_, _, err) = prowl(&["transpile", bad.path().to_str().unwrap()]);
    assert!(err.contains(":4:") && err.contains("Equalz"), "{err}");
    // JUnit names the suites evaluated locally.
    let out = Command::new(env!("CARGO_BIN_EXE_prowl"))
        .arg("test")
        .arg(match_fixture("failing"))
        .args(["--format", "junit"])
        .env("PROWL_PYTHON_ENV", test_env())
        .output()
        .unwrap();
    let xml = String::from_utf8_lossy(&out.stdout);
    assert!(
        xml.contains("(evaluated locally: correlation rule)"),
        "{xml}"
    );
    assert!(
        xml.contains("(evaluated locally: simple detection)"),
        "{xml}"
    );
}

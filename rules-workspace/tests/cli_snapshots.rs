//! Snapshot tests of `prowl validate`, `list` and `show` on the fixture workspaces: the text a
//! person reads (with lines, columns and source snippets) and the JSON machines read. Paths are
//! normalised to `[WS]`; timings go to stderr and are not snapshotted.

mod common;

use common::*;

fn normalise(text: &str, root: &std::path::Path) -> String {
    text.replace(&root.display().to_string(), "[WS]")
}

#[test]
fn validate_text_and_json_for_every_fixture() {
    for name in fixture_names() {
        let root = fixture(&name);
        let root_arg = root.to_str().expect("utf-8 path");
        let (code, text, _) = prowl(&["validate", root_arg]);
        let (json_code, json, _) = prowl(&["validate", root_arg, "--format", "json"]);
        assert_eq!(code, json_code, "{name}: exit code differs between formats");
        assert_eq!(code, 1, "{name}: every fixture has at least one error");
        let parsed: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
        assert_eq!(parsed["valid"], false);
        insta::assert_snapshot!(format!("validate_text_{name}"), normalise(&text, &root));
        insta::assert_snapshot!(format!("validate_json_{name}"), normalise(&json, &root));
    }
}

#[test]
fn validate_the_demo_workspace_is_clean() {
    let root = demo_base();
    let (code, text, stderr) = prowl(&["validate", root.to_str().unwrap()]);
    assert_eq!(code, 0, "{text}");
    assert!(text.starts_with("valid: 30 items"), "{text}");
    assert!(stderr.contains("checked 30 files"), "{stderr}");
}

#[test]
fn pat_format_prints_pats_invalid_summary_lines() {
    let root = fixture("schema-values");
    let (_, out, _) = prowl(&["validate", root.to_str().unwrap(), "--format", "pat"]);
    let parsed = parse_invalid_summary(&format!("Invalid Tests Summary\n{out}"), &root);
    assert!(
        parsed.iter().any(|(p, m)| p == "rules/enabled_yes.yml"
            && m == "Key 'Enabled' error:\n'yes' should be instance of 'bool'"),
        "{parsed:#?}"
    );
}

#[test]
fn list_and_show_use_the_index() {
    let root = demo_base();
    let root_arg = root.to_str().unwrap();
    let (code, list, _) = prowl(&["list", root_arg, "--type", "datamodel"]);
    assert_eq!(code, 0);
    insta::assert_snapshot!("list_demo_datamodels", list);
    let (code, show, _) = prowl(&[
        "show",
        "Demo.AWS.ConsoleLoginWithoutMFA",
        "--path",
        root_arg,
    ]);
    assert_eq!(code, 0);
    insta::assert_snapshot!("show_demo_console_login_without_mfa", show);
    let (code, json, _) = prowl(&[
        "show",
        "demo_base_helpers",
        "--path",
        root_arg,
        "--format",
        "json",
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let dependents: Vec<&str> = v["dependents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    assert!(
        dependents.contains(&"Demo.AWS.IAM.AccessKeyCreated"),
        "{dependents:?}"
    );
    assert!(dependents.contains(&"demo_aws_helpers"), "{dependents:?}");
}

#[test]
fn filters_select_like_pat() {
    let root = demo_base();
    let (_, out, _) = prowl(&[
        "list",
        root.to_str().unwrap(),
        "--filter",
        "Severity=High,Critical",
        "--filter",
        "LogTypes=AWS.CloudTrail",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let ids: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    // Helpers and data models always pass PAT's filters; detections must match both filters.
    assert!(ids.contains(&"Demo.AWS.RootConsoleLogin"), "{ids:?}");
    assert!(ids.contains(&"demo_base_helpers"), "{ids:?}");
    assert!(!ids.contains(&"Demo.AWS.ConsoleLoginWithoutMFA"), "{ids:?}");
    assert!(!ids.contains(&"Demo.Okta.AdminRoleAssigned"), "{ids:?}");
}

#[test]
fn usage_errors_are_clear_and_exit_2() {
    let (code, _, err) = prowl(&["validate", "/definitely/not/here"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("error: /definitely/not/here: no such directory"),
        "{err}"
    );
    assert!(err.contains("hint:"), "{err}");
    let (code, _, err) = prowl(&["validate", ".", "--filter", "PackID=x"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("Filter key PackID is not a valid filter field"),
        "{err}"
    );
    let root = demo_base();
    let (code, _, err) = prowl(&[
        "show",
        "Demo.AWS.ConsoleLogin",
        "--path",
        root.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("did you mean: Demo.AWS.ConsoleLoginWithoutMFA"),
        "{err}"
    );
}

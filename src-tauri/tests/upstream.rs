//! The Upstream view's commands through the command layer (mock runtime, no window), with real
//! `prowl-worker` processes checking the merged result: the demo's release 2.0 merged, the
//! Threshold conflict shown by the check as conflict markers, resolved for the fork and checked
//! again clean, the deleted rule's proposed answer taken, the merge committed with both
//! parents, undone; a second merge aborted. Alone in its process: it sets the environment the
//! workers are started with.

mod common;

use common::{use_test_environment, Harness};
use serde_json::{json, Value};
use std::path::Path;

const OKTA: &str = "Demo.Okta.BruteForceLogins";
const OKTA_SPEC: &str = "rules/okta_rules/demo_okta_brute_force_logins.yml";
const STOPPED: &str = "Demo.AWS.CloudTrail.Stopped";

fn call(h: &Harness, cmd: &str, args: Value) -> Value {
    h.call(cmd, args)
        .unwrap_or_else(|e| panic!("{cmd} failed: {e}"))
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

fn sorted(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect();
    out.sort();
    out
}

/// The check's entries that have problems, as (id or path, problems).
fn problems(view: &Value) -> Vec<(String, Vec<String>)> {
    view["check"]["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no check: {}", view["check_problem"]))
        .iter()
        .filter(|c| {
            !c["invalid"].as_array().unwrap().is_empty()
                || !c["failing"].as_array().unwrap().is_empty()
        })
        .map(|c| {
            let all = c["invalid"]
                .as_array()
                .unwrap()
                .iter()
                .chain(c["failing"].as_array().unwrap())
                .map(|s| s.as_str().unwrap().to_owned())
                .collect();
            (c["id"].as_str().unwrap().to_owned(), all)
        })
        .collect()
}

#[test]
fn the_demo_release_is_merged_checked_resolved_committed_and_undone() {
    use_test_environment();
    let h = Harness::new();
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    rules_workspace::demo::write_demo(&ws).unwrap();
    git(&ws, &["config", "user.name", "Tester"]);
    git(&ws, &["config", "user.email", "t@prowl.invalid"]);

    // Without a workspace, every command says so.
    h.fails(
        "upstream_view",
        json!({"target": null}),
        "session.no_workspace",
        "no workspace",
    );
    call(&h, "open_workspace", json!({"path": ws}));
    let head = git(&ws, &["rev-parse", "HEAD"]).trim().to_owned();

    // Before the merge: two items need the user.
    let view = call(&h, "upstream_view", json!({"target": null}));
    assert_eq!(view["remote"], "upstream");
    assert_eq!(sorted(&view["open"]), [STOPPED, OKTA]);
    assert!(view["merge"].is_null() && view["check"].is_null());
    let counts = &view["plan"]["counts"];
    assert_eq!(counts["changed_both"], 3, "{counts}");
    assert_eq!(counts["unchanged"], 23, "{counts}");
    // An unknown target: a problem of the plan, not an error of the view.
    let other = call(&h, "upstream_view", json!({"target": "v7"}));
    assert_eq!(other["problem"]["code"], "upstream.unknown_target");
    assert!(other["plan"].is_null());

    // One item's texts, for the three-way view.
    let detail = call(&h, "upstream_item", json!({"id": OKTA, "target": null}));
    assert_eq!(detail["item"]["conflicts"][0]["path"], "Threshold");
    let texts = &detail["texts"]["spec"];
    assert!(texts["ours"].as_str().unwrap().contains("Threshold: 20"));
    assert!(texts["theirs"].as_str().unwrap().contains("Threshold: 10"));
    assert!(texts["result"].as_str().unwrap().contains("<<<<<<< fork"));
    h.fails(
        "upstream_item",
        json!({"id": "No.Such", "target": null}),
        "upstream.unknown_item",
        "No.Such",
    );

    // Fetch: progress on the channel, the releases in the view.
    let fetched = call(
        &h,
        "upstream_fetch",
        json!({"target": null, "onProgress": "__CHANNEL__:1"}),
    );
    assert_eq!(fetched["done"]["kind"], "fetched");
    assert!(fetched["view"]["releases"]
        .as_array()
        .unwrap()
        .contains(&json!("v2.0.0")));

    // The merge: written, checked by the workers (the conflicting spec cannot load).
    let merged = call(
        &h,
        "upstream_merge",
        json!({"target": null, "stash": false}),
    );
    assert_eq!(merged["done"]["kind"], "merged");
    let view = &merged["view"];
    assert!(view["check_problem"].is_null(), "{}", view["check_problem"]);
    assert_eq!(view["markers"], json!([OKTA_SPEC]));
    let bad = problems(view);
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert_eq!(bad[0].0, OKTA_SPEC);
    assert!(bad[0].1[0].contains("conflict markers"), "{bad:?}");
    let tests: u64 = view["check"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["tests"].as_u64().unwrap())
        .sum();
    assert!(tests > 10, "{tests}");
    h.fails(
        "upstream_commit",
        json!({"message": null}),
        "upstream.unresolved",
        "still need a decision",
    );

    // The fork's threshold: the spec loads again and its tests pass.
    h.fails(
        "upstream_resolve",
        json!({"id": OKTA, "take": null, "keys": null}),
        "upstream.no_side",
        OKTA,
    );
    let resolved = call(
        &h,
        "upstream_resolve",
        json!({"id": OKTA, "take": null, "keys": {"Threshold": "ours"}}),
    );
    assert_eq!(resolved["done"], json!({"kind": "resolved", "id": OKTA}));
    let view = &resolved["view"];
    assert_eq!(view["open"], json!([STOPPED]));
    assert!(problems(view).is_empty(), "{:?}", problems(view));
    let okta = view["check"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == OKTA)
        .expect("the resolved item checked");
    assert!(okta["tests"].as_u64().unwrap() >= 3, "{okta}");
    let spec = std::fs::read_to_string(ws.join(OKTA_SPEC)).unwrap();
    assert!(spec.contains("Threshold: 20 # Acme"), "{spec}");

    let accepted = call(&h, "upstream_accept_proposed", json!({}));
    assert_eq!(
        accepted["done"],
        json!({"kind": "accepted", "decisions": 1})
    );
    assert_eq!(accepted["view"]["open"], json!([]));

    let committed = call(&h, "upstream_commit", json!({"message": null}));
    assert_eq!(committed["done"]["kind"], "committed");
    let commit = committed["done"]["committed"]["commit"].as_str().unwrap();
    assert_eq!(committed["view"]["undo"], commit);
    assert!(committed["view"]["check"].is_null());
    let parents = git(&ws, &["log", "-1", "--format=%P"]);
    assert_eq!(parents.split_whitespace().count(), 2, "{parents}");
    assert!(parents.starts_with(&head), "{parents}");
    assert!(git(&ws, &["status", "--porcelain"]).trim().is_empty());
    // The workspace the window shows is the merged one.
    let items = call(&h, "workspace_view", json!({}))["items"].clone();
    let ids: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"Demo.AWS.CloudTrail.LoggingTampered"));
    assert!(!ids.contains(&STOPPED));

    let undone = call(&h, "upstream_undo", json!({}));
    assert_eq!(undone["done"]["kind"], "undone");
    assert_eq!(git(&ws, &["rev-parse", "HEAD"]).trim(), head);
    assert!(undone["view"]["undo"].is_null());

    // A second merge, aborted: the fork as it was.
    let before = std::fs::read_to_string(ws.join(OKTA_SPEC)).unwrap();
    call(
        &h,
        "upstream_merge",
        json!({"target": null, "stash": false}),
    );
    h.fails(
        "upstream_merge",
        json!({"target": null, "stash": false}),
        "upstream.in_progress",
        "in progress",
    );
    let aborted = call(&h, "upstream_abort", json!({}));
    assert_eq!(aborted["done"]["kind"], "aborted");
    assert!(aborted["view"]["merge"].is_null());
    assert_eq!(std::fs::read_to_string(ws.join(OKTA_SPEC)).unwrap(), before);
    assert!(git(&ws, &["status", "--porcelain"]).trim().is_empty());

    // The remote's URL: set from the window.
    let set = call(&h, "upstream_set_remote", json!({"url": "/no/such/repo"}));
    assert_eq!(set["view"]["url"], "/no/such/repo");
    h.fails(
        "upstream_fetch",
        json!({"target": null, "onProgress": "__CHANNEL__:1"}),
        "upstream.fetch",
        "fetching `upstream` failed",
    );
    call(&h, "cancel_upstream_fetch", json!({}));
}

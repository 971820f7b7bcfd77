//! The Replay view's commands through the command layer (mock runtime, no window), with real
//! `prowl-worker` processes: the demo's `sample_logs/` replayed, an alert's kept events read,
//! one made into a unit test and applied to its spec through `edit_tests` and `save_file`, as
//! the window does. Alone in its process: it sets the environment the workers are started with.

mod common;

use common::{use_test_environment, Harness};
use serde_json::{json, Value};

fn call(h: &Harness, cmd: &str, args: Value) -> Value {
    h.call(cmd, args)
        .unwrap_or_else(|e| panic!("{cmd} failed: {e}"))
}

#[test]
fn replaying_the_demo_logs_gives_its_alerts_and_an_event_becomes_a_unit_test() {
    use_test_environment();
    let h = Harness::new();
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    rules_workspace::demo::write_demo(&ws).unwrap();

    // Before any replay, and without a workspace.
    h.fails(
        "replay_events",
        json!({"alert": 0}),
        "replay.nothing_replayed",
        "no replay",
    );
    call(&h, "open_workspace", json!({"path": ws}));
    let root = std::fs::canonicalize(&ws).unwrap();
    assert_eq!(
        call(&h, "replay_sources", json!({})),
        json!([root.join("sample_logs")])
    );

    // Bad requests are clear errors.
    h.fails(
        "run_replay",
        json!({"sources": [], "filter": null, "onProgress": "__CHANNEL__:1"}),
        "replay.no_sources",
        "no log file",
    );
    h.fails(
        "run_replay",
        json!({"sources": ["no_such_logs"], "filter": null, "onProgress": "__CHANNEL__:1"}),
        "replay.source_not_found",
        "no_such_logs",
    );
    h.fails(
        "run_replay",
        json!({"sources": ["sample_logs"], "filter": ["AnalysisType=policy"], "onProgress": "__CHANNEL__:1"}),
        "replay.nothing_to_replay",
        "nothing to replay",
    );

    // The demo's logs (a path relative to the workspace): 26 alerts (25 from Python rules, 1 from the Simple Detection), as `prowl replay` gives.
    let view = call(
        &h,
        "run_replay",
        json!({"sources": ["sample_logs"], "filter": null, "onProgress": "__CHANNEL__:2"}),
    );
    let report = &view["report"];
    assert_eq!(report["alerts_total"], 26, "{report}");
    assert_eq!(report["read"]["events"], 2691);
    assert_eq!(report["cancelled"], false);
    assert_eq!(report["alerts"].as_array().unwrap().len(), 26);
    assert_eq!(view["kept"]["alerts"], 200);
    assert_eq!(view["sources"], json!([root.join("sample_logs")]));

    // The Okta brute-force alert of j.doe: its first events are kept, each with the JSON the
    // rule saw.
    let alert = report["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["dedup"].as_str().unwrap_or("").contains("j.doe"))
        .unwrap_or_else(|| panic!("no alert for j.doe in {report}"));
    let id = alert["id"].as_u64().unwrap();
    let events = call(&h, "replay_events", json!({"alert": id}));
    assert_eq!(events["kept"], true);
    assert_eq!(events["detection"], alert["detection"]);
    let kept = events["events"].as_array().unwrap();
    assert_eq!(kept.len() as u64, alert["events"].as_u64().unwrap().min(20));
    let first = &kept[0];
    assert!(first["origin"]
        .as_str()
        .unwrap()
        .contains("okta_systemlog.jsonl:"));
    assert_eq!(first["event"]["p_log_type"], "Okta.SystemLog");
    assert!(first["event"]["p_row_id"].is_string());

    // Made into a unit test and applied to the detection's spec as the window does: the edit
    // through `edit_tests`, the text saved with its stamp through `save_file`.
    let made = call(
        &h,
        "replay_event_test",
        json!({"alert": id, "index": 0, "name": "", "expected": true}),
    );
    assert_eq!(made["detection"], alert["detection"]);
    let test = &made["edit"]["test"];
    assert_eq!(made["edit"]["kind"], "add");
    assert_eq!(test["Name"], first["test_name"]);
    assert!(test["Log"].get("p_row_id").is_none(), "{test}");
    let spec = report["detections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == alert["detection"])
        .unwrap()["spec_path"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = ws.join(&spec);
    let before = call(&h, "read_file", json!({"path": path}));
    let tests_before = call(&h, "list_tests", json!({"text": before["text"]}));
    let edited = call(
        &h,
        "edit_tests",
        json!({"text": before["text"], "edit": made["edit"]}),
    );
    call(
        &h,
        "save_file",
        json!({"path": path, "text": edited["text"], "stamp": before["stamp"]}),
    );
    let on_disk = std::fs::read_to_string(&path).unwrap();
    let tests_after = call(&h, "list_tests", json!({"text": on_disk}));
    let after = tests_after.as_array().unwrap();
    assert_eq!(after.len(), tests_before.as_array().unwrap().len() + 1);
    let added = after.last().unwrap();
    assert_eq!(added["name"], first["test_name"]);
    assert_eq!(added["expected"], true);
    assert_eq!(added["event"]["p_log_type"], "Okta.SystemLog");
    // Only lines were added: the old text is the new one's start.
    assert!(on_disk.starts_with(before["text"].as_str().unwrap().trim_end()));

    // An event not kept is a clear error.
    h.fails(
        "replay_event_test",
        json!({"alert": id, "index": 999, "name": "x", "expected": true}),
        "replay.no_such_event",
        "999",
    );
}

#[test]
fn a_cancelled_replay_reports_what_was_done() {
    use_test_environment();
    let h = Harness::new();
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    rules_workspace::demo::write_demo(&ws).unwrap();
    call(&h, "open_workspace", json!({"path": ws}));
    // Cancelled before it starts reading: the flag is reset at the start, so cancel from
    // another thread once the replay is under way.
    let app = h.app.handle().clone();
    let stopper = std::thread::spawn(move || {
        use tauri::Manager;
        let shared = std::sync::Arc::clone(
            &app.state::<prowl_desktop::AppState<tauri::test::MockRuntime>>()
                .shared,
        );
        // Wait until the replay holds the session, then stop it.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while shared.try_session().is_some() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        shared.cancel_replay();
    });
    let view = call(
        &h,
        "run_replay",
        json!({"sources": ["sample_logs"], "filter": null, "onProgress": "__CHANNEL__:3"}),
    );
    stopper.join().unwrap();
    let report = &view["report"];
    assert_eq!(report["cancelled"], true, "{report}");
    assert!(
        report["read"]["events"].as_u64().unwrap() < 2691,
        "{report}"
    );
}

#[test]
fn impact_shows_what_a_threshold_edit_does_against_the_last_commit() {
    use_test_environment();
    let h = Harness::new();
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    rules_workspace::demo::write_demo(&ws).unwrap();
    call(&h, "open_workspace", json!({"path": ws}));

    // Nothing edited: the same alerts on both sides.
    let same = call(
        &h,
        "replay_impact",
        json!({"sources": ["sample_logs"], "filter": null, "onProgress": "__CHANNEL__:1"}),
    );
    let impact = &same["impact"];
    assert_eq!(impact["alerts_before"], 26, "{impact}");
    assert_eq!(impact["alerts_after"], 26);
    assert_eq!(impact["detections"], json!([]));
    assert_eq!(same["events"], 2691);
    let (head, _) = rules_workspace::fork::Repo::discover(&ws)
        .unwrap()
        .resolve_commit("HEAD")
        .unwrap();
    assert_eq!(impact["commit"], head);

    // The fork's brute-force threshold (20 failed logins) lowered to 5, not committed: that
    // detection gains alerts, no other moves.
    // Saved as the window saves.
    let spec = ws.join("rules/okta_rules/demo_okta_brute_force_logins.yml");
    let before = call(&h, "read_file", json!({"path": spec}));
    let text = before["text"].as_str().unwrap();
    assert!(text.contains("Threshold: 20"), "{text}");
    call(
        &h,
        "save_file",
        json!({"path": spec, "text": text.replace("Threshold: 20", "Threshold: 5"), "stamp": before["stamp"]}),
    );
    let edited = call(
        &h,
        "replay_impact",
        json!({"sources": ["sample_logs"], "filter": ["LogTypes=Okta.SystemLog"], "onProgress": "__CHANNEL__:2"}),
    );
    let impact = &edited["impact"];
    let moved = impact["detections"].as_array().unwrap();
    assert_eq!(moved.len(), 1, "{impact}");
    let d = &moved[0];
    assert_eq!(d["id"], "Demo.Okta.BruteForceLogins");
    assert_eq!(d["alerts_before"], 0);
    assert!(d["alerts_after"].as_u64().unwrap() > 0, "{d}");
    assert_eq!(d["added"], d["alerts_after"]);
    assert_eq!(d["matches_before"], d["matches_after"]);
    assert!(d["examples"][0]["before"].is_null());
    // The working tree was only read.
    assert!(std::fs::read_to_string(&spec)
        .unwrap()
        .contains("Threshold: 5"));
}

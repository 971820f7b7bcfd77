//! Workspace trust through `prowl trust`: remembered per folder in the config folder (owner-only,
//! no credentials), covering what is inside, lapsing when the git origin changes, revoked; and
//! what it decides: `PROWL_SANDBOX=off` runs a trusted workspace's code outside the sandbox and
//! is ignored, with a note, for an untrusted one.

mod common;

use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        Home {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    fn folder(&self, name: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::create_dir_all(&p).unwrap();
        std::fs::canonicalize(p).unwrap()
    }

    fn prowl(&self, args: &[&str]) -> (i32, String, String) {
        let out = self.command(args).output().expect("run prowl");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_prowl"));
        cmd.args(args)
            .env("PROWL_CONFIG", self.config())
            .env("NO_COLOR", "1")
            .env_remove("PROWL_TRUST");
        cmd
    }

    fn status(&self, path: &Path) -> Value {
        let (code, out, err) = self.prowl(&[
            "trust",
            "--status",
            "--format",
            "json",
            path.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{err}");
        serde_json::from_str(&out).unwrap()
    }
}

fn git(dir: &Path, args: &[&str]) {
    rules_workspace::testkit::git(dir, args);
}

#[test]
fn trust_is_remembered_per_folder_covers_inside_and_is_revoked() {
    let home = Home::new();
    let ws = home.folder("fork");
    let inner = home.folder("fork/packs-wip");

    let status = home.status(&ws);
    assert_eq!(status["trusted"], false, "{status}");
    assert_eq!(status["reason"]["kind"], "not_trusted");
    let (_, text, _) = home.prowl(&["trust", "--status", ws.to_str().unwrap()]);
    assert!(
        text.contains("not trusted: its code runs only in the sandbox"),
        "{text}"
    );

    let (code, out, err) = home.prowl(&["trust", ws.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&format!("trusted: {}", ws.display())), "{out}");
    assert!(out.contains("--revoke"), "says how to undo it: {out}");
    let status = home.status(&ws);
    assert_eq!(status["trusted"], true);
    assert_eq!(status["reason"]["kind"], "folder");
    // What is inside a trusted folder is trusted by it.
    let status = home.status(&inner);
    assert_eq!(status["trusted"], true);
    assert_eq!(status["folder"], ws.to_str().unwrap());

    // The store is the owner's only.
    let store = home.config().join("trust.json");
    let mode = std::fs::metadata(&store).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{mode:o}");
    let (_, listed, _) = home.prowl(&["trust", "--list"]);
    assert_eq!(listed.trim(), ws.to_str().unwrap());

    let (code, out, err) = home.prowl(&["trust", "--revoke", ws.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("no longer trusted"), "{out}");
    assert_eq!(home.status(&ws)["trusted"], false);
    assert_eq!(home.status(&inner)["trusted"], false);
    let (_, listed, _) = home.prowl(&["trust", "--list"]);
    assert_eq!(listed.trim(), "no trusted folders");

    // PROWL_TRUST=1 is CI's way: trusted for that command, nothing stored.
    let out = home
        .command(&[
            "trust",
            "--status",
            "--format",
            "json",
            ws.to_str().unwrap(),
        ])
        .env("PROWL_TRUST", "1")
        .output()
        .unwrap();
    let status: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["reason"]["kind"], "environment");
    assert_eq!(home.status(&ws)["trusted"], false);
}

#[test]
fn trust_lapses_when_the_origin_changes_and_never_keeps_credentials() {
    let home = Home::new();
    let ws = home.folder("clone");
    git(&ws, &["init", "-q"]);
    git(
        &ws,
        &[
            "remote",
            "add",
            "origin",
            "https://alice:s3cret-token@git.example.invalid/acme/rules.git",
        ],
    );
    let (code, out, err) = home.prowl(&["trust", ws.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("a clone of https://git.example.invalid/acme/rules.git"),
        "{out}"
    );
    assert!(!out.contains("s3cret"), "{out}");
    let stored = std::fs::read_to_string(home.config().join("trust.json")).unwrap();
    assert!(!stored.contains("s3cret"), "{stored}");
    assert!(
        stored.contains("https://git.example.invalid/acme/rules.git"),
        "{stored}"
    );
    assert_eq!(home.status(&ws)["trusted"], true);

    // Somebody else's repository now sits at the same path.
    git(
        &ws,
        &[
            "remote",
            "set-url",
            "origin",
            "https://git.example.invalid/mallory/rules.git",
        ],
    );
    let status = home.status(&ws);
    assert_eq!(status["trusted"], false, "{status}");
    assert_eq!(status["reason"]["kind"], "origin_changed");
    assert_eq!(
        status["reason"]["now"],
        "https://git.example.invalid/mallory/rules.git"
    );
    let (_, text, _) = home.prowl(&["trust", "--status", ws.to_str().unwrap()]);
    assert!(text.contains("no longer trusted"), "{text}");

    // Trusting it again remembers the new origin.
    home.prowl(&["trust", ws.to_str().unwrap()]);
    assert_eq!(home.status(&ws)["trusted"], true);
}

/// A rule that alerts when it can read a file outside the workspace.
fn peeking_workspace(root: &Path, canary: &Path) {
    std::fs::create_dir_all(root.join("rules")).unwrap();
    std::fs::write(
        root.join("rules/peek.py"),
        "def rule(event):\n    try:\n        with open(event['path']) as f:\n            return f.read().startswith('canary')\n    except OSError:\n        return False\n",
    )
    .unwrap();
    std::fs::write(
        root.join("rules/peek.yml"),
        format!(
            "AnalysisType: rule\nFilename: peek.py\nRuleID: Trust.Peek\nEnabled: true\nLogTypes: [Custom.Trust]\nSeverity: Low\nTests:\n  - Name: reads a file outside the workspace\n    ExpectedResult: true\n    Log: {{path: \"{}\"}}\n",
            canary.display()
        ),
    )
    .unwrap();
}

#[test]
fn an_untrusted_workspace_stays_in_the_sandbox_even_when_asked_out() {
    let env = common::test_env();
    let home = Home::new();
    let ws = home.folder("peek");
    let user_home = home.folder("user-home");
    let canary = user_home.join("notes.txt");
    std::fs::write(&canary, "canary: the user's private notes\n").unwrap();
    peeking_workspace(&ws, &canary);

    let run = || {
        let out = home
            .command(&["test", ".", "--format", "json"])
            .current_dir(&ws)
            .env("HOME", &user_home)
            .env("PROWL_CACHE", common::cache_dir())
            .env("PROWL_PYTHON_ENV", &env)
            .env("PROWL_WORKER_EXE", env!("CARGO_BIN_EXE_prowl"))
            .env("PROWL_SANDBOX", "off")
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
        (report, String::from_utf8_lossy(&out.stderr).into_owned())
    };

    // Untrusted: asking for no sandbox changes nothing, and says so.
    let (report, stderr) = run();
    assert!(stderr.contains("PROWL_SANDBOX=off is ignored"), "{stderr}");
    assert_eq!(
        report["summary"]["failed"], 1,
        "the read was refused: {report}"
    );

    // Trusted: the user's own code may run outside it when asked.
    let (code, _, err) = home.prowl(&["trust", ws.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let (report, stderr) = run();
    assert!(!stderr.contains("is ignored"), "{stderr}");
    assert_eq!(report["summary"]["passed"], 1, "{report}");
}

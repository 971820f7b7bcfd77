//! The sandbox workers of workspace code run in, against detections of our own that attack the
//! user (`tests/fixtures/sandbox`): a connection to a server this test listens with on loopback
//! (it receives nothing), a private key read and a canary written in a home folder of the
//! test's (refused, unchanged), a program and a shell command started (refused), `execve`
//! through ctypes (refused), a token in Prowl's own environment (not in the worker's), and a
//! detection that never returns and leaves a child process made behind Python's back (both gone
//! after the time limit). Each attempt is recorded with the workspace line that made it; a
//! benign detection beside them passes. Alone in its process: it sets the environment.

mod common;

use rules_workspace::testkit::copy_dir;
use serde_json::Value;
use std::io::Read;
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

fn processes_mentioning(needle: &str) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        let text = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if text.contains(needle) && !stat.contains(") Z ") {
            out.push(format!("{name}: {text}"));
        }
    }
    out
}

/// (kind, `file name:line`) of a test result's recorded attempts.
fn attempts(result: &Value) -> Vec<(String, String)> {
    result["attempts"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| {
            let file = Path::new(a["file"].as_str().unwrap_or(""))
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            (
                a["kind"].as_str().unwrap_or("").to_owned(),
                format!("{file}:{}", a["line"]),
            )
        })
        .collect()
}

fn kinds_and_places(detection: &Value, test: &str) -> Vec<(String, String)> {
    let result = detection["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == test)
        .unwrap_or_else(|| panic!("no test {test} in {detection}"));
    attempts(result)
}

#[test]
fn hostile_detections_are_blocked_recorded_and_contained() {
    let env = common::test_env();
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("hostile-pack");
    copy_dir(&common::tests_dir().join("fixtures/sandbox"), &ws);
    let home = dir.path().join("home");
    std::fs::create_dir_all(home.join(".ssh")).unwrap();
    std::fs::write(
        home.join(".ssh/id_rsa"),
        "-----BEGIN OPENSSH PRIVATE KEY-----\n",
    )
    .unwrap();
    std::fs::write(home.join("canary.txt"), "original\n").unwrap();
    let files = ws.join("rules/files.yml");
    let text = std::fs::read_to_string(&files).unwrap();
    std::fs::write(&files, text.replace("/HOME", home.to_str().unwrap())).unwrap();

    // A server on loopback that records whatever reaches it.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let network = ws.join("rules/network.yml");
    let text = std::fs::read_to_string(&network).unwrap();
    std::fs::write(&network, text.replace("port: 9", &format!("port: {port}"))).unwrap();

    let out = Command::new(env!("CARGO_BIN_EXE_prowl"))
        .args(["test", ".", "--format", "json", "--timeout", "3"])
        .current_dir(&ws)
        .env("HOME", &home)
        .env("PROWL_CACHE", common::cache_dir())
        .env("PROWL_PYTHON_ENV", &env)
        .env("PROWL_WORKER_EXE", env!("CARGO_BIN_EXE_prowl"))
        .env("PANTHER_API_TOKEN", "tok-do-not-leak")
        .env("AWS_SECRET_ACCESS_KEY", "aws-do-not-leak")
        .env_remove("PROWL_SANDBOX")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);

    // Nothing reached the server.
    let mut received = Vec::new();
    if let Ok((mut conn, _)) = listener.accept() {
        let _ = conn.set_read_timeout(Some(Duration::from_millis(200)));
        let _ = conn.read_to_end(&mut received);
        panic!("a detection connected to the server and sent {received:?}");
    }
    // The user's files are as they were, and nothing was planted.
    assert_eq!(
        std::fs::read_to_string(home.join("canary.txt")).unwrap(),
        "original\n"
    );
    assert_eq!(
        std::fs::read_dir(&home).unwrap().count(),
        2,
        "nothing new in the home folder"
    );

    let doc: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    let by_id = |id: &str| -> &Value {
        doc["detections"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["id"] == id)
            .unwrap_or_else(|| panic!("no {id} in {doc}"))
    };
    let passed = |id: &str| {
        let d = by_id(id);
        assert!(d["setup_error"].is_null(), "{id}: {d}");
        for r in d["results"].as_array().unwrap() {
            assert_eq!(r["passed"], true, "{id}: the attack was not blocked: {r}");
        }
    };
    for id in [
        "Sandbox.Benign",
        "Sandbox.Files",
        "Sandbox.Native",
        "Sandbox.Network",
        "Sandbox.Processes",
        "Sandbox.Secrets",
    ] {
        passed(id);
    }
    // Recorded, each with its kind and the workspace line that made it.
    let has = |id: &str, test: &str, kind: &str, place: &str| {
        let found = kinds_and_places(by_id(id), test);
        assert!(
            found.iter().any(|(k, p)| k == kind && p == place),
            "{id} / {test}: no {kind} attempt at {place} in {found:?}"
        );
    };
    has(
        "Sandbox.Network",
        "cannot connect to the listening server",
        "network",
        "network.py:7",
    );
    has(
        "Sandbox.Files",
        "cannot read the private key",
        "file",
        "files.py:9",
    );
    has(
        "Sandbox.Files",
        "cannot write into the home folder",
        "file",
        "files.py:6",
    );
    has(
        "Sandbox.Processes",
        "cannot start a program",
        "process",
        "processes.py:10",
    );
    has(
        "Sandbox.Processes",
        "cannot run a shell command",
        "process",
        "processes.py:9",
    );
    has(
        "Sandbox.Native",
        "cannot execve through ctypes",
        "native code",
        "native.py:8",
    );
    has(
        "Sandbox.Secrets",
        "the user's token is not in the worker's environment",
        "environment",
        "secrets.py:6",
    );
    assert!(
        kinds_and_places(by_id("Sandbox.Benign"), "a console login alerts").is_empty(),
        "a benign detection records nothing"
    );
    // The runaway detection was stopped at the time limit, with its child.
    let runaway = by_id("Sandbox.Runaway");
    assert!(
        runaway["setup_error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("did not answer within 3.0 s"),
        "{runaway}"
    );
    let left = processes_mentioning(ws.to_str().unwrap());
    assert!(left.is_empty(), "processes left running: {left:?}");
    // Nothing of the tokens in any answer.
    assert!(!stdout.contains("tok-do-not-leak") && !stdout.contains("aws-do-not-leak"));
    // The terminal report (text) lists the attempts after PAT's report.
    let text = Command::new(env!("CARGO_BIN_EXE_prowl"))
        .args(["test", ".", "--filter", "RuleID=Sandbox.Network"])
        .current_dir(&ws)
        .env("HOME", &home)
        .env("PROWL_CACHE", common::cache_dir())
        .env("PROWL_PYTHON_ENV", &env)
        .env("PROWL_WORKER_EXE", env!("CARGO_BIN_EXE_prowl"))
        .env_remove("PROWL_SANDBOX")
        .output()
        .unwrap();
    let text_err = String::from_utf8_lossy(&text.stderr);
    assert!(
        text_err.contains("Prowl: workspace code tried"),
        "{text_err}"
    );
    assert!(text_err.contains("rules/network.py:7"), "{text_err}");
    assert_eq!(text.status.code(), Some(0), "{text_err}");
}

#[test]
fn each_workspace_has_its_own_bytecode_cache() {
    let env = common::test_env();
    let dir = tempfile::tempdir().unwrap();
    let mut caches = Vec::new();
    for name in ["one", "two"] {
        let ws = dir.path().join(name);
        copy_dir(&common::tests_dir().join("fixtures/sandbox"), &ws);
        for r in [
            "network",
            "files",
            "processes",
            "native",
            "secrets",
            "runaway",
        ] {
            std::fs::remove_file(ws.join(format!("rules/{r}.yml"))).unwrap();
        }
        let out = Command::new(env!("CARGO_BIN_EXE_prowl"))
            .args(["test", "."])
            .current_dir(&ws)
            .env("PROWL_CACHE", dir.path().join("cache"))
            .env("PROWL_PYTHON_ENV", &env)
            .env("PROWL_WORKER_EXE", env!("CARGO_BIN_EXE_prowl"))
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let key = rules_workspace::env::workspace_key(&std::fs::canonicalize(&ws).unwrap());
        let cache = dir.path().join("cache/pycache").join(key);
        assert!(cache.is_dir(), "{cache:?}");
        caches.push(cache);
    }
    assert_ne!(caches[0], caches[1]);
    // The second workspace's bytecode is not in the first one's cache: one cannot plant a
    // `.pyc` the other would load.
    let mut found = Vec::new();
    let mut stack = vec![caches[0].clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                found.push(e.path());
            }
        }
    }
    assert!(!found.is_empty());
    assert!(
        found.iter().all(|p| !p.to_string_lossy().contains("/two/")),
        "{found:?}"
    );
}

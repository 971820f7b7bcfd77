//! Shared helpers for the integration tests: fixture paths, running `prowl` and PAT.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository's `tests/` folder.
pub fn tests_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests")
}

/// A fixture workspace by name.
pub fn fixture(name: &str) -> PathBuf {
    let p = tests_dir().join("fixtures/workspaces").join(name);
    std::fs::canonicalize(&p).unwrap_or(p)
}

/// The names of every fixture workspace.
pub fn fixture_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(tests_dir().join("fixtures/workspaces"))
        .expect("tests/fixtures/workspaces exists")
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The demo workspace's release-1.0 tree.
pub fn demo_base() -> PathBuf {
    std::fs::canonicalize(Path::new(env!("CARGO_MANIFEST_DIR")).join("demo/base"))
        .expect("demo/base exists")
}

/// Runs the `prowl` binary; returns (exit code, stdout, stderr).
pub fn prowl(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_prowl"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run prowl");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// PAT's executable: `$PROWL_PAT`, else the setup script's default location.
pub fn pat_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("PROWL_PAT") {
        return PathBuf::from(p);
    }
    let cache = std::env::var_os("PROWL_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/prowl")
        });
    let p = cache.join("pat-1.6.3/bin/pat");
    assert!(
        p.exists(),
        "PAT 1.6.3 is needed for the differential tests and was not found at {}.\nhint: run `bash tests/run-all.sh` once (it installs PAT from PyPI), or set PROWL_PAT",
        p.display()
    );
    p
}

/// The result of `pat test --path .` in a folder.
#[derive(Debug)]
pub struct PatRun {
    pub exit: i32,
    pub stdout: String,
    pub stderr: String,
    /// (spec path relative to the workspace, message) from "Invalid Tests Summary".
    pub invalid: Vec<(String, String)>,
}

/// Runs PAT's `test` from the workspace root, as a user would.
pub fn run_pat(root: &Path, extra: &[&str]) -> PatRun {
    let out = Command::new(pat_binary())
        .arg("--skip-version-check")
        .args(["test", "--path", "."])
        .args(extra)
        .current_dir(root)
        .output()
        .expect("run PAT");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let invalid = parse_invalid_summary(&stdout, root);
    PatRun {
        exit: out.status.code().unwrap_or(-1),
        stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        invalid,
    }
}

/// Parses PAT's "Invalid Tests Summary": `\t<abs path>` then `\t\t<message>` (which may run on
/// over several untabbed lines), entries separated by a blank line.
pub fn parse_invalid_summary(stdout: &str, root: &Path) -> Vec<(String, String)> {
    let Some(start) = stdout.find("Invalid Tests Summary\n") else {
        return Vec::new();
    };
    let body = &stdout[start + "Invalid Tests Summary\n".len()..];
    let body = body
        .split("\n--------------------------")
        .next()
        .unwrap_or(body);
    let root_text = format!("{}/", root.display());
    let mut out: Vec<(String, String)> = Vec::new();
    let mut current: Option<(String, Vec<String>)> = None;
    for line in body.lines() {
        if let Some(path) = line
            .strip_prefix('\t')
            .filter(|l| !l.starts_with('\t') && l.starts_with('/'))
        {
            if let Some((p, m)) = current.take() {
                out.push((p, m.join("\n").trim_end().to_owned()));
            }
            current = Some((
                path.strip_prefix(&root_text).unwrap_or(path).to_owned(),
                Vec::new(),
            ));
        } else if let Some((_, msg)) = current.as_mut() {
            msg.push(line.strip_prefix("\t\t").unwrap_or(line).to_owned());
        }
    }
    if let Some((p, m)) = current.take() {
        out.push((p, m.join("\n").trim_end().to_owned()));
    }
    out
}

/// Prowl speaks PAT 1.7.0, which knows `scheduled_prompt` and `DatabricksQuery`; PAT 1.6.3's
/// messages list the same choices without them. Maps Prowl's text to 1.6.3's wording.
pub fn pat_1_6_3_wording(text: &str) -> String {
    let trailing_newline = text.ends_with('\n');
    let mut out = text
        .replace(", 'DatabricksQuery')", ")")
        .replace(", 'scheduled_prompt')", ")")
        .replace(", 'scheduled_prompt']", "]")
        .lines()
        .filter(|l| !l.starts_with("'scheduled_prompt' does not match "))
        .collect::<Vec<_>>()
        .join("\n");
    if trailing_newline {
        out.push('\n');
    }
    out
}

/// The repository root.
pub fn repo() -> PathBuf {
    std::fs::canonicalize(Path::new(env!("CARGO_MANIFEST_DIR")).join("..")).unwrap()
}

/// Prowl's cache folder as the setup script makes it (`$PROWL_CACHE`, else `~/.cache/prowl`).
pub fn cache_dir() -> PathBuf {
    std::env::var_os("PROWL_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/prowl")
        })
}

/// A managed Python environment shared by the tests (the fixtures declare no packages, so one
/// environment serves them all), synced through `prowl env sync` (a no-op when up to date).
///
/// `PROWL_INSTALLER=pip` (with its own `PROWL_PYTHON_ENV`) makes it with pip instead of uv, and
/// checks that pip made it: the test command runs the PAT differential on both.
pub fn test_env() -> PathBuf {
    let cache = cache_dir();
    let env = std::env::var_os("PROWL_PYTHON_ENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| cache.join("test-env"));
    // One shared environment: the fixtures declare no packages, so they need the same one.
    let out = Command::new(env!("CARGO_BIN_EXE_prowl"))
        .args(["env", "sync"])
        .arg(repo().join("tests/fixtures/engine/mocks"))
        .env("PROWL_PYTHON_ENV", &env)
        .output()
        .expect("run prowl env sync");
    assert!(
        out.status.success(),
        "prowl env sync failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    if std::env::var("PROWL_INSTALLER").as_deref() == Ok("pip") {
        let manifest = std::fs::read_to_string(env.join("prowl-env.json")).unwrap_or_default();
        assert!(
            manifest.contains("\"installer\": \"pip "),
            "PROWL_INSTALLER=pip, yet the test environment was made otherwise:\n{manifest}"
        );
    }
    env
}

/// For a test alone in its process: workers of this process use the shared test environment
/// and the `prowl` binary under test (process-wide variables, so nothing may race them); then
/// a copy of the demo workspace in a temporary folder (returned with the folder that holds it).
pub fn demo_with_workers() -> (tempfile::TempDir, PathBuf) {
    let env = test_env();
    std::env::set_var("PROWL_PYTHON_ENV", &env);
    std::env::set_var("PROWL_WORKER_EXE", env!("CARGO_BIN_EXE_prowl"));
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    rules_workspace::demo::write_demo(&ws).unwrap();
    (dir, ws)
}

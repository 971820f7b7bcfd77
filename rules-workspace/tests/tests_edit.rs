//! `prowl tests list` and `prowl tests edit` on spec files in temporary folders: the printed
//! text, `--write` (atomic, permissions kept, nothing left behind), `git diff` showing only the
//! edited test's lines, and refused edits that change nothing. `git` runs without the
//! developer's own config.

mod common;

use common::prowl;
use rules_workspace::testkit::git;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const SPEC: &str = r#"AnalysisType: rule
Filename: aws_console_login_without_mfa.py
RuleID: AWS.Console.LoginWithoutMFA
Enabled: true
LogTypes:
  - AWS.CloudTrail
Severity: High
Tests:
  # No MFA: alert.
  - Name: Login Without MFA
    ExpectedResult: true
    Log:
      eventName: ConsoleLogin
      additionalEventData:
        MFAUsed: "No"

  - Name: 'Login With MFA'  # quiet
    ExpectedResult: false
    Log:
      eventName: ConsoleLogin
# Keep the runbook short.
Runbook: Ask the user whether they logged in.
"#;

const NEW_TEST: &str = r#"
  - Name: Root login
    ExpectedResult: true
    Log:
      eventName: ConsoleLogin
      userIdentity:
        type: Root
"#;

const ADD: &str = r#"{"kind": "add", "test": {"Name": "Root login", "ExpectedResult": true, "Log": {"eventName": "ConsoleLogin", "userIdentity": {"type": "Root"}}}}"#;

/// A fresh folder with the spec at `rules/login.yml`.
fn workspace(name: &str) -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("prowl-tests-edit-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("rules")).unwrap();
    let spec = dir.join("rules/login.yml");
    std::fs::write(&spec, SPEC).unwrap();
    (dir, spec)
}

fn arg(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// The spec with the new test added after the last one.
fn spec_with_new_test() -> String {
    let at = SPEC.find("# Keep the runbook short.").unwrap();
    format!("{}{}{}", &SPEC[..at], NEW_TEST, &SPEC[at..])
}

#[test]
fn edit_prints_the_new_text_and_leaves_the_file_alone() {
    let (dir, spec) = workspace("print");
    let (code, stdout, stderr) = prowl(&["tests", "edit", arg(&spec), "--edit", ADD]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, spec_with_new_test());
    assert_eq!(std::fs::read_to_string(&spec).unwrap(), SPEC);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn write_adds_only_the_new_tests_lines_as_git_diff_sees_them() {
    let (dir, spec) = workspace("write");
    git(&dir, &["init", "-q"]);
    git(&dir, &["add", "."]);
    git(
        &dir,
        &[
            "-c",
            "user.name=Prowl Tests",
            "-c",
            "user.email=tests@example.com",
            "commit",
            "-qm",
            "spec",
        ],
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&spec, std::fs::Permissions::from_mode(0o640)).unwrap();
    }
    let (code, stdout, stderr) = prowl(&["tests", "edit", arg(&spec), "--edit", ADD, "--write"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, "", "--write prints nothing to stdout");
    assert!(stderr.contains("0 line(s) removed, 7 added"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&spec).unwrap(),
        spec_with_new_test()
    );
    // Git sees exactly the new test's lines added, at one place.
    assert_eq!(git(&dir, &["diff", "--numstat"]), "7\t0\trules/login.yml\n");
    let diff = git(&dir, &["diff", "-U0"]);
    let changes: Vec<&str> = diff
        .lines()
        .filter(|l| {
            l.starts_with(['+', '-', '@']) && !l.starts_with("+++") && !l.starts_with("---")
        })
        .collect();
    let mut expected = vec!["@@ -20,0 +21,7 @@ Tests:"];
    let added: Vec<String> = NEW_TEST.lines().map(|l| format!("+{l}")).collect();
    expected.extend(added.iter().map(String::as_str));
    assert_eq!(changes, expected, "{diff}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&spec).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640, "the spec keeps its permissions");
    }
    let leftovers: Vec<String> = std::fs::read_dir(dir.join("rules"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(leftovers, vec!["login.yml"], "no temporary file is left");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_refused_edit_explains_itself_and_changes_nothing() {
    let (dir, spec) = workspace("refused");
    let taken = r#"{"kind": "rename", "index": 1, "name": "Login Without MFA"}"#;
    let (code, stdout, stderr) = prowl(&["tests", "edit", arg(&spec), "--edit", taken, "--write"]);
    assert_eq!(code, 2);
    assert_eq!(stdout, "");
    assert!(
        stderr.contains(&format!(
            "error: {}: line 10: a test named \"Login Without MFA\" already exists; test names must be unique within a spec",
            spec.display()
        )),
        "{stderr}"
    );
    assert!(stderr.contains("hint: choose another name"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&spec).unwrap(), SPEC);

    let (code, _, stderr) = prowl(&[
        "tests",
        "edit",
        arg(&spec),
        "--edit",
        r#"{"kind": "explode"}"#,
    ]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("--edit is not a test edit: unknown variant `explode`"),
        "{stderr}"
    );
    assert!(stderr.contains("hint: pass one JSON object"), "{stderr}");

    let (code, _, stderr) = prowl(&[
        "tests",
        "edit",
        arg(&spec),
        "--edit",
        r#"{"kind": "delete", "index": 5}"#,
    ]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("no test at index 5: the spec has 2 tests"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_edit_can_come_from_stdin() {
    let (dir, spec) = workspace("stdin");
    let mut child = Command::new(env!("CARGO_BIN_EXE_prowl"))
        .args(["tests", "edit", arg(&spec), "--edit", "-"])
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run prowl");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(br#"{"kind": "set_expected", "index": 1, "expected": true}"#)
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        SPEC.replace("    ExpectedResult: false", "    ExpectedResult: true")
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn list_shows_each_test_with_its_line() {
    let (dir, spec) = workspace("list");
    let (code, stdout, stderr) = prowl(&["tests", "list", arg(&spec)]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        "0\tline 10\ttrue\tLogin Without MFA\n1\tline 17\tfalse\tLogin With MFA\n"
    );
    let (code, stdout, _) = prowl(&["tests", "list", arg(&spec), "--format", "json"]);
    assert_eq!(code, 0);
    let listed: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(
        listed,
        serde_json::json!([
            {
                "index": 0, "name": "Login Without MFA", "expected": true, "line": 10,
                "event_key": "Log",
                "event": {"eventName": "ConsoleLogin", "additionalEventData": {"MFAUsed": "No"}},
                "mocks": []
            },
            {
                "index": 1, "name": "Login With MFA", "expected": false, "line": 17,
                "event_key": "Log", "event": {"eventName": "ConsoleLogin"}, "mocks": []
            }
        ])
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// `ExpectedResult: yes` is the string "yes" in PAT's YAML dialect: `prowl tests list` says the
/// expectation is not a boolean, exactly as the window's `list_tests` command does (both
/// compare with the same file, `tests/fixtures/specs/expected_yes.tests.json`).
#[test]
fn list_reads_expected_result_yes_as_pat_does_like_the_window() {
    let specs = common::tests_dir().join("fixtures/specs");
    let (code, stdout, stderr) = prowl(&[
        "tests",
        "list",
        arg(&specs.join("expected_yes.yml")),
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let got: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let want: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(specs.join("expected_yes.tests.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(got, want);
    assert_eq!(got[0]["expected"], serde_json::Value::Null);
}

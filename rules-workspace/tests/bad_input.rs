//! Bad input gets a clear error and loses nothing: no panic, no hang, and the rest of the
//! workspace is still read.

mod common;

use common::prowl;
use rules_workspace::diagnostics::Code;
use rules_workspace::workspace::{OpenOptions, Workspace};
use std::path::Path;

const OK_RULE: &str = "AnalysisType: rule\nFilename: ok.py\nRuleID: Bad.Ok\nEnabled: true\nLogTypes: [Custom.X]\nSeverity: Low\n";

fn workspace_with(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("rules")).unwrap();
    std::fs::write(dir.path().join("rules/ok.yml"), OK_RULE).unwrap();
    std::fs::write(
        dir.path().join("rules/ok.py"),
        "def rule(e):\n    return True\n",
    )
    .unwrap();
    for (path, content) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
    dir
}

fn open(dir: &Path) -> Workspace {
    Workspace::open(dir, &OpenOptions::default()).expect("workspace opens")
}

fn codes_for(ws: &Workspace, rel: &str) -> Vec<Code> {
    ws.check(&(0..ws.items.len()).collect::<Vec<_>>())
        .iter()
        .filter(|d| d.rel_path == rel)
        .map(|d| d.code)
        .collect()
}

#[test]
fn malformed_yaml_is_one_error_and_the_rest_still_loads() {
    let dir = workspace_with(&[(
        "rules/broken.yml",
        b"AnalysisType: rule\nTags: [a, b\nSeverity: Low\n",
    )]);
    let ws = open(dir.path());
    assert_eq!(ws.items.len(), 1, "the valid rule still loads");
    let d = ws
        .diagnostics
        .iter()
        .find(|d| d.rel_path == "rules/broken.yml")
        .expect("reported");
    assert_eq!(d.code, Code::YamlSyntax);
    assert!(d.span.is_some_and(|s| s.line >= 2), "{d:?}");
}

#[test]
fn a_list_a_scalar_and_a_number_are_reported_not_crashed_on() {
    let dir = workspace_with(&[
        ("rules/list.yml", b"- AnalysisType\n- rule\n"),
        ("rules/scalar.yml", b"AnalysisType is a word here\n"),
        ("rules/number.yml", b"42\n"),
        ("rules/plain_list.yml", b"- a\n- b\n"),
    ]);
    let ws = open(dir.path());
    assert_eq!(codes_for(&ws, "rules/list.yml"), vec![Code::AnalysisType]);
    assert_eq!(codes_for(&ws, "rules/scalar.yml"), vec![Code::AnalysisType]);
    assert_eq!(codes_for(&ws, "rules/number.yml"), vec![Code::AnalysisType]);
    // A list without the word is not a spec at all, as in PAT.
    assert!(codes_for(&ws, "rules/plain_list.yml").is_empty());
}

#[test]
fn non_utf8_and_binary_files_are_clear_errors() {
    let mut junk = vec![0u8; 4096];
    for (i, b) in junk.iter_mut().enumerate() {
        *b = (i * 131 % 256) as u8;
    }
    let dir = workspace_with(&[
        ("rules/latin1.yml", b"Description: caf\xe9\n"),
        ("rules/junk.yml", &junk),
    ]);
    let ws = open(dir.path());
    for rel in ["rules/latin1.yml", "rules/junk.yml"] {
        let d = ws
            .diagnostics
            .iter()
            .find(|d| d.rel_path == rel)
            .expect("reported");
        assert_eq!(d.code, Code::YamlSyntax, "{rel}");
        assert!(d.hint.as_deref().unwrap_or("").contains("UTF-8"), "{d:?}");
    }
}

#[test]
fn a_50_mb_spec_is_read_without_trouble() {
    let mut big = OK_RULE.replace("Bad.Ok", "Bad.Big");
    big.push_str("Tests:\n");
    let mut i = 0;
    while big.len() < 50 * 1024 * 1024 {
        big.push_str(&format!(
            "  - Name: test {i}\n    ExpectedResult: false\n    Log:\n      action: read\n      note: \"{}\"\n",
            "x".repeat(400)
        ));
        i += 1;
    }
    let dir = workspace_with(&[("rules/big.yml", big.as_bytes())]);
    let ws = open(dir.path());
    let item = ws.get("Bad.Big").expect("the big spec is valid");
    assert_eq!(item.tests.len(), i);
}

#[cfg(unix)]
#[test]
fn filename_outside_the_workspace_is_a_warning_and_a_directory_an_error() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("shared.py"),
        "def rule(e):\n    return True\n",
    )
    .unwrap();
    let spec_out = format!(
        "AnalysisType: rule\nFilename: {}\nRuleID: Bad.Outside\nEnabled: true\nLogTypes: [Custom.X]\nSeverity: Low\n",
        outside.path().join("shared.py").display()
    );
    let spec_dir = "AnalysisType: rule\nFilename: adir\nRuleID: Bad.Dir\nEnabled: true\nLogTypes: [Custom.X]\nSeverity: Low\n";
    let dir = workspace_with(&[
        ("rules/outside.yml", spec_out.as_bytes()),
        ("rules/dir.yml", spec_dir.as_bytes()),
    ]);
    std::fs::create_dir(dir.path().join("rules/adir")).unwrap();
    let ws = open(dir.path());
    let all = ws.check(&(0..ws.items.len()).collect::<Vec<_>>());
    let outside_d = all
        .iter()
        .find(|d| d.rel_path == "rules/outside.yml")
        .expect("warned");
    assert_eq!(outside_d.code, Code::CodeFile);
    assert!(!outside_d.is_error());
    let dir_d = all
        .iter()
        .find(|d| d.rel_path == "rules/dir.yml")
        .expect("reported");
    assert!(dir_d.is_error());
    assert!(
        dir_d.message.starts_with("[Errno 21] Is a directory: "),
        "{dir_d:?}"
    );
}

#[cfg(unix)]
#[test]
fn symlink_loops_and_broken_links_do_not_hang() {
    let dir = workspace_with(&[]);
    std::os::unix::fs::symlink(dir.path(), dir.path().join("rules/loop_to_root")).unwrap();
    std::os::unix::fs::symlink(
        dir.path().join("rules/nothing.yml"),
        dir.path().join("rules/broken.yml"),
    )
    .unwrap();
    let ws = open(dir.path());
    assert_eq!(ws.items.len(), 1);
    let d = ws
        .diagnostics
        .iter()
        .find(|d| d.rel_path == "rules/broken.yml")
        .expect("broken link reported");
    assert_eq!(d.code, Code::Unreadable);
}

#[cfg(unix)]
#[test]
fn an_unreadable_file_is_reported() {
    use std::os::unix::fs::PermissionsExt;
    let dir = workspace_with(&[(
        "rules/secret.yml",
        OK_RULE.replace("Bad.Ok", "Bad.Secret").as_bytes(),
    )]);
    let path = dir.path().join("rules/secret.yml");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    let readable_anyway = std::fs::read(&path).is_ok(); // root reads everything
    let ws = open(dir.path());
    if readable_anyway {
        assert!(ws.get("Bad.Secret").is_some());
    } else {
        let d = ws
            .diagnostics
            .iter()
            .find(|d| d.rel_path == "rules/secret.yml")
            .expect("reported");
        assert_eq!(d.code, Code::Unreadable);
    }
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
}

#[test]
fn an_empty_workspace_says_there_is_nothing_to_validate() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = prowl(&["validate", dir.path().to_str().unwrap()]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("no analysis items"), "{err}");
    assert!(err.contains("hint:"), "{err}");
}

#[test]
fn a_file_instead_of_a_folder_is_a_usage_error() {
    let dir = workspace_with(&[]);
    let (code, _, err) = prowl(&[
        "validate",
        dir.path().join("rules/ok.yml").to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("not a directory"), "{err}");
}

#[test]
fn a_reader_that_goes_away_ends_prowl_quietly() {
    use std::io::Read;
    use std::os::unix::process::ExitStatusExt;
    use std::process::{Command, Stdio};
    // Enough items that the listing is larger than a pipe's buffer.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    for i in 0..400 {
        std::fs::write(
            dir.path().join(format!("rules/r{i}.yml")),
            format!("AnalysisType: rule\nRuleID: Pipe.Rule{i}\nEnabled: true\nLogTypes: [AWS.CloudTrail]\nSeverity: Low\nDetection:\n  - Key: eventName\n    Condition: Equals\n    Value: X\nDescription: a rule long enough to make the JSON listing grow beyond one pipe buffer\n"),
        )
        .unwrap();
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_prowl"))
        .args(["list", "--format", "json"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start prowl list");
    let mut first = [0u8; 16];
    child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut first)
        .unwrap();
    drop(child.stdout.take()); // `| head -c 16`
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.signal(), Some(libc::SIGPIPE), "{:?}", out.status);
}

#[test]
fn prowl_app_without_the_desktop_binary_says_how_to_get_it() {
    use std::process::Command;
    // A copy of prowl alone in a folder, with nothing on PATH: no prowl-desktop to start.
    let dir = tempfile::tempdir().unwrap();
    let prowl = dir.path().join("prowl");
    std::fs::copy(env!("CARGO_BIN_EXE_prowl"), &prowl).unwrap();
    let out = Command::new(&prowl)
        .args(["app", "/tmp"])
        .env("PATH", dir.path().join("empty"))
        .output()
        .expect("run prowl app");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cannot start the desktop app"), "{stderr}");
    assert!(stderr.contains("cargo build -p prowl-desktop"), "{stderr}");
}

//! `prowl zip` against `pat zip` (PAT 1.6.3): the same entries, in the same order, with the
//! same bytes, on the demo workspace and on one that has everything the selection turns on
//! (`Status: experimental` / `deprecated` left out, a `--filter`, a lookup table's data file, a
//! Python file two specs name, helpers and data models); the same exit code when the tests
//! fail (no archive); and Prowl's one difference, an invalid spec, refused with its name.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

fn archive_in(dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "zip"))
}

/// (name, bytes) of every entry, in order.
fn entries(archive: &Path) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(archive).unwrap()).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).unwrap();
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut f, &mut bytes).unwrap();
            (f.name().to_owned(), bytes)
        })
        .collect()
}

fn run(cmd: &mut Command) -> (i32, String) {
    let out = cmd.output().expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn prowl_zip(ws: &Path, out: &Path, extra: &[&str]) -> (i32, String) {
    run(Command::new(env!("CARGO_BIN_EXE_prowl"))
        .args(["zip", ".", "--out"])
        .arg(out)
        .args(extra)
        .current_dir(ws)
        .env("PROWL_PYTHON_ENV", test_env())
        .env("NO_COLOR", "1"))
}

fn pat_zip(ws: &Path, out: &Path, extra: &[&str]) -> (i32, String) {
    run(Command::new(pat_binary())
        .args(["--skip-version-check", "zip", "--path", ".", "--out"])
        .arg(out)
        .args(extra)
        .current_dir(ws))
}

/// Both tools on `ws` with `extra`: the same exit code, and the same archive when one is made.
fn same_as_pat(ws: &Path, extra: &[&str]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let (p_out, q_out) = (dir.path().join("prowl"), dir.path().join("pat"));
    let (p_code, p_err) = prowl_zip(ws, &p_out, extra);
    let (q_code, q_err) = pat_zip(ws, &q_out, extra);
    assert_eq!(
        p_code, q_code,
        "exit codes differ for {extra:?}\nprowl:\n{p_err}\nPAT:\n{q_err}"
    );
    let (p, q) = (archive_in(&p_out), archive_in(&q_out));
    assert_eq!(
        p.is_some(),
        q.is_some(),
        "{extra:?}: one archive only\nprowl:\n{p_err}\nPAT:\n{q_err}"
    );
    let Some(p) = p else { return Vec::new() };
    let q = q.unwrap();
    // PAT's naming: panther-analysis-<local time>-<uuid4>.zip.
    let name = p.file_name().unwrap().to_str().unwrap();
    assert!(
        name.starts_with("panther-analysis-") && name.len() == q.file_name().unwrap().len(),
        "{name}"
    );
    assert!(p_err.contains(&format!("INFO: {}", p.display())), "{p_err}");
    let (pe, qe) = (entries(&p), entries(&q));
    let names: Vec<String> = pe.iter().map(|e| e.0.clone()).collect();
    assert_eq!(
        names,
        qe.iter().map(|e| e.0.clone()).collect::<Vec<_>>(),
        "{extra:?}: entries differ"
    );
    assert!(pe == qe, "{extra:?}: an entry's bytes differ");
    // Nothing half-written beside it.
    assert_eq!(std::fs::read_dir(&p_out).unwrap().count(), 1);
    names
}

fn demo_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    rules_workspace::testkit::copy_dir(&demo_base(), dir.path());
    dir
}

#[test]
fn the_demo_archive_is_pats_with_and_without_the_tests() {
    let ws = demo_copy();
    let all = same_as_pat(ws.path(), &["--skip-tests"]);
    assert!(all.len() > 40, "{all:?}");
    assert!(all
        .iter()
        .any(|n| n.starts_with("global_helpers/") && n.ends_with(".py")));
    assert!(all.iter().any(|n| n.starts_with("data_models/")));
    let with_tests = same_as_pat(ws.path(), &[]);
    assert_eq!(with_tests, all);
    let high = same_as_pat(ws.path(), &["--skip-tests", "--filter", "Severity=High"]);
    assert!(!high.is_empty() && high.len() < all.len(), "{high:?}");
}

#[test]
fn status_filters_shared_files_and_lookup_data_follow_pat() {
    let ws = demo_copy();
    let root = ws.path();
    let write = |rel: &str, text: &str| {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    let rule = |id: &str, extra: &str| {
        format!(
            "AnalysisType: rule\nRuleID: {id}\nFilename: shared_logic.py\nEnabled: true\nLogTypes: [AWS.CloudTrail]\nSeverity: Low\n{extra}Tests:\n  - Name: t\n    ExpectedResult: true\n    Log: {{p_log_type: AWS.CloudTrail}}\n"
        )
    };
    write(
        "rules/zip_cases/shared_logic.py",
        "def rule(_):\n    return True\n",
    );
    write("rules/zip_cases/first.yml", &rule("Zip.First", ""));
    write("rules/zip_cases/second.yml", &rule("Zip.Second", ""));
    write(
        "rules/zip_cases/trial.yml",
        &rule("Zip.Trial", "Status: experimental\n"),
    );
    write(
        "rules/zip_cases/old.yml",
        &rule("Zip.Old", "Status: deprecated\n"),
    );
    write(
        "rules/zip_cases/kept.yml",
        &rule("Zip.Kept", "Status: stable\n"),
    );
    write(
        "lookup_tables/owners.yml",
        "AnalysisType: lookup_table\nLookupName: zip_owners\nEnabled: true\nFilename: owners.csv\nSchema: Custom.Owners\nLogTypeMap:\n  PrimaryKey: ip\n  AssociatedLogTypes:\n    - LogType: AWS.CloudTrail\n      Selectors: [sourceIPAddress]\n",
    );
    write("lookup_tables/owners.csv", "ip,owner\n10.0.0.1,corp\n");
    // A Python file nothing names is not archived.
    write("rules/zip_cases/unreferenced.py", "x = 1\n");
    let names = same_as_pat(root, &["--skip-tests"]);
    let has = |n: &str| names.iter().any(|x| x == n);
    assert!(has("rules/zip_cases/first.yml") && has("rules/zip_cases/kept.yml"));
    assert_eq!(
        names
            .iter()
            .filter(|n| *n == "rules/zip_cases/shared_logic.py")
            .count(),
        1
    );
    assert!(
        !has("rules/zip_cases/trial.yml") && !has("rules/zip_cases/old.yml"),
        "{names:?}"
    );
    assert!(has("lookup_tables/owners.csv"), "{names:?}");
    assert!(!has("rules/zip_cases/unreferenced.py"));
    same_as_pat(
        root,
        &[
            "--skip-tests",
            "--filter",
            "AnalysisType=lookup_table,global",
        ],
    );
}

#[test]
fn failing_tests_write_no_archive_and_invalid_specs_are_refused() {
    let ws = demo_copy();
    let spec = ws.path().join("rules/zip_failing.yml");
    std::fs::write(
        &spec,
        "AnalysisType: rule\nRuleID: Zip.Failing\nFilename: zip_failing.py\nEnabled: true\nLogTypes: [AWS.CloudTrail]\nSeverity: Low\nTests:\n  - Name: wrong\n    ExpectedResult: false\n    Log: {p_log_type: AWS.CloudTrail}\n",
    )
    .unwrap();
    std::fs::write(
        ws.path().join("rules/zip_failing.py"),
        "def rule(_):\n    return True\n",
    )
    .unwrap();
    assert!(same_as_pat(ws.path(), &[]).is_empty());

    // Prowl's one difference: PAT would archive an invalid spec when its tests are skipped;
    // Prowl refuses and names it.
    std::fs::write(
        &spec,
        "AnalysisType: rule\nRuleID: Zip.Failing\nEnabled: maybe\n",
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let (code, err) = prowl_zip(ws.path(), out.path(), &["--skip-tests"]);
    assert_ne!(code, 0);
    assert!(err.contains("rules/zip_failing.yml"), "{err}");
    assert!(archive_in(out.path()).is_none());
    assert_eq!(
        std::fs::read_dir(out.path()).unwrap().count(),
        0,
        "nothing half-written"
    );
}

#[test]
fn files_outside_the_workspace_are_never_archived() {
    let outer = tempfile::tempdir().unwrap();
    let ws = outer.path().join("ws");
    rules_workspace::testkit::copy_dir(&demo_base(), &ws);
    std::fs::write(outer.path().join("secret.py"), "TOKEN = 'do-not-upload'\n").unwrap();
    let spec = |file: &str| {
        format!("AnalysisType: rule\nRuleID: Zip.Outside\nFilename: {file}\nEnabled: true\nLogTypes: [AWS.CloudTrail]\nSeverity: Low\n")
    };
    let out = outer.path().join("out");
    // A `..` out of the workspace, then a link leading out of it.
    std::fs::write(ws.join("rules/outside.yml"), spec("../../secret.py")).unwrap();
    let (code, err) = prowl_zip(&ws, &out, &["--skip-tests"]);
    assert_ne!(code, 0, "{err}");
    assert!(err.contains("inside the workspace"), "{err}");
    std::os::unix::fs::symlink(outer.path().join("secret.py"), ws.join("rules/linked.py")).unwrap();
    std::fs::write(ws.join("rules/outside.yml"), spec("linked.py")).unwrap();
    let (code, err) = prowl_zip(&ws, &out, &["--skip-tests"]);
    assert_ne!(code, 0, "{err}");
    assert!(err.contains("rules/linked.py"), "{err}");
    assert!(archive_in(&out).is_none());
    assert_eq!(
        std::fs::read_dir(&out).map_or(0, |d| d.count()),
        0,
        "nothing half-written"
    );
}

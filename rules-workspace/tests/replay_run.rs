//! `prowl replay` with the detections, on the fixture workspace of known answers
//! (`tests/fixtures/replay/workspace`, see its README): alerts grouped across the dedup period
//! boundary and across files out of order, thresholds with and without `unique()`, a rule
//! that raises, a data model, a log type nobody reads, a broken line, gzip, a `Records`
//! document on standard input; `--out`, `--expect`/`--write-expect`; a rule that never
//! returns; and the reference check: Prowl's matches equal those of a plain panther-core loop
//! (`tests/replay/reference_matches.py`, no Prowl code) on the fixture and on a generated
//! corpus run through the demo workspace.

mod common;

use common::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A copy of the fixture workspace with `logs/okta-b.jsonl` gzipped.
fn fixture_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    rules_workspace::testkit::copy_dir(&repo().join("tests/fixtures/replay/workspace"), dir.path());
    let plain = dir.path().join("logs/okta-b.jsonl");
    let bytes = std::fs::read(&plain).unwrap();
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(dir.path().join("logs/okta-b.jsonl.gz")).unwrap(),
        flate2::Compression::default(),
    );
    gz.write_all(&bytes).unwrap();
    gz.finish().unwrap();
    std::fs::remove_file(plain).unwrap();
    dir
}

fn replay(ws: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let env = test_env();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_prowl"));
    cmd.arg("replay")
        .args(args)
        .arg("-w")
        .arg(ws)
        .current_dir(ws)
        .env("PROWL_PYTHON_ENV", &env)
        .env("NO_COLOR", "1")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run prowl replay");
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input).unwrap();
    }
    child.wait_with_output().unwrap()
}

fn json_report(out: &Output) -> Value {
    let text = String::from_utf8_lossy(&out.stdout);
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}):\n{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    v["report"].clone()
}

/// Per detection: (matches, errors, alerts, error alerts).
fn per_detection(report: &Value) -> BTreeMap<String, (u64, u64, u64, u64)> {
    report["detections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let n = |k: &str| d[k].as_u64().unwrap();
            (
                d["id"].as_str().unwrap().to_owned(),
                (n("matches"), n("errors"), n("alerts"), n("error_alerts")),
            )
        })
        .collect()
}

/// (detection, kind, title, events, first event time) of every alert, in table order.
fn alert_rows(report: &Value) -> Vec<(String, String, String, u64, String)> {
    report["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["detection"].as_str().unwrap().to_owned(),
                a["kind"].as_str().unwrap().to_owned(),
                a["title"].as_str().unwrap().to_owned(),
                a["events"].as_u64().unwrap(),
                a["first_event_time"].as_str().unwrap()[11..19].to_owned(),
            )
        })
        .collect()
}

fn row(
    d: &str,
    kind: &str,
    title: &str,
    events: u64,
    first: &str,
) -> (String, String, String, u64, String) {
    (d.into(), kind.into(), title.into(), events, first.into())
}

#[test]
fn the_fixture_logs_raise_the_known_alerts() {
    let ws = fixture_copy();
    let out = replay(ws.path(), &["logs", "--format", "json"], None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json_report(&out);
    assert_eq!(report["read"]["events"], 21);
    assert_eq!(report["unrouted"], serde_json::json!({"GitHub.Audit": 2}));
    assert_eq!(report["events_evaluated"], 19);
    // The broken line of the gzipped file is counted with its place; the replay went on.
    assert_eq!(report["problem_count"], 1);
    let first = &report["problems"][0]["first"][0];
    assert_eq!(first["file"], "logs/okta-b.jsonl.gz");
    assert_eq!(first["line"], 4);

    let expected: BTreeMap<String, (u64, u64, u64, u64)> = [
        ("Replay.AWS.BucketTouched", (1, 6, 1, 2)),
        ("Replay.AWS.ConsoleFromManyIPs", (6, 0, 1, 0)),
        ("Replay.Okta.AdminByModel", (2, 0, 1, 0)),
        ("Replay.Okta.FailedLogin", (6, 0, 2, 0)),
        ("Replay.Okta.InlineFiltered", (6, 0, 2, 0)),
        ("Replay.Okta.ManyLogins", (10, 0, 1, 0)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    assert_eq!(per_detection(&report), expected);

    let rows: Vec<_> = alert_rows(&report)
        .into_iter()
        .filter(|r| r.0 != "Replay.Okta.InlineFiltered")
        .collect();
    assert_eq!(
        rows,
        vec![
            row(
                "Replay.AWS.BucketTouched",
                "error",
                "Replay.AWS.BucketTouched raised KeyError: 'requestParameters'",
                3,
                "00:00:00"
            ),
            // 00:00, 00:20 (file a), 00:40, 00:59:59 (file b): one period; 01:00 opens the next.
            row(
                "Replay.Okta.FailedLogin",
                "alert",
                "Failed login for alice@acme.test",
                4,
                "00:00:00"
            ),
            row(
                "Replay.Okta.AdminByModel",
                "alert",
                "Admin activity by admin@acme.test",
                2,
                "00:05:00"
            ),
            row(
                "Replay.AWS.BucketTouched",
                "alert",
                "Production bucket prod-logs touched",
                1,
                "00:30:00"
            ),
            row(
                "Replay.Okta.FailedLogin",
                "alert",
                "Failed login for alice@acme.test",
                2,
                "01:00:00"
            ),
            row(
                "Replay.AWS.BucketTouched",
                "error",
                "Replay.AWS.BucketTouched raised KeyError: 'requestParameters'",
                3,
                "01:05:00"
            ),
            // Three logins from one address raised nothing; the second address opens the alert.
            row(
                "Replay.AWS.ConsoleFromManyIPs",
                "alert",
                "Console logins from several addresses for arn:aws:iam::123456789012:user/carol",
                3,
                "01:05:00"
            ),
            row(
                "Replay.Okta.ManyLogins",
                "alert",
                "Many logins for bob@acme.test",
                3,
                "02:00:00"
            ),
        ]
    );
    let by_title = |t: &str| {
        report["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["title"].as_str().unwrap().starts_with(t))
            .unwrap()
            .clone()
    };
    // severity() returned DEFAULT: the spec's; the data model fed alert_context().
    assert_eq!(by_title("Many logins")["severity"], "LOW");
    assert_eq!(
        by_title("Admin activity")["context"],
        serde_json::json!({"event_type": "user.account.update_profile", "user": "admin@acme.test"})
    );
    // The first tracebacks point at the rule's line.
    let bucket = report["detections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == "Replay.AWS.BucketTouched")
        .unwrap();
    let frame = bucket["first_errors"][0]["traceback"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert!(
        frame["file"]
            .as_str()
            .unwrap()
            .ends_with("rules/bucket_touched.py"),
        "{frame}"
    );
    assert_eq!(frame["line"], 3);
    assert_eq!(bucket["first_errors"].as_array().unwrap().len(), 3);
    assert_eq!(report["skipped"][0]["id"], "Replay.Disabled");
    // InlineFilters are applied: no note says otherwise.
    assert!(
        !report["notes"].to_string().contains("InlineFilters"),
        "{}",
        report["notes"]
    );
}

#[test]
fn a_records_document_on_standard_input_gives_the_same_cloudtrail_alerts() {
    let ws = fixture_copy();
    let records =
        std::fs::read(repo().join("tests/fixtures/replay/cloudtrail.records.json")).unwrap();
    let out = replay(
        ws.path(),
        &["-", "--log-type", "AWS.CloudTrail", "--format", "json"],
        Some(&records),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json_report(&out);
    assert_eq!(report["read"]["events"], 8);
    let d = per_detection(&report);
    assert_eq!(d["Replay.AWS.BucketTouched"], (1, 6, 1, 2));
    assert_eq!(d["Replay.AWS.ConsoleFromManyIPs"], (6, 0, 1, 0));
    assert_eq!(d["Replay.Okta.FailedLogin"], (0, 0, 0, 0));
}

#[test]
fn out_writes_every_alert_with_its_events() {
    let ws = fixture_copy();
    let out_dir = ws.path().join("out");
    let out = replay(
        ws.path(),
        &["logs", "--out", out_dir.to_str().unwrap()],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = |name: &str| -> Vec<Value> {
        std::fs::read_to_string(out_dir.join(name))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let alerts = lines("alerts.jsonl");
    let events = lines("events.jsonl");
    assert_eq!(alerts.len(), 10);
    let total: u64 = alerts.iter().map(|a| a["events"].as_u64().unwrap()).sum();
    assert_eq!(events.len() as u64, total);
    // Every event line names its alert, carries the event and its place.
    for a in &alerts {
        let id = &a["id"];
        let mine: Vec<&Value> = events.iter().filter(|e| &e["alert"] == id).collect();
        assert_eq!(mine.len() as u64, a["events"].as_u64().unwrap(), "{a}");
        assert!(mine[0]["event"]["p_log_type"].as_str().is_some());
        assert_eq!(mine[0]["origin"], a["origin"]);
    }
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("report.json")).unwrap())
            .unwrap();
    assert_eq!(report["alerts_total"], 10);
    // Nothing half-written is left behind.
    let names: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains("partial")), "{names:?}");
}

#[test]
fn expectations_record_the_alerts_and_a_changed_threshold_fails_with_a_diff() {
    let ws = fixture_copy();
    let expect = ws.path().join("expect.json");
    let e = expect.to_str().unwrap();
    let out = replay(ws.path(), &["logs", "--write-expect", e], None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let recorded: Value = serde_json::from_str(&std::fs::read_to_string(&expect).unwrap()).unwrap();
    assert_eq!(recorded["alerts"]["Replay.Okta.ManyLogins"], 1);
    assert_eq!(recorded["error_alerts"]["Replay.AWS.BucketTouched"], 2);
    assert_eq!(
        recorded["titles"]["Replay.Okta.FailedLogin"]["Failed login for alice@acme.test"],
        2
    );
    let same = replay(ws.path(), &["logs", "--expect", e], None);
    assert_eq!(
        same.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&same.stderr)
    );
    assert!(String::from_utf8_lossy(&same.stderr).contains("the alerts match"));

    // Threshold 3 → 2: alice's 00:59:59 and 01:00 sign-ins now share a 10-minute period.
    let spec = ws.path().join("rules/many_logins.yml");
    let text = std::fs::read_to_string(&spec)
        .unwrap()
        .replace("Threshold: 3", "Threshold: 2");
    std::fs::write(&spec, text).unwrap();
    let changed = replay(ws.path(), &["logs", "--expect", e], None);
    let stderr = String::from_utf8_lossy(&changed.stderr);
    assert_eq!(changed.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("Replay.Okta.ManyLogins: expected 1 alerts, got 2"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "Replay.Okta.ManyLogins: title \"Many logins for alice@acme.test\": expected 0, got 1"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("--write-expect"), "{stderr}");
}

#[test]
fn a_rule_that_never_returns_loses_only_its_batch() {
    let ws = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(ws.path().join("rules")).unwrap();
    std::fs::write(
        ws.path().join("rules/stuck.yml"),
        "AnalysisType: rule\nFilename: stuck.py\nRuleID: Replay.Stuck\nEnabled: true\nLogTypes:\n  - Okta.SystemLog\nSeverity: Low\n",
    )
    .unwrap();
    std::fs::write(
        ws.path().join("rules/stuck.py"),
        "def rule(event):\n    while event.get('loop'):\n        pass\n    return event.get('hit') is True\n",
    )
    .unwrap();
    let mut logs = String::new();
    for i in 0..6 {
        let extra = match i {
            2 => r#","loop":true"#,
            4 => r#","hit":true"#,
            _ => "",
        };
        logs.push_str(&format!(
            "{{\"p_log_type\":\"Okta.SystemLog\",\"p_event_time\":\"2026-11-01 00:0{i}:00\"{extra}}}\n"
        ));
    }
    std::fs::write(ws.path().join("events.jsonl"), logs).unwrap();
    let out = replay(
        ws.path(),
        &[
            "events.jsonl",
            "--batch",
            "1",
            "--workers",
            "1",
            "--timeout",
            "2",
            "--format",
            "json",
        ],
        None,
    );
    // Lost events fail the run, and are reported with their place and reason.
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json_report(&out);
    assert_eq!(report["lost_events"], 1);
    assert_eq!(report["lost"][0]["first"], "events.jsonl:3");
    assert!(
        report["lost"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("did not answer within 2"),
        "{}",
        report["lost"][0]
    );
    // The events after it were evaluated on a fresh worker.
    assert_eq!(report["events_evaluated"], 5);
    assert_eq!(per_detection(&report)["Replay.Stuck"], (1, 0, 1, 0));
}

fn pat_python() -> PathBuf {
    std::env::var_os("PROWL_PAT_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| pat_binary().with_file_name("python"))
}

/// (matches, errors) per detection from the reference script.
fn reference(ws: &Path, logs: &[PathBuf]) -> BTreeMap<String, (u64, u64)> {
    let out = Command::new(pat_python())
        .arg(repo().join("tests/replay/reference_matches.py"))
        .arg(ws)
        .args(logs)
        .output()
        .expect("run the reference script with PAT's Python (panther-core from PyPI)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["detections"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, d)| {
            (
                k.clone(),
                (
                    d["matches"].as_u64().unwrap(),
                    d["errors"].as_u64().unwrap(),
                ),
            )
        })
        .collect()
}

fn prowl_matches(report: &Value) -> BTreeMap<String, (u64, u64)> {
    per_detection(report)
        .into_iter()
        .map(|(k, (m, e, _, _))| (k, (m, e)))
        .collect()
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

#[test]
fn matches_equal_a_plain_panther_core_loop_on_the_fixture_and_a_generated_corpus() {
    // The fixture (plain files: the reference reads JSON lines).
    let fixture = repo().join("tests/fixtures/replay/workspace");
    let out = replay(&fixture, &["logs", "--format", "json"], None);
    let report = json_report(&out);
    let logs = files_in(&fixture.join("logs"));
    assert_eq!(prowl_matches(&report), reference(&fixture, &logs));

    // 20,000 generated events through the demo workspace's rules and helpers.
    let demo = tempfile::tempdir().unwrap();
    rules_workspace::testkit::copy_dir(&demo_base(), demo.path());
    let corpus = demo.path().join("corpus");
    let generated = Command::new(pat_python())
        .arg(repo().join("tests/replay/generate_logs.py"))
        .arg(&corpus)
        .args(["--events", "20000", "--files", "4"])
        .status()
        .unwrap();
    assert!(generated.success());
    let out = replay(demo.path(), &["corpus", "--format", "json"], None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json_report(&out);
    assert_eq!(report["read"]["events"], 20000);
    let mine = prowl_matches(&report);
    let total: u64 = mine.values().map(|(m, _)| m).sum();
    assert!(
        total > 500,
        "the corpus should make the rules match: {mine:?}"
    );
    assert_eq!(mine, reference(demo.path(), &files_in(&corpus)));
}

#[test]
fn an_event_of_a_replay_becomes_a_unit_test_that_prowl_test_passes() {
    let ws = fixture_copy();
    let spec = ws.path().join("rules/admin_by_model.yml");
    let before = std::fs::read_to_string(&spec).unwrap();
    let env = test_env();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_prowl"))
            .args(args)
            .current_dir(ws.path())
            .env("PROWL_PYTHON_ENV", &env)
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    };
    // The admin's profile update (line 4 of the first Okta file) matched in the replay.
    let added = run(&[
        "tests",
        "add",
        "rules/admin_by_model.yml",
        "--from-event",
        "logs/okta-a.jsonl:4",
        "--expected",
        "true",
        "--write",
    ]);
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let after = std::fs::read_to_string(&spec).unwrap();
    // Only the new test's lines were added; derived p_ fields were left out.
    let new_lines = after
        .strip_prefix(before.as_str())
        .expect("the spec only grew at its end");
    assert!(
        new_lines.starts_with(
            "  - Name: Replayed event logs/okta-a.jsonl:4\n    ExpectedResult: true\n"
        ),
        "{new_lines}"
    );
    assert!(
        new_lines.contains("p_log_type: Okta.SystemLog"),
        "{new_lines}"
    );
    assert!(
        !new_lines.contains("p_row_id") && !new_lines.contains("p_parse_time"),
        "{new_lines}"
    );
    let test = run(&["test", ".", "--filter", "RuleID=Replay.Okta.AdminByModel"]);
    let stdout = String::from_utf8_lossy(&test.stdout);
    assert_eq!(test.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("[PASS] Replayed event logs/okta-a.jsonl:4"),
        "{stdout}"
    );

    // The same event said not to alert: the test fails, as it should.
    let wrong = run(&[
        "tests",
        "add",
        "rules/admin_by_model.yml",
        "--from-event",
        "logs/okta-a.jsonl:4",
        "--expected",
        "false",
        "--name",
        "should not alert",
        "--write",
    ]);
    assert!(wrong.status.success());
    let test = run(&["test", ".", "--filter", "RuleID=Replay.Okta.AdminByModel"]);
    assert_eq!(test.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&test.stdout).contains("[FAIL] should not alert"));

    // A line with no event is a clear error (the broken line's reason is given).
    let none = run(&[
        "tests",
        "add",
        "rules/admin_by_model.yml",
        "--from-event",
        "logs/okta-b.jsonl.gz:4",
        "--expected",
        "true",
    ]);
    assert_eq!(none.status.code(), Some(2));
    let err = String::from_utf8_lossy(&none.stderr);
    assert!(
        err.contains("no event starts on line 4 of logs/okta-b.jsonl.gz: EOF while parsing"),
        "{err}"
    );
}

#[test]
fn compare_reports_the_alerts_a_threshold_change_adds_against_an_older_commit() {
    // A fork whose workspace is a subfolder, with two commits: Threshold 3, then Threshold 2.
    let repo = rules_workspace::testkit::TestRepo::new();
    let fixture = fixture_copy();
    let ws = repo.path().join("content");
    rules_workspace::testkit::copy_dir(fixture.path(), &ws);
    let first = repo.commit_all("ManyLogins: threshold 3");
    let spec = ws.join("rules/many_logins.yml");
    let text = std::fs::read_to_string(&spec).unwrap();
    std::fs::write(&spec, text.replace("Threshold: 3", "Threshold: 2")).unwrap();
    repo.commit_all("ManyLogins: threshold 2");

    let out = replay(
        &ws,
        &["logs", "--compare", "HEAD~1", "--format", "json"],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let all: Value = serde_json::from_slice(&out.stdout).unwrap();
    let impact = &all["impact"];
    assert_eq!(impact["commit"], first.to_string());
    assert_eq!(impact["summary"], "ManyLogins: threshold 3");
    assert_eq!(impact["complete"], true);
    // Threshold 2 in 10 minutes: alice's 00:59:59 and 01:00 sign-ins now raise an alert; bob's
    // alert is the same one; nothing else moves.
    assert_eq!(
        (&impact["added"], &impact["removed"]),
        (&Value::from(1), &Value::from(0)),
        "{impact:#}"
    );
    let detections = impact["detections"].as_array().unwrap();
    let ids: Vec<&str> = detections
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["Replay.Okta.ManyLogins"], "{impact:#}");
    let d = &detections[0];
    assert_eq!(
        (d["alerts_before"].as_u64(), d["alerts_after"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(
        d["matches_before"], d["matches_after"],
        "the same events match"
    );
    let added = &d["examples"][0]["after"];
    assert_eq!(added["title"], "Many logins for alice@acme.test", "{d:#}");
    assert!(d["examples"][0]["before"].is_null());
    assert_eq!(impact["unchanged_detections"], 5, "{impact:#}");
    // The working tree's own replay is the report, as without --compare.
    let after = per_detection(&all["report"]);
    assert_eq!(after["Replay.Okta.ManyLogins"], (10, 0, 2, 0));

    // An uncommitted edit against HEAD, as text: the failed-login rule deduplicated by the
    // minute instead of the hour splits its alerts.
    let failed = ws.join("rules/failed_login.yml");
    let text = std::fs::read_to_string(&failed).unwrap();
    assert!(text.contains("DedupPeriodMinutes: 60"), "{text}");
    std::fs::write(
        &failed,
        text.replace("DedupPeriodMinutes: 60", "DedupPeriodMinutes: 1"),
    )
    .unwrap();
    let out = replay(&ws, &["logs", "--compare", "HEAD"], None);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("Compared: the same "), "{stdout}");
    assert!(
        stdout.contains("  Replay.Okta.FailedLogin  alerts 2 -> "),
        "{stdout}"
    );
    assert!(stdout.contains("    + added    "), "{stdout}");
    assert!(
        !stdout.contains("Replay.Okta.ManyLogins  alerts"),
        "{stdout}"
    );
    // The working tree, the index and HEAD are as they were.
    let status = repo.git(&["status", "--porcelain"]);
    assert_eq!(
        status.trim(),
        "M content/rules/failed_login.yml",
        "{status}"
    );

    // A revision that does not exist: a clear error before any replay.
    let out = replay(&ws, &["logs", "--compare", "no-such-branch"], None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        stderr.contains("cannot compare with no-such-branch"),
        "{stderr}"
    );
    // Standard input cannot be read twice.
    let out = replay(&ws, &["-", "--compare", "HEAD"], Some(b"{}\n"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cannot read standard input"), "{stderr}");
}

#[test]
fn scheduled_rules_run_on_query_rows_and_policies_on_resources() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("demo");
    rules_workspace::testkit::copy_dir(&demo_base(), &ws);
    let cloud = repo().join("tests/fixtures/replay/cloud");
    let rows = format!(
        "Demo.Query.AWS.ConsoleLoginsByPrincipal={}",
        cloud
            .join("console_logins_by_principal.rows.jsonl")
            .display()
    );
    let resources = cloud.join("s3_buckets.resources.jsonl");
    let out = replay(
        &ws,
        &[
            "--query-results",
            &rows,
            "--resources",
            resources.to_str().unwrap(),
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json_report(&out);
    let got = per_detection(&report);
    // (matches, errors, alerts, error alerts): see tests/fixtures/replay/cloud/README.md.
    assert_eq!(got["Demo.AWS.ConsoleLoginsFromManyIPs"], (3, 1, 2, 1));
    assert_eq!(got["Demo.AWS.S3.BucketEncryptionEnabled"], (1, 0, 1, 0));
    assert_eq!(got["Demo.AWS.S3.BucketPublicAccessBlocked"], (1, 0, 1, 0));
    // 6 rows through the scheduled rule, 4 buckets through 2 policies less 1 suppressed.
    assert_eq!(report["runs"], 13);
    assert_eq!(report["unrouted"]["resource:AWS.IAM.User"], 1);
    assert_eq!(report["problems"][0]["kind"], "no_resource_type");
    // InlineFilters are applied: no note about them.
    assert!(
        !report["notes"].to_string().contains("InlineFilters"),
        "{}",
        report["notes"]
    );
    // (detection, dedup, events) of every alert.
    let alerts: Vec<(String, String, u64)> = report["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["detection"].as_str().unwrap().to_owned(),
                a["dedup"].as_str().unwrap().to_owned(),
                a["events"].as_u64().unwrap(),
            )
        })
        .collect();
    // Policy alerts are one per failing resource: their dedup string is the resource's ID; the
    // sandbox bucket is suppressed for the encryption policy.
    let policy_alerts: Vec<(&str, &str)> = alerts
        .iter()
        .filter(|a| a.0.starts_with("Demo.AWS.S3."))
        .map(|a| (a.0.as_str(), a.1.as_str()))
        .collect();
    assert_eq!(
        policy_alerts,
        [
            (
                "Demo.AWS.S3.BucketEncryptionEnabled",
                "arn:aws:s3:::acme-staging-exports"
            ),
            (
                "Demo.AWS.S3.BucketPublicAccessBlocked",
                "arn:aws:s3:::acme-sandbox-scratch"
            )
        ],
        "{alerts:?}"
    );
    let alice = alerts
        .iter()
        .find(|a| a.1.ends_with("AcmeAdmin/alice.admin"))
        .expect("alice's alert");
    assert_eq!(
        alice.2, 2,
        "alice's two rows within 180 minutes: {alerts:?}"
    );

    // Without the inputs, the scheduled rule and the policies are skipped, saying what to give.
    let out = replay(&ws, &["sample_logs", "--format", "json"], None);
    let report = json_report(&out);
    let skipped = report["skipped"].as_array().unwrap();
    let reason = |id: &str| {
        skipped
            .iter()
            .find(|s| s["id"] == id)
            .map(|s| s["reason"].as_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    assert!(
        reason("Demo.AWS.ConsoleLoginsFromManyIPs")
            .contains("--query-results Demo.Query.AWS.ConsoleLoginsByPrincipal=FILE"),
        "{skipped:?}"
    );
    assert!(
        reason("Demo.AWS.S3.BucketEncryptionEnabled").contains("--resources"),
        "{skipped:?}"
    );
    // A query nobody runs on is read and said so.
    let out = replay(
        &ws,
        &[
            "--query-results",
            &rows.replace("Demo.Query", "Other.Query"),
            "--format",
            "json",
        ],
        None,
    );
    let report = json_report(&out);
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("no selected scheduled rule runs on the query Other.Query.AWS"),
        "{notes}"
    );
}

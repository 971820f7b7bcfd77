//! `prowl test` against `pat test` (PAT 1.6.3, installed by the test setup) on the engine
//! fixtures, the validation fixtures and the demo workspace, with the flags that change PAT's
//! behaviour: the same stdout (PAT's colours forced on both sides; temp folders and random
//! destination UUIDs normalised), the same exit code, and the same WARNING/ERROR lines.
//!
//! Known, documented normalisations: Prowl follows PAT 1.7.0's schema wording (scheduled_prompt,
//! DatabricksQuery), and YAML syntax errors use Prowl's wording (for `yaml-dialect` the
//! invalid files and the exit code are compared, not libyaml's messages).

mod common;

use common::*;
use std::path::Path;
use std::process::Command;

fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let mut l = line.to_owned();
        // Random UUIDs of PAT's fake destinations.
        let bytes: Vec<char> = l.chars().collect();
        let mut i = 0;
        let mut fixed = String::new();
        while i < bytes.len() {
            let window: String = bytes[i..(i + 36).min(bytes.len())].iter().collect();
            let is_uuid = window.len() == 36
                && window.char_indices().all(|(j, c)| {
                    if [8, 13, 18, 23].contains(&j) {
                        c == '-'
                    } else {
                        c.is_ascii_hexdigit()
                    }
                });
            if is_uuid {
                fixed.push_str("<UUID>");
                i += 36;
            } else {
                fixed.push(bytes[i]);
                i += 1;
            }
        }
        l = fixed;
        out.push_str(&l);
        out.push('\n');
    }
    out
}

fn warnings(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.starts_with("WARNING:") || l.starts_with("ERROR:"))
        .collect()
}

/// The spec files listed under "Invalid Tests Summary".
fn invalid_files(stdout: &str) -> Vec<String> {
    let mut files: Vec<String> = stdout
        .split("Invalid Tests Summary\n")
        .nth(1)
        .unwrap_or("")
        .lines()
        .take_while(|l| !l.starts_with("---"))
        .filter(|l| l.starts_with('\t') && !l.starts_with("\t\t"))
        .map(|l| l.trim().to_owned())
        .collect();
    files.sort();
    files
}

fn compare(name: &str, dir: &str, flags: &[&str], env: &Path) -> Result<(), String> {
    let root = repo().join(dir);
    let prowl = Command::new(env!("CARGO_BIN_EXE_prowl"))
        .arg("test")
        .arg(".")
        .args(flags)
        .current_dir(&root)
        .env("PROWL_PYTHON_ENV", env)
        .env("PROWL_PAT_COLOURS", "always")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("run prowl test");
    let pat = Command::new(pat_binary())
        .args(["--skip-version-check", "test", "--path", "."])
        // `--workers N` is Prowl's own: PAT always runs in one process.
        .args(flags.iter().filter(|f| !f.starts_with("--workers")))
        .current_dir(&root)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("run pat test");
    let (p_out, q_out) = (
        String::from_utf8_lossy(&prowl.stdout),
        String::from_utf8_lossy(&pat.stdout),
    );
    let (p_err, q_err) = (
        String::from_utf8_lossy(&prowl.stderr),
        String::from_utf8_lossy(&pat.stderr),
    );
    let (p_code, q_code) = (prowl.status.code(), pat.status.code());
    if p_code != q_code {
        return Err(format!("{name}: exit codes differ: prowl {p_code:?}, PAT {q_code:?}\n--- prowl stderr:\n{p_err}\n--- PAT stderr:\n{q_err}"));
    }
    if name == "yaml-dialect" {
        let (a, b) = (invalid_files(&p_out), invalid_files(&q_out));
        return if a == b {
            Ok(())
        } else {
            Err(format!(
                "{name}: invalid files differ\nprowl: {a:#?}\nPAT: {b:#?}"
            ))
        };
    }
    let (a, b) = (normalise(&pat_1_6_3_wording(&p_out)), normalise(&q_out));
    if a != b {
        let first = a
            .lines()
            .zip(b.lines())
            .position(|(x, y)| x != y)
            .unwrap_or(a.lines().count().min(b.lines().count()));
        let show = |t: &str| {
            t.lines()
                .skip(first.saturating_sub(3))
                .take(12)
                .collect::<Vec<_>>()
                .join("\n")
        };
        return Err(format!(
            "{name}: stdout differs at line {}\n--- prowl:\n{}\n--- PAT:\n{}",
            first + 1,
            show(&a),
            show(&b)
        ));
    }
    let (wa, wb) = (pat_1_6_3_wording(&p_err), q_err.to_string());
    if warnings(&wa) != warnings(&wb) {
        return Err(format!(
            "{name}: WARNING/ERROR lines differ\n--- prowl:\n{:#?}\n--- PAT:\n{:#?}",
            warnings(&wa),
            warnings(&wb)
        ));
    }
    Ok(())
}

const E: &str = "tests/fixtures/engine/";

#[test]
fn prowl_test_prints_what_pat_test_prints() {
    let env = test_env();
    let engine = |n: &str| format!("{E}{n}");
    let mut cases: Vec<(String, String, Vec<&str>)> = vec![
        ("mocks".into(), engine("mocks"), vec![]),
        ("data-models".into(), engine("data-models"), vec![]),
        (
            "data-model-crash".into(),
            engine("data-model-crash"),
            vec![],
        ),
        ("events".into(), engine("events"), vec![]),
        ("alert-functions".into(), engine("alert-functions"), vec![]),
        (
            "alert-functions-destinations".into(),
            engine("alert-functions"),
            vec![
                "--available-destination",
                "Slack",
                "--available-destination",
                "PagerDuty",
            ],
        ),
        (
            "alert-functions-sorted".into(),
            engine("alert-functions"),
            vec!["--sort-test-results"],
        ),
        (
            "alert-functions-failures-only".into(),
            engine("alert-functions"),
            vec!["--show-failures-only"],
        ),
        ("policies".into(), engine("policies"), vec![]),
        ("scheduled-rules".into(), engine("scheduled-rules"), vec![]),
        ("derived".into(), engine("derived"), vec![]),
        (
            "derived-filter".into(),
            engine("derived"),
            vec!["--filter", "RuleID=Fixture.Derived.Child"],
        ),
        (
            "derived-skip-disabled".into(),
            engine("derived"),
            vec!["--skip-disabled-tests"],
        ),
        (
            "derived-test-names".into(),
            engine("derived"),
            vec!["--test-names", "base admin login"],
        ),
        ("setup-errors".into(), engine("setup-errors"), vec![]),
        ("module-exit".into(), engine("module-exit"), vec![]),
        ("flags".into(), engine("flags"), vec![]),
        (
            "flags-skip-disabled".into(),
            engine("flags"),
            vec!["--skip-disabled-tests"],
        ),
        (
            "flags-minimum-tests".into(),
            engine("flags"),
            vec!["--minimum-tests", "2"],
        ),
        (
            "flags-test-names".into(),
            engine("flags"),
            vec![
                "--test-names",
                "login alerts",
                "--test-names",
                "shared name",
            ],
        ),
        (
            "flags-filter".into(),
            engine("flags"),
            vec!["--filter", "Severity=High,Critical"],
        ),
        (
            "flags-filter-inverted".into(),
            engine("flags"),
            vec!["--filter", "Tags!=Noisy", "--minimum-tests", "1"],
        ),
        (
            "flags-filter-nothing".into(),
            engine("flags"),
            vec!["--filter", "RuleID=No.Such.Rule"],
        ),
        ("globals".into(), engine("globals"), vec![]),
        (
            "globals-filter".into(),
            engine("globals"),
            vec!["--filter", "RuleID=Fixture.Globals.Counter"],
        ),
        ("demo".into(), "rules-workspace/demo/base".into(), vec![]),
        // Parallel workers must not change a byte: one worker, and more workers than cores
        // (helpers that print when imported or keep state tie their users to one worker).
        (
            "globals, 1 worker".into(),
            engine("globals"),
            vec!["--workers=1"],
        ),
        (
            "globals, 4 workers".into(),
            engine("globals"),
            vec!["--workers=4"],
        ),
        (
            "setup-errors, 4 workers".into(),
            engine("setup-errors"),
            vec!["--workers=4"],
        ),
        (
            "mocks, 1 worker".into(),
            engine("mocks"),
            vec!["--workers=1"],
        ),
        (
            "demo, 3 workers".into(),
            "rules-workspace/demo/base".into(),
            vec!["--workers=3"],
        ),
        (
            "demo-sorted".into(),
            "rules-workspace/demo/base".into(),
            vec!["--sort-test-results", "--minimum-tests", "2"],
        ),
    ];
    for name in fixture_names() {
        cases.push((
            name.clone(),
            format!("tests/fixtures/workspaces/{name}"),
            vec![],
        ));
    }
    let failures: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = cases
            .chunks(cases.len().div_ceil(2))
            .map(|chunk| {
                let env = &env;
                s.spawn(move || {
                    chunk
                        .iter()
                        .filter_map(|(n, d, f)| compare(n, d, f, env).err())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    assert!(cases.len() >= 35, "{} cases", cases.len());
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

#[test]
fn junit_output_lists_every_test_with_pats_verdict() {
    let env = test_env();
    let root = repo().join("tests/fixtures/engine/alert-functions");
    let run = |format: &str| {
        Command::new(env!("CARGO_BIN_EXE_prowl"))
            .args(["test", ".", "--format", format])
            .current_dir(&root)
            .env("PROWL_PYTHON_ENV", &env)
            .env("NO_COLOR", "1")
            .output()
            .expect("run prowl test")
    };
    let text = run("text");
    let xml = run("junit");
    assert_eq!(
        text.status.code(),
        xml.status.code(),
        "same exit code in every format"
    );
    let text = String::from_utf8_lossy(&text.stdout);
    let xml = String::from_utf8_lossy(&xml.stdout);
    assert!(xml.starts_with("<?xml"), "{xml}");
    // As many test cases and failures as PAT-style test lines.
    let passes = text.lines().filter(|l| l.starts_with("\t[PASS] ")).count();
    let fails = text.lines().filter(|l| l.starts_with("\t[FAIL] ")).count();
    assert!(fails > 0 && passes > 0, "{text}");
    assert!(
        xml.contains(&format!("failures=\"{fails}\"")),
        "{fails} failures expected:\n{xml}"
    );
    assert!(xml.matches("<testcase ").count() >= passes + fails, "{xml}");
}

fn prowl_test(root: &Path, env: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_prowl"))
        .args(["test", "."])
        .args(args)
        .current_dir(root)
        .env("PROWL_PYTHON_ENV", env)
        .env("NO_COLOR", "1")
        .output()
        .expect("run prowl test")
}

/// The PAT summary numbers from PAT-style text output.
fn summary_numbers(stdout: &str) -> Vec<i64> {
    let block = &stdout[stdout.rfind("Test Summary").expect("summary")..];
    ["Passed", "Skipped", "Failed", "Invalid"]
        .iter()
        .map(|k| {
            let line = block
                .lines()
                .find(|l| l.trim_start().starts_with(&format!("{k}:")))
                .expect(k);
            line.split(':').nth(1).unwrap().trim().parse().unwrap()
        })
        .collect()
}

#[test]
fn json_output_has_the_summary_every_verdict_output_and_traceback() {
    let env = test_env();
    let root = repo().join("tests/fixtures/engine/alert-functions");
    let text = prowl_test(&root, &env, &[]);
    let json = prowl_test(&root, &env, &["--format", "json"]);
    assert_eq!(text.status.code(), json.status.code());
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).expect("one JSON document");
    assert_eq!(doc["exit_code"], 1);
    let s = &doc["summary"];
    let numbers: Vec<i64> = ["passed", "skipped", "failed", "invalid"]
        .iter()
        .map(|k| s[*k].as_i64().unwrap())
        .collect();
    assert_eq!(
        numbers,
        summary_numbers(&String::from_utf8_lossy(&text.stdout))
    );
    // Every test of the text output is in the JSON with the same verdict.
    let stdout = String::from_utf8_lossy(&text.stdout);
    let mut seen = 0;
    for det in doc["detections"].as_array().unwrap() {
        for r in det["results"].as_array().unwrap() {
            if !r["out_of_band"].is_null() {
                continue;
            }
            let tag = if r["passed"] == true { "PASS" } else { "FAIL" };
            let line = format!("\t[{tag}] {}\n", r["name"].as_str().unwrap());
            assert!(stdout.contains(&line), "missing {line:?}");
            seen += 1;
        }
    }
    assert!(seen >= 10, "{seen} tests");
    // A raising title: its error, with a traceback frame at the user's file and line.
    let raising = doc["detections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == "Fixture.Alert.Raising")
        .expect("raising detection");
    let title_error = raising["results"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["functions"].as_array().unwrap())
        .find(|f| f["name"] == "title" && f["error"].is_object())
        .expect("a title error");
    assert_eq!(title_error["error"]["type"], "ValueError");
    let frame = title_error["error"]["traceback"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|f| f["user"] == true)
        .expect("a frame in the workspace");
    assert!(frame["file"]
        .as_str()
        .unwrap()
        .ends_with("rules/raising.py"));
    let source = std::fs::read_to_string(root.join("rules/raising.py")).unwrap();
    let line = source
        .lines()
        .nth(frame["line"].as_u64().unwrap() as usize - 1)
        .unwrap();
    assert!(line.contains("raise ValueError"), "{line}");
}

#[test]
fn failures_are_recapped_after_the_report_without_changing_pats_lines() {
    let env = test_env();
    let root = repo().join("tests/fixtures/engine/alert-functions");
    let out = prowl_test(&root, &env, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let recap_at = stderr.find("\nProwl: ").expect("a recap");
    let recap = &stderr[recap_at..];
    assert!(
        recap.contains("  Fixture.Alert.Raising  rules/raising.py:"),
        "{recap}"
    );
    assert!(recap.contains("test 'title raises on alert': [title] ValueError: boom in title"));
    // Errors PAT does not print are named.
    assert!(
        recap.contains("(PAT counts this error without printing it)"),
        "{recap}"
    );
    // PAT's closing ERROR line stays the last line.
    assert!(stderr
        .trim_end()
        .lines()
        .last()
        .unwrap()
        .starts_with("ERROR: "));
    let lines: Vec<&str> = recap.trim_end().lines().collect();
    assert!(!lines[..lines.len() - 1]
        .iter()
        .any(|l| l.starts_with("ERROR") || l.starts_with("WARNING")));
    // A passing run has no recap.
    let ok = prowl_test(&repo().join("tests/fixtures/engine/globals"), &env, &[]);
    assert_eq!(ok.status.code(), Some(0));
    assert!(!String::from_utf8_lossy(&ok.stderr).contains("Prowl: "));
}

//! `prowl test --watch` on a copy of the demo workspace: after the first run, each save re-runs
//! only the detections it touches (a rule's code, a helper's importers, a spec), and a broken
//! rule shows its FAIL at once.

mod common;

use common::*;
use rules_workspace::testkit::copy_dir;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

struct Watch {
    child: Child,
    lines: mpsc::Receiver<String>,
    stdout: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Watch {
    fn start(root: &Path, env: &Path) -> Watch {
        let mut child = Command::new(env!("CARGO_BIN_EXE_prowl"))
            .args(["test", ".", "--watch"])
            .current_dir(root)
            .env("PROWL_PYTHON_ENV", env)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start prowl test --watch");
        let (tx, lines) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stdout = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let sink = stdout.clone();
        let mut pipe = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Watch {
            child,
            lines,
            stdout,
        }
    }

    /// The next `watch: ran …` line (other stderr lines are skipped).
    fn next_run(&self) -> String {
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(90))
                .expect("a `watch: ran` line within 90 s");
            if line.starts_with("watch: ran ") {
                return line;
            }
        }
    }

    /// Stdout written since the last call, once it holds `needle`: stdout and stderr are two
    /// pipes read by two threads, so the `watch: ran` line on stderr can arrive before the
    /// report it follows has been read from stdout.
    fn take_stdout_with(&self, needle: &str) -> String {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            {
                let mut out = self.stdout.lock().unwrap();
                if out.contains(needle) || std::time::Instant::now() > deadline {
                    return std::mem::take(&mut *out);
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn append(path: &Path, text: &str) {
    let mut content = std::fs::read_to_string(path).unwrap();
    content.push_str(text);
    std::fs::write(path, content).unwrap();
}

#[test]
fn watch_reruns_only_what_a_save_touches() {
    let env = test_env();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ws");
    copy_dir(&demo_base(), &root);
    let watch = Watch::start(&root, &env);

    let first = watch.next_run();
    assert!(first.contains("ran 16 detection(s)"), "{first}");
    assert!(watch
        .take_stdout_with("Test Summary")
        .contains("Test Summary"));

    // Break one rule: only it runs, and it fails.
    let rule = root.join("rules/aws_cloudtrail_rules/demo_aws_cloudtrail_stopped.py");
    let source = std::fs::read_to_string(&rule).unwrap();
    std::fs::write(
        &rule,
        source.replace(
            "and not event.get(\"errorCode\")",
            "and event.get(\"errorCode\")",
        ),
    )
    .unwrap();
    let broken = watch.next_run();
    assert!(broken.contains("ran 1 detection(s)"), "{broken}");
    assert!(broken.contains("exit code 1"), "{broken}");
    let out = watch.take_stdout_with("\tFailed: 1\n");
    assert!(
        out.contains("Demo.AWS.CloudTrail.Stopped\n\t[FAIL] "),
        "{out}"
    );
    assert!(out.contains("\tFailed: 1\n"), "{out}");

    // Fix it again: PASS.
    std::fs::write(&rule, &source).unwrap();
    let fixed = watch.next_run();
    assert!(
        fixed.contains("ran 1 detection(s)") && fixed.contains("exit code 0"),
        "{fixed}"
    );

    // A helper: every detection depending on it runs, nothing else.
    append(
        &root.join("global_helpers/demo_aws_helpers.py"),
        "\n# edited\n",
    );
    let helper = watch.next_run();
    let importers = std::fs::read_dir(root.join("rules/aws_cloudtrail_rules"))
        .unwrap()
        .chain(std::fs::read_dir(root.join("policies")).unwrap())
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "py"))
        .filter(|e| {
            std::fs::read_to_string(e.path())
                .unwrap()
                .contains("demo_aws_helpers")
        })
        .count();
    assert_eq!(importers, 7, "the demo's rules importing the helper");
    // + the derived detection built on one of them (the data model importing the helper also
    // touches the simple detection of its log type, which PAT skips without a backend).
    assert!(
        helper.contains("ran 8 detection(s)"),
        "{helper} (expected the 7 importers and 1 derived detection)"
    );

    // A spec change re-validates and runs that detection.
    let spec = root.join("rules/aws_cloudtrail_rules/demo_aws_cloudtrail_stopped.yml");
    append(&spec, "\n# a comment\n");
    let yaml = watch.next_run();
    assert!(yaml.contains("ran 1 detection(s)"), "{yaml}");

    // Files that cannot matter do not start a run: the next run is the one for the rule.
    std::fs::write(root.join("notes.md"), "scratch").unwrap();
    std::fs::create_dir_all(root.join("rules/__pycache__")).unwrap();
    std::fs::write(root.join("rules/__pycache__/x.pyc"), b"junk").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    append(&rule, "\n# again\n");
    let again = watch.next_run();
    assert!(again.contains("ran 1 detection(s)"), "{again}");
    let out = watch.take_stdout_with("demo_aws_cloudtrail_stopped.py");
    assert!(
        out.contains("demo_aws_cloudtrail_stopped.py"),
        "the run names the file that changed: {out}"
    );
    // Bytecode goes to Prowl's cache, never into the workspace (the one we made above aside).
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                let ours = path == root.join("rules/__pycache__");
                assert!(
                    ours || path.file_name().unwrap() != "__pycache__",
                    "{} was written",
                    path.display()
                );
                stack.push(path);
            }
        }
    }
}

#[test]
fn workers_stay_loaded_between_runs_unless_a_helper_keeps_state() {
    let env = test_env();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ws");
    copy_dir(&demo_base(), &root);
    let watch = Watch::start(&root, &env);
    let first = watch.next_run();
    assert!(
        !first.contains("kept loaded"),
        "the first run loads: {first}"
    );

    // The demo's helpers keep no state: a rule's re-runs reuse the loaded workers.
    let rule = root.join("rules/aws_cloudtrail_rules/demo_aws_cloudtrail_stopped.py");
    for n in 0..2 {
        append(&rule, &format!("\n# edit {n}\n"));
        let run = watch.next_run();
        assert!(
            run.contains("ran 1 detection(s)") && run.contains("(workers kept loaded)"),
            "{run}"
        );
    }

    // A helper that keeps state (a function appends to a module-level list): the run after the
    // change reloads (its content changed), and so does every run after it (a detection may
    // have changed the helper's state, which a new PAT run would not see).
    append(
        &root.join("global_helpers/demo_base_helpers.py"),
        "\n_SEEN = []\n\n\ndef remember(x):\n    _SEEN.append(x)\n",
    );
    let helper = watch.next_run();
    assert!(!helper.contains("kept loaded"), "{helper}");
    append(&rule, "\n# edit 3\n");
    let after = watch.next_run();
    assert!(
        after.contains("ran 1 detection(s)") && !after.contains("kept loaded"),
        "{after}"
    );
}

#[test]
fn a_stateful_helper_reloads_the_workers_only_after_runs_that_reach_it() {
    let env = test_env();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ws");
    copy_dir(&demo_base(), &root);
    // Okta's helper keeps state; only the Okta rules import it (no data model does).
    append(
        &root.join("global_helpers/demo_okta_helpers.py"),
        "\n_SEEN = []\n\n\ndef remember(x):\n    _SEEN.append(x)\n",
    );
    let watch = Watch::start(&root, &env);
    let first = watch.next_run();
    assert!(first.contains("ran 16 detection(s)"), "{first}");

    // The full run reached it: the next run reloads. An AWS rule does not reach it, so the
    // run after that one finds the workers still loaded.
    let aws = root.join("rules/aws_cloudtrail_rules/demo_aws_cloudtrail_stopped.py");
    append(&aws, "\n# edit 1\n");
    let reload = watch.next_run();
    assert!(!reload.contains("kept loaded"), "{reload}");
    append(&aws, "\n# edit 2\n");
    let kept = watch.next_run();
    assert!(kept.contains("(workers kept loaded)"), "{kept}");

    // An Okta rule reaches it: it runs on the loaded workers, and the run after it reloads.
    let okta = root.join("rules/okta_rules/demo_okta_brute_force_logins.py");
    append(&okta, "\n# edit 3\n");
    let reached = watch.next_run();
    assert!(reached.contains("(workers kept loaded)"), "{reached}");
    append(&aws, "\n# edit 4\n");
    let after = watch.next_run();
    assert!(!after.contains("kept loaded"), "{after}");
}

//! The session as a front end's threads share it, without any window: opening in the
//! background, changes on disk reported, validation that does not wait for a run, a run
//! cancelled from another thread, and the extra workers of a whole-workspace run let go after
//! the idle time unless another run ends first. Alone in its process: it sets the environment
//! the workers are started with.

mod common;

use common::*;
use rules_workspace::session::shared::{Changed, SharedSession};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_shared_session_opens_watches_runs_cancels_and_lets_idle_workers_go() {
    let (_dir, ws) = demo_with_workers();

    // Opened in the background; whoever needs it waits.
    let shared = Arc::new(SharedSession::new());
    let (tx, changes) = mpsc::channel::<Changed>();
    shared.open_in_background(ws.clone(), move |c| {
        let _ = tx.send(c);
    });
    shared.wait_opened();
    let root = shared.root().unwrap();
    assert_eq!(root, std::fs::canonicalize(&ws).unwrap());

    // A change on disk reaches the callback; a spec change re-reads the workspace.
    shared.wait_watching();
    let spec = root.join("rules/aws_cloudtrail_rules/demo_aws_root_console_login.yml");
    let text = std::fs::read_to_string(&spec).unwrap();
    std::fs::write(&spec, text.replace("Severity: High", "Severity: Critical")).unwrap();
    let changed = changes
        .recv_timeout(Duration::from_secs(10))
        .expect("a change event");
    assert!(changed.paths.iter().any(|p| p == &spec), "{changed:?}");
    assert!(changed.reindexed);

    // Paths outside the workspace are refused before anything reads them.
    assert_eq!(
        shared.inside("/etc/passwd").unwrap_err().code,
        "file.outside_workspace"
    );

    // A whole-workspace run starts a worker per core; validation of a spec buffer does not
    // wait for it (it is answered while the run holds the session).
    let cores = rules_workspace::engine::pool::Pool::default_size();
    let runner = {
        let shared = Arc::clone(&shared);
        std::thread::spawn(move || {
            shared.run_tests_then_retire(None, Vec::new(), &mut |_| {}, Duration::from_secs(3600))
        })
    };
    wait_until("the run to hold the session", || {
        shared.try_session().is_none()
    });
    let started = Instant::now();
    let problems = shared
        .validate_buffer(spec.to_str().unwrap(), "AnalysisType: rule\n")
        .unwrap();
    assert!(problems.iter().any(|d| d.is_error()), "{problems:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "validation waited for the run"
    );
    let report = runner.join().unwrap().unwrap();
    let all = report.detections.len();
    assert_eq!(report.exit_code, 0);
    assert!(!report.cancelled);
    assert_eq!(shared.running_workers(), cores);

    if cores > 1 {
        // A retirement scheduled before another run ends is dropped: that run decides.
        shared.retire_extra_workers_after(Duration::from_millis(200));
        let one = shared
            .run_tests_then_retire(
                Some(vec!["Demo.AWS.CloudTrail.Stopped".into()]),
                Vec::new(),
                &mut |_| {},
                Duration::from_secs(3600),
            )
            .unwrap();
        assert_eq!(one.exit_code, 0);
        std::thread::sleep(Duration::from_millis(600));
        assert_eq!(shared.running_workers(), cores, "the later run keeps them");
    }
    // Idle: the extra workers stop, one stays warm.
    shared.retire_extra_workers_after(Duration::from_millis(50));
    wait_until("the extra workers to stop", || {
        shared.running_workers() == 1
    });

    // A run cancelled from another thread stops early and says so.
    let canceller = Arc::clone(&shared);
    let mut first = true;
    let report = shared
        .run_tests(None, Vec::new(), &mut |_| {
            if first {
                canceller.cancel_run();
                first = false;
            }
        })
        .unwrap();
    assert!(report.cancelled);
    assert!(
        report.detections.len() < all,
        "{} of {all}",
        report.detections.len()
    );
}

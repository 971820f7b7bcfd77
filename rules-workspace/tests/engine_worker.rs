//! The worker process and its client: the embedded interpreter answers frames, output written
//! to fd 1 by Python never corrupts the protocol, and a worker that hangs or dies is stopped
//! and reported with its exit status and last words.

mod common;

use rules_workspace::engine::messages::{PingAnswer, Request};
use rules_workspace::engine::worker::{Worker, WorkerOptions};
use rules_workspace::engine::EngineError;
use serde_json::json;
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn prowl_worker() -> Worker {
    Worker::spawn(&WorkerOptions::new(PathBuf::from(env!(
        "CARGO_BIN_EXE_prowl"
    ))))
    .expect("spawn worker")
}

#[test]
fn the_embedded_interpreter_is_the_one_prowl_was_built_against_and_isolated() {
    let mut w = prowl_worker();
    let answer: PingAnswer = w.request(&Request::Ping, Duration::from_secs(30)).unwrap();
    let version = &answer.python;
    assert!(
        version.starts_with(rules_workspace::env::build_python_version()),
        "{answer:?}"
    );
    let path: Vec<&str> = answer.path.iter().map(String::as_str).collect();
    let prefix = rules_workspace::env::build_python_prefix();
    assert!(
        path.iter().all(|p| p.starts_with(prefix)),
        "stdlib from the build interpreter only: {path:?}"
    );
    assert!(
        !path
            .iter()
            .any(|p| p.ends_with("dist-packages") || p.ends_with("site-packages")),
        "{path:?}"
    );
    w.shutdown();
}

#[test]
fn errors_in_a_request_are_answers_and_the_worker_goes_on() {
    let mut w = prowl_worker();
    let err = w
        .request::<PingAnswer>(&json!({"op": "no-such-op"}), Duration::from_secs(30))
        .unwrap_err();
    let EngineError::Harness(failure) = &err else {
        panic!("not a harness error: {err}");
    };
    assert_eq!(failure.kind, "ValueError");
    assert!(failure.message.contains("no-such-op"), "{failure}");
    let again: PingAnswer = w.request(&Request::Ping, Duration::from_secs(30)).unwrap();
    assert!(!again.python.is_empty());
    w.shutdown();
}

#[test]
fn site_packages_of_the_managed_environment_are_importable() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("panther_core")).unwrap();
    std::fs::write(dir.path().join("panther_core/__init__.py"), "").unwrap();
    let mut options = WorkerOptions::new(PathBuf::from(env!("CARGO_BIN_EXE_prowl")));
    options.site_packages = Some(dir.path().to_path_buf());
    let mut w = Worker::spawn(&options).unwrap();
    let answer: PingAnswer = w.request(&Request::Ping, Duration::from_secs(30)).unwrap();
    let path = answer.path.join(":");
    assert!(
        path.contains(&dir.path().display().to_string()),
        "{answer:?}"
    );
    w.shutdown();
}

/// Starts a stand-in worker, retrying while the freshly written script is "text file busy"
/// (another test thread's fork can briefly hold the write descriptor open).
fn spawn_script(program: PathBuf) -> Worker {
    for _ in 0..100 {
        match Worker::spawn(&WorkerOptions::new(program.clone())) {
            Ok(w) => return w,
            Err(EngineError::Spawn { source, .. })
                if source.raw_os_error() == Some(libc_etxtbsy()) =>
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => panic!("spawn failed: {e}"),
        }
    }
    panic!("the script stayed busy");
}

fn libc_etxtbsy() -> i32 {
    26 // ETXTBSY on Linux
}

/// A stand-in worker program: a shell script, so the client is tested against real processes.
fn script(body: &str) -> (tempfile::TempDir, PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fake-worker");
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    (dir, path)
}

#[test]
fn a_worker_that_hangs_is_killed_at_the_time_limit() {
    let (_dir, program) = script("exec sleep 600");
    let mut w = spawn_script(program);
    let started = Instant::now();
    let err = w
        .request::<PingAnswer>(&Request::Ping, Duration::from_millis(300))
        .unwrap_err();
    assert!(matches!(err, EngineError::Timeout { .. }), "{err}");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(
        err.to_string().contains("did not answer within 0.3 s"),
        "{err}"
    );
}

#[test]
fn a_worker_that_dies_is_reported_with_its_status_and_stderr() {
    let (_dir, program) = script("echo 'boom: the interpreter fell over' >&2; exit 7");
    let mut w = spawn_script(program);
    let err = w
        .request::<PingAnswer>(&Request::Ping, Duration::from_secs(10))
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, EngineError::Crashed { .. }), "{text}");
    assert!(text.contains("exit code 7"), "{text}");
    assert!(text.contains("boom: the interpreter fell over"), "{text}");
}

#[test]
fn a_worker_killed_by_a_signal_says_which() {
    let (_dir, program) = script("kill -SEGV $$");
    let mut w = spawn_script(program);
    let err = w
        .request::<PingAnswer>(&Request::Ping, Duration::from_secs(10))
        .unwrap_err();
    assert!(err.to_string().contains("SIGSEGV"), "{err}");
}

#[test]
fn a_missing_program_is_a_spawn_error() {
    let err = Worker::spawn(&WorkerOptions::new(PathBuf::from("/no/such/prowl")))
        .err()
        .expect("fails");
    assert!(
        err.to_string()
            .contains("cannot start a Python worker (/no/such/prowl)"),
        "{err}"
    );
}

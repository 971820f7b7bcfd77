//! The worker process (`prowl worker`): CPython embedded with pyo3, serving frames.
//!
//! Start-up: the frame channel is a private duplicate of fd 1, and fd 1 itself is pointed at
//! stderr, so output written by Python code (even `os.write(1, …)` or C extensions) can never
//! corrupt a frame. Then the interpreter starts, the workspace's virtual environment is added
//! with `site.addsitedir` (a venv's packages are not seen through `VIRTUAL_ENV` by an embedded
//! interpreter), and the dispatcher module (`python/prowl_worker.py`) is loaded from the
//! binary. Each request frame is passed to `prowl_worker.handle`, and its answer written back.
//! The loop ends at the end of stdin.

use super::protocol::{read_frame, write_frame};
use pyo3::prelude::*;
use pyo3::types::PyModule;
use std::ffi::CString;
use std::io::{BufReader, BufWriter};
use std::os::fd::FromRawFd;
use std::path::Path;
use std::process::ExitCode;

const DISPATCHER: &str = include_str!("python/prowl_worker.py");
const HARNESS: &str = include_str!("python/prowl_harness.py");
const AUDIT: &str = include_str!("python/prowl_audit.py");
const REPLAY: &str = include_str!("python/prowl_replay.py");
const MATCH: &str = include_str!("python/prowl_match.py");
const CLUSTER: &str = include_str!("python/prowl_cluster.py");

/// The harness's source (what `analyze_globals` and the tests run), for keys of what it found.
pub fn harness_source() -> &'static str {
    HARNESS
}

/// Prowl's Python modules a cluster's node imports from the run's package (file name, text):
/// the harness, the replay step, the matcher and the cluster task.
pub fn python_modules() -> [(&'static str, &'static str); 4] {
    [
        ("prowl_harness.py", HARNESS),
        ("prowl_replay.py", REPLAY),
        ("prowl_match.py", MATCH),
        ("prowl_cluster.py", CLUSTER),
    ]
}

/// The worker as another binary starts it: `args` are what follows `worker` on its command
/// line (`[--site-packages DIR]`, what `WorkerOptions` passes).
/// `--sandbox-ro PATH` / `--sandbox-rw PATH` put the worker in the sandbox first.
pub fn run_worker_with_args(args: &[std::ffi::OsString]) -> ExitCode {
    let mut site = None;
    let mut sandbox = super::sandbox::SandboxPaths::default();
    let mut sandboxed = false;
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let Some(value) = it.next().map(std::path::PathBuf::from) else {
            break;
        };
        match flag.to_str() {
            Some("--site-packages") => site = Some(value),
            Some("--sandbox-ro") => {
                sandboxed = true;
                sandbox.read_only.push(value);
            }
            Some("--sandbox-rw") => {
                sandboxed = true;
                sandbox.writable.push(value);
            }
            _ => {}
        }
    }
    if sandboxed {
        let layers = super::sandbox::enter(&sandbox);
        // SAFETY: still single-threaded; answered by `ping` (what `prowl audit` checks).
        unsafe { std::env::set_var("PROWL_SANDBOX_LAYERS", layers.to_env()) };
        if let Some(missing) = layers.missing() {
            // SAFETY: still single-threaded; read by the harness for the run's note.
            unsafe { std::env::set_var("PROWL_SANDBOX_MISSING", &missing) };
            eprintln!("{missing}");
        }
    }
    run_worker(site.as_deref())
}

/// Runs the worker loop; `site_packages` is the managed environment's, when there is one.
pub fn run_worker(site_packages: Option<&Path>) -> ExitCode {
    // SAFETY: plain fd syscalls on this process's own descriptors, before any other thread
    // (Python's or ours) exists.
    let frames_fd = unsafe {
        let fd = libc::dup(1);
        if fd < 0 || libc::dup2(2, 1) < 0 {
            eprintln!("prowl worker: cannot set up its output channel");
            return ExitCode::from(3);
        }
        fd
    };
    // SAFETY: `frames_fd` is a fresh descriptor owned by nobody else.
    let frames = unsafe { std::fs::File::from_raw_fd(frames_fd) };
    let mut out = BufWriter::new(frames);
    let mut input = BufReader::new(std::io::stdin().lock());

    // Run the interpreter we were built against, isolated from the user's Python set-up: its
    // own standard library (not that of whichever `python3` is first on PATH), no user site,
    // no PYTHONPATH, and no system dist-packages; only the managed environment is added.
    // SAFETY: no other thread exists yet, so changing the environment cannot race.
    unsafe {
        std::env::set_var("PYTHONHOME", crate::env::build_python_prefix());
        std::env::set_var("PYTHONNOUSERSITE", "1");
        // Bytecode goes to Prowl's cache, never into the workspace (PAT writes __pycache__
        // folders next to the rules): compiled once, reused by every worker and every run.
        match std::env::var_os("PROWL_PYCACHE") {
            Some(prefix) if !prefix.is_empty() => {
                std::env::remove_var("PYTHONDONTWRITEBYTECODE");
                std::env::set_var("PYTHONPYCACHEPREFIX", prefix);
            }
            _ => std::env::set_var("PYTHONDONTWRITEBYTECODE", "1"),
        }
        std::env::remove_var("PYTHONPATH");
        std::env::remove_var("PYTHONSTARTUP");
        // One string-hash seed for every worker and every run, so set and dict-of-set orders a
        // detection prints are the same whichever worker runs it (PAT's vary from run to run).
        // A user-set PYTHONHASHSEED wins.
        if std::env::var_os("PYTHONHASHSEED").is_none() {
            std::env::set_var("PYTHONHASHSEED", "0");
        }
    }
    Python::initialize();
    let dispatcher = Python::attach(|py| -> PyResult<Py<PyModule>> {
        let sys = py.import("sys")?;
        let kept: Vec<String> = sys
            .getattr("path")?
            .extract::<Vec<String>>()?
            .into_iter()
            .filter(|p| !p.ends_with("dist-packages") && !p.ends_with("site-packages"))
            .collect();
        sys.setattr("path", kept)?;
        if let Some(site) = site_packages {
            let site_mod = py.import("site")?;
            site_mod.call_method1("addsitedir", (site.to_string_lossy().as_ref(),))?;
        }
        let to_c = |s: &str| {
            CString::new(s).map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))
        };
        // The harness is imported lazily by the dispatcher's ops; it needs panther-core, so a
        // worker without the environment can still answer `ping`.
        let harness =
            PyModule::from_code(py, &to_c(HARNESS)?, c"prowl_harness.py", c"prowl_harness");
        match harness {
            Ok(h) => sys.getattr("modules")?.set_item("prowl_harness", h)?,
            Err(e) => eprintln!("prowl worker: the test harness is not available: {e}"),
        }
        // The static audit (standard library only): what `audit_static` answers.
        let audit = PyModule::from_code(py, &to_c(AUDIT)?, c"prowl_audit.py", c"prowl_audit")?;
        sys.getattr("modules")?.set_item("prowl_audit", audit)?;
        // The match-language evaluator (standard library only): Simple Detections' modules
        // import it by name; inline filters and replay use it.
        let matcher = PyModule::from_code(py, &to_c(MATCH)?, c"prowl_match.py", c"prowl_match")?;
        sys.getattr("modules")?.set_item("prowl_match", matcher)?;
        // Replay's detection step (uses the harness's state; imports nothing at load).
        let replay = PyModule::from_code(py, &to_c(REPLAY)?, c"prowl_replay.py", c"prowl_replay")?;
        sys.getattr("modules")?.set_item("prowl_replay", replay)?;
        let module =
            PyModule::from_code(py, &to_c(DISPATCHER)?, c"prowl_worker.py", c"prowl_worker")?;
        Ok(module.unbind())
    });
    let dispatcher = match dispatcher {
        Ok(d) => d,
        Err(e) => {
            eprintln!("prowl worker: cannot load the dispatcher: {e}");
            return ExitCode::from(3);
        }
    };
    loop {
        let frame = match read_frame(&mut input) {
            Ok(Some(f)) => f,
            Ok(None) => {
                // Prowl closed the pipe (it finished, or died): remove the harness's temp
                // folder before leaving.
                Python::attach(|py| {
                    let _ = dispatcher
                        .bind(py)
                        .call_method1("handle", (r#"{"op": "shutdown"}"#,));
                });
                return ExitCode::SUCCESS;
            }
            Err(e) => {
                eprintln!("prowl worker: bad request frame: {e}");
                return ExitCode::from(3);
            }
        };
        let answer = Python::attach(|py| -> PyResult<String> {
            let text = String::from_utf8_lossy(&frame);
            dispatcher
                .bind(py)
                .call_method1("handle", (text.as_ref(),))?
                .extract::<String>()
        });
        let answer = answer.unwrap_or_else(|e| {
            serde_json::json!({"error": {"type": "WorkerError", "message": e.to_string(), "traceback": ""}}).to_string()
        });
        if let Err(e) = write_frame(&mut out, answer.as_bytes()) {
            eprintln!("prowl worker: cannot write an answer: {e}");
            return ExitCode::from(3);
        }
    }
}

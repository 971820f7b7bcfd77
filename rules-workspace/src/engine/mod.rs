//! The engine: Python runs here, and only in worker processes.
//!
//! - [`messages`]: the requests and answers carried in those frames, as types.
//! - [`protocol`]: the framing between Prowl and a worker (a 4-byte big-endian length, then
//!   that many bytes of UTF-8 JSON), in both directions.
//! - [`pool`]: warm workers, one per core, running jobs in parallel for an ordered consumer.
//! - [`sandbox`]: the namespaces, filesystem view, Landlock and seccomp rules every worker of
//!   workspace code runs under.
//! - [`worker`]: the client side of one worker process: spawn, request with a time limit, kill.
//! - [`embedded`]: the worker process itself (`prowl worker`): CPython embedded with pyo3,
//!   serving requests from its stdin.
//!
//! Invariants: the worker's real stdout carries frames only (fd 1 is pointed at stderr before
//! Python starts, frames go to a private duplicate), so nothing a detection prints can corrupt
//! the protocol; a worker that hangs or dies is killed and reported, never waited on forever.

pub mod embedded;
pub mod messages;
pub mod pool;
pub mod protocol;
pub mod sandbox;
pub mod worker;

pub use embedded::python_modules;

/// Errors of the engine, each with what to do next.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The worker program could not be started.
    #[error("cannot start a Python worker ({program}): {source}")]
    Spawn {
        /// The program.
        program: String,
        /// Why.
        source: std::io::Error,
    },
    /// The worker did not answer in time and was stopped.
    #[error("the Python worker did not answer within {seconds:.1} s and was stopped")]
    Timeout {
        /// The time limit.
        seconds: f64,
    },
    /// The worker exited or was killed (a crash, `os._exit`, a signal).
    #[error("the Python worker stopped unexpectedly ({status}){}", stderr_suffix(.stderr))]
    Crashed {
        /// How it ended.
        status: String,
        /// The end of what it wrote on stderr.
        stderr: String,
    },
    /// The worker sent something that is not a valid answer.
    #[error("the Python worker sent something that is not a valid answer: {0}")]
    Protocol(String),
    /// The request's handler raised in the worker (a bug in the harness, or out of memory).
    #[error("the Python worker answered with an error: {0}")]
    Harness(messages::HarnessFailure),
    /// The Python environment is not ready.
    #[error("{0}")]
    Env(#[from] crate::env::EnvError),
}

/// How to start workers for a workspace (the command line and the desktop app both start
/// theirs through this). When its environment is missing or out of date, `sync` is asked to
/// make it (the command line syncs, asking for approval; the window returns the error and lets
/// the user sync from its Environment panel). While another process syncs the environment, a
/// usable previous one is used rather than waited for (`note` says so).
pub fn prepare_workers(
    root: &std::path::Path,
    note: &mut dyn FnMut(&str),
    sync: &mut dyn FnMut(&crate::env::PythonEnv) -> Result<(), crate::env::EnvError>,
) -> Result<worker::WorkerOptions, EngineError> {
    use crate::env::{sync_in_progress, EnvError, PythonEnv};
    let env = PythonEnv::for_workspace(root);
    match env.check() {
        Ok(()) => {}
        Err(EnvError::Stale { .. }) if env.usable() && sync_in_progress(&env) => {
            note("another prowl is updating this workspace's environment; running with the current one meanwhile");
        }
        Err(EnvError::Missing { .. } | EnvError::Stale { .. } | EnvError::Broken { .. }) => {
            sync(&env)?
        }
        Err(e) => return Err(e.into()),
    }
    if sandbox_switched_off() && !crate::trust::is_trusted(root) {
        note("PROWL_SANDBOX=off is ignored: this workspace is not trusted, so its code runs only in the sandbox (`prowl trust` trusts it)");
    }
    worker_options(&env)
}

/// How to start workers on an environment that can be used (made, with panther-core in it;
/// possibly out of date), never changing it.
pub fn worker_options(env: &crate::env::PythonEnv) -> Result<worker::WorkerOptions, EngineError> {
    if !env.usable() {
        env.check()?;
        return Err(crate::env::EnvError::Missing {
            workspace: env.workspace.display().to_string(),
        }
        .into());
    }
    let program = std::env::var_os("PROWL_WORKER_EXE")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::current_exe().ok())
        .unwrap_or_else(|| std::path::PathBuf::from("prowl"));
    let mut options = worker::WorkerOptions::new(program);
    options.site_packages = Some(env.site_packages());
    // An address-space limit turns a memory bomb into a MemoryError for that test instead of
    // exhausting the machine (`PROWL_WORKER_MEMORY_MB` changes it; 0 disables it).
    let mb: u64 = std::env::var("PROWL_WORKER_MEMORY_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2048);
    options.memory_limit = (mb > 0).then_some(mb * 1024 * 1024);
    // Bytecode per workspace: one workspace cannot plant `.pyc` files another will load.
    let pycache = crate::env::cache_dir()
        .join("pycache")
        .join(crate::env::workspace_key(&env.workspace));
    let _ = std::fs::create_dir_all(&pycache);
    if sandbox_wanted(&env.workspace) {
        // The real paths: the view shows them where they are, and the environment's link
        // lives in the cache the sandbox covers.
        let site =
            std::fs::canonicalize(env.site_packages()).unwrap_or_else(|_| env.site_packages());
        let generation = std::fs::canonicalize(&env.path).unwrap_or_else(|_| env.path.clone());
        options.site_packages = Some(site);
        options.sandbox = Some(sandbox::SandboxPaths {
            read_only: vec![env.workspace.clone(), generation],
            writable: vec![pycache.clone()],
        });
    }
    options.pycache = Some(pycache);
    Ok(options)
}

/// Workers for code nobody has trusted (`prowl audit`): `workspace`'s code run with `env`'s
/// packages, always in the sandbox whatever `PROWL_SANDBOX` says, seeing `workspace` and the
/// environment read-only and a bytecode cache of `workspace`'s own.
pub fn untrusted_worker_options(
    env: &crate::env::PythonEnv,
    workspace: &std::path::Path,
) -> Result<worker::WorkerOptions, EngineError> {
    let mut options = worker_options(env)?;
    let workspace = std::fs::canonicalize(workspace).unwrap_or_else(|_| workspace.to_path_buf());
    let pycache = crate::env::cache_dir()
        .join("pycache")
        .join(crate::env::workspace_key(&workspace));
    let _ = std::fs::create_dir_all(&pycache);
    let site = std::fs::canonicalize(env.site_packages()).unwrap_or_else(|_| env.site_packages());
    let generation = std::fs::canonicalize(&env.path).unwrap_or_else(|_| env.path.clone());
    options.site_packages = Some(site);
    options.sandbox = Some(sandbox::SandboxPaths {
        read_only: vec![workspace, generation],
        writable: vec![pycache.clone()],
    });
    options.pycache = Some(pycache);
    Ok(options)
}

/// A sandboxed worker that only reads files under `root` and needs no environment (the
/// static audit parses Python with the standard library; nothing of `root` runs).
pub fn reading_worker_options(root: &std::path::Path) -> worker::WorkerOptions {
    let program = std::env::var_os("PROWL_WORKER_EXE")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::current_exe().ok())
        .unwrap_or_else(|| std::path::PathBuf::from("prowl"));
    let mut options = worker::WorkerOptions::new(program);
    options.memory_limit = Some(2048 * 1024 * 1024);
    options.sandbox = Some(sandbox::SandboxPaths {
        read_only: vec![std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf())],
        writable: Vec::new(),
    });
    options
}

impl crate::error::UserError for EngineError {
    fn family(&self) -> &'static str {
        match self {
            EngineError::Env(e) => e.family(),
            _ => "engine",
        }
    }

    fn name(&self) -> &'static str {
        match self {
            EngineError::Spawn { .. } => "spawn",
            EngineError::Timeout { .. } => "timeout",
            EngineError::Crashed { .. } => "crashed",
            EngineError::Protocol(_) => "protocol",
            EngineError::Harness(_) => "harness",
            EngineError::Env(e) => e.name(),
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            EngineError::Env(e) => e.hint(),
            EngineError::Spawn { .. } => {
                Some("reinstall Prowl: the worker program is missing or not executable".into())
            }
            EngineError::Timeout { .. } => {
                Some("a detection may loop forever; raise --timeout if it is only slow".into())
            }
            _ => None,
        }
    }
}

/// Whether workers of the workspace at `root` run in the sandbox: always, unless
/// `PROWL_SANDBOX=off` (for debugging a detection with tools the sandbox refuses) for a
/// workspace the user trusts (`crate::trust`); an untrusted workspace's code never runs
/// outside it.
pub fn sandbox_wanted(root: &std::path::Path) -> bool {
    !sandbox_switched_off() || !crate::trust::is_trusted(root)
}

fn sandbox_switched_off() -> bool {
    std::env::var("PROWL_SANDBOX").as_deref() == Ok("off")
}

fn stderr_suffix(stderr: &str) -> String {
    let tail: Vec<&str> = stderr.trim_end().lines().rev().take(5).collect();
    if tail.is_empty() {
        String::new()
    } else {
        format!(
            ": {}",
            tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
        )
    }
}

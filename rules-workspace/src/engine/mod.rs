//! The engine: Python runs here, and only in worker processes.
//!
//! - [`protocol`]: the framing between Prowl and a worker (a 4-byte big-endian length, then
//!   that many bytes of UTF-8 JSON), in both directions.
//! - [`env`]: the managed Python environment per workspace (a virtual environment made with
//!   the interpreter Prowl was built against, with panther-core and the workspace's packages).
//! - [`pool`]: warm workers, one per core, running jobs in parallel for an ordered consumer.
//! - [`worker`]: the client side of one worker process: spawn, request with a time limit, kill.
//! - [`embedded`]: the worker process itself (`prowl worker`): CPython embedded with pyo3,
//!   serving requests from its stdin.
//!
//! Invariants: the worker's real stdout carries frames only (fd 1 is pointed at stderr before
//! Python starts, frames go to a private duplicate), so nothing a detection prints can corrupt
//! the protocol; a worker that hangs or dies is killed and reported, never waited on forever.

pub mod embedded;
pub mod env;
pub mod pool;
pub mod protocol;
pub mod worker;

/// Errors of the engine, each with what to do next.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("cannot start a Python worker ({program}): {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("the Python worker did not answer within {seconds:.1} s and was stopped")]
    Timeout { seconds: f64 },
    #[error("the Python worker stopped unexpectedly ({status}){}", stderr_suffix(.stderr))]
    Crashed { status: String, stderr: String },
    #[error("the Python worker sent something that is not a valid answer: {0}")]
    Protocol(String),
    #[error("{0}")]
    Env(#[from] env::EnvError),
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

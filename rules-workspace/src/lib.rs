//! Prowl's core library: everything that is not UI. The `prowl` command and the desktop shell
//! call the same functions; `docs/ARCHITECTURE.md` shows how the modules fit together.
//!
//! - [`spec`]: one analysis item: the data model, PAT's YAML dialect with spans, PAT-exact
//!   validation (`spec::validate`) and the format-preserving test editor (`spec::edit`).
//! - [`workspace`]: a folder read as PAT reads it: discovery, the index and dependency graph,
//!   workspace-level checks, atomic conflict-aware saves, recovery copies, the watcher.
//! - [`filter`]: PAT's `--filter` language.
//! - [`diagnostics`]: problems in files, with file, line, PAT's message and a hint.
//! - [`error`]: the one error shape users see (code, message, hint, location).
//! - [`fork`]: git for the workspace (libgit2): status, diffs, stage, commit, branches, clone.
//! - [`engine`]: Python worker processes (embedded CPython), their typed messages and the warm
//!   pool.
//! - [`env`](mod@env): the managed Python environment of a workspace: safe requirements, uv/pip,
//!   approval, atomic switch, manifest, wheelhouses.
//! - [`testing`]: unit-test runs with PAT's semantics: plan, schedule, collect; PAT's text,
//!   JSON and JUnit reports.
//! - [`session`]: an open workspace for an interactive front end, and the rules the desktop's
//!   threads share (opening, watching, runs and cancel, idle workers, path containment).
//! - [`audit`]: `prowl audit`: a third-party pack's static findings, its tests' behaviour in
//!   the sandbox, and reports (text, JSON, SARIF, HTML).
//! - [`demo`]: the bundled demo workspace, written out as a git repository.
//! - [`replay`]: log files read as a stream of events with Panther's standard fields (the
//!   first piece of replay: sources, formats, `p_` fields, event times).
//! - [`parallel`]: order-keeping work on all cores.
//! - [`trust`]: which workspaces the user vouches for (unsandboxed runs on request, packages
//!   installed without asking).
//! - [`cli`]: the `prowl` command (the binary is a thin `main` over it).
//! - `testkit`: scaffolding for tests (hidden).

#![warn(missing_docs)]

pub mod audit;
pub mod cli;
pub mod demo;
pub mod diagnostics;
pub mod engine;
pub mod env;
pub mod error;
pub mod filter;
pub mod fork;
pub mod matchlang;
pub mod parallel;
pub mod remote;
pub mod replay;
pub mod session;
pub mod spec;
pub mod testing;
#[doc(hidden)]
pub mod testkit;
pub mod trust;
pub mod upstream;
pub mod workspace;

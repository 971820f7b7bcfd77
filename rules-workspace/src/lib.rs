//! Prowl's core library: everything that is not UI.
//!
//! - [`spec`]: analysis items, PAT's YAML dialect with spans, PAT-exact validation.
//! - [`workspace`]: discovery, the index and dependency graph, workspace-level checks.
//! - [`filter`]: PAT's `--filter` language.
//! - [`fork`]: git for the workspace (git2): status, diffs, stage, commit, branches, clone.
//! - [`diagnostics`]: problems with file, line, PAT's message and a hint.
//! - [`engine`]: Python worker processes (embedded CPython), their protocol and environment.
//! - [`session`]: an open workspace for the desktop app: views, live validation, warm test runs.
//! - [`demo`]: the bundled demo workspace, written out as a git repository.
//! - [`cli`]: the `prowl` command (the binary is a thin `main` over it).

pub mod cli;
pub mod demo;
pub mod diagnostics;
pub mod engine;
pub mod error;
pub mod filter;
pub mod fork;
pub mod parallel;
pub mod session;
pub mod spec;
pub mod testing;
#[doc(hidden)]
pub mod testkit;
pub mod workspace;

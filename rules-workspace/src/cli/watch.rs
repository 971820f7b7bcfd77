//! `prowl test --watch`: run the tests once, then again on every save, only for the detections
//! the change touches, on a pool that stays warm between runs.
//!
//! - Events come from `notify` (inotify on Linux) for the whole workspace; a burst (an editor's
//!   write-rename-chmod, a `git checkout`) is collected until the tree has been quiet for
//!   [`QUIET`], so one save is one run.
//! - Only `.py`, `.yml` and `.yaml` files count; `.git/`, hidden folders, `__pycache__` and
//!   editor droppings are ignored.
//! - `Workspace::apply_changes`: a Python-only change keeps the workspace and refreshes the
//!   changed files' imports in the index; a YAML change, or a file created or removed,
//!   re-opens (re-validates) the workspace.
//! - What runs: `testing::affected_detections` (the changed items and their dependents through
//!   the index: importers of a helper, rules of a data model's log types, derived detections),
//!   within the user's `--filter`. A Python file that belongs to no item runs everything.
//! - The pool's workers keep the workspace loaded; they reload only when a helper or a data
//!   model changed (the load key hashes their content), or when a helper may keep state
//!   (`AnalyzeGlobals`, learnt once per load key), so a detection's re-run costs its own import
//!   and tests; the `watch:` line then says "(workers kept loaded)".
//!
//! After each run a line `watch: ran N detection(s) in X ms …` goes to stderr (benchmarks wait
//! for it); the PAT-style report of that run goes to stdout.

use super::{CliError, TestArgs};
use crate::engine::pool::Pool;
use crate::testing::{self, TestOptions};
use crate::workspace::watch::Watcher;
use crate::workspace::Workspace;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

pub fn watch(
    args: &TestArgs,
    pool: &mut Pool,
    mut ws: Workspace,
    mut options: TestOptions,
) -> Result<ExitCode, CliError> {
    let root = ws.root.clone();
    let watcher = Watcher::start(&root).map_err(|e| {
        crate::error::ErrorInfo::new("cli.watch", format!("cannot watch {}: {e}", root.display()))
            .with_hint("on Linux, raise fs.inotify.max_user_watches if the workspace is very large")
    })?;

    run_once(pool, &ws, &options, "initial run")?;
    eprintln!(
        "watch: watching {} for changes (Ctrl+C to stop)",
        root.display()
    );
    loop {
        let Some(changed) = watcher.next_burst() else {
            return Ok(ExitCode::SUCCESS); // the watcher is gone
        };
        if changed.is_empty() {
            continue;
        }
        if let Err(e) = ws.apply_changes(&args.workspace.open_options(), &changed) {
            eprintln!("watch: cannot re-open the workspace: {e}");
            continue;
        }
        let paths: Vec<PathBuf> = changed.into_iter().map(|(p, _)| p).collect();
        options.only = testing::affected_detections(&ws, &paths);
        let label = describe(&root, &paths);
        if options.only.as_ref().is_some_and(BTreeSet::is_empty) {
            eprintln!("watch: {label} changed; no detection depends on it");
            continue;
        }
        run_once(pool, &ws, &options, &label)?;
    }
}

/// Runs the tests, prints the report and the `watch:` line.
fn run_once(
    pool: &mut Pool,
    ws: &Workspace,
    options: &TestOptions,
    label: &str,
) -> Result<(), CliError> {
    let started = Instant::now();
    let run = testing::run(ws, pool, options)?;
    let elapsed = started.elapsed();
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "── {label}");
    let _ = stdout.write_all(run.stdout.as_bytes());
    let _ = stdout.flush();
    let _ = std::io::stderr().write_all(run.stderr.as_bytes());
    let failed = run.detections.iter().filter(|d| d.has_problems()).count();
    eprintln!(
        "watch: ran {} detection(s) in {:.1} ms: {} with problems, exit code {}{}",
        run.detections.len(),
        elapsed.as_secs_f64() * 1000.0,
        failed,
        run.exit_code,
        if pool.last_load_reused() {
            " (workers kept loaded)"
        } else {
            ""
        }
    );
    Ok(())
}

fn describe(root: &Path, paths: &[PathBuf]) -> String {
    let names: Vec<String> = paths
        .iter()
        .take(3)
        .map(|p| p.strip_prefix(root).unwrap_or(p).display().to_string())
        .collect();
    match paths.len() {
        0..=3 => names.join(", "),
        n => format!("{} and {} more", names.join(", "), n - 3),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_name_at_most_three_files() {
        let root = Path::new("/ws");
        let p = |s: &str| PathBuf::from(format!("/ws/{s}"));
        assert_eq!(describe(root, &[p("a.py")]), "a.py");
        assert_eq!(
            describe(root, &[p("a.py"), p("b.py"), p("c.py"), p("d.py")]),
            "a.py, b.py, c.py and 1 more"
        );
    }
}

//! Unit-test runs with PAT's semantics: which detections run, in which order, with which
//! tests, and PAT's verdicts, counts and exit code.
//!
//! The Python side (`engine/python/prowl_harness.py`) builds each detection and runs its tests
//! through panther-core exactly as PAT 1.6.3 does; this module is PAT's `test_analysis`
//! orchestration around it, in three steps:
//! - `plan`: PAT's decision for each selected detection and the requests to send;
//! - `schedule`: which requests share a worker (helpers with state), slowest first;
//! - `collect`: answers printed in PAT's order as they arrive ([`pat_text`] is PAT's text).
//!
//! `tests/engine/harness_check.py` is the reference this follows line by line. For profiling,
//! [`DebugSwitches`] (read from `PROWL_DEBUG_*` by the caller, once) print the phases and dump
//! the requests to replay them against the harness in Python.

mod collect;
pub mod junit;
pub mod kept_output;
pub mod local;
pub mod pat_text;
mod plan;
mod schedule;
pub mod timings;
mod traits_cache;

use crate::engine::messages::{DetectionResult, GlobalFile, GlobalTraits, Request};
use crate::engine::pool::Pool;
use crate::engine::EngineError;
use crate::filter::Filters;
use crate::spec::{AnalysisItem, AnalysisType};
use crate::workspace::Workspace;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// PAT's `test` flags.
#[derive(Debug, Clone)]
pub struct TestOptions {
    /// `--filter`.
    pub filters: Filters,
    /// `--minimum-tests`.
    pub minimum_tests: usize,
    /// `--test-names`.
    pub test_names: Vec<String>,
    /// `--skip-disabled-tests`.
    pub skip_disabled_tests: bool,
    /// `--available-destination`.
    pub available_destinations: Vec<String>,
    /// `--sort-test-results`.
    pub sort_test_results: bool,
    /// `--show-failures-only`.
    pub show_failures_only: bool,
    /// Time allowed for one detection's tests before its worker is stopped.
    pub timeout: Duration,
    /// The `--path` text PAT prints in its summary.
    pub path_label: String,
    /// Run only these detection IDs (watch mode: what a change touched), after the filters.
    pub only: Option<std::collections::BTreeSet<String>>,
    /// Evaluate locally what PAT needs a backend for (Simple Detections, inline filters,
    /// correlation rules), after PAT's report.
    pub local: bool,
    /// Make the local verdicts' failures fail the run (exit code 1).
    pub fail_on_local: bool,
    /// Send what PAT sends a Panther instance (Simple Detections and inline filters to be
    /// transpiled, correlation rules' tests) to this one instead of evaluating it locally.
    pub remote: Option<RemoteTests>,
    /// The pool serves more runs after this one (watch mode, the window): the helpers' traits
    /// are learnt even for a run on one worker, so that helpers known to keep no state let the
    /// workers stay loaded between runs.
    pub keep_warm: bool,
    /// Profiling switches.
    pub debug: DebugSwitches,
}

impl Default for TestOptions {
    fn default() -> Self {
        TestOptions {
            filters: Filters::default(),
            minimum_tests: 0,
            test_names: Vec::new(),
            skip_disabled_tests: false,
            available_destinations: Vec::new(),
            sort_test_results: false,
            show_failures_only: false,
            timeout: Duration::from_secs(10),
            path_label: ".".into(),
            only: None,
            local: true,
            fail_on_local: false,
            remote: None,
            keep_warm: false,
            debug: DebugSwitches::default(),
        }
    }
}

/// The instance a run sends its server-side tests to.
#[derive(Clone)]
pub struct RemoteTests(pub std::sync::Arc<crate::remote::client::Client>);

impl std::fmt::Debug for RemoteTests {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RemoteTests({})", self.0.url())
    }
}

/// Switches for profiling a run, off by default.
#[derive(Debug, Clone, Default)]
pub struct DebugSwitches {
    /// Print the phases' times on stderr (`PROWL_DEBUG_TIMINGS=1`).
    pub timings: bool,
    /// Write the load request to this file (`PROWL_DEBUG_LOAD=<file>`).
    pub load_dump: Option<PathBuf>,
    /// Write the run requests, as JSON lines, to this file (`PROWL_DEBUG_REQUESTS=<file>`).
    pub requests_dump: Option<PathBuf>,
}

impl DebugSwitches {
    /// The switches the `PROWL_DEBUG_*` environment variables ask for. Read once, by the
    /// command line.
    pub fn from_env() -> DebugSwitches {
        DebugSwitches {
            timings: std::env::var_os("PROWL_DEBUG_TIMINGS").is_some(),
            load_dump: std::env::var_os("PROWL_DEBUG_LOAD").map(PathBuf::from),
            requests_dump: std::env::var_os("PROWL_DEBUG_REQUESTS").map(PathBuf::from),
        }
    }
}

/// What a run produced: PAT's stdout and stderr text, and its exit code.
#[derive(Debug, Default)]
pub struct TestRun {
    /// What `pat test` prints on stdout.
    pub stdout: String,
    /// What it prints on stderr (plus Prowl's failure recap before the last `ERROR:` line).
    pub stderr: String,
    /// PAT's exit code.
    pub exit_code: i32,
    /// Per detection, in PAT's order, what the harness answered (for JSON output and the IDE).
    pub detections: Vec<DetectionResult>,
    /// PAT's summary counts and lists (`None` when PAT would have stopped before its summary).
    pub summary: Option<Summary>,
    /// The observer stopped the run early: the report covers only what finished.
    pub cancelled: bool,
    /// What the helpers and data models tried while the workspace was loaded (see
    /// [`crate::engine::messages::Attempt`]).
    pub loading_attempts: Vec<crate::engine::messages::Attempt>,
    /// The sandbox layers this kernel refused, when any (the workers' note).
    pub sandbox_note: Option<String>,
    /// Prowl's local verdicts on what PAT skips without a backend (its text is already at the
    /// end of `stderr`).
    pub local: Option<local::LocalRun>,
}

/// PAT's Test Summary: counts (Passed may be negative, as in PAT) and the lists behind them.
#[derive(Debug, Default, Clone, serde::Serialize, ts_rs::TS)]
pub struct Summary {
    /// Detections counted minus failed, invalid and skipped ones (as PAT counts).
    pub passed: i64,
    /// Skipped detections.
    pub skipped: usize,
    /// Detections with a failing test.
    pub failed: usize,
    /// Specs and detections that could not be loaded.
    pub invalid: usize,
    /// (spec file, detection ID) of skipped detections.
    pub skipped_detections: Vec<(String, String)>,
    /// Detection ID → PAT's failed entries (`test name` or `test name:function`).
    pub failed_tests: Vec<(String, Vec<String>)>,
    /// (file, message) of specs PAT could not load or detections it could not build.
    pub invalid_specs: Vec<(String, String)>,
}

/// Why a run could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TestError {
    /// The workers could not be started, loaded or asked.
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl crate::error::UserError for TestError {
    fn family(&self) -> &'static str {
        match self {
            TestError::Engine(e) => e.family(),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            TestError::Engine(e) => e.name(),
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            TestError::Engine(e) => e.hint(),
        }
    }
}

/// Runs the selected detections' tests as `pat test --path .` would from the workspace root,
/// on the pool's workers, and reports in PAT's order.
pub fn run(ws: &Workspace, pool: &mut Pool, options: &TestOptions) -> Result<TestRun, TestError> {
    run_observed(ws, pool, options, &mut |_| true)
}

/// Progress of a run, for an observer.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
pub struct Progress {
    /// Detections answered so far.
    pub done: usize,
    /// Detections to run.
    pub total: usize,
    /// The detection that just finished.
    pub id: String,
}

/// [`run`], telling `observer` as each detection finishes; the observer returns `false` to
/// cancel (detections not started are dropped; the run reports what finished and
/// `cancelled`).
pub fn run_observed(
    ws: &Workspace,
    pool: &mut Pool,
    options: &TestOptions,
    observer: &mut dyn FnMut(&Progress) -> bool,
) -> Result<TestRun, TestError> {
    let mut out = pat_text::Printer::new(options);
    // Warnings PAT logs while classifying (DedupPeriodMinutes), in walk order.
    for d in ws.diagnostics.iter().filter(|d| d.pat && !d.is_error()) {
        out.log("WARNING", &d.message);
    }
    // PAT's loader invalids: every per-file problem PAT reports, in walk order.
    let mut invalid: Vec<(String, String)> = ws
        .diagnostics
        .iter()
        .filter(|d| d.pat && d.is_error())
        .map(|d| (d.file.display().to_string(), d.message.clone()))
        .collect();
    if ws.items.is_empty() {
        if invalid.is_empty() {
            invalid.push((
                String::new(),
                format!("Nothing to test in {}", options.path_label),
            ));
        }
        return Ok(out.finish_early(invalid));
    }
    let selection = ws.select(&options.filters);
    let selected: Vec<&AnalysisItem> = selection.iter().map(|&i| &ws.items[i]).collect();
    if selected.is_empty() {
        return Ok(out.finish_early(vec![(
            String::new(),
            format!(
                "No analysis in {} matched filters {}",
                options.path_label,
                options.filters.pat_repr()
            ),
        )]));
    }
    let detections = plan::detections_in_pat_order(&selected);
    if detections.iter().any(|i| plan::is_simple(i)) {
        out.log(
            "INFO",
            "No backend client provided, skipping tests for simple detections.",
        );
    }
    if detections
        .iter()
        .any(|i| i.spec.get("InlineFilters").is_some())
    {
        out.log(
            "INFO",
            "No backend client provided, skipping InlineFilters during testing",
        );
    }

    // Load the workspace on a worker: its output comes first, and it may end PAT's run.
    let debug = &options.debug;
    let load = plan::load_request(ws, &selected, options);
    if let Some(dump) = &debug.load_dump {
        let _ = std::fs::write(
            dump,
            serde_json::to_string(&load.request).unwrap_or_default(),
        );
    }
    let t0 = std::time::Instant::now();
    // PAT's decision for each detection and the requests to send are made while the workers
    // load (nothing of the load goes into them).
    let (setup, run_plan) = std::thread::scope(|scope| {
        let planning = scope.spawn(|| plan::plan(&detections, options));
        let setup = pool.load_primary(&load);
        if debug.timings {
            eprintln!("load: {:?}", t0.elapsed());
        }
        let run_plan = planning
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (setup, run_plan)
    });
    let setup = setup?;
    out.stderr(&setup.stderr);
    out.setup_output(&setup.output);
    if let Some(fatal) = &setup.fatal {
        return Ok(out.fatal(fatal, false));
    }
    let loading_attempts = setup.attempts;
    let sandbox_note = setup.sandbox_note;
    if let Some(note) = &sandbox_note {
        eprintln!("note: {note}");
    }
    for i in setup.invalid {
        invalid.push((i.spec_path.unwrap_or_default(), i.message));
    }

    // 1. Plan: PAT's decision for each detection, and the requests to run.
    let plan::RunPlan {
        plans,
        requests,
        counted,
    } = run_plan;
    if let Some(dump) = &debug.requests_dump {
        let lines: Vec<String> = requests
            .iter()
            .map(|r| {
                serde_json::to_string(&Request::RunDetection(r.body.clone())).unwrap_or_default()
            })
            .collect();
        let _ = std::fs::write(dump, lines.join("\n"));
    }

    // 2. Schedule: which requests must share a worker, slowest first.
    let globals: Vec<GlobalFile> = selected
        .iter()
        .filter(|i| i.analysis_type == AnalysisType::Global)
        .map(|g| GlobalFile {
            id: g.id.clone(),
            path: g.code_path.as_ref().map(|p| p.display().to_string()),
        })
        .collect();
    let has_globals = !globals.is_empty();
    let parallel = pool.size() > 1 && requests.len() > 1;
    // The helpers' traits: asked once per load key (the same helpers' code), then remembered,
    // so a narrowed re-run (watch mode, one detection) knows them without asking.
    let known = pool.known_traits(load.key).cloned();
    let ask = has_globals && (parallel || options.keep_warm);
    let stickiness_known = known.is_some() || ask;
    let traits: GlobalTraits = match known {
        Some(t) => t,
        None if ask => {
            // Found by an earlier run for these very helpers, or asked now and kept.
            let cache = traits_cache::TraitsCache::new(&ws.root, &globals);
            let t = match cache.get() {
                Some(t) => t,
                None => {
                    let t: GlobalTraits = pool.call(
                        &load,
                        &Request::AnalyzeGlobals { globals },
                        Duration::from_secs(60),
                    )?;
                    cache.put(&t);
                    t
                }
            };
            pool.remember_traits(load.key, t.clone());
            t
        }
        None => GlobalTraits::default(),
    };
    if debug.timings {
        eprintln!("traits: {:?}", t0.elapsed());
    }
    let any_sticky = traits.sticky().next().is_some();
    let mut timings = timings::Timings::load(&ws.root);
    let jobs = if parallel {
        schedule::parallel(ws, &selected, &requests, &traits, &timings)
    } else {
        schedule::sequential(&requests)
    };

    // Prowl's local verdicts (what PAT skips without a backend) run in the same pool run,
    // after PAT's requests, so the workspace is loaded once; each is a job of its own.
    let mut local_plan = options.local.then(|| local::plan(ws, &detections, options));
    // What this run executes, for the question whether it may change a sticky helper's state.
    let ran: Vec<&AnalysisItem> = {
        let local_ids: std::collections::BTreeSet<&str> = local_plan
            .iter()
            .flat_map(|lp| lp.requests().map(|r| r.id.as_str()))
            .collect();
        requests
            .iter()
            .map(|r| r.code_item)
            .chain(
                selected
                    .iter()
                    .copied()
                    .filter(|i| local_ids.contains(i.id.as_str())),
            )
            .collect()
    };
    let mut jobs = jobs;
    if let Some(lp) = &local_plan {
        jobs.extend(
            lp.requests()
                .enumerate()
                .map(|(k, r)| vec![(requests.len() + k, Request::RunDetection(r.clone()))]),
        );
    }

    // 3. Run on the pool; print in PAT's order as the answers arrive.
    let mut collector = collect::Collector::new(out, options, plans, requests.len());
    collector.advance();
    let mut done = 0;
    let mut cancelled = false;
    if !jobs.is_empty() {
        pool.run(&load, jobs, options.timeout, &mut |index, answer| {
            if index >= requests.len() {
                if let Some(lp) = local_plan.as_mut() {
                    lp.answer(index - requests.len(), answer);
                }
                return !cancelled;
            }
            let request = &requests[index].body;
            let answer = match answer {
                Ok(a) => a,
                // The harness itself failed on this detection (e.g. out of memory while
                // answering): report it for this detection; the pool replaced the worker.
                Err(EngineError::Harness(e)) => DetectionResult::engine_failure(
                    &request.id,
                    &request.spec_path,
                    format!("the test harness failed on this detection: {e}"),
                ),
                Err(e) => {
                    DetectionResult::engine_failure(&request.id, &request.spec_path, e.to_string())
                }
            };
            if let Some(ms) = answer.elapsed_ms {
                timings.record(&request.id, ms);
            }
            done += 1;
            let go_on = observer(&Progress {
                done,
                total: requests.len(),
                id: request.id.clone(),
            });
            cancelled |= !go_on;
            collector.answer(index, answer) && go_on
        });
    }
    timings.save();
    if debug.timings {
        eprintln!("ran: {:?}", t0.elapsed());
    }
    if has_globals
        && (!stickiness_known
            || (any_sticky && schedule::touches_sticky(ws, &selected, &ran, &traits)))
    {
        // Helpers that may keep state, and this run reached one (or nobody knows): the next run
        // starts from fresh modules, as a new PAT run does.
        pool.invalidate();
    }
    let collect::Collector {
        out,
        invalid_detections,
        kept,
        fatal,
        ..
    } = collector;
    if let Some(run) = fatal {
        return Ok(run);
    }
    invalid.extend(invalid_detections);
    // PAT's pack check on the filtered set comes last.
    for d in ws
        .pack_check(&selection)
        .into_iter()
        .filter(|d| d.code == crate::diagnostics::Code::PackMemberMissing)
    {
        invalid.push((d.file.display().to_string(), d.message));
    }
    let mut out = out;
    out.recap(&kept, &ws.root);
    out.attempts(&loading_attempts, &kept, &ws.root);
    let mut run = out.finish(counted, invalid);
    if let Some(found) = local_plan
        .filter(|_| !cancelled)
        .map(local::LocalPlan::finish)
    {
        if !found.detections.is_empty() {
            run.stderr.push_str(&found.text(options.fail_on_local));
            if options.fail_on_local && found.failed > 0 && run.exit_code == 0 {
                run.exit_code = 1;
            }
            run.local = Some(found);
        }
    }
    run.detections = kept;
    run.cancelled = cancelled;
    run.loading_attempts = loading_attempts;
    run.sandbox_note = sandbox_note;
    Ok(run)
}

/// The detections a set of changed files can alter: each file's items and, through the
/// index, everything depending on them (a helper's importers, a data model's rules, a derived
/// detection's base). `None` when a change cannot be narrowed down (a Python file that belongs
/// to no item may be imported by anything: everything runs again).
pub fn affected_detections(
    ws: &Workspace,
    changed: &[PathBuf],
) -> Option<std::collections::BTreeSet<String>> {
    let mut ids = std::collections::BTreeSet::new();
    for path in changed {
        let hits = ws.index.affected_by_path(path, &ws.items);
        if hits.is_empty() {
            if path.extension().is_some_and(|e| e == "py") && ws.index.by_path(path).is_empty() {
                return None;
            }
            continue;
        }
        ids.extend(
            hits.into_iter()
                .map(|i| &ws.items[i])
                .filter(|i| i.analysis_type.is_detection())
                .map(|i| i.id.clone()),
        );
    }
    Some(ids)
}

/// The workspace root PAT would run from, for messages.
pub fn label(path: &Path) -> String {
    path.display().to_string()
}

/// The load request for every global helper and data model of the workspace (what a replay
/// needs: the detections it runs import helpers whatever `--filter` selected).
pub(crate) fn workspace_load(
    ws: &Workspace,
    available_destinations: &[String],
) -> crate::engine::pool::Load {
    let all: Vec<&AnalysisItem> = ws.items.iter().collect();
    let options = TestOptions {
        available_destinations: available_destinations.to_vec(),
        ..TestOptions::default()
    };
    plan::load_request(ws, &all, &options)
}

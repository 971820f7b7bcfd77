//! Unit-test runs with PAT's semantics: which detections run, in which order, with which
//! tests, and PAT's verdicts, counts and exit code.
//!
//! The Python side (`engine/python/prowl_harness.py`) builds each detection and runs its tests
//! through panther-core exactly as PAT 1.6.3 does; this module is PAT's `test_analysis`
//! orchestration around it (order: rules, scheduled rules, policies and correlation rules in
//! walk order, then simple detections; `--skip-disabled-tests`, `--test-names` checked before a
//! derived detection inherits its base's tests, bases looked up among filtered detections only,
//! `--minimum-tests`), and [`pat_text`] prints the result as PAT does.
//! `tests/engine/harness_check.py` is the reference this follows line by line.
//!
//! Runs are planned first (PAT's decisions per detection), then the requests go to the pool
//! (slowest first, helpers with state tying their users to one worker) and the report is
//! printed in PAT's order as answers arrive. For profiling: `PROWL_DEBUG_TIMINGS=1` prints the
//! phases on stderr; `PROWL_DEBUG_LOAD=<file>` and `PROWL_DEBUG_REQUESTS=<file>` write the load
//! request and the run requests (JSON lines) to replay them against the harness in Python.

pub mod junit;
pub mod pat_text;
pub mod timings;

use crate::engine::env::PythonEnv;
use crate::engine::pool::{Load, Pool, Step};
use crate::engine::worker::WorkerOptions;
use crate::engine::EngineError;
use crate::filter::Filters;
use crate::spec::{AnalysisItem, AnalysisType, DetectionForm, Node};
use crate::workspace::Workspace;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// PAT's `test` flags.
#[derive(Debug, Clone)]
pub struct TestOptions {
    pub filters: Filters,
    pub minimum_tests: usize,
    pub test_names: Vec<String>,
    pub skip_disabled_tests: bool,
    pub available_destinations: Vec<String>,
    pub sort_test_results: bool,
    pub show_failures_only: bool,
    /// Time allowed for one detection's tests before its worker is stopped.
    pub timeout: Duration,
    /// The `--path` text PAT prints in its summary.
    pub path_label: String,
    /// Run only these detection IDs (watch mode: what a change touched), after the filters.
    pub only: Option<std::collections::BTreeSet<String>>,
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
        }
    }
}

/// What a run produced: PAT's stdout and stderr text, and its exit code.
#[derive(Debug, Default)]
pub struct TestRun {
    pub stdout: String,
    pub stderr: String,
    pub exit_code: i32,
    /// Per detection, the harness's answer (for JSON output and the IDE).
    pub detections: Vec<Value>,
    /// PAT's summary counts and lists (`None` when PAT would have stopped before its summary).
    pub summary: Option<Summary>,
    /// The observer stopped the run early: the report covers only what finished.
    pub cancelled: bool,
}

/// PAT's Test Summary: counts (Passed may be negative, as in PAT) and the lists behind them.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Summary {
    pub passed: i64,
    pub skipped: usize,
    pub failed: usize,
    pub invalid: usize,
    /// (spec file, detection ID) of skipped detections.
    pub skipped_detections: Vec<(String, String)>,
    /// Detection ID → PAT's failed entries (`test name` or `test name:function`).
    pub failed_tests: Vec<(String, Vec<String>)>,
    /// (file, message) of specs PAT could not load or detections it could not build.
    pub invalid_specs: Vec<(String, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum TestError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("the Python worker answered with an error: {0}")]
    Harness(String),
}

/// Where the worker's Python packages are.
pub fn worker_options(root: &Path) -> Result<WorkerOptions, EngineError> {
    let env = PythonEnv::for_workspace(root);
    env.check()?;
    let program = std::env::var_os("PROWL_WORKER_EXE")
        .map(PathBuf::from)
        .or_else(|| std::env::current_exe().ok())
        .unwrap_or_else(|| PathBuf::from("prowl"));
    let mut options = WorkerOptions::new(program);
    options.site_packages = Some(env.site_packages());
    // An address-space limit turns a memory bomb into a MemoryError for that test instead of
    // exhausting the machine (`PROWL_WORKER_MEMORY_MB` changes it; 0 disables it).
    let mb: u64 = std::env::var("PROWL_WORKER_MEMORY_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2048);
    options.memory_limit = (mb > 0).then_some(mb * 1024 * 1024);
    options.pycache = Some(crate::engine::env::cache_dir().join("pycache"));
    Ok(options)
}

/// `os.path.join(<folder as PAT's walk names it>, Filename)`.
fn pat_join(item: &AnalysisItem, filename: &str) -> String {
    if filename.starts_with('/') {
        filename.to_owned()
    } else {
        format!("{}/{}", item.walk_dir, filename)
    }
}

fn filename(item: &AnalysisItem) -> Option<&str> {
    item.spec.get("Filename").and_then(Node::as_str)
}

fn request_test(test: &Node) -> Value {
    let mut out = json!({
        "name": test.get("Name").map(Node::to_json).unwrap_or(Value::Null),
        "expected_result": test.get("ExpectedResult").map(Node::to_json).unwrap_or(Value::Null),
        "mocks": test.get("Mocks").map(Node::to_json).unwrap_or(json!([])),
    });
    if let Some(r) = test.get("Resource") {
        out["resource"] = r.to_json();
    } else if let Some(l) = test.get("Log") {
        out["log"] = l.to_json();
    }
    out
}

fn harness_error(answer: &Value) -> Option<String> {
    answer.get("error").filter(|e| !e.is_null()).map(|e| {
        format!(
            "{}: {}",
            e["type"].as_str().unwrap_or("Error"),
            e["message"].as_str().unwrap_or("")
        )
    })
}

/// What PAT does for one detection, decided before anything runs.
enum Plan<'a> {
    /// `--skip-disabled-tests` on a disabled detection.
    SkipDisabled {
        spec_file: String,
        item: &'a AnalysisItem,
    },
    /// `--test-names` matched none of its own tests.
    NoTestsMatch {
        spec_file: String,
        item: &'a AnalysisItem,
    },
    /// A derived detection whose base is not among the filtered detections.
    BaseMissing { id: String, base: String },
    /// A simple detection (PAT skips it without a backend).
    Simple,
    /// A detection block; `request` indexes the requests (none for a correlation rule, which
    /// PAT lists as skipped and then prints without running anything).
    Run {
        spec_file: String,
        id: String,
        tests_node: Option<&'a Node>,
        all_tests: Vec<&'a Node>,
        request: Option<usize>,
        correlation: Option<&'a AnalysisItem>,
    },
}

/// A detection's request and the item whose code it runs (a derived detection's base).
struct Request<'a> {
    body: Value,
    code_item: &'a AnalysisItem,
}

/// The load request and its key: the request text plus the content of every file it reads.
fn load_request(ws: &Workspace, selected: &[&AnalysisItem], options: &TestOptions) -> Load {
    let request = json!({
        "op": "load_workspace",
        "root": ws.root,
        "globals": selected.iter().filter(|i| i.analysis_type == AnalysisType::Global).map(|g| json!({
            "id": g.id, "path": filename(g).map(|f| pat_join(g, f)),
        })).collect::<Vec<_>>(),
        "data_models": selected.iter().filter(|i| i.analysis_type == AnalysisType::DataModel).map(|d| json!({
            "id": d.id,
            "spec_path": d.spec_path,
            "path": filename(d).map(|f| pat_join(d, f)),
            "enabled": d.enabled,
            "log_types": d.log_types,
            "mappings": d.spec.get("Mappings").map(Node::to_json),
        })).collect::<Vec<_>>(),
        "available_destinations": options.available_destinations,
    });
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    request.to_string().hash(&mut h);
    for item in selected.iter().filter(|i| {
        matches!(
            i.analysis_type,
            AnalysisType::Global | AnalysisType::DataModel
        )
    }) {
        if let Some(code) = &item.code_path {
            std::fs::read(code).ok().hash(&mut h);
        }
    }
    Load {
        request,
        key: h.finish(),
        timeout: Duration::from_secs(120),
    }
}

/// Groups requests into jobs: detections that import (directly or through other helpers) a
/// global the harness found sticky (prints when imported, or keeps state its functions change)
/// share one job, in PAT's order, so they see that helper exactly as in one PAT run; every
/// other detection is a job of its own. A data model importing a sticky helper makes the whole
/// run one job.
fn schedule(
    ws: &Workspace,
    selected: &[&AnalysisItem],
    requests: &[Request],
    traits: &Value,
) -> Vec<Vec<Step>> {
    use std::collections::{BTreeSet, HashMap};
    let sticky: BTreeSet<&str> = traits["traits"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, t)| t["sticky"].as_bool() != Some(false))
        .map(|(id, _)| id.as_str())
        .collect();
    let steps = || {
        requests
            .iter()
            .enumerate()
            .map(|(i, r)| (i, r.body.clone()))
    };
    if sticky.is_empty() {
        return steps().map(|s| vec![s]).collect();
    }
    let globals: HashMap<&str, &AnalysisItem> = selected
        .iter()
        .filter(|i| i.analysis_type == AnalysisType::Global)
        .map(|i| (i.id.as_str(), *i))
        .collect();
    let imports = |item: &AnalysisItem| -> Vec<String> {
        ws.index
            .get(&item.id)
            .filter(|&k| std::ptr::eq(&ws.items[k], item))
            .map(|k| ws.index.imports(k).to_vec())
            .unwrap_or_default()
    };
    // The globals an item reaches through its imports and theirs.
    let reach = |item: &AnalysisItem| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack = imports(item);
        while let Some(m) = stack.pop() {
            if let Some(g) = globals.get(m.as_str()) {
                if seen.insert(m.clone()) {
                    stack.extend(imports(g));
                }
            }
        }
        seen
    };
    let models_sticky = selected
        .iter()
        .filter(|i| i.analysis_type == AnalysisType::DataModel)
        .any(|m| reach(m).iter().any(|g| sticky.contains(g.as_str())));
    if models_sticky {
        return vec![steps().collect()];
    }
    // Union-find over sticky globals: a detection links every sticky global it reaches.
    let names: Vec<&str> = sticky.iter().copied().collect();
    let mut parent: Vec<usize> = (0..names.len()).collect();
    fn find(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    let reached: Vec<Vec<usize>> = requests
        .iter()
        .map(|r| {
            reach(r.code_item)
                .iter()
                .filter_map(|g| names.iter().position(|n| n == g))
                .collect()
        })
        .collect();
    for r in &reached {
        for w in r.windows(2) {
            let (a, b) = (find(&mut parent, w[0]), find(&mut parent, w[1]));
            parent[a] = b;
        }
    }
    let mut jobs: Vec<Vec<Step>> = Vec::new();
    let mut job_of_group: HashMap<usize, usize> = HashMap::new();
    for ((i, body), r) in steps().zip(&reached) {
        match r.first() {
            None => jobs.push(vec![(i, body)]),
            Some(&g) => {
                let root = find(&mut parent, g);
                match job_of_group.get(&root) {
                    Some(&j) => jobs[j].push((i, body)),
                    None => {
                        job_of_group.insert(root, jobs.len());
                        jobs.push(vec![(i, body)]);
                    }
                }
            }
        }
    }
    jobs
}

fn engine_failure(message: String) -> Value {
    json!({"setup_error": {"type": "EngineError", "message": message},
           "module_output": "", "module_stderr": "", "fatal": null, "results": []})
}

/// Runs the selected detections' tests as `pat test --path .` would from the workspace root,
/// on the pool's workers, and reports in PAT's order.
pub fn run(ws: &Workspace, pool: &mut Pool, options: &TestOptions) -> Result<TestRun, TestError> {
    run_observed(ws, pool, options, &mut |_| true)
}

/// Progress of a run, for an observer.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Progress<'a> {
    pub done: usize,
    pub total: usize,
    /// The detection that just finished.
    pub id: &'a str,
}

/// [`run`], telling `observer` as each detection finishes; the observer returns `false` to
/// cancel (detections not started are dropped; the run reports what finished and
/// `cancelled`).
pub fn run_observed(
    ws: &Workspace,
    pool: &mut Pool,
    options: &TestOptions,
    observer: &mut dyn FnMut(Progress) -> bool,
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
    let is_simple = |i: &AnalysisItem| {
        i.form == Some(DetectionForm::Simple) && i.analysis_type != AnalysisType::CorrelationRule
    };
    let detections: Vec<&AnalysisItem> = selected
        .iter()
        .copied()
        .filter(|i| i.analysis_type.is_detection() && !is_simple(i))
        .chain(selected.iter().copied().filter(|i| is_simple(i)))
        .collect();
    if detections.iter().any(|i| is_simple(i)) {
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

    let load = load_request(ws, &selected, options);
    if let Some(dump) = std::env::var_os("PROWL_DEBUG_LOAD") {
        let _ = std::fs::write(dump, load.request.to_string());
    }
    let t0 = std::time::Instant::now();
    let setup = pool.load_primary(&load)?;
    let debug = std::env::var_os("PROWL_DEBUG_TIMINGS").is_some();
    if debug {
        eprintln!("load: {:?}", t0.elapsed());
    }
    if let Some(e) = harness_error(&setup) {
        return Err(TestError::Harness(e));
    }
    out.stderr(setup["stderr"].as_str().unwrap_or(""));
    out.stdout(setup["output"].as_str().unwrap_or(""));
    if let Some(fatal) = setup.get("fatal").filter(|f| !f.is_null()) {
        return Ok(out.fatal(fatal, false));
    }
    for i in setup["invalid"].as_array().into_iter().flatten() {
        invalid.push((
            i["spec_path"].as_str().unwrap_or("").to_owned(),
            i["message"].as_str().unwrap_or("").to_owned(),
        ));
    }

    // 1. Plan: PAT's decision for each detection, and the requests to run.
    let mut plans: Vec<Plan> = Vec::new();
    let mut requests: Vec<Request> = Vec::new();
    let wanted_ids = options.only.as_ref();
    let ran = detections
        .iter()
        .filter(|d| wanted_ids.is_none_or(|w| w.contains(&d.id)))
        .count();
    for &item in &detections {
        if wanted_ids.is_some_and(|w| !w.contains(&item.id)) {
            continue;
        }
        let spec_file = item.spec_path.display().to_string();
        if options.skip_disabled_tests && item.enabled != Some(true) {
            plans.push(Plan::SkipDisabled { spec_file, item });
            continue;
        }
        let det_id = item.id.clone();
        let wanted = |t: &&Node| {
            t.get("Name")
                .and_then(Node::as_str)
                .is_some_and(|n| options.test_names.iter().any(|x| x == n))
        };
        if !options.test_names.is_empty() {
            let own = item.spec.get("Tests").and_then(Node::as_list);
            if !own.into_iter().flatten().any(|t| wanted(&t)) {
                plans.push(Plan::NoTestsMatch { spec_file, item });
                continue;
            }
        }
        if item.analysis_type == AnalysisType::CorrelationRule {
            let tests_node = item.spec.get("Tests");
            plans.push(Plan::Run {
                spec_file,
                id: det_id,
                tests_node,
                all_tests: tests_node
                    .and_then(Node::as_list)
                    .map(|l| l.iter().collect())
                    .unwrap_or_default(),
                request: None,
                correlation: Some(item),
            });
            continue;
        }
        let mut tests_node: Option<&Node> = item.spec.get("Tests");
        let code_item = match item.base_detection.as_deref().filter(|b| !b.is_empty()) {
            Some(base_id) => {
                let base = detections
                    .iter()
                    .find(|d| d.spec.get("RuleID").and_then(Node::as_str) == Some(base_id));
                let Some(&base) = base else {
                    plans.push(Plan::BaseMissing {
                        id: det_id,
                        base: base_id.to_owned(),
                    });
                    continue;
                };
                if tests_node.is_none() && base.spec.get("Tests").is_some_and(Node::is_truthy) {
                    tests_node = base.spec.get("Tests");
                }
                base
            }
            None if is_simple(item) => {
                plans.push(Plan::Simple);
                continue;
            }
            None => item,
        };
        let all_tests: Vec<&Node> = tests_node
            .and_then(Node::as_list)
            .map(|l| l.iter().collect())
            .unwrap_or_default();
        let tests: Vec<Value> = all_tests
            .iter()
            .filter(|t| options.test_names.is_empty() || wanted(t))
            .map(|t| request_test(t))
            .collect();
        let body = json!({
            "op": "run_detection",
            "id": det_id,
            "analysis_type": item.analysis_type.as_str(),
            "spec_path": spec_file,
            "create_alert": item.spec.get("CreateAlert").map(Node::to_json),
            "path": filename(code_item).map(|f| pat_join(code_item, f)),
            "tests": if tests_node.is_some() { tests } else { Vec::new() },
        });
        plans.push(Plan::Run {
            spec_file,
            id: det_id,
            tests_node,
            all_tests,
            request: Some(requests.len()),
            correlation: None,
        });
        requests.push(Request { body, code_item });
    }

    // 2. Schedule: which requests must share a worker.
    let globals: Vec<Value> = selected
        .iter()
        .filter(|i| i.analysis_type == AnalysisType::Global)
        .map(|g| json!({"id": g.id, "path": g.code_path}))
        .collect();
    let parallel = pool.size() > 1 && requests.len() > 1;
    let traits = if !globals.is_empty() && parallel {
        let answer = pool.call(
            &load,
            &json!({"op": "analyze_globals", "globals": globals}),
            Duration::from_secs(60),
        )?;
        if let Some(e) = harness_error(&answer) {
            return Err(TestError::Harness(e));
        }
        answer
    } else {
        json!({"traits": {}})
    };
    let any_sticky = traits["traits"]
        .as_object()
        .is_some_and(|t| t.values().any(|v| v["sticky"].as_bool() != Some(false)));
    let jobs = if parallel {
        schedule(ws, &selected, &requests, &traits)
    } else {
        vec![requests
            .iter()
            .enumerate()
            .map(|(i, r)| (i, r.body.clone()))
            .collect()]
    };

    if let Some(dump) = std::env::var_os("PROWL_DEBUG_REQUESTS") {
        let lines: Vec<String> = requests.iter().map(|r| r.body.to_string()).collect();
        let _ = std::fs::write(dump, lines.join("\n"));
    }
    // Slowest first (by last run's times), so no worker is left with a long detection at the
    // end while the others idle.
    let mut timings = timings::Timings::load(&ws.root);
    let mut jobs = jobs;
    if parallel {
        let cost = |job: &Vec<Step>| -> f64 {
            job.iter()
                .map(|(_, r)| timings.estimate(r["id"].as_str().unwrap_or("")))
                .sum()
        };
        let mut costed: Vec<(f64, Vec<Step>)> = jobs.into_iter().map(|j| (cost(&j), j)).collect();
        costed.sort_by(|a, b| b.0.total_cmp(&a.0));
        jobs = costed.into_iter().map(|(_, j)| j).collect();
    }

    // 3. Run on the pool; print in PAT's order as the answers arrive.
    let mut report = Report {
        out,
        options,
        plans,
        cursor: 0,
        answers: (0..requests.len()).map(|_| None).collect(),
        invalid_detections: Vec::new(),
        kept: Vec::new(),
        fatal: None,
    };
    report.advance();
    let mut done = 0;
    let mut cancelled = false;
    if !requests.is_empty() {
        pool.run(&load, jobs, options.timeout, &mut |index, answer| {
            let answer = match answer {
                Ok(a) => match harness_error(&a) {
                    // The harness itself failed on this detection (e.g. out of memory while
                    // answering): report it for this detection; the pool replaced the worker.
                    Some(e) => {
                        engine_failure(format!("the test harness failed on this detection: {e}"))
                    }
                    None => a,
                },
                Err(e) => engine_failure(e.to_string()),
            };
            if let (Some(ms), Some(id)) = (
                answer["elapsed_ms"].as_f64(),
                requests[index].body["id"].as_str(),
            ) {
                timings.record(id, ms);
            }
            report.answers[index] = Some(answer);
            done += 1;
            let id = requests[index].body["id"].as_str().unwrap_or("");
            let go_on = observer(Progress {
                done,
                total: requests.len(),
                id,
            });
            cancelled |= !go_on;
            report.advance() && go_on
        });
    }
    timings.save();
    if debug {
        eprintln!("ran: {:?}", t0.elapsed());
    }
    if !globals.is_empty() && (any_sticky || !parallel) {
        // Helpers that may keep state: the next run starts from fresh modules, as a new PAT
        // run does.
        pool.invalidate();
    }
    let Report {
        out,
        invalid_detections,
        kept,
        fatal,
        ..
    } = report;
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
    let mut run = out.finish(ran, invalid);
    run.detections = kept;
    run.cancelled = cancelled;
    Ok(run)
}

/// PAT's printing, driven in plan order as answers come in.
struct Report<'a, 'o> {
    out: pat_text::Printer,
    options: &'o TestOptions,
    plans: Vec<Plan<'a>>,
    cursor: usize,
    answers: Vec<Option<Value>>,
    invalid_detections: Vec<(String, String)>,
    /// Answers in PAT's order (JSON and JUnit output).
    kept: Vec<Value>,
    /// Set when PAT's process would have ended (a module-level `sys.exit`).
    fatal: Option<TestRun>,
}

impl Report<'_, '_> {
    /// Prints every plan entry whose answer is known; `false` once PAT would have stopped.
    fn advance(&mut self) -> bool {
        while self.fatal.is_none() && self.cursor < self.plans.len() {
            let out = &mut self.out;
            match &self.plans[self.cursor] {
                Plan::SkipDisabled { spec_file, item } => out.skip(spec_file, item),
                Plan::NoTestsMatch { spec_file, item } => {
                    out.no_tests_match(&item.id, &self.options.test_names);
                    out.skip(spec_file, item);
                }
                Plan::BaseMissing { id, base } => out.log(
                    "WARNING",
                    &format!(
                        "Skipping Derived Detection '{id}', could not lookup base detection '{base}'"
                    ),
                ),
                Plan::Simple => {}
                Plan::Run {
                    spec_file,
                    id,
                    tests_node,
                    all_tests,
                    request,
                    correlation,
                } => {
                    let answer = match request {
                        None => json!({"results": []}),
                        Some(r) => match self.answers[*r].take() {
                            Some(answer) => answer,
                            None => return true, // not answered yet
                        },
                    };
                    if let Some(item) = correlation {
                        out.skip(spec_file, item);
                    }
                    out.stdout(answer["module_output"].as_str().unwrap_or(""));
                    out.stderr(answer["module_stderr"].as_str().unwrap_or(""));
                    if let Some(fatal) = answer.get("fatal").filter(|f| !f.is_null()) {
                        let printer = std::mem::replace(out, pat_text::Printer::new(self.options));
                        self.fatal = Some(printer.fatal(fatal, true));
                        return false;
                    }
                    out.detection_header(id);
                    if let Some(error) = answer.get("setup_error").filter(|e| !e.is_null()) {
                        let message = error["message"].as_str().unwrap_or("").to_owned();
                        self.invalid_detections.push((spec_file.clone(), message));
                        out.setup_error();
                    } else {
                        let minimum = self.options.minimum_tests;
                        if all_tests.len() < minimum {
                            out.fail(
                                id,
                                format!(
                                    "Insufficient test coverage: {minimum} tests required but only {} found",
                                    all_tests.len()
                                ),
                            );
                        }
                        if tests_node.is_none() {
                            out.no_tests_configured(id);
                        } else {
                            for result in answer["results"].as_array().into_iter().flatten() {
                                out.test_result(id, result);
                            }
                            let expected = |want: bool| {
                                all_tests.iter().any(|t| {
                                    t.get("ExpectedResult")
                                        .is_some_and(|e| e.is_truthy() == want)
                                })
                            };
                            if minimum > 1 && !(expected(true) && expected(false)) {
                                out.fail(id, "Insufficient test coverage: expected at least one positive and one negative test".into());
                            }
                        }
                        out.detection_end();
                    }
                    if request.is_some() {
                        self.kept.push(answer);
                    }
                }
            }
            self.cursor += 1;
        }
        self.fatal.is_none()
    }
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

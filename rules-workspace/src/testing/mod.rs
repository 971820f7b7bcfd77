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

pub mod junit;
pub mod pat_text;

use crate::engine::env::PythonEnv;
use crate::engine::worker::{Worker, WorkerOptions};
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
}

#[derive(Debug, thiserror::Error)]
pub enum TestError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("the Python worker answered with an error: {0}")]
    Harness(String),
}

/// Where the worker's Python packages are.
pub fn worker_options(ws: &Workspace) -> Result<WorkerOptions, EngineError> {
    let env = PythonEnv::for_workspace(&ws.root);
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

/// A worker with the workspace loaded, restarted after a crash or a timeout.
struct Session {
    options: WorkerOptions,
    load: Value,
    worker: Option<Worker>,
    timeout: Duration,
}

impl Session {
    fn call(&mut self, request: &Value) -> Result<Value, EngineError> {
        if self.worker.is_none() {
            let mut w = Worker::spawn(&self.options)?;
            w.request(&self.load, self.timeout.max(Duration::from_secs(60)))?;
            self.worker = Some(w);
        }
        let w = self.worker.as_mut().expect("worker just started");
        let answer = w.request(request, self.timeout);
        if answer.is_err() {
            self.worker = None;
        }
        answer
    }
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

/// Runs the selected detections' tests as `pat test --path .` would from the workspace root.
pub fn run(
    ws: &Workspace,
    worker: WorkerOptions,
    options: &TestOptions,
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

    let load = json!({
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
    let mut worker = Worker::spawn(&worker.clone()).map(|w| (w, worker))?;
    let setup = worker.0.request(&load, Duration::from_secs(120))?;
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
    let mut session = Session {
        options: worker.1,
        load,
        worker: Some(worker.0),
        timeout: options.timeout,
    };

    let mut invalid_detections: Vec<(String, String)> = Vec::new();
    let mut answers = Vec::new();
    for item in &detections {
        let spec_file = item.spec_path.display().to_string();
        if options.skip_disabled_tests && item.enabled != Some(true) {
            out.skip(&spec_file, item);
            continue;
        }
        let det_id = item.id.clone();
        let own_tests: Vec<&Node> = item
            .spec
            .get("Tests")
            .and_then(Node::as_list)
            .map(|l| l.iter().collect())
            .unwrap_or_default();
        if !options.test_names.is_empty() {
            let any = own_tests.iter().any(|t| {
                t.get("Name")
                    .and_then(Node::as_str)
                    .is_some_and(|n| options.test_names.iter().any(|x| x == n))
            });
            if !any {
                out.no_tests_match(&det_id, &options.test_names);
                out.skip(&spec_file, item);
                continue;
            }
        }
        let correlation = item.analysis_type == AnalysisType::CorrelationRule;
        if correlation {
            out.skip(&spec_file, item);
        }
        let mut tests_node: Option<&Node> = item.spec.get("Tests");
        let mut path: Option<String> = None;
        if let Some(base_id) = item.base_detection.as_deref().filter(|b| !b.is_empty()) {
            let base = detections
                .iter()
                .find(|d| d.spec.get("RuleID").and_then(Node::as_str) == Some(base_id));
            let Some(base) = base else {
                out.log("WARNING", &format!("Skipping Derived Detection '{det_id}', could not lookup base detection '{base_id}'"));
                continue;
            };
            if tests_node.is_none() && base.spec.get("Tests").is_some_and(Node::is_truthy) {
                tests_node = base.spec.get("Tests");
            }
            path = filename(base).map(|f| pat_join(base, f));
        } else if is_simple(item) {
            continue;
        } else if !correlation {
            path = filename(item).map(|f| pat_join(item, f));
        }
        let all_tests: Vec<&Node> = tests_node
            .and_then(Node::as_list)
            .map(|l| l.iter().collect())
            .unwrap_or_default();
        let answer = if correlation {
            None
        } else {
            let tests: Vec<Value> = all_tests
                .iter()
                .filter(|t| {
                    options.test_names.is_empty()
                        || t.get("Name")
                            .and_then(Node::as_str)
                            .is_some_and(|n| options.test_names.iter().any(|x| x == n))
                })
                .map(|t| request_test(t))
                .collect();
            let request = json!({
                "op": "run_detection",
                "id": det_id,
                "analysis_type": item.analysis_type.as_str(),
                "spec_path": spec_file,
                "create_alert": item.spec.get("CreateAlert").map(Node::to_json),
                "path": path,
                "tests": if tests_node.is_some() { tests } else { Vec::new() },
            });
            let answer = match session.call(&request) {
                Ok(a) => a,
                Err(e) => {
                    json!({"setup_error": {"type": "EngineError", "message": e.to_string()}, "module_output": "", "module_stderr": "", "fatal": null, "results": []})
                }
            };
            // The harness itself failed on this detection (e.g. out of memory while answering):
            // report it for this detection and continue with a fresh worker.
            let answer = match harness_error(&answer) {
                Some(e) => {
                    session.worker = None;
                    json!({"setup_error": {"type": "HarnessError", "message": format!("the test harness failed on this detection: {e}")},
                           "module_output": "", "module_stderr": "", "fatal": null, "results": []})
                }
                None => answer,
            };
            // A detection that ran out of memory may leave its garbage alive in the worker
            // (tracebacks keep frames): the next detection gets a fresh worker.
            if answer.to_string().contains("\"type\":\"MemoryError\"") {
                session.worker = None;
            }
            out.stdout(answer["module_output"].as_str().unwrap_or(""));
            out.stderr(answer["module_stderr"].as_str().unwrap_or(""));
            if let Some(fatal) = answer.get("fatal").filter(|f| !f.is_null()) {
                return Ok(out.fatal(fatal, true));
            }
            Some(answer)
        };
        out.detection_header(&det_id);
        if let Some(setup_error) = answer
            .as_ref()
            .and_then(|a| a.get("setup_error"))
            .filter(|e| !e.is_null())
        {
            invalid_detections.push((
                spec_file,
                setup_error["message"].as_str().unwrap_or("").to_owned(),
            ));
            out.setup_error();
            answers.extend(answer);
            continue;
        }
        if all_tests.len() < options.minimum_tests {
            out.fail(
                &det_id,
                format!(
                    "Insufficient test coverage: {} tests required but only {} found",
                    options.minimum_tests,
                    all_tests.len()
                ),
            );
        }
        if tests_node.is_none() {
            out.no_tests_configured(&det_id);
        } else {
            for result in answer
                .as_ref()
                .and_then(|a| a["results"].as_array())
                .into_iter()
                .flatten()
            {
                out.test_result(&det_id, result);
            }
            let expected = |want: bool| {
                all_tests.iter().any(|t| {
                    t.get("ExpectedResult")
                        .is_some_and(|e| e.is_truthy() == want)
                })
            };
            if options.minimum_tests > 1 && !(expected(true) && expected(false)) {
                out.fail(&det_id, "Insufficient test coverage: expected at least one positive and one negative test".into());
            }
        }
        out.detection_end();
        answers.extend(answer);
    }
    if let Some(w) = session.worker.take() {
        let _ = w_shutdown(w);
    }
    invalid.extend(invalid_detections);
    // PAT's pack check on the filtered set comes last.
    for d in ws
        .check(&selection)
        .into_iter()
        .filter(|d| d.code == crate::diagnostics::Code::PackMemberMissing)
    {
        invalid.push((d.file.display().to_string(), d.message));
    }
    let mut run = out.finish(detections.len(), invalid);
    run.detections = answers;
    Ok(run)
}

fn w_shutdown(mut w: Worker) -> Result<(), EngineError> {
    let _ = w.request(&json!({"op": "shutdown"}), Duration::from_secs(5));
    w.shutdown();
    Ok(())
}

/// The workspace root PAT would run from, for messages.
pub fn label(path: &Path) -> String {
    path.display().to_string()
}

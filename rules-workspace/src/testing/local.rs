//! Prowl's local verdicts on what PAT tests only through a Panther backend: Simple Detections,
//! rules' `InlineFilters`, and correlation rules (see [`crate::matchlang`]).
//!
//! PAT's report stays byte for byte PAT's (it skips these without a token); this runs after
//! it, on the same warm workers, and its text is a separate section at the end of stderr, so
//! stdout can still be diffed against `pat test`. `--fail-on-local` makes its failures fail
//! the run.
//! - A Simple Detection runs as the Python module [`crate::matchlang::simple::python_body`]
//!   writes, through panther-core, with PAT's test semantics (its `Detection` is `rule()`).
//! - A rule (streaming only: panther-core applies filters to nothing else) with
//!   `InlineFilters` runs its tests again with the filters applied before `rule()`.
//! - A correlation rule's tests are evaluated here, without a worker.

use super::plan;
use super::TestOptions;
use crate::engine::messages::{DetectionResult, LocalKind, PyError, UnitTestResult};
use crate::engine::EngineError;
use crate::matchlang::{correlation, simple};
use crate::spec::{AnalysisItem, AnalysisType, Node};

/// What the local evaluation found.
#[derive(Debug, Default, Clone, serde::Serialize, ts_rs::TS)]
pub struct LocalRun {
    /// One entry per detection evaluated locally, in PAT's order; `local` says what kind.
    pub detections: Vec<DetectionResult>,
    /// Tests that passed.
    pub passed: usize,
    /// Tests that failed (or detections that could not be evaluated).
    pub failed: usize,
    /// Time spent evaluating the correlation rules' tests (milliseconds).
    pub correlation_ms: f64,
    /// The Panther instance that transpiled and tested them (`prowl test --remote`); none when
    /// Prowl evaluated them.
    pub evaluated_by: Option<String>,
}

impl LocalRun {
    /// The section printed after PAT's report (empty when nothing was evaluated).
    pub fn text(&self, counted_in_exit_code: bool) -> String {
        if self.detections.is_empty() {
            return String::new();
        }
        let mut out = match &self.evaluated_by {
            None => String::from(
                "\nEvaluated locally by Prowl (PAT skips these without a Panther backend):\n",
            ),
            Some(url) => format!(
                "\nTested by the Panther instance at {url} (as PAT tests them with a token):\n"
            ),
        };
        for d in &self.detections {
            let kind = d.local.map_or("", LocalKind::label);
            out.push_str(&format!("\n{} ({kind})\n", d.id));
            if let Some(error) = &d.setup_error {
                out.push_str(&format!(
                    "\t[FAIL] {}\n",
                    error.message.as_deref().unwrap_or("could not be evaluated")
                ));
            }
            for t in &d.results {
                let verdict = if t.clean_pass() { "PASS" } else { "FAIL" };
                out.push_str(&format!("\t[{verdict}] {}\n", t.name));
                if !t.clean_pass() {
                    out.push_str(&format!("\t\t{}\n", why(t)));
                }
            }
        }
        let count = |k: LocalKind| {
            self.detections
                .iter()
                .filter(|d| d.local == Some(k))
                .count()
        };
        out.push_str(&format!(
            "\n{} verdicts: {} passed, {} failed ({} simple detections, {} rules with inline \
             filters, {} correlation rules){}\n",
            if self.evaluated_by.is_some() {
                "Instance"
            } else {
                "Local"
            },
            self.passed,
            self.failed,
            count(LocalKind::SimpleDetection),
            count(LocalKind::InlineFilters),
            count(LocalKind::CorrelationRule),
            if counted_in_exit_code {
                ""
            } else {
                "; not counted in the exit code (--fail-on-local counts them)"
            },
        ));
        out
    }
}

/// One failing test's reason, in a line.
fn why(t: &UnitTestResult) -> String {
    if let Some(oob) = &t.out_of_band {
        return oob.message.clone();
    }
    if let Some(f) = t.functions.iter().find(|f| f.error.is_some()) {
        return format!("[{}] {}", f.name, f.output_text);
    }
    match t.trigger_alert {
        Some(true) => "expected no alert, got one".into(),
        Some(false) => "expected an alert, got none".into(),
        None => t.functions.iter().find(|f| !f.passed).map_or_else(
            || "failed".into(),
            |f| format!("[{}] {}", f.name, f.output_text),
        ),
    }
}

/// What the local evaluation will run: a slot per detection in PAT's order (correlation rules
/// already answered), and the requests for the workers. The requests run in the same pool run
/// as PAT's own (after them), so the workspace is loaded once.
pub(super) struct LocalPlan {
    slots: Vec<Option<DetectionResult>>,
    /// (slot, request).
    requests: Vec<(usize, crate::engine::messages::RunDetection)>,
    correlation_ms: f64,
    evaluated_by: Option<String>,
}

impl LocalPlan {
    /// The worker requests, in order (answer `k` with [`LocalPlan::answer`]).
    pub(super) fn requests(&self) -> impl Iterator<Item = &crate::engine::messages::RunDetection> {
        self.requests.iter().map(|(_, r)| r)
    }

    /// Records the answer to request `k`.
    pub(super) fn answer(&mut self, k: usize, answer: Result<DetectionResult, EngineError>) {
        let (slot, request) = &self.requests[k];
        let mut answer = match answer {
            Ok(a) => a,
            Err(e) => {
                DetectionResult::engine_failure(&request.id, &request.spec_path, e.to_string())
            }
        };
        answer.local = self.slots[*slot].as_ref().and_then(|s| s.local);
        self.slots[*slot] = Some(answer);
    }

    /// The verdicts (detections whose request was never answered, in a cancelled run, are left
    /// out).
    pub(super) fn finish(self) -> LocalRun {
        let requested: std::collections::BTreeSet<usize> =
            self.requests.iter().map(|(s, _)| *s).collect();
        let detections: Vec<DetectionResult> = self
            .slots
            .into_iter()
            .enumerate()
            .filter_map(|(i, d)| d.filter(|d| !requested.contains(&i) || !d.matcher.is_empty()))
            .collect();
        let mut run = LocalRun {
            correlation_ms: self.correlation_ms,
            evaluated_by: self.evaluated_by,
            ..LocalRun::default()
        };
        for d in &detections {
            if d.setup_error.is_some() {
                run.failed += 1;
            }
            for t in &d.results {
                if t.clean_pass() {
                    run.passed += 1;
                } else {
                    run.failed += 1;
                }
            }
        }
        run.detections = detections;
        run
    }
}

/// Plans the local evaluation of the selected detections PAT would skip or run without their
/// filters.
pub(super) fn plan(
    ws: &crate::workspace::Workspace,
    detections: &[&AnalysisItem],
    options: &TestOptions,
) -> LocalPlan {
    let wanted_test = |t: &Node| {
        options.test_names.is_empty()
            || t.get("Name")
                .and_then(Node::as_str)
                .is_some_and(|n| options.test_names.iter().any(|x| x == n))
    };
    let mut slots: Vec<Option<DetectionResult>> = Vec::new();
    let mut requests = Vec::new();
    let mut correlation_ms = 0.0;
    let remote = options
        .remote
        .as_ref()
        .map(|r| RemoteAnswers::ask(&r.0, detections, options));
    for &item in detections {
        if options.only.as_ref().is_some_and(|w| !w.contains(&item.id)) {
            continue;
        }
        if options.skip_disabled_tests && item.enabled != Some(true) {
            continue;
        }
        let tests: Vec<&Node> = item
            .spec
            .get("Tests")
            .and_then(Node::as_list)
            .map(|l| l.iter().filter(|t| wanted_test(t)).collect())
            .unwrap_or_default();
        if !options.test_names.is_empty() && tests.is_empty() {
            continue;
        }
        let spec_path = item.spec_path.display().to_string();
        if item.analysis_type == AnalysisType::CorrelationRule {
            let started = std::time::Instant::now();
            slots.push(Some(match &remote {
                Some(r) => r.correlation(ws, item, &spec_path, &wanted_test),
                None => correlation_result(item, &spec_path, &wanted_test),
            }));
            correlation_ms += started.elapsed().as_secs_f64() * 1000.0;
            continue;
        }
        // With an instance: its transpiled filters (a failure to get them is the verdict).
        let backend_filters = match (&remote, item.spec.get("InlineFilters")) {
            (Some(r), Some(_)) => match r.filters.get(&item.id) {
                Some(Ok(f)) => Some(Box::new(f.clone())),
                Some(Err(e)) => {
                    slots.push(Some(remote_failure(item, &spec_path, e)));
                    continue;
                }
                None => None,
            },
            _ => None,
        };
        let (kind, request) = if plan::is_simple(item) {
            let mut request = plan::run_request(item, item, &tests);
            request.path = None;
            request.source_path = Some(spec_path.clone());
            if let Some(r) = &remote {
                match r.bodies.get(&item.id) {
                    Some(Ok(body)) => request.body = Some(body.clone()),
                    Some(Err(e)) => {
                        slots.push(Some(remote_failure(item, &spec_path, e)));
                        continue;
                    }
                    None => continue,
                }
                request.backend_filters = backend_filters;
            } else {
                let mut compiled = simple::compile_simple(&item.spec);
                compiled.join_lookups(&ws.items);
                request.body = Some(simple::python_body(&item.id, &item.rel_path, &compiled));
                if let Some(filters) = item.spec.get("InlineFilters") {
                    request.filters = Some(simple::filters_request(filters, &ws.items));
                }
            }
            (LocalKind::SimpleDetection, request)
        } else if item.analysis_type == AnalysisType::Rule {
            let Some(filters) = item.spec.get("InlineFilters") else {
                continue;
            };
            // A derived rule runs its base's code, as in PAT's run.
            let code = item
                .base_detection
                .as_deref()
                .and_then(|b| detections.iter().find(|d| d.id == b).copied());
            if item.base_detection.is_some() && code.is_none() {
                continue;
            }
            let mut request = plan::run_request(item, code.unwrap_or(item), &tests);
            if remote.is_some() {
                request.backend_filters = backend_filters;
            } else {
                request.filters = Some(simple::filters_request(filters, &ws.items));
            }
            (LocalKind::InlineFilters, request)
        } else {
            continue;
        };
        // A placeholder until the worker answers (its empty `matcher` marks it unanswered).
        slots.push(Some(DetectionResult {
            id: item.id.clone(),
            local: Some(kind),
            matcher: String::new(),
            ..DetectionResult::default()
        }));
        requests.push((slots.len() - 1, request));
    }
    LocalPlan {
        slots,
        requests,
        correlation_ms,
        evaluated_by: options.remote.as_ref().map(|r| r.0.url().to_owned()),
    }
}

/// What the instance answered for a run, asked in PAT's order: every selected Simple
/// Detection's Python in one call, every selected detection's `InlineFilters` in one call
/// (those of other detections first, then Simple Detections', as PAT lists them); correlation
/// rules one by one as the run reaches them.
struct RemoteAnswers<'a> {
    client: &'a crate::remote::client::Client,
    bodies: std::collections::HashMap<String, Result<String, String>>,
    filters: std::collections::HashMap<String, Result<serde_json::Value, String>>,
}

impl<'a> RemoteAnswers<'a> {
    fn ask(
        client: &'a crate::remote::client::Client,
        detections: &[&AnalysisItem],
        options: &TestOptions,
    ) -> RemoteAnswers<'a> {
        use crate::remote::ops;
        let selected: Vec<&AnalysisItem> = detections
            .iter()
            .copied()
            .filter(|i| options.only.as_ref().is_none_or(|w| w.contains(&i.id)))
            .filter(|i| i.analysis_type != AnalysisType::CorrelationRule)
            .collect();
        let mut bodies = std::collections::HashMap::new();
        let simple: Vec<&AnalysisItem> = selected
            .iter()
            .copied()
            .filter(|i| plan::is_simple(i))
            .collect();
        if !simple.is_empty() {
            let specs: Vec<serde_json::Value> = simple.iter().map(|i| i.spec.to_json()).collect();
            let answer = ops::transpile_simple_detections(client, &specs);
            for (k, item) in simple.iter().enumerate() {
                let body = match &answer {
                    Ok(found) => Ok(found[k].clone()),
                    Err(e) => Err(format!(
                        "Error transpiling simple detection(s) to Python: {e}"
                    )),
                };
                bodies.insert(item.id.clone(), body);
            }
        }
        let mut filters = std::collections::HashMap::new();
        let mut with_filters: Vec<&AnalysisItem> = selected
            .iter()
            .copied()
            .filter(|i| !plan::is_simple(i) && i.spec.get("InlineFilters").is_some())
            .collect();
        with_filters.extend(
            simple
                .iter()
                .copied()
                .filter(|i| i.spec.get("InlineFilters").is_some()),
        );
        if !with_filters.is_empty() {
            let values: Vec<serde_json::Value> = with_filters
                .iter()
                .filter_map(|i| i.spec.get("InlineFilters").map(Node::to_json))
                .collect();
            let answer = ops::transpile_filters(client, &values);
            for (k, item) in with_filters.iter().enumerate() {
                let f = match &answer {
                    Ok(found) => Ok(found[k].clone()),
                    Err(e) => Err(format!("Error transpiling InlineFilter(s): {e}")),
                };
                filters.insert(item.id.clone(), f);
            }
        }
        RemoteAnswers {
            client,
            bodies,
            filters,
        }
    }

    /// A correlation rule's tests, run by the instance on the spec as written.
    fn correlation(
        &self,
        ws: &crate::workspace::Workspace,
        item: &AnalysisItem,
        spec_path: &str,
        wanted: &dyn Fn(&Node) -> bool,
    ) -> DetectionResult {
        let names: Vec<String> = item
            .spec
            .get("Tests")
            .and_then(Node::as_list)
            .map(|l| {
                l.iter()
                    .filter(|t| wanted(t))
                    .filter_map(|t| t.get("Name").and_then(Node::as_str).map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let answer = crate::workspace::read_inside(&ws.root, &item.spec_path, 16 * 1024 * 1024)
            .map_err(|e| e.to_string())
            .and_then(|bytes| {
                crate::remote::ops::test_correlation_rule(
                    self.client,
                    &String::from_utf8_lossy(&bytes),
                )
                .map_err(|e| e.to_string())
            });
        let tests = match answer {
            Ok(tests) => tests,
            Err(e) => {
                return remote_failure(
                    item,
                    spec_path,
                    &format!(
                        "Error running tests remotely for correlation rule {}: {e}",
                        item.id
                    ),
                )
            }
        };
        let mut result = local_result(item, spec_path, LocalKind::CorrelationRule);
        for t in tests.into_iter().filter(|t| names.contains(&t.name)) {
            let mut r = UnitTestResult {
                name: t.name.clone(),
                passed: t.passed,
                ..UnitTestResult::default()
            };
            if !t.passed {
                r.failed_entries = vec![t.name.clone()];
                let message = t.error.unwrap_or_else(|| "failed on the instance".into());
                r.out_of_band = Some(crate::engine::messages::OutOfBand {
                    kind: "Instance".into(),
                    message: message.clone(),
                    warning: message,
                });
            }
            result.results.push(r);
        }
        result
    }
}

/// A detection the instance could not transpile or test.
fn remote_failure(item: &AnalysisItem, spec_path: &str, message: &str) -> DetectionResult {
    let kind = if item.analysis_type == AnalysisType::CorrelationRule {
        LocalKind::CorrelationRule
    } else if plan::is_simple(item) {
        LocalKind::SimpleDetection
    } else {
        LocalKind::InlineFilters
    };
    DetectionResult {
        setup_error: Some(PyError {
            kind: Some("RemoteError".into()),
            message: Some(message.to_owned()),
            traceback: Vec::new(),
        }),
        ..local_result(item, spec_path, kind)
    }
}

/// An empty result of `item`, evaluated as `kind` says.
fn local_result(item: &AnalysisItem, spec_path: &str, kind: LocalKind) -> DetectionResult {
    DetectionResult {
        id: item.id.clone(),
        spec_path: Some(spec_path.to_owned()),
        matcher: "rule".into(),
        local: Some(kind),
        ..DetectionResult::default()
    }
}

/// A correlation rule's tests, evaluated here, as a detection result.
fn correlation_result(
    item: &AnalysisItem,
    spec_path: &str,
    wanted: &dyn Fn(&Node) -> bool,
) -> DetectionResult {
    let mut result = local_result(item, spec_path, LocalKind::CorrelationRule);
    match correlation::run_tests(&item.spec, wanted) {
        Ok(verdicts) => {
            for v in verdicts {
                let mut t = UnitTestResult {
                    name: v.name.clone(),
                    passed: v.passed(),
                    trigger_alert: v.fired,
                    detection_output: v.fired.map_or(serde_json::Value::Null, Into::into),
                    ..UnitTestResult::default()
                };
                if let Some(error) = v.error {
                    t.failed_entries = vec![v.name.clone()];
                    t.out_of_band = Some(crate::engine::messages::OutOfBand {
                        kind: "Unexpected".into(),
                        message: error.clone(),
                        warning: error,
                    });
                } else if !t.passed {
                    t.failed_entries = vec![v.name];
                }
                result.results.push(t);
            }
        }
        Err(problems) => {
            let message = problems
                .iter()
                .map(|p| format!("line {}: {}", p.span.line, p.message))
                .collect::<Vec<_>>()
                .join("; ");
            result.setup_error = Some(PyError {
                kind: Some("CorrelationRuleError".into()),
                message: Some(message),
                traceback: Vec::new(),
            });
        }
    }
    result
}

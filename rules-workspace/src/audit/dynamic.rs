//! The dynamic half of an audit: the pack's unit tests run in the sandbox, and what the code
//! tried (recorded by the harness's audit hook) becomes findings with the detection, the test
//! and the place.
//!
//! Invariants: the workers are always sandboxed (`engine::untrusted_worker_options`, whatever
//! `PROWL_SANDBOX` says), and a first worker is asked which layers the kernel allowed before
//! any of the pack's code is loaded: without namespaces, the filesystem view and seccomp the
//! tests are not run at all (a PA410 finding says why). The environment is one that already
//! exists; the pack's requirements are never installed, and a detection that needs a missing
//! package is reported as not run (PA411), not as an attack.

use super::{
    relative, AuditOptions, AuditProgress, Code, DynamicStatus, Finding, RecordedAttempt, Scope,
};
use crate::engine::messages::{Attempt, DetectionResult, PingAnswer, PyError, Request};
use crate::engine::sandbox::Layers;
use crate::engine::worker::Worker;
use crate::env::PythonEnv;
use crate::testing::TestOptions;
use crate::workspace::Workspace;
use std::collections::BTreeSet;
use std::time::Duration;

/// What the dynamic part produced.
#[derive(Debug)]
pub struct Outcome {
    /// Whether and how it ran.
    pub status: DynamicStatus,
    /// Its findings.
    pub findings: Vec<Finding>,
    /// Every recorded attempt.
    pub attempts: Vec<RecordedAttempt>,
}

impl Outcome {
    /// Not run, for `why`; `finding`: also as a PA410 finding (not for `--no-dynamic`).
    pub fn skipped(why: String, finding: bool) -> Outcome {
        let findings = if finding {
            vec![Finding::new(
                Code::DynamicSkipped,
                format!("not run dynamically: {why}"),
            )]
        } else {
            Vec::new()
        };
        Outcome {
            status: DynamicStatus {
                ran: false,
                skipped: Some(why),
                sandbox: None,
                environment: None,
                detections: 0,
                tests: 0,
            },
            findings,
            attempts: Vec::new(),
        }
    }
}

/// Asks a fresh sandboxed worker which layers are in force (nothing of the pack is loaded).
fn probe(options: &crate::engine::worker::WorkerOptions) -> Result<Layers, String> {
    let mut worker = Worker::spawn(options).map_err(|e| e.to_string())?;
    let answer = worker
        .request::<PingAnswer>(&Request::Ping, Duration::from_secs(30))
        .map_err(|e| format!("the sandboxed worker did not start: {e}"))?;
    worker.shutdown();
    answer
        .sandbox
        .as_deref()
        .and_then(Layers::parse)
        .ok_or_else(|| "the worker did not report its sandbox".to_owned())
}

/// Runs the audited detections' tests in the sandbox.
pub fn run(
    ws: &Workspace,
    scope: &Scope,
    env: &PythonEnv,
    env_label: &str,
    options: &AuditOptions,
    observer: &mut dyn FnMut(&AuditProgress) -> bool,
) -> Outcome {
    if !env.usable() {
        return Outcome::skipped(
            format!(
                "no Python environment with panther-core at {} (`prowl audit` makes Prowl's baseline one when it can reach the package index; or pass --against a workspace whose environment is synced)",
                env.path.display()
            ),
            true,
        );
    }
    let worker_options = match crate::engine::untrusted_worker_options(env, &scope.root) {
        Ok(o) => o,
        Err(e) => return Outcome::skipped(format!("the workers cannot be prepared: {e}"), true),
    };
    let layers = match probe(&worker_options) {
        Ok(l) => l,
        Err(why) => return Outcome::skipped(why, true),
    };
    if !layers.enough_for_untrusted_code() {
        let missing = layers.missing().unwrap_or_default();
        return Outcome::skipped(
            format!("the kernel refused the sandbox a pack's code must run in ({missing})"),
            true,
        );
    }
    let only: BTreeSet<String> = scope
        .items
        .iter()
        .map(|&i| &ws.items[i])
        .filter(|i| i.analysis_type.is_detection())
        .map(|i| i.id.clone())
        .collect();
    let test_options = TestOptions {
        timeout: options.timeout,
        only: scope.changed.as_ref().map(|_| only),
        ..TestOptions::default()
    };
    let mut pool = crate::engine::pool::Pool::new(worker_options, options.workers.max(1));
    let run = crate::testing::run_observed(ws, &mut pool, &test_options, &mut |p| {
        observer(&AuditProgress::Dynamic {
            done: p.done,
            total: p.total,
            id: p.id.clone(),
        })
    });
    pool.shutdown();
    let run = match run {
        Ok(r) => r,
        Err(e) => return Outcome::skipped(format!("the tests could not run: {e}"), true),
    };

    let mut outcome = Outcome {
        status: DynamicStatus {
            ran: true,
            skipped: None,
            sandbox: Some(layers.to_env()),
            environment: Some(env_label.to_owned()),
            detections: run.detections.len(),
            tests: run.detections.iter().map(|d| d.results.len()).sum(),
        },
        findings: Vec::new(),
        attempts: Vec::new(),
    };
    for a in &run.loading_attempts {
        outcome.record(scope, None, None, a);
    }
    for d in &run.detections {
        outcome.detection(ws, scope, d);
    }
    outcome.attempts.sort_by(|a, b| {
        (
            &a.item,
            &a.test,
            &a.attempt.file,
            a.attempt.line,
            &a.attempt.detail,
        )
            .cmp(&(
                &b.item,
                &b.test,
                &b.attempt.file,
                b.attempt.line,
                &b.attempt.detail,
            ))
    });
    outcome
}

/// `No module named 'x'` → `x`.
fn missing_module(e: &PyError) -> Option<String> {
    if !matches!(
        e.kind.as_deref(),
        Some("ModuleNotFoundError" | "ImportError")
    ) {
        return None;
    }
    let message = e.message.as_deref()?;
    let rest = message.strip_prefix("No module named ")?;
    Some(rest.trim_matches(|c| c == '\'' || c == '"').to_owned())
}

impl Outcome {
    fn record(&mut self, scope: &Scope, item: Option<&str>, test: Option<&str>, a: &Attempt) {
        let mut attempt = a.clone();
        attempt.file = a.file.as_deref().map(|f| {
            relative(&scope.root, std::path::Path::new(f)).unwrap_or_else(|| f.to_owned())
        });
        if let Some(code) = Code::for_attempt(&a.kind) {
            let during = match test {
                Some(t) => format!(" in the test `{t}`"),
                None if item.is_some() => " when the detection was loaded".to_owned(),
                None => " while helpers and data models were loaded".to_owned(),
            };
            let mut f = Finding::new(code, format!("tried {}{during}", attempt.detail));
            f.file = attempt.file.clone();
            f.line = attempt.line;
            f.item = item.map(str::to_owned);
            f.test = test.map(str::to_owned);
            self.findings.push(f);
        }
        self.attempts.push(RecordedAttempt {
            item: item.map(str::to_owned),
            test: test.map(str::to_owned),
            attempt,
        });
    }

    fn detection(&mut self, ws: &Workspace, scope: &Scope, d: &DetectionResult) {
        let spec = ws
            .index
            .get(&d.id)
            .map(|i| ws.items[i].rel_path.clone())
            .or_else(|| d.spec_path.clone());
        let id = Some(d.id.as_str());
        for a in &d.attempts {
            self.record(scope, id, None, a);
        }
        let mut missing: BTreeSet<String> = BTreeSet::new();
        if let Some(e) = &d.setup_error {
            if let Some(m) = missing_module(e) {
                missing.insert(m);
            } else if e.kind.as_deref() == Some("EngineError")
                && e.message
                    .as_deref()
                    .is_some_and(|m| m.contains("did not answer within"))
            {
                let mut f = Finding::new(
                    Code::TestDidNotFinish,
                    format!(
                        "its tests did not finish: {}",
                        e.message.as_deref().unwrap_or("")
                    ),
                )
                .item(id);
                f.file = spec.clone();
                self.findings.push(f);
            }
        }
        for t in &d.results {
            for a in &t.attempts {
                self.record(scope, id, Some(&t.name), a);
            }
            let errors = t
                .functions
                .iter()
                .filter_map(|f| f.error.as_ref())
                .chain(t.suppressed_errors.iter().map(|s| &s.error));
            missing.extend(errors.filter_map(missing_module));
        }
        for m in missing {
            let mut f = Finding::new(
                Code::MissingPackage,
                format!("not run dynamically: missing package `{m}` (a pack's requirements are never installed for an audit)"),
            )
            .item(id);
            f.file = spec.clone();
            self.findings.push(f);
        }
    }
}

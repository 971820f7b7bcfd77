//! Collecting a run's answers and printing them in PAT's order as they arrive: answers come
//! from the workers in any order; the collector walks the plan and prints every entry whose
//! answer is known, stopping at the first one still running. PAT's coverage checks
//! (`--minimum-tests`) and its handling of a module that ends the process (`sys.exit`) are
//! applied here, where PAT applies them: as each detection's block is printed.

use super::pat_text::Printer;
use super::plan::Plan;
use super::{TestOptions, TestRun};
use crate::engine::messages::DetectionResult;
use crate::spec::Node;

/// PAT's printing, driven in plan order as answers come in.
pub(super) struct Collector<'a, 'o> {
    pub out: Printer,
    options: &'o TestOptions,
    plans: Vec<Plan<'a>>,
    cursor: usize,
    answers: Vec<Option<DetectionResult>>,
    /// (spec file, message) of detections that could not be built.
    pub invalid_detections: Vec<(String, String)>,
    /// Answers in PAT's order (JSON and JUnit output).
    pub kept: Vec<DetectionResult>,
    /// Set when PAT's process would have ended (a module-level `sys.exit`).
    pub fatal: Option<TestRun>,
}

impl<'a, 'o> Collector<'a, 'o> {
    /// A collector for `plans`, whose requests are answered into `requests` slots.
    pub fn new(
        out: Printer,
        options: &'o TestOptions,
        plans: Vec<Plan<'a>>,
        requests: usize,
    ) -> Self {
        Collector {
            out,
            options,
            plans,
            cursor: 0,
            answers: (0..requests).map(|_| None).collect(),
            invalid_detections: Vec::new(),
            kept: Vec::new(),
            fatal: None,
        }
    }

    /// Records the answer to request `index`, then prints what can be printed; `false` once
    /// PAT would have stopped.
    pub fn answer(&mut self, index: usize, answer: DetectionResult) -> bool {
        self.answers[index] = Some(answer);
        self.advance()
    }

    /// Prints every plan entry whose answer is known; `false` once PAT would have stopped.
    pub fn advance(&mut self) -> bool {
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
                    // A correlation rule has no request: PAT prints its block with nothing run.
                    let answer = match request {
                        None => None,
                        Some(r) => match self.answers[*r].take() {
                            Some(answer) => Some(answer),
                            None => return true, // not answered yet
                        },
                    };
                    if let Some(item) = correlation {
                        out.skip(spec_file, item);
                    }
                    if let Some(answer) = &answer {
                        out.module_output(id, &answer.module_output);
                        out.stderr(&answer.module_stderr);
                        if let Some(fatal) = &answer.fatal {
                            let printer = std::mem::replace(out, Printer::new(self.options));
                            self.fatal = Some(printer.fatal(fatal, true));
                            return false;
                        }
                    }
                    out.detection_header(id);
                    match answer.as_ref().and_then(|a| a.setup_error.as_ref()) {
                        Some(error) => {
                            let message = error.message.clone().unwrap_or_default();
                            self.invalid_detections.push((spec_file.clone(), message));
                            out.setup_error();
                        }
                        None => {
                            coverage(out, self.options, id, tests_node.is_some(), all_tests, answer.as_ref());
                            out.detection_end();
                        }
                    }
                    if let Some(answer) = answer {
                        self.kept.push(answer);
                    }
                }
            }
            self.cursor += 1;
        }
        self.fatal.is_none()
    }
}

/// One detection's block: `--minimum-tests`, then each test's result, then the
/// positive-and-negative check, as PAT orders them.
fn coverage(
    out: &mut Printer,
    options: &TestOptions,
    id: &str,
    has_tests: bool,
    all_tests: &[&Node],
    answer: Option<&DetectionResult>,
) {
    let minimum = options.minimum_tests;
    if all_tests.len() < minimum {
        out.fail(
            id,
            format!(
                "Insufficient test coverage: {minimum} tests required but only {} found",
                all_tests.len()
            ),
        );
    }
    if !has_tests {
        out.no_tests_configured(id);
        return;
    }
    for result in answer.into_iter().flat_map(|a| a.results.iter()) {
        out.test_result(id, result);
    }
    let expected = |want: bool| {
        all_tests.iter().any(|t| {
            t.get("ExpectedResult")
                .is_some_and(|e| e.is_truthy() == want)
        })
    };
    if minimum > 1 && !(expected(true) && expected(false)) {
        out.fail(
            id,
            "Insufficient test coverage: expected at least one positive and one negative test"
                .into(),
        );
    }
}

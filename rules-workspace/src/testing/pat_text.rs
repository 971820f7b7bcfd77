//! PAT's `test` output, line for line (panther-spec §2.8; `print_result` and `print_summary` in
//! `tests/engine/harness_check.py`): detection blocks, the Skipped/Failed/Invalid summaries,
//! the Test Summary (where Passed may be negative), the exit code and the last `ERROR:` line.
//! PASS/FAIL are coloured with PAT's raw ANSI codes only when colour is wanted. One difference
//! from PAT: a capture longer than [`super::kept_output::TERMINAL_BYTES`] is cut, and kept whole in a
//! file (see [`super::kept_output`]).

use super::kept_output::KeptOutput;
use super::{TestOptions, TestRun};
use crate::engine::messages::{Attempt, DetectionResult, Fatal, PyError, UnitTestResult};
use crate::spec::pyrepr::str_repr;
use crate::spec::AnalysisItem;
use std::fmt::Write as _;

/// Collects stdout/stderr text and PAT's failed/skipped lists while a run goes on.
pub struct Printer {
    stdout: String,
    stderr: String,
    color: bool,
    sorted: bool,
    failures_only: bool,
    path_label: String,
    /// Detection ID → failed entries, in first-failure order.
    failed: Vec<(String, Vec<String>)>,
    /// (spec file, ID) in the order they were skipped.
    skipped: Vec<(String, String)>,
    /// Sorted mode: (passed?, detection ID, result).
    buffered: Vec<(bool, String, UnitTestResult)>,
    /// Prowl's failure recap, written to stderr just before PAT's closing `ERROR:` line.
    recap: String,
    /// Where captures too long for the terminal are kept whole.
    kept: KeptOutput,
}

impl Printer {
    /// An empty report for one run; colour is decided here, once (see `pat_colours`).
    pub fn new(options: &TestOptions) -> Printer {
        Printer {
            stdout: String::new(),
            stderr: String::new(),
            color: pat_colours(),
            sorted: options.sort_test_results || options.show_failures_only,
            failures_only: options.show_failures_only,
            path_label: options.path_label.clone(),
            failed: Vec::new(),
            skipped: Vec::new(),
            buffered: Vec::new(),
            recap: String::new(),
            kept: KeptOutput::in_cache(),
        }
    }

    fn tag(&self, passed: bool) -> &'static str {
        match (passed, self.color) {
            (true, true) => "\x1b[32mPASS\x1b[0m",
            (false, true) => "\x1b[31mFAIL\x1b[0m",
            (true, false) => "PASS",
            (false, false) => "FAIL",
        }
    }

    /// Appends text to stdout as it is (a module's print output at import, the set-up's output).
    pub fn stdout(&mut self, text: &str) {
        self.stdout.push_str(text);
    }

    /// Appends text to stderr as it is (Python's logging and warnings from a worker).
    pub fn stderr(&mut self, text: &str) {
        self.stderr.push_str(text);
    }

    /// Output a detection's module printed when imported (PAT prints it before the detection's
    /// ID), cut when too long for the terminal.
    pub fn module_output(&mut self, id: &str, text: &str) {
        let shown = self.kept.for_terminal(id, "import", text);
        self.stdout.push_str(&shown);
    }

    /// Output the workspace's set-up printed (data models and helpers imported), cut when too
    /// long for the terminal.
    pub fn setup_output(&mut self, text: &str) {
        let shown = self.kept.for_terminal("workspace", "setup", text);
        self.stdout.push_str(&shown);
    }

    /// A PAT log line on stderr (`LEVEL: message`).
    pub fn log(&mut self, level: &str, message: &str) {
        let _ = writeln!(self.stderr, "{level}: {message}");
    }

    /// Lists an item under "Skipped Tests Summary" (disabled with `--skip-disabled-tests`, no
    /// test matching `--test-names`, a correlation rule); `spec_file` as PAT prints the path.
    pub fn skip(&mut self, spec_file: &str, item: &AnalysisItem) {
        self.skipped.push((spec_file.to_owned(), item.id.clone()));
    }

    /// The block of a detection none of whose tests is named in `--test-names`.
    pub fn no_tests_match(&mut self, id: &str, names: &[String]) {
        let list = names
            .iter()
            .map(|n| str_repr(n))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = write!(
            self.stdout,
            "{id}\n\tNo tests match the provided test names: [{list}]\n\n"
        );
    }

    /// Opens a detection's block with its ID; in sorted mode the header is printed by `finish`.
    pub fn detection_header(&mut self, id: &str) {
        if !self.sorted {
            let _ = writeln!(self.stdout, "{id}");
        }
    }

    /// `print("\n")` after a setup error, in both modes.
    pub fn setup_error(&mut self) {
        self.stdout.push_str("\n\n");
    }

    /// The line in a detection's block when its spec has no `Tests`.
    pub fn no_tests_configured(&mut self, id: &str) {
        let _ = writeln!(self.stdout, "\tNo tests configured for {id}");
    }

    /// The blank line closing a detection's block (unsorted mode only).
    pub fn detection_end(&mut self) {
        if !self.sorted {
            self.stdout.push('\n');
        }
    }

    /// Records one entry of the detection's line in "Failed Tests Summary" (a test name, or a
    /// coverage message); a detection keeps its place from its first failure.
    pub fn fail(&mut self, id: &str, entry: String) {
        match self.failed.iter_mut().find(|(k, _)| k == id) {
            Some((_, entries)) => entries.push(entry),
            None => self.failed.push((id.to_owned(), vec![entry])),
        }
    }

    fn fail_all(&mut self, id: &str, entries: &[String]) {
        for e in entries {
            self.fail(id, e.clone());
        }
    }

    /// One test's result: out-of-band failures only count; otherwise captured output, the test
    /// line and its function lines (buffered in sorted mode).
    pub fn test_result(&mut self, id: &str, result: &UnitTestResult) {
        self.stderr(&result.logs);
        if result.out_of_band.is_some() {
            self.fail_all(id, &result.failed_entries);
            return;
        }
        if self.sorted {
            self.buffered
                .push((result.passed, id.to_owned(), result.clone()));
            return;
        }
        self.print_result(id, result);
    }

    fn print_result(&mut self, id: &str, result: &UnitTestResult) {
        if !result.captured.is_empty() {
            let shown = self.kept.for_terminal(id, &result.name, &result.captured);
            let _ = writeln!(self.stdout, "{shown}");
        }
        let tag = self.tag(result.passed);
        let _ = writeln!(self.stdout, "\t[{tag}] {}", result.name);
        for f in &result.functions {
            let tag = self.tag(f.passed);
            let _ = writeln!(self.stdout, "\t\t[{tag}] [{}] {}", f.name, f.output_text);
        }
        self.fail_all(id, &result.failed_entries);
    }

    /// Prowl's addition, after the failures recap: what workspace code tried that the sandbox
    /// does not allow (network, processes, files outside the workspace, …), each with the
    /// workspace line that did it and the test it happened in. `loading` is what the helpers
    /// and data models tried while the workspace was loaded.
    pub fn attempts(
        &mut self,
        loading: &[Attempt],
        answers: &[DetectionResult],
        root: &std::path::Path,
    ) {
        let rel = |f: &str| {
            std::path::Path::new(f)
                .strip_prefix(root)
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| f.to_owned())
        };
        let line = |who: &str, a: &Attempt, during: &str| {
            let place = match (&a.file, a.line) {
                (Some(f), Some(l)) => format!("{}:{l}", rel(f)),
                (Some(f), None) => rel(f),
                _ => String::new(),
            };
            format!("  {who}  {place}\n      {} ({}){during}", a.detail, a.kind)
        };
        let mut lines: Vec<String> = loading
            .iter()
            .map(|a| line("(loading the workspace)", a, ""))
            .collect();
        for d in answers {
            lines.extend(d.attempts.iter().map(|a| line(&d.id, a, ", when loaded")));
            for t in &d.results {
                let during = format!(", in test {}", str_repr(&t.name));
                lines.extend(t.attempts.iter().map(|a| line(&d.id, a, &during)));
            }
        }
        if lines.is_empty() {
            return;
        }
        let _ = writeln!(
            self.recap,
            "\nProwl: workspace code tried {} thing(s) the sandbox does not allow:",
            lines.len()
        );
        for l in lines {
            let _ = writeln!(self.recap, "{l}");
        }
    }

    /// Prowl's addition (PAT#243, PAT#634): after PAT's report, on stderr, one line per failing
    /// test or broken detection with the place to look (`file:line` of the deepest frame in the
    /// workspace, else the spec), so a long run's failures are at the bottom of the terminal.
    /// No line starts with `ERROR`/`WARNING`, so tools reading PAT's log lines are unaffected.
    pub fn recap(&mut self, answers: &[DetectionResult], root: &std::path::Path) {
        let rel = |f: &str| {
            std::path::Path::new(f)
                .strip_prefix(root)
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| f.to_owned())
        };
        let place = |error: &PyError| -> Option<String> {
            let frame = error.user_frame()?;
            Some(format!("{}:{}", rel(&frame.file), frame.line?))
        };
        let mut lines = Vec::new();
        let mut tests = 0;
        for answer in answers {
            let id = &answer.id;
            let spec = rel(answer.spec_path.as_deref().unwrap_or(""));
            if let Some(e) = &answer.setup_error {
                let at = place(e).unwrap_or_else(|| spec.clone());
                let message = e.message.as_deref().unwrap_or("").replace('\n', " ");
                lines.push(format!("  {id}  {at}\n      cannot be loaded: {message}"));
                continue;
            }
            for result in answer.results.iter().filter(|r| !r.clean_pass()) {
                tests += 1;
                let mut why = Vec::new();
                let mut at = None;
                if let Some(o) = &result.out_of_band {
                    why.push(o.message.clone());
                }
                for f in result.functions.iter().filter(|f| !f.passed) {
                    let (fname, text) = (&f.name, &f.output_text);
                    if let Some(error) = &f.error {
                        at = at.or_else(|| place(error));
                        why.push(format!("[{fname}] {text}"));
                    } else {
                        why.push(format!("[{fname}] returned {text}"));
                    }
                }
                if why.is_empty() {
                    // Errors PAT counts but does not print (unique(), functions CreateAlert
                    // turns off): say which, since PAT's own output shows only [PASS] lines.
                    for e in &result.suppressed_errors {
                        let err = &e.error;
                        at = at.or_else(|| place(err));
                        why.push(format!(
                            "[{}] {}: {} (PAT counts this error without printing it)",
                            e.name,
                            err.kind.as_deref().unwrap_or(""),
                            err.message.as_deref().unwrap_or("")
                        ));
                    }
                }
                if why.is_empty() {
                    why.push("failed without an error to show".into());
                }
                let at = at.unwrap_or_else(|| spec.clone());
                let why: String = why.join("; ").chars().take(300).collect();
                lines.push(format!(
                    "  {id}  {at}\n      test {}: {why}",
                    str_repr(&result.name)
                ));
            }
        }
        if lines.is_empty() {
            return;
        }
        let _ = writeln!(
            self.recap,
            "\nProwl: {} failing test(s), {} detection(s) with problems:",
            tests,
            answers.iter().filter(|a| a.has_problems()).count()
        );
        for l in lines {
            let _ = writeln!(self.recap, "{l}");
        }
    }

    /// PAT stopped (a module called `sys.exit`, a data model crashed): no summary.
    /// `log_warning`: whether PAT's closing warning still has to be written (the workspace
    /// set-up already returns it in its own stderr).
    pub fn fatal(mut self, fatal: &Fatal, log_warning: bool) -> TestRun {
        if log_warning && !fatal.warning.is_empty() {
            let _ = writeln!(self.stderr, "{}", fatal.warning);
        }
        let code = fatal.exit_code as i32;
        TestRun {
            stdout: self.stdout,
            stderr: self.stderr,
            exit_code: code,
            detections: Vec::new(),
            summary: None,
            cancelled: false,
            ..TestRun::default()
        }
    }

    /// PAT returned before running anything (nothing loaded, or nothing left after filters).
    pub fn finish_early(mut self, invalid: Vec<(String, String)>) -> TestRun {
        self.error_line(&invalid);
        TestRun {
            stdout: self.stdout,
            stderr: self.stderr,
            exit_code: 1,
            detections: Vec::new(),
            summary: Some(super::Summary {
                invalid: invalid.len(),
                invalid_specs: invalid.clone(),
                ..Default::default()
            }),
            cancelled: false,
            ..TestRun::default()
        }
    }

    fn error_line(&mut self, invalid: &[(String, String)]) {
        match invalid.last() {
            Some((file, message)) => {
                let _ = writeln!(self.stderr, "ERROR: {file} {}", message.replace('\n', " "));
            }
            None => {
                let failed: Vec<String> = Vec::new();
                let _ = writeln!(self.stderr, "ERROR: {failed:?}");
            }
        }
    }

    /// The sorted groups, the summary, and the exit code.
    pub fn finish(mut self, detections: usize, invalid: Vec<(String, String)>) -> TestRun {
        if self.sorted {
            let buffered = std::mem::take(&mut self.buffered);
            for group_passed in [true, false] {
                if group_passed && self.failures_only {
                    continue;
                }
                let mut ids: Vec<&String> = buffered
                    .iter()
                    .filter(|(p, _, _)| *p == group_passed)
                    .map(|(_, id, _)| id)
                    .collect();
                ids.sort();
                ids.dedup();
                for id in ids {
                    let _ = writeln!(self.stdout, "{id}");
                    for (_, _, result) in buffered
                        .iter()
                        .filter(|(p, i, _)| *p == group_passed && i == id)
                    {
                        self.print_result(id, result);
                        self.stdout.push('\n');
                    }
                }
            }
        }
        let sep = "--------------------------\n";
        if !self.skipped.is_empty() {
            self.stdout.push_str(sep);
            self.stdout.push_str("Skipped Tests Summary\n");
            for (file, id) in &self.skipped {
                let _ = write!(self.stdout, "\t{file}\n\t\t{id}\n\n");
            }
        }
        if !self.failed.is_empty() {
            self.stdout.push_str(sep);
            self.stdout.push_str("Failed Tests Summary\n");
            for (id, entries) in &self.failed {
                let list = entries
                    .iter()
                    .map(|e| str_repr(e))
                    .collect::<Vec<_>>()
                    .join(", ");
                let _ = write!(self.stdout, "\t{id}\n\t\t[{list}]\n\n");
            }
        }
        if !invalid.is_empty() {
            self.stdout.push_str(sep);
            self.stdout.push_str("Invalid Tests Summary\n");
            for (file, message) in &invalid {
                let _ = write!(self.stdout, "\t{file}\n\t\t{message}\n\n");
            }
        }
        self.stdout.push_str(sep);
        self.stdout.push_str("Test Summary\n");
        let passed =
            detections as i64 - (self.failed.len() + invalid.len() + self.skipped.len()) as i64;
        let _ = write!(
            self.stdout,
            "\tPath: {}\n\tPassed: {passed}\n\tSkipped: {}\n\tFailed: {}\n\tInvalid: {}\n\n",
            self.path_label,
            self.skipped.len(),
            self.failed.len(),
            invalid.len()
        );
        let exit_code = if !invalid.is_empty() || !self.failed.is_empty() {
            1
        } else {
            0
        };
        let recap = std::mem::take(&mut self.recap);
        self.stderr.push_str(&recap);
        if !invalid.is_empty() {
            self.error_line(&invalid);
        } else if exit_code == 1 {
            let _ = writeln!(self.stderr, "ERROR: []");
        }
        let summary = super::Summary {
            passed,
            skipped: self.skipped.len(),
            failed: self.failed.len(),
            invalid: invalid.len(),
            skipped_detections: std::mem::take(&mut self.skipped),
            failed_tests: std::mem::take(&mut self.failed),
            invalid_specs: invalid,
        };
        TestRun {
            stdout: self.stdout,
            stderr: self.stderr,
            exit_code,
            detections: Vec::new(),
            summary: Some(summary),
            cancelled: false,
            ..TestRun::default()
        }
    }
}

/// PAT colours unconditionally; Prowl only on a terminal and without `NO_COLOR`, unless
/// `PROWL_PAT_COLOURS=always` asks for PAT's bytes exactly.
fn pat_colours() -> bool {
    use std::io::IsTerminal;
    match std::env::var("PROWL_PAT_COLOURS").as_deref() {
        Ok("always") => true,
        Ok("never") => false,
        _ => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
}

//! JUnit XML for CI systems: one `<testsuite>` per detection, one `<testcase>` per unit test
//! (failures carry PAT's function lines, errors a detection that could not be built or run),
//! captured output in `<system-out>`.

use crate::engine::messages::{DetectionResult, FunctionOutput};
use std::fmt::Write as _;

/// XML-escapes text for attributes and element content (control characters become U+FFFD,
/// which XML 1.0 cannot carry).
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Renders the detections' results of a run as JUnit XML.
pub fn render(detections: &[DetectionResult]) -> String {
    let mut suites = String::new();
    let (mut total, mut failures, mut errors) = (0usize, 0usize, 0usize);
    for d in detections {
        // Tests Prowl evaluated itself (PAT needs a backend for them) say so in their suite.
        let id = match d.local {
            Some(kind) => esc(&format!("{} (evaluated locally: {})", d.id, kind.label())),
            None => esc(&d.id),
        };
        let file = esc(d.spec_path.as_deref().unwrap_or(""));
        let mut cases = String::new();
        let (mut t, mut f, mut e) = (0usize, 0usize, 0usize);
        if let Some(setup) = &d.setup_error {
            t += 1;
            e += 1;
            let _ = write!(
                cases,
                "    <testcase classname=\"{id}\" name=\"(setup)\" file=\"{file}\">\n      <error type=\"{}\" message=\"{}\"/>\n    </testcase>\n",
                esc(setup.kind.as_deref().unwrap_or("Error")),
                esc(setup.message.as_deref().unwrap_or(""))
            );
        }
        for r in &d.results {
            t += 1;
            let _ = writeln!(
                cases,
                "    <testcase classname=\"{id}\" name=\"{}\" file=\"{file}\">",
                esc(&r.name)
            );
            if let Some(oob) = &r.out_of_band {
                e += 1;
                let _ = writeln!(
                    cases,
                    "      <error type=\"{}\" message=\"{}\"/>",
                    esc(&oob.kind),
                    esc(&oob.warning)
                );
            } else if !r.passed {
                f += 1;
                let line = |f: &FunctionOutput| format!("[{}] {}", f.name, f.output_text);
                let lines: Vec<String> = r
                    .functions
                    .iter()
                    .map(|f| format!("[{}] {}", if f.passed { "PASS" } else { "FAIL" }, line(f)))
                    .collect();
                let message = r
                    .functions
                    .iter()
                    .find(|f| !f.passed)
                    .map(line)
                    .unwrap_or_else(|| "the test failed".into());
                let _ = writeln!(
                    cases,
                    "      <failure message=\"{}\">{}</failure>",
                    esc(&message),
                    esc(&lines.join("\n"))
                );
            }
            if !r.captured.is_empty() {
                let _ = writeln!(cases, "      <system-out>{}</system-out>", esc(&r.captured));
            }
            cases.push_str("    </testcase>\n");
        }
        let _ = write!(
            suites,
            "  <testsuite name=\"{id}\" tests=\"{t}\" failures=\"{f}\" errors=\"{e}\" file=\"{file}\">\n{cases}  </testsuite>\n"
        );
        total += t;
        failures += f;
        errors += e;
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"prowl\" tests=\"{total}\" failures=\"{failures}\" errors=\"{errors}\">\n{suites}</testsuites>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::messages::{OutOfBand, PyError, UnitTestResult};

    #[test]
    fn failures_errors_and_output_are_reported_and_escaped() {
        let test = |name: &str, passed: bool| UnitTestResult {
            name: name.into(),
            passed,
            ..Default::default()
        };
        let function = |name: &str, passed: bool, text: &str| FunctionOutput {
            name: name.into(),
            passed,
            output_text: text.into(),
            error: None,
        };
        let d = vec![
            DetectionResult {
                id: "R.One".into(),
                spec_path: Some("/w/rules/one.yml".into()),
                results: vec![
                    test("ok", true),
                    UnitTestResult {
                        captured: "printed & more".into(),
                        functions: vec![
                            function("rule", true, "true"),
                            function("title", false, "ValueError: <img src=x onerror=alert(1)>"),
                        ],
                        ..test("bad <title>", false)
                    },
                    UnitTestResult {
                        out_of_band: Some(OutOfBand {
                            kind: "AttributeError".into(),
                            message: "no attr".into(),
                            warning: "WARNING: no attr".into(),
                        }),
                        ..test("mock", false)
                    },
                ],
                ..Default::default()
            },
            DetectionResult {
                id: "R.Two".into(),
                spec_path: Some("/w/rules/two.yml".into()),
                setup_error: Some(PyError {
                    kind: Some("SyntaxError".into()),
                    message: Some("invalid syntax".into()),
                    traceback: Vec::new(),
                }),
                ..Default::default()
            },
        ];
        let xml = render(&d);
        assert!(
            xml.contains("<testsuites name=\"prowl\" tests=\"4\" failures=\"1\" errors=\"2\">"),
            "{xml}"
        );
        assert!(xml.contains("name=\"bad &lt;title&gt;\""), "{xml}");
        assert!(
            xml.contains(
                "<failure message=\"[title] ValueError: &lt;img src=x onerror=alert(1)&gt;\">"
            ),
            "{xml}"
        );
        assert!(
            xml.contains("<system-out>printed &amp; more</system-out>"),
            "{xml}"
        );
        assert!(
            xml.contains("<error type=\"AttributeError\" message=\"WARNING: no attr\"/>"),
            "{xml}"
        );
        assert!(xml.contains("name=\"(setup)\""), "{xml}");
        assert!(!xml.contains("<img"), "event values are never raw markup");
        assert!(esc("a\u{1}b").contains('\u{FFFD}'));
    }
}

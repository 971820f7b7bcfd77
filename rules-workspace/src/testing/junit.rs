//! JUnit XML for CI systems: one `<testsuite>` per detection, one `<testcase>` per unit test
//! (failures carry PAT's function lines, errors a detection that could not be built or run),
//! captured output in `<system-out>`.

use serde_json::Value;
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

/// Renders the harness answers of a run as JUnit XML.
pub fn render(detections: &[Value]) -> String {
    let mut suites = String::new();
    let (mut total, mut failures, mut errors) = (0usize, 0usize, 0usize);
    for d in detections {
        let id = d["id"].as_str().unwrap_or("");
        let file = d["spec_path"].as_str().unwrap_or("");
        let mut cases = String::new();
        let (mut t, mut f, mut e) = (0usize, 0usize, 0usize);
        if let Some(setup) = d.get("setup_error").filter(|s| !s.is_null()) {
            t += 1;
            e += 1;
            let _ = write!(
                cases,
                "    <testcase classname=\"{}\" name=\"(setup)\" file=\"{}\">\n      <error type=\"{}\" message=\"{}\"/>\n    </testcase>\n",
                esc(id),
                esc(file),
                esc(setup["type"].as_str().unwrap_or("Error")),
                esc(setup["message"].as_str().unwrap_or(""))
            );
        }
        for r in d["results"].as_array().into_iter().flatten() {
            t += 1;
            let _ = writeln!(
                cases,
                "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\">",
                esc(id),
                esc(r["name"].as_str().unwrap_or("")),
                esc(file)
            );
            if let Some(oob) = r.get("out_of_band").filter(|o| !o.is_null()) {
                e += 1;
                let _ = writeln!(
                    cases,
                    "      <error type=\"{}\" message=\"{}\"/>",
                    esc(oob["kind"].as_str().unwrap_or("")),
                    esc(oob["warning"].as_str().unwrap_or(""))
                );
            } else if !r["passed"].as_bool().unwrap_or(false) {
                f += 1;
                let lines: Vec<String> = r["functions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|f| {
                        let tag = if f["passed"].as_bool().unwrap_or(false) {
                            "PASS"
                        } else {
                            "FAIL"
                        };
                        format!(
                            "[{tag}] [{}] {}",
                            f["name"].as_str().unwrap_or(""),
                            f["output_text"].as_str().unwrap_or("")
                        )
                    })
                    .collect();
                let first_failed = r["functions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|f| !f["passed"].as_bool().unwrap_or(true));
                let message = first_failed
                    .map(|f| {
                        format!(
                            "[{}] {}",
                            f["name"].as_str().unwrap_or(""),
                            f["output_text"].as_str().unwrap_or("")
                        )
                    })
                    .unwrap_or_else(|| "the test failed".into());
                let _ = writeln!(
                    cases,
                    "      <failure message=\"{}\">{}</failure>",
                    esc(&message),
                    esc(&lines.join("\n"))
                );
            }
            let captured = r["captured"].as_str().unwrap_or("");
            if !captured.is_empty() {
                let _ = writeln!(cases, "      <system-out>{}</system-out>", esc(captured));
            }
            cases.push_str("    </testcase>\n");
        }
        let _ = write!(
            suites,
            "  <testsuite name=\"{}\" tests=\"{t}\" failures=\"{f}\" errors=\"{e}\" file=\"{}\">\n{cases}  </testsuite>\n",
            esc(id),
            esc(file)
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
    use serde_json::json;

    #[test]
    fn failures_errors_and_output_are_reported_and_escaped() {
        let d = vec![
            json!({"id": "R.One", "spec_path": "/w/rules/one.yml", "setup_error": null, "results": [
                {"name": "ok", "passed": true, "out_of_band": null, "captured": "", "functions": []},
                {"name": "bad <title>", "passed": false, "out_of_band": null, "captured": "printed & more",
                 "functions": [{"name": "rule", "passed": true, "output_text": "true"},
                               {"name": "title", "passed": false, "output_text": "ValueError: <img src=x onerror=alert(1)>"}]},
                {"name": "mock", "passed": false, "out_of_band": {"kind": "AttributeError", "warning": "WARNING: no attr"}, "captured": "", "functions": []}
            ]}),
            json!({"id": "R.Two", "spec_path": "/w/rules/two.yml", "setup_error": {"type": "SyntaxError", "message": "invalid syntax"}, "results": []}),
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

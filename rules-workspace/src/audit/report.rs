//! An [`AuditReport`] rendered for people and machines: text, JSON, SARIF 2.1.0 and one
//! self-contained HTML page.
//!
//! Everything from the pack (IDs, test names, file names, messages that quote its code) is
//! hostile: the text report replaces control characters (no terminal escapes reach the
//! terminal), the HTML page escapes every such string and carries no script, no external URL
//! and no inline event handler, and SARIF carries it as JSON strings.

use super::{AuditReport, Code, Finding, Severity};
use std::fmt::Write as _;

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    /// For a terminal.
    Text,
    /// The report as JSON (the `AuditReport` type).
    Json,
    /// SARIF 2.1.0, for code-scanning tools.
    Sarif,
    /// One self-contained HTML page.
    Html,
}

/// Renders `report` in `format`.
pub fn render(report: &AuditReport, format: ReportFormat) -> String {
    match format {
        ReportFormat::Text => text(report),
        ReportFormat::Json => json(report),
        ReportFormat::Sarif => sarif(report),
        ReportFormat::Html => html(report),
    }
}

/// Pack-derived text made safe for a terminal: control characters become `\u{..}`.
fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

fn source_line(report: &AuditReport) -> String {
    let s = &report.source;
    let mut line = format!("{} ({})", s.location, kind_word(report));
    if let (Some(branch), Some(base)) = (&s.branch, &s.base) {
        let _ = write!(line, ": branch {branch} since its merge base with {base}");
    }
    line
}

fn kind_word(report: &AuditReport) -> &'static str {
    match report.source.kind {
        super::SourceKind::Folder => "folder",
        super::SourceKind::Git => "git repository",
        super::SourceKind::Archive => "archive",
        super::SourceKind::Branch => "branch",
    }
}

/// The item a finding belongs to (a dynamic finding's message names its test).
fn context(f: &Finding) -> String {
    f.item
        .as_ref()
        .map(|i| format!(" [{i}]"))
        .unwrap_or_default()
}

fn counts(report: &AuditReport) -> String {
    let s = &report.summary;
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    format!(
        "{}, {}, {}",
        plural(s.errors, "error"),
        plural(s.warnings, "warning"),
        plural(s.notes, "note")
    )
}

fn dynamic_line(report: &AuditReport) -> String {
    let d = &report.dynamic;
    if d.ran {
        format!(
            "ran {} tests of {} detections in the sandbox ({}), in {}",
            d.tests,
            d.detections,
            d.sandbox.as_deref().unwrap_or("?"),
            d.environment.as_deref().unwrap_or("?")
        )
    } else {
        format!("not run ({})", d.skipped.as_deref().unwrap_or("?"))
    }
}

/// The text report: one line per finding (`file:line:col: severity CODE message [item]`),
/// then the dynamic part and the verdict.
pub fn text(report: &AuditReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "audit of {}", clean(&source_line(report)));
    if let Some(a) = &report.against {
        let _ = writeln!(out, "against {}", clean(a));
    }
    let _ = writeln!(out);
    for f in &report.findings {
        let place = f
            .place()
            .map(|p| format!("{}: ", clean(&p)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{place}{} {} {}{}",
            f.severity.as_str(),
            f.code.id(),
            clean(&f.message),
            clean(&context(f))
        );
    }
    if report.findings.is_empty() {
        let _ = writeln!(out, "no findings");
    }
    if !report.replaces.is_empty() {
        let _ = writeln!(
            out,
            "\nwould replace {} of your items:",
            report.replaces.len()
        );
        for r in &report.replaces {
            let _ = writeln!(
                out,
                "  {} ({}) -> your {}",
                clean(&r.id),
                r.analysis_type,
                clean(&r.against_file)
            );
        }
    }
    let _ = writeln!(out, "\ndynamic: {}", clean(&dynamic_line(report)));
    let s = &report.summary;
    let _ = writeln!(
        out,
        "verdict: {} ({}; {} items, {} Python files)",
        s.verdict.as_str(),
        counts(report),
        s.items,
        s.python_files
    );
    out
}

/// The report as JSON (the [`AuditReport`] type, pretty-printed).
pub fn json(report: &AuditReport) -> String {
    let mut s =
        serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

/// A relative path as a URI reference: unreserved characters and `/` kept, the rest
/// percent-encoded.
fn uri(path: &str) -> String {
    let mut out = String::new();
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// SARIF 2.1.0: the code table as `tool.driver.rules`, each finding a result with its
/// location relative to `%SRCROOT%` (the pack's root).
pub fn sarif(report: &AuditReport) -> String {
    use serde_json::{json, Value};
    let rules: Vec<Value> = Code::ALL
        .iter()
        .map(|c| {
            json!({
                "id": c.id(),
                "name": c.name(),
                "shortDescription": {"text": c.summary()},
                "fullDescription": {"text": c.help()},
                "help": {"text": c.help()},
                "defaultConfiguration": {"level": c.severity().sarif_level()},
                "properties": {"tags": ["security", if c.is_static() { "static" } else { "dynamic" }]},
            })
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let mut result = json!({
                "ruleId": f.code.id(),
                "ruleIndex": Code::ALL.iter().position(|c| *c == f.code).unwrap_or(0),
                "level": f.severity.sarif_level(),
                "message": {"text": f.message},
            });
            if let Some(file) = &f.file {
                let mut physical = json!({
                    "artifactLocation": {"uri": uri(file), "uriBaseId": "%SRCROOT%"},
                });
                if let Some(line) = f.line.filter(|l| *l > 0) {
                    let mut region = json!({"startLine": line});
                    if let Some(col) = f.column.filter(|c| *c > 0) {
                        region["startColumn"] = json!(col);
                    }
                    physical["region"] = region;
                }
                let mut location = json!({"physicalLocation": physical});
                if let Some(item) = &f.item {
                    location["logicalLocations"] = json!([{"name": item, "kind": "module"}]);
                }
                result["locations"] = json!([location]);
            }
            let mut properties = serde_json::Map::new();
            if let Some(item) = &f.item {
                properties.insert("item".into(), json!(item));
            }
            if let Some(test) = &f.test {
                properties.insert("test".into(), json!(test));
            }
            if !properties.is_empty() {
                result["properties"] = Value::Object(properties);
            }
            result
        })
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "prowl audit",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
            "properties": {
                "verdict": report.summary.verdict.as_str(),
                "source": report.source.location,
                "dynamic": dynamic_line(report),
            },
        }],
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

/// Text escaped for HTML element content and quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => {
                let _ = write!(out, "&#xFFFD;");
            }
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#1d1d1f;background:#fff}\
h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.6em}\
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3em .6em;border-bottom:1px solid #ddd;vertical-align:top}\
code{font-family:ui-monospace,monospace;font-size:.92em;word-break:break-all}\
.verdict{display:inline-block;padding:.2em .7em;border-radius:.3em;font-weight:600}\
.clean{background:#d9f2dd}.review{background:#fff1c2}.dangerous{background:#ffd6d6}\
.error{color:#b00020;font-weight:600}.warning{color:#8a5a00;font-weight:600}.note{color:#555}";

/// One self-contained HTML page: inline CSS, no scripts, no external URLs; every
/// pack-derived string escaped.
pub fn html(report: &AuditReport) -> String {
    let e = escape;
    let s = &report.summary;
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
<title>prowl audit: {}</title><style>{CSS}</style></head><body>\n",
        e(&report.source.location)
    );
    let _ = writeln!(
        out,
        "<h1>Audit of <code>{}</code></h1>",
        e(&source_line(report))
    );
    let _ = writeln!(
        out,
        "<p><span class=\"verdict {v}\">{v}</span> {} &middot; {} items &middot; {} Python files</p>",
        e(&counts(report)),
        s.items,
        s.python_files,
        v = s.verdict.as_str()
    );
    if let Some(a) = &report.against {
        let _ = writeln!(out, "<p>Compared with <code>{}</code>.</p>", e(a));
    }
    let _ = writeln!(out, "<p>Dynamic: {}</p>", e(&dynamic_line(report)));
    let _ = writeln!(out, "<h2>Findings</h2>");
    if report.findings.is_empty() {
        let _ = writeln!(out, "<p>No findings.</p>");
    } else {
        let _ = writeln!(
            out,
            "<table><thead><tr><th>Severity</th><th>Code</th><th>Where</th><th>Item</th><th>Test</th><th>Why</th></tr></thead><tbody>"
        );
        for f in &report.findings {
            let _ = writeln!(
                out,
                "<tr><td class=\"{sev}\">{sev}</td><td title=\"{}\">{} {}</td><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                e(f.code.summary()),
                f.code.id(),
                e(f.code.name()),
                e(&f.place().unwrap_or_default()),
                e(f.item.as_deref().unwrap_or("")),
                e(f.test.as_deref().unwrap_or("")),
                e(&f.message),
                sev = f.severity.as_str(),
            );
        }
        let _ = writeln!(out, "</tbody></table>");
    }
    if !report.replaces.is_empty() {
        let _ = writeln!(out, "<h2>Would replace</h2><ul>");
        for r in &report.replaces {
            let _ = writeln!(
                out,
                "<li><code>{}</code> ({}): the pack's <code>{}</code> over your <code>{}</code></li>",
                e(&r.id),
                r.analysis_type,
                e(&r.file),
                e(&r.against_file)
            );
        }
        let _ = writeln!(out, "</ul>");
    }
    if !report.attempts.is_empty() {
        let _ = writeln!(
            out,
            "<h2>What the code tried in the sandbox</h2><table><thead><tr><th>Item</th><th>Test</th><th>Kind</th><th>What</th><th>Where</th></tr></thead><tbody>"
        );
        for a in &report.attempts {
            let place = match (&a.attempt.file, a.attempt.line) {
                (Some(f), Some(l)) => format!("{f}:{l}"),
                (Some(f), None) => f.clone(),
                _ => String::new(),
            };
            let _ = writeln!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td><code>{}</code></td><td><code>{}</code></td></tr>",
                e(a.item.as_deref().unwrap_or("(loading)")),
                e(a.test.as_deref().unwrap_or("")),
                e(&a.attempt.kind),
                e(&a.attempt.detail),
                e(&place)
            );
        }
        let _ = writeln!(out, "</tbody></table>");
    }
    let used: std::collections::BTreeSet<Code> = report.findings.iter().map(|f| f.code).collect();
    if !used.is_empty() {
        let _ = writeln!(out, "<h2>Codes</h2><table><tbody>");
        for c in used {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td class=\"{sev}\">{sev}</td><td>{}</td></tr>",
                c.id(),
                e(c.name()),
                e(c.help()),
                sev = c.severity().as_str()
            );
        }
        let _ = writeln!(out, "</tbody></table>");
    }
    let _ = writeln!(out, "</body></html>");
    out
}

/// The exit code for `--fail-on`: 1 when a finding is at or above it, else 0.
pub fn exit_code(report: &AuditReport, fail_on: Severity) -> u8 {
    u8::from(report.fails_at(fail_on))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escaping_leaves_no_markup_and_text_no_terminal_escapes() {
        assert_eq!(
            escape("<script>alert(1)</script>\"'&"),
            "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;"
        );
        assert_eq!(clean("a\u{1b}[31mb"), "a\\u{1b}[31mb");
        assert_eq!(uri("rules/a b%.py"), "rules/a%20b%25.py");
    }
}

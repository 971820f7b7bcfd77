//! Rendering for the CLI: diagnostics in the "what, where, hint" style with a source snippet,
//! tables of items, and JSON.

use crate::diagnostics::{Diagnostic, Severity};
use crate::spec::AnalysisItem;
use crate::workspace::Workspace;
use std::io::IsTerminal;

/// Whether to colour output.
pub struct Style {
    color: bool,
}

impl Style {
    pub fn detect() -> Style {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Style {
            color: !no_color && std::io::stdout().is_terminal(),
        }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    pub fn bold(&self, t: &str) -> String {
        self.paint("1", t)
    }

    pub fn error_line(&self, message: &str) -> String {
        format!("{}: {message}", self.paint("1;31", "error"))
    }

    pub fn hint_label(&self) -> String {
        self.paint("1;36", "hint:")
    }

    fn severity(&self, s: Severity) -> String {
        match s {
            Severity::Error => self.paint("1;31", "error"),
            Severity::Warning => self.paint("1;33", "warning"),
        }
    }

    fn dim(&self, t: &str) -> String {
        self.paint("2", t)
    }
}

fn source_line(path: &std::path::Path, line: u32) -> Option<String> {
    // A diagnostic's file is workspace content: a regular file, bounded, or no source line.
    let bytes = crate::workspace::read_bounded(path, 8 * 1024 * 1024).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    text.lines()
        .nth(line.checked_sub(1)? as usize)
        // Control characters (a binary file) become U+FFFD so the terminal stays sane.
        .map(|l| {
            l.chars()
                .take(200)
                .map(|c| {
                    if c.is_control() && c != '\t' {
                        '\u{FFFD}'
                    } else {
                        c
                    }
                })
                .collect()
        })
}

pub fn print_diagnostics_text(
    ws: &Workspace,
    diagnostics: &[Diagnostic],
    selected: usize,
    style: &Style,
) {
    for d in diagnostics {
        let code = serde_json::to_value(d.code)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        println!(
            "{}[{code}]: {}",
            style.severity(d.severity),
            style.bold(&d.summary)
        );
        match d.span {
            Some(span) => {
                println!(
                    "  {} {}:{}:{}",
                    style.dim("-->"),
                    d.rel_path,
                    span.line,
                    span.col
                );
                if let Some(src) = source_line(&d.file, span.line) {
                    let num = span.line.to_string();
                    let pad = " ".repeat(num.len());
                    println!("  {pad} {}", style.dim("|"));
                    println!("  {num} {} {src}", style.dim("|"));
                    let caret_pad: String = src
                        .chars()
                        .take(span.col.saturating_sub(1) as usize)
                        .map(|c| if c == '\t' { '\t' } else { ' ' })
                        .collect();
                    println!(
                        "  {pad} {} {caret_pad}{}",
                        style.dim("|"),
                        style.paint("1;31", "^")
                    );
                }
            }
            None => println!("  {} {}", style.dim("-->"), d.rel_path),
        }
        if !d.message.is_empty() && d.message != d.summary {
            let mut lines = d.message.lines();
            if let Some(first) = lines.next() {
                println!("  = PAT: {first}");
                for l in lines.take(12) {
                    println!("         {l}");
                }
            }
        }
        if let Some(h) = &d.hint {
            println!("  = {} {h}", style.hint_label());
        }
        println!();
    }
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    let status = if errors == 0 {
        style.paint("1;32", "valid")
    } else {
        style.paint("1;31", "invalid")
    };
    println!(
        "{status}: {} items ({selected} selected) from {} spec files; {errors} {}, {warnings} {}",
        ws.items.len(),
        ws.files_read,
        plural(errors, "error", "errors"),
        plural(warnings, "warning", "warnings"),
    );
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

pub fn print_diagnostics_json(ws: &Workspace, diagnostics: &[Diagnostic], selected: usize) {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let out = serde_json::json!({
        "root": ws.root,
        "files_read": ws.files_read,
        "items": ws.items.len(),
        "selected": selected,
        "errors": errors,
        "warnings": diagnostics.len() - errors,
        "valid": errors == 0,
        "diagnostics": diagnostics,
    });
    print_json(&out);
}

/// PAT's "Invalid Tests Summary" block for the errors PAT itself reports.
pub fn print_diagnostics_pat(diagnostics: &[Diagnostic]) {
    for d in diagnostics.iter().filter(|d| d.pat && d.is_error()) {
        println!("\t{}\n\t\t{}\n", d.file.display(), d.message);
    }
}

pub fn print_json<T: serde::Serialize + ?Sized>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(s) => println!("{s}"),
        Err(e) => eprintln!("error: cannot serialise the output: {e}"),
    }
}

pub fn print_items_text(items: &[&AnalysisItem], style: &Style) {
    let id_width = items
        .iter()
        .map(|i| i.id.len())
        .max()
        .unwrap_or(2)
        .clamp(2, 60);
    println!(
        "{}",
        style.bold(&format!(
            "{:<id_width$}  {:<16}  {:<8}  {:<7}  {}",
            "ID", "TYPE", "SEVERITY", "ENABLED", "FILE"
        ))
    );
    for i in items {
        let enabled = match i.enabled {
            Some(true) => "yes",
            Some(false) => "no",
            None => "-",
        };
        println!(
            "{:<id_width$}  {:<16}  {:<8}  {:<7}  {}",
            i.id,
            i.analysis_type.as_str(),
            i.severity.as_deref().unwrap_or("-"),
            enabled,
            i.rel_path
        );
    }
    println!("{} items", items.len());
}

pub fn print_item_text(ws: &Workspace, index: usize, style: &Style) {
    let item = &ws.items[index];
    println!("{} ({})", style.bold(&item.id), item.analysis_type);
    if let Some(d) = &item.display_name {
        println!("  name:        {d}");
    }
    println!("  spec:        {}", item.rel_path);
    if let Some(code) = &item.code_path {
        let rel = code.strip_prefix(&ws.root).unwrap_or(code);
        println!("  code:        {}", rel.display());
    }
    if let Some(form) = item.form {
        println!(
            "  form:        {}",
            serde_json::to_value(form)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        );
    }
    if let Some(e) = item.enabled {
        println!("  enabled:     {e}");
    }
    if let Some(s) = &item.severity {
        println!("  severity:    {s}");
    }
    if !item.log_types.is_empty() {
        println!("  log types:   {}", item.log_types.join(", "));
    }
    if !item.tags.is_empty() {
        println!("  tags:        {}", item.tags.join(", "));
    }
    if !item.mitre.is_empty() {
        println!("  MITRE:       {}", item.mitre.join(", "));
    }
    let deps = ws.index.dependencies(index);
    if !deps.is_empty() {
        println!("  depends on:");
        for d in deps {
            let kind = serde_json::to_value(d.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            let missing = if d.resolved {
                String::new()
            } else {
                format!(" {}", style.paint("1;33", "(not in workspace)"))
            };
            println!("    {kind:<22} {}{missing}", d.id);
        }
    }
    let dependents = ws.index.dependents(index);
    if !dependents.is_empty() {
        println!("  used by:");
        for &d in dependents {
            println!("    {} ({})", ws.items[d].id, ws.items[d].analysis_type);
        }
    }
    if !item.tests.is_empty() {
        println!("  tests:");
        for t in &item.tests {
            let mocks = if t.mocks.is_empty() {
                String::new()
            } else {
                format!("  mocks: {}", t.mocks.join(", "))
            };
            println!(
                "    line {:<5} expect {:<5}  {}{mocks}",
                t.span.line, t.expected_result, t.name
            );
        }
    }
}

pub fn print_item_json(ws: &Workspace, index: usize) {
    let item = &ws.items[index];
    let out = serde_json::json!({
        "item": item,
        "spec": item.spec.to_json(),
        "dependencies": ws.index.dependencies(index),
        "dependents": ws.index.dependents(index).iter().map(|&d| &ws.items[d].id).collect::<Vec<_>>(),
        "imports": ws.index.imports(index),
    });
    print_json(&out);
}

//! Simple Detections and inline filters: their programs, and the Python module a Simple
//! Detection runs as.
//!
//! A Simple Detection becomes a small Python module (`rule`, and `title`, `alert_context`,
//! `severity`, `dedup` when its spec has `AlertTitle`, `AlertContext`, `DynamicSeverities`,
//! `GroupBy`) whose functions call `prowl_match` on the compiled program. panther-core then runs
//! it exactly like a Python rule, as it runs the Python Panther's server transpiles: unit-test
//! verdicts, batch mode, dedup and title fallbacks all stay panther-core's.

use super::{compile_key, compile_list, parse_key_path, Mode, Problem};
use crate::spec::Node;
use serde_json::{json, Value as Json};

/// A Simple Detection, compiled.
#[derive(Debug, Clone)]
pub struct SimpleDetection {
    /// The program `prowl_match.simple_detection` reads.
    pub program: Json,
    /// Which alert functions the module defines.
    pub functions: Vec<&'static str>,
    /// Problems found while compiling (the detection still compiles: a bad part never matches).
    pub problems: Vec<Problem>,
}

/// Compiles a Simple Detection's spec (`Detection` and its alert keys).
pub fn compile_simple(spec: &Node) -> SimpleDetection {
    let mut problems = Vec::new();
    let mut functions = vec!["rule"];
    let detection = match spec.get("Detection") {
        Some(node) => {
            let (program, found) = compile_list(node, Mode::Detection);
            problems.extend(found);
            program
        }
        None => json!(["false"]),
    };
    let title = spec.get("AlertTitle").map(|node| {
        functions.push("title");
        match node.as_str() {
            Some(text) => match parse_template(text) {
                Ok(parts) => Json::Array(parts),
                Err(message) => {
                    problems.push(Problem {
                        span: node.span,
                        message,
                    });
                    json!([text])
                }
            },
            None => {
                problems.push(Problem {
                    span: node.span,
                    message: "`AlertTitle` is a text with {field} placeholders".into(),
                });
                json!([])
            }
        }
    });
    let context = spec.get("AlertContext").map(|node| {
        functions.push("alert_context");
        let mut pairs = Vec::new();
        for entry in node.as_list().unwrap_or_default() {
            let name = entry.get("KeyName").and_then(Node::as_str);
            let value = entry.get("KeyValue");
            match (name, value) {
                (Some(name), Some(value)) => {
                    let (path, found) = compile_key(value);
                    problems.extend(found);
                    pairs.push(json!([name, path]));
                }
                _ => problems.push(Problem {
                    span: entry.span,
                    message: "an `AlertContext` entry has a KeyName and a KeyValue".into(),
                }),
            }
        }
        Json::Array(pairs)
    });
    let severities = spec.get("DynamicSeverities").map(|node| {
        functions.push("severity");
        let mut cases = Vec::new();
        for entry in node.as_list().unwrap_or_default() {
            let change_to = entry.get("ChangeTo").and_then(Node::as_str);
            let conditions = entry.get("Conditions");
            match (change_to, conditions) {
                (Some(to), Some(conditions)) => {
                    let (program, found) = compile_list(conditions, Mode::Detection);
                    problems.extend(found);
                    cases.push(json!([to, program]));
                }
                _ => problems.push(Problem {
                    span: entry.span,
                    message: "a `DynamicSeverities` entry has ChangeTo and Conditions".into(),
                }),
            }
        }
        Json::Array(cases)
    });
    let group_by = spec.get("GroupBy").map(|node| {
        functions.push("dedup");
        let mut paths = Vec::new();
        for key in node.as_list().unwrap_or_default() {
            let (path, found) = compile_key(key);
            problems.extend(found);
            paths.push(path);
        }
        Json::Array(paths)
    });
    let program = json!({
        "detection": detection,
        "title": title,
        "context": context,
        "severities": severities,
        "group_by": group_by,
    });
    SimpleDetection {
        program,
        functions,
        problems,
    }
}

/// Compiles a rule's `InlineFilters` (an implicit `All` of filter expressions).
pub fn compile_filters(node: &Node) -> (Json, Vec<Problem>) {
    compile_list(node, Mode::Filter)
}

/// What a worker receives for a rule's `InlineFilters`: the program, and the data of the
/// workspace's lookup tables it reads (see [`super::lookup`]).
pub fn filters_request(node: &Node, items: &[crate::spec::AnalysisItem]) -> Json {
    let (program, _) = compile_filters(node);
    let lookups = super::lookup::lookups_for(&program, items);
    json!({"expression": program, "lookups": lookups})
}

impl SimpleDetection {
    /// Adds the data of the workspace's lookup tables the detection reads (see
    /// [`super::lookup`]).
    pub fn join_lookups(&mut self, items: &[crate::spec::AnalysisItem]) {
        if let Some(lookups) = super::lookup::lookups_for(&self.program, items) {
            self.program["lookups"] = lookups;
        }
    }
}

/// An `AlertTitle` template as parts: a string is literal text, a list is a key path.
/// `{path}` is a field (dotted KeyPath syntax); `{{` and `}}` are literal braces.
pub fn parse_template(text: &str) -> Result<Vec<Json>, String> {
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '{' if chars.peek().map(|p| p.1) == Some('{') => {
                chars.next();
                literal.push('{');
            }
            '}' if chars.peek().map(|p| p.1) == Some('}') => {
                chars.next();
                literal.push('}');
            }
            '{' => {
                let rest = &text[i + 1..];
                let close = rest
                    .find('}')
                    .ok_or_else(|| format!("`{{` at character {} is not closed", i + 1))?;
                let field = rest[..close].trim();
                let steps =
                    parse_key_path(field).map_err(|e| format!("AlertTitle placeholder {e}"))?;
                if !literal.is_empty() {
                    parts.push(json!(std::mem::take(&mut literal)));
                }
                parts.push(Json::Array(steps));
                while chars.peek().is_some_and(|(j, _)| *j <= i + 1 + close) {
                    chars.next();
                }
            }
            _ => literal.push(c),
        }
    }
    if !literal.is_empty() {
        parts.push(json!(literal));
    }
    Ok(parts)
}

/// The Python module a Simple Detection runs as: `prowl_match` evaluates the program; the
/// functions are plain `def`s so panther-core finds and reports them as it does a rule's.
pub fn python_body(id: &str, rel_spec: &str, compiled: &SimpleDetection) -> String {
    let program = serde_json::to_string(&compiled.program).unwrap_or_else(|_| "{}".into());
    // A JSON string literal is also a Python string literal.
    let literal = serde_json::to_string(&program).unwrap_or_else(|_| "\"{}\"".into());
    // The ID and path are quoted (`{:?}`): a newline in either stays inside the comment.
    let mut body = format!(
        "# Simple Detection {id:?} ({rel_spec:?}), compiled by Prowl: see docs/match-language.md.\n\
         import prowl_match as _prowl_match\n\n\
         _DETECTION = _prowl_match.simple_detection({literal})\n"
    );
    for function in &compiled.functions {
        body.push_str(&format!(
            "\n\ndef {function}(event):\n    return _DETECTION.{function}(event)\n"
        ));
    }
    body
}

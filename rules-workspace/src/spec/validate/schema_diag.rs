//! How a `schema`-library error becomes a diagnostic: PAT's message exactly as PAT formats it
//! (`… not in list of valid keys: […]`, `Missing key: …`), plus what PAT does not give: the
//! line of the offending key or value, a one-line summary, and a hint (the closest valid key,
//! the allowed values).
//!
//! Invariant: `message` is PAT's text; only `summary`, `span` and `hint` are ours.

use super::schema_lib::{ErrorKind, Schema, SchemaError, Step};
use super::{diag, SpecFile};
use crate::diagnostics::{Code, Diagnostic};
use crate::spec::value::{Node, Span, Value};
use crate::spec::AnalysisType;

/// PAT's formatting of a `schema`-library error, with our location and summary.
pub(super) fn schema_diag(
    file: &SpecFile,
    root: &Node,
    e: &SchemaError,
    t: Option<AnalysisType>,
    schema: &Schema,
) -> Diagnostic {
    let code_text = e.code();
    let (code, message, span, summary, hint) = match e.kind {
        ErrorKind::WrongKey => {
            let keys_text = wrong_keys_text(&code_text).unwrap_or("UNKNOWN_KEY");
            let message = format!(
                "{keys_text} not in list of valid keys: {}",
                schema.keys_repr()
            );
            let first = e.keys.first().cloned().unwrap_or_default();
            let span = root
                .as_map()
                .and_then(|m| m.iter().find(|en| en.key.value.py_str() == first))
                .map(|en| en.key.span);
            let valid = schema.key_names();
            let suggestion = closest(&first, &valid);
            let hint = match suggestion {
                Some(s) => format!(
                    "did you mean `{s}`? Valid keys for {}: {}",
                    t.map_or("this type", |t| t.as_str()),
                    valid.join(", ")
                ),
                None => format!(
                    "valid keys for {}: {}",
                    t.map_or("this type", |t| t.as_str()),
                    valid.join(", ")
                ),
            };
            let summary = if e.keys.len() > 1 {
                format!(
                    "unknown keys {}",
                    e.keys
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            } else {
                format!("unknown key `{first}`")
            };
            (Code::UnknownKey, message, span, summary, Some(hint))
        }
        ErrorKind::MissingKey => {
            let summary = format!(
                "missing {}",
                code_text
                    .trim_start_matches("Missing keys: ")
                    .trim_start_matches("Missing key: ")
            );
            (
                Code::MissingKey,
                code_text.clone(),
                Some(Span { line: 1, col: 1 }),
                summary,
                Some("add the required key(s) to the spec".into()),
            )
        }
        ErrorKind::UnexpectedType => (
            Code::AnalysisType,
            code_text.clone(),
            Some(root.span),
            "the file is not a mapping of spec keys".into(),
            None,
        ),
        ErrorKind::Generic | ErrorKind::OnlyOne => {
            let message = if code_text.contains("ResourceTypes") {
                let first = code_text.split(':').next().unwrap_or("");
                let second = code_text
                    .split_once(')')
                    .map_or(code_text.as_str(), |(_, b)| b);
                format!("{first}: RESOURCE_TYPE_REGEX{second}")
            } else {
                code_text.clone()
            };
            if e.kind == ErrorKind::OnlyOne {
                let span = e
                    .keys
                    .iter()
                    .filter_map(|k| root.entry(k))
                    .map(|en| en.key.span)
                    .max();
                let summary = format!(
                    "use exactly one of {}",
                    e.keys
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(" or ")
                );
                (
                    Code::ExclusiveKeys,
                    message,
                    span,
                    summary,
                    Some("remove one of them".into()),
                )
            } else {
                let span = span_at_steps(root, &e.path);
                let code = if e.path.first() == Some(&Step::Key("AnalysisType".into())) {
                    Code::AnalysisType
                } else {
                    Code::InvalidValue
                };
                (
                    code,
                    message,
                    Some(span),
                    summarize_schema_error(&e.path, &code_text),
                    value_hint(&e.path),
                )
            }
        }
    };
    diag(file, code, span, summary, message, hint)
}

/// PAT's `re.match(r"Wrong key(?:s)? (.+?) in (.*)$", str(err)).group(1)`.
fn wrong_keys_text(code: &str) -> Option<&str> {
    let rest = code
        .strip_prefix("Wrong keys ")
        .or_else(|| code.strip_prefix("Wrong key "))?;
    let idx = rest.get(1..)?.find(" in ")? + 1;
    Some(&rest[..idx])
}

fn value_hint(path: &[Step]) -> Option<String> {
    match path.last() {
        Some(Step::Key(k)) if k == "Severity" => {
            Some("use one of Info, Low, Medium, High, Critical (exact case)".into())
        }
        Some(Step::Key(k)) if k == "Enabled" || k == "ExpectedResult" => {
            Some("use true or false (PAT reads yes/no/on/off as strings)".into())
        }
        Some(Step::Key(k)) if k == "returnValue" => {
            Some("a mock's returnValue must be a string or a boolean; quote numbers".into())
        }
        _ => None,
    }
}

/// A one-line reading of a `schema` error: the path and the innermost complaint, with the
/// alternatives of an `Or` folded into "one of …".
fn summarize_schema_error(path: &[Step], code: &str) -> String {
    let where_ = path_text(path);
    let lines: Vec<&str> = code.lines().collect();
    let last_or = lines.iter().rposition(|l| l.contains(" did not validate "));
    let alternatives: &[&str] = match last_or {
        Some(i) => &lines[i + 1..],
        None => &[],
    };
    let what = if path.first() == Some(&Step::Key("ResourceTypes".into())) {
        let value = lines
            .last()
            .and_then(|l| l.split(" does not match ").next())
            .unwrap_or("");
        format!("{value} is not a resource type PAT knows (AWS.S3.Bucket, AWS.IAM.Role, …)")
    } else if !alternatives.is_empty()
        && alternatives.iter().all(|l| l.contains(" does not match "))
    {
        let got = alternatives[0]
            .rsplit(" does not match ")
            .next()
            .unwrap_or("");
        let choices: Vec<&str> = alternatives
            .iter()
            .filter_map(|l| l.split(" does not match ").next())
            .collect();
        format!("must be one of {}, not {got}", choices.join(", "))
    } else if !alternatives.is_empty()
        && alternatives
            .iter()
            .all(|l| l.contains(" should be instance of "))
    {
        let got = alternatives[0]
            .split(" should be instance of ")
            .next()
            .unwrap_or("");
        let types: Vec<&str> = alternatives
            .iter()
            .filter_map(|l| l.rsplit(" should be instance of ").next())
            .collect();
        format!("must be of type {}, not {got}", types.join(" or "))
    } else {
        let last = lines
            .iter()
            .rfind(|l| !l.ends_with(" error:") && !l.contains(" did not validate "))
            .copied()
            .unwrap_or(code);
        if let Some((got, ty)) = last.split_once(" should be instance of ") {
            format!("must be of type {ty}, not {got}")
        } else if let Some(keys) = last
            .strip_prefix("Missing keys: ")
            .or_else(|| last.strip_prefix("Missing key: "))
        {
            format!("is missing {keys}")
        } else if let Some(keys) = wrong_keys_text(last) {
            format!("has an unknown key {keys}")
        } else if let Some(or) = last
            .strip_prefix("There are multiple keys present from the Or(")
            .and_then(|r| r.strip_suffix(") condition"))
        {
            format!("must have exactly one of {}", or.replace(", ", " or "))
        } else if let Some((got, _)) = last.split_once(" does not match '^[^<>&\\\\\"%]+$'") {
            format!("{got} must not contain <, >, &, \" or %")
        } else {
            last.to_owned()
        }
    };
    if where_.is_empty() {
        what
    } else {
        format!("`{where_}` {what}")
    }
}

fn path_text(path: &[Step]) -> String {
    let mut out = String::new();
    for s in path {
        match s {
            Step::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// The span of the value at a `schema` path (falls back to the deepest node found).
pub(super) fn span_at_steps(root: &Node, path: &[Step]) -> Span {
    let mut node = root;
    let mut span = root.span;
    for step in path {
        let next = match (step, &node.value) {
            (Step::Key(k), Value::Map(entries)) => entries
                .iter()
                .find(|e| e.key.value.py_str() == *k)
                .map(|e| &e.value),
            (Step::Index(i), Value::List(items)) => items.get(*i),
            _ => None,
        };
        match next {
            Some(n) => {
                node = n;
                span = n.span;
            }
            None => break,
        }
    }
    span
}

/// The closest valid key to a misspelt one (case-insensitive equality, or edit distance ≤ 2).
fn closest<'a>(key: &str, valid: &[&'a str]) -> Option<&'a str> {
    if let Some(v) = valid.iter().find(|v| v.eq_ignore_ascii_case(key)) {
        return Some(v);
    }
    valid
        .iter()
        .map(|v| (edit_distance(&key.to_lowercase(), &v.to_lowercase()), *v))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, v)| v)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

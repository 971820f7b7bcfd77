//! JSON values written as block YAML in the file's style: mappings and lists in block form,
//! scalars plain only when every YAML reader (PAT's, 1.1 or 1.2) reads them back as the same
//! string, multi-line strings as `|` blocks when exact, anything else double-quoted.
//!
//! Invariant: what is written reads back with our loader as exactly the value given; the
//! edit's final check (`verify`) holds every result to that.

use super::style::Style;
use super::EditError;
use crate::spec::pyrepr::float_repr;
use crate::spec::value::Value;
use crate::spec::yaml;
use serde_json::{Map, Value as Json};

/// Longest key written: libyaml (PAT's parser) refuses implicit keys over 1024 characters.
const MAX_KEY_CHARS: usize = 1000;

impl Style {
    /// A mapping whose keys sit at `col`; the first line starts with `first` when given (a
    /// `- ` prefix).
    fn map(
        &self,
        entries: &Map<String, Json>,
        col: usize,
        mut first: Option<String>,
        out: &mut Vec<String>,
    ) -> Result<(), EditError> {
        for (key, value) in entries {
            let mut head = first.take().unwrap_or_else(|| " ".repeat(col));
            head.push_str(&render_key(key)?);
            head.push(':');
            self.after_key(head, value, col, out)?;
        }
        Ok(())
    }

    /// A list whose `-` sit at `dash_col`.
    pub(super) fn seq(
        &self,
        items: &[Json],
        dash_col: usize,
        item_offset: usize,
        mut first: Option<String>,
        out: &mut Vec<String>,
    ) -> Result<(), EditError> {
        let col = dash_col + item_offset;
        for item in items {
            let mut head = first.take().unwrap_or_else(|| " ".repeat(dash_col));
            head.push('-');
            head.push_str(&" ".repeat(item_offset - 1));
            match item {
                Json::Object(entries) if !entries.is_empty() => {
                    self.map(entries, col, Some(head), out)?
                }
                Json::Array(inner) if !inner.is_empty() => {
                    self.seq(inner, col, self.item_offset, Some(head), out)?
                }
                scalar => {
                    self.scalar(head, scalar, col, out);
                }
            }
        }
        Ok(())
    }

    /// The value of a key at `key_col`, after `head` (`…key:`).
    pub(super) fn after_key(
        &self,
        head: String,
        value: &Json,
        key_col: usize,
        out: &mut Vec<String>,
    ) -> Result<(), EditError> {
        match value {
            Json::Object(entries) if !entries.is_empty() => {
                out.push(head);
                self.map(entries, key_col + self.map_step, None, out)
            }
            Json::Array(items) if !items.is_empty() => {
                out.push(head);
                self.seq(
                    items,
                    key_col + self.seq_offset,
                    self.item_offset,
                    None,
                    out,
                )
            }
            scalar => {
                self.scalar(format!("{head} "), scalar, key_col + self.map_step, out);
                Ok(())
            }
        }
    }

    /// A scalar (or empty collection) after `head`; a `|` block's lines go at `block_col`.
    fn scalar(&self, mut head: String, value: &Json, block_col: usize, out: &mut Vec<String>) {
        if let Json::String(s) = value {
            if let Some((indicator, body)) = literal_block(s) {
                head.push_str(indicator);
                out.push(head);
                for line in body.split('\n') {
                    out.push(if line.is_empty() {
                        String::new()
                    } else {
                        format!("{}{line}", " ".repeat(block_col))
                    });
                }
                return;
            }
        }
        head.push_str(&inline_scalar(value));
        out.push(head);
    }
}

/// A scalar or empty collection on one line.
pub(super) fn inline_scalar(value: &Json) -> String {
    match value {
        Json::Null => "null".into(),
        Json::Bool(b) => b.to_string(),
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.to_string()
            } else if let Some(u) = n.as_u64() {
                u.to_string()
            } else {
                float_text(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        Json::String(s) => inline_string(s),
        Json::Array(_) => "[]".into(),
        Json::Object(_) => "{}".into(),
    }
}

/// A float as the loader reads it back exactly: the shortest round-trip digits, with the dot
/// and signed exponent YAML 1.1's float pattern requires (`1.0e+20`, not `1e20`).
pub(super) fn float_text(f: f64) -> String {
    let repr = float_repr(f);
    match repr.split_once('e') {
        Some((mantissa, exp)) if !mantissa.contains('.') => format!("{mantissa}.0e{exp}"),
        _ => repr,
    }
}

/// A mapping key as written; refuses keys longer than YAML parsers accept.
pub(super) fn render_key(key: &str) -> Result<String, EditError> {
    let text = inline_string(key);
    if text.chars().count() > MAX_KEY_CHARS {
        return Err(EditError::InvalidTest(format!(
            "a key of {} characters is longer than YAML parsers accept ({MAX_KEY_CHARS})",
            key.chars().count()
        )));
    }
    Ok(text)
}

/// A string on one line: plain when that is safe, else double-quoted.
pub(super) fn inline_string(s: &str) -> String {
    if plain_ok(s) {
        s.to_owned()
    } else {
        double_quoted(s)
    }
}

/// Whether `s` may be written as a plain scalar: it starts with a letter, holds only letters,
/// digits, spaces and punctuation that is not YAML syntax where it stands, and no YAML reader
/// (PAT's, 1.1 or 1.2) could take it for anything but this string.
fn plain_ok(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if !(first.is_alphabetic() || first == '_' || first == '/') || s.ends_with([' ', ':']) {
        return false;
    }
    let chars: Vec<char> = s.chars().collect();
    let punctuation_ok = chars.iter().enumerate().all(|(i, &c)| match c {
        ':' => chars.get(i + 1).is_some_and(|n| *n != ' '),
        '#' => i > 0 && chars[i - 1] != ' ',
        c => c.is_alphanumeric() || " _-./@()+=,;~$%^*!?&<>|'\"\\`".contains(c),
    });
    punctuation_ok
        && !matches!(s, "y" | "Y" | "n" | "N")
        && !is_yaml11_word(s)
        && matches!(yaml::resolve_plain(s), Value::Str(ref v) if v == s)
}

/// YAML 1.1 booleans and nulls: other tools read these as non-strings.
fn is_yaml11_word(s: &str) -> bool {
    matches!(
        s.to_ascii_lowercase().as_str(),
        "yes" | "no" | "on" | "off" | "true" | "false" | "null"
    )
}

/// Characters a double-quoted scalar writes as escapes: YAML's non-printables and the
/// characters YAML 1.1 treats as line breaks (U+0085, U+2028, U+2029), plus the BOM.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
        )
}

/// A double-quoted scalar with JSON-style escapes.
pub(super) fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if needs_escape(c) => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A single-quoted scalar, when `s` needs no escapes.
pub(super) fn single_quoted(s: &str) -> Option<String> {
    (!s.chars().any(|c| needs_escape(c) || c == '\t'))
        .then(|| format!("'{}'", s.replace('\'', "''")))
}

/// A multi-line string as a literal block (`|` or `|-`) and the text of its lines, when that
/// reads back exactly: no leading space or blank first line (those need an indentation
/// indicator), no lines of only spaces, at most one trailing newline, nothing to escape.
fn literal_block(s: &str) -> Option<(&'static str, &str)> {
    if !s.contains('\n') || s.starts_with([' ', '\n']) {
        return None;
    }
    if s.chars()
        .any(|c| c != '\n' && (needs_escape(c) || c == '\t'))
    {
        return None;
    }
    let (indicator, body) = match s.strip_suffix('\n') {
        Some(body) if body.ends_with('\n') => return None,
        Some(body) => ("|", body),
        None => ("|-", s),
    };
    if body
        .split('\n')
        .any(|l| !l.is_empty() && l.trim().is_empty())
    {
        return None;
    }
    Some((indicator, body))
}

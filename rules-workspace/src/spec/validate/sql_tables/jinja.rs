//! The Jinja that sqlfluff's templater renders before parsing, limited to what realistic
//! scheduled queries use: `{# comments #}`, `{% set name = literal %}`, `{{ name }}`,
//! `{{ literal }}`, the dbt builtins `{{ ref('x') }}` and `{{ source('a', 'b') }}`, and
//! whitespace control.
//!
//! Invariant: anything else (control flow, macros, an undefined name, unclosed delimiters, even
//! inside a SQL string) is a failure, as it is for sqlfluff, and PAT then skips the check.

use std::borrow::Cow;

/// `src` as sqlfluff's Jinja templater renders it, or `None` where it would fail (an undefined
/// variable, broken or unsupported Jinja). Text without Jinja is returned as is.
pub(super) fn render_jinja(src: &str) -> Option<Cow<'_, str>> {
    let b = src.as_bytes();
    let is_open = |i: usize| b[i] == b'{' && matches!(b.get(i + 1), Some(b'{' | b'%' | b'#'));
    let Some(first) = (0..b.len()).find(|&i| is_open(i)) else {
        return Some(Cow::Borrowed(src));
    };
    let mut out = String::with_capacity(src.len());
    let mut vars: Vec<(String, String)> = Vec::new();
    let mut lit_start = 0;
    let mut i = first;
    while i < b.len() {
        if !is_open(i) {
            i += 1;
            continue;
        }
        out.push_str(&src[lit_start..i]);
        let kind = b[i + 1];
        let mut inner_start = i + 2;
        if matches!(b.get(inner_start), Some(b'-')) {
            let trimmed = out.trim_end().len();
            out.truncate(trimmed);
            inner_start += 1;
        } else if matches!(b.get(inner_start), Some(b'+')) {
            inner_start += 1;
        }
        let close: &[u8] = match kind {
            b'{' => b"}}",
            b'%' => b"%}",
            _ => b"#}",
        };
        let close_at = find_jinja_close(b, inner_start, close, kind != b'#')?;
        let mut inner = &src[inner_start..close_at];
        let mut rstrip = false;
        if let Some(s) = inner.strip_suffix('-') {
            inner = s;
            rstrip = true;
        } else if let Some(s) = inner.strip_suffix('+') {
            inner = s;
        }
        match kind {
            b'{' => out.push_str(&jinja_expr(inner.trim(), &vars)?),
            b'%' => {
                let stmt = inner.trim();
                let rest = stmt.strip_prefix("set")?;
                if !rest.starts_with(char::is_whitespace) {
                    return None;
                }
                let (name, value) = rest.split_once('=')?;
                let name = name.trim();
                if !is_jinja_name(name) || value.starts_with('=') {
                    return None;
                }
                let value = jinja_expr(value.trim(), &vars)?;
                vars.push((name.to_owned(), value));
            }
            _ => {}
        }
        i = close_at + 2;
        if rstrip {
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
        }
        lit_start = i;
    }
    out.push_str(&src[lit_start.min(src.len())..]);
    Some(Cow::Owned(out))
}

/// Offset of the closing delimiter, skipping string literals inside expressions/statements.
fn find_jinja_close(b: &[u8], from: usize, close: &[u8], code: bool) -> Option<usize> {
    let mut i = from;
    while i + 1 < b.len() {
        if code && (b[i] == b'\'' || b[i] == b'"') {
            let q = b[i];
            i += 1;
            while i < b.len() && b[i] != q {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            continue;
        }
        if b[i] == close[0] && b[i + 1] == close[1] {
            return Some(i);
        }
        i += 1;
    }
    None
}

fn is_jinja_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn jinja_string(s: &str) -> Option<&str> {
    let q = s.chars().next()?;
    if (q == '\'' || q == '"') && s.len() >= 2 && s.ends_with(q) {
        let inner = &s[1..s.len() - 1];
        if !inner.contains(q) && !inner.contains('\\') {
            return Some(inner);
        }
    }
    None
}

fn jinja_expr(e: &str, vars: &[(String, String)]) -> Option<String> {
    if let Some(s) = jinja_string(e) {
        return Some(s.to_owned());
    }
    if !e.is_empty() && e.bytes().all(|c| c.is_ascii_digit()) {
        return Some(e.to_owned());
    }
    if is_jinja_name(e) {
        return vars
            .iter()
            .rev()
            .find(|(n, _)| n == e)
            .map(|(_, v)| v.clone());
    }
    // dbt builtins that sqlfluff's jinja templater provides.
    let (func, args) = e.split_once('(')?;
    let args: Vec<&str> = args.strip_suffix(')')?.split(',').map(str::trim).collect();
    let args: Vec<&str> = args
        .iter()
        .map(|a| jinja_string(a))
        .collect::<Option<_>>()?;
    match (func.trim(), args.as_slice()) {
        ("ref", [model]) => Some((*model).to_owned()),
        ("source", [source, table]) => Some(format!("{source}_{table}")),
        _ => None,
    }
}

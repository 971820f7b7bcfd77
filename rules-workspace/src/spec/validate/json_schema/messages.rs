//! What jsonschema's messages are made of, as PAT prints them: the JSON path of the failing
//! value (`$.Tests[0].Log`), Python's `repr` of the instance (the value `json.loads` or PyYAML
//! would give Python) and of schema objects of the mirror.
//!
//! Invariant: reprs are written iteratively or along the (bounded) schema, so a deeply nested
//! instance cannot exhaust the stack.

use super::schema::{Kw, Node};
use super::PathSegment;
use crate::spec::pyrepr::{str_repr, write_float_repr, write_str_repr};
use serde_json::Value;

/// jsonschema's `ValidationError.json_path` for an absolute path.
pub(super) fn json_path(path: &[PathSegment]) -> String {
    let mut out = String::from("$");
    for seg in path {
        match seg {
            PathSegment::Index(i) => {
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
            PathSegment::Key(k) if is_json_path_identifier(k) => {
                out.push('.');
                out.push_str(k);
            }
            PathSegment::Key(k) => {
                out.push_str("['");
                out.push_str(&k.replace('\\', "\\\\").replace('\'', "\\'"));
                out.push_str("']");
            }
        }
    }
    out
}

/// `re.match("^[a-zA-Z][a-zA-Z0-9_]*$", key)`; Python's `$` also matches before a final `\n`.
fn is_json_path_identifier(key: &str) -> bool {
    let body = key.strip_suffix('\n').unwrap_or(key);
    let mut chars = body.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Python's `repr()` of the value `json.loads`/PyYAML would produce for `v`.
pub(super) fn py_repr(v: &Value) -> String {
    enum Tok<'v> {
        Val(&'v Value),
        Key(&'v str),
        Lit(&'static str),
    }
    let mut out = String::new();
    // Iterative, so that deeply nested values cannot exhaust the stack.
    let mut stack = vec![Tok::Val(v)];
    while let Some(tok) = stack.pop() {
        match tok {
            Tok::Lit(s) => out.push_str(s),
            Tok::Key(k) => write_str_repr(&mut out, k),
            Tok::Val(v) => match v {
                Value::Null => out.push_str("None"),
                Value::Bool(true) => out.push_str("True"),
                Value::Bool(false) => out.push_str("False"),
                Value::Number(n) => {
                    if let Some(i) = n.as_i64() {
                        out.push_str(&i.to_string());
                    } else if let Some(u) = n.as_u64() {
                        out.push_str(&u.to_string());
                    } else {
                        write_float_repr(&mut out, n.as_f64().unwrap_or(f64::NAN));
                    }
                }
                Value::String(s) => write_str_repr(&mut out, s),
                Value::Array(items) => {
                    out.push('[');
                    stack.push(Tok::Lit("]"));
                    for (i, item) in items.iter().enumerate().rev() {
                        stack.push(Tok::Val(item));
                        if i > 0 {
                            stack.push(Tok::Lit(", "));
                        }
                    }
                }
                Value::Object(map) => {
                    out.push('{');
                    stack.push(Tok::Lit("}"));
                    for (i, (k, item)) in map.iter().enumerate().rev() {
                        stack.push(Tok::Val(item));
                        stack.push(Tok::Lit(": "));
                        stack.push(Tok::Key(k));
                        if i > 0 {
                            stack.push(Tok::Lit(", "));
                        }
                    }
                }
            },
        }
    }
    out
}

/// Python's `repr` of a list of strings.
pub(super) fn py_str_list_repr(items: &[&str]) -> String {
    let reprs: Vec<String> = items.iter().map(|s| str_repr(s)).collect();
    format!("[{}]", reprs.join(", "))
}

/// Python's `repr` of a schema object of the mirror (the dict jsonschema would print).
pub(super) fn schema_repr(node: Node) -> String {
    let mut out = String::new();
    write_schema(&mut out, node, true);
    out
}

/// Writes a schema of the mirror as a Python dict repr (`python`) or as compact JSON.
pub(super) fn write_schema(out: &mut String, node: Node, python: bool) {
    let kws = match node {
        Node::True => {
            out.push_str(if python { "True" } else { "true" });
            return;
        }
        Node::S(kws) => kws,
    };
    let sep = if python { ": " } else { ":" };
    let comma = if python { ", " } else { "," };
    let string = |out: &mut String, s: &str| {
        if python {
            write_str_repr(out, s);
        } else {
            out.push_str(&Value::String(s.to_string()).to_string());
        }
    };
    let strings = |out: &mut String, items: &[&str]| {
        out.push('[');
        for (i, s) in items.iter().enumerate() {
            if i > 0 {
                out.push_str(comma);
            }
            string(out, s);
        }
        out.push(']');
    };
    out.push('{');
    for (i, kw) in kws.iter().enumerate() {
        if i > 0 {
            out.push_str(comma);
        }
        let key = match kw {
            Kw::Type(_) => "type",
            Kw::Enum(_) => "enum",
            Kw::Properties(_) => "properties",
            Kw::AdditionalProperties(_) => "additionalProperties",
            Kw::Required(_) => "required",
            Kw::PatternPropertiesAny(_) => "patternProperties",
            Kw::Items(_) => "items",
            Kw::MinItems(_) => "minItems",
            Kw::MaxItems(_) => "maxItems",
            Kw::OneOf(_) => "oneOf",
            Kw::AnyOf(_) => "anyOf",
            Kw::Ref(_) => "$ref",
        };
        string(out, key);
        out.push_str(sep);
        match *kw {
            Kw::Type(ty) => string(out, ty.name()),
            Kw::Enum(members) | Kw::Required(members) => strings(out, members),
            Kw::Properties(props) => {
                out.push('{');
                for (j, &(name, sub)) in props.iter().enumerate() {
                    if j > 0 {
                        out.push_str(comma);
                    }
                    string(out, name);
                    out.push_str(sep);
                    write_schema(out, sub, python);
                }
                out.push('}');
            }
            Kw::AdditionalProperties(b) => out.push_str(match (b, python) {
                (true, true) => "True",
                (false, true) => "False",
                (true, false) => "true",
                (false, false) => "false",
            }),
            Kw::PatternPropertiesAny(sub) => {
                out.push('{');
                string(out, ".*");
                out.push_str(sep);
                write_schema(out, sub, python);
                out.push('}');
            }
            Kw::Items(sub) => write_schema(out, sub, python),
            Kw::MinItems(n) | Kw::MaxItems(n) => out.push_str(&n.to_string()),
            Kw::OneOf(branches) | Kw::AnyOf(branches) => {
                out.push('[');
                for (j, b) in branches.iter().enumerate() {
                    if j > 0 {
                        out.push_str(comma);
                    }
                    write_schema(out, *b, python);
                }
                out.push(']');
            }
            Kw::Ref(def) => string(out, &format!("#/$defs/{}", def.name())),
        }
    }
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn py_repr_prints_python_literals_and_containers() {
        assert_eq!(py_repr(&json!(null)), "None");
        assert_eq!(py_repr(&json!(true)), "True");
        assert_eq!(
            py_repr(&json!([false, null, 1, -2])),
            "[False, None, 1, -2]"
        );
        assert_eq!(
            py_repr(&json!({"a": {"b": []}, "c": {}})),
            "{'a': {'b': []}, 'c': {}}"
        );
        assert_eq!(
            py_repr(&json!(18446744073709551615u64)),
            "18446744073709551615"
        );
    }

    #[test]
    fn py_repr_prints_floats_like_python() {
        let cases = [
            (1.0, "1.0"),
            (-0.0, "-0.0"),
            (0.1, "0.1"),
            (100.0, "100.0"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (1234567890123456.0, "1234567890123456.0"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (1e100, "1e+100"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (123456789.125, "123456789.125"),
            (-2.5e22, "-2.5e+22"),
            // Two shortest strings round-trip: Python takes the nearer one, ties to even.
            (882_503_655_060_309.0 + 0.25, "882503655060309.2"),
            (1_006_034_095_324_224.0 + 0.25, "1006034095324224.2"),
            (-(188_074_264_154_718.0 + 0.625), "-188074264154718.62"),
        ];
        for (f, want) in cases {
            assert_eq!(py_repr(&json!(f)), want, "repr of {f:e}");
        }
    }

    #[test]
    fn py_repr_quotes_and_escapes_strings_like_python() {
        assert_eq!(py_repr(&json!("plain")), "'plain'");
        assert_eq!(py_repr(&json!("it's")), "\"it's\"");
        assert_eq!(py_repr(&json!("it's \"x\"")), "'it\\'s \"x\"'");
        assert_eq!(
            py_repr(&json!("a\\b\t\n\r\u{7}\u{7f}")),
            "'a\\\\b\\t\\n\\r\\x07\\x7f'"
        );
        assert_eq!(py_repr(&json!("café ☃ 🦀")), "'café ☃ 🦀'");
        assert_eq!(py_repr(&json!("\u{85}\u{a0}\u{ad}")), "'\\x85\\xa0\\xad'");
        assert_eq!(
            py_repr(&json!("\u{200b}\u{2028}\u{feff}\u{e000}")),
            "'\\u200b\\u2028\\ufeff\\ue000'"
        );
        assert_eq!(py_repr(&json!("\u{e0001}\u{378}")), "'\\U000e0001\\u0378'");
    }

    #[test]
    fn json_path_quotes_keys_that_are_not_identifiers() {
        let k = |s: &str| PathSegment::Key(s.into());
        assert_eq!(json_path(&[]), "$");
        assert_eq!(
            json_path(&[k("Tests"), PathSegment::Index(3), k("Log_2")]),
            "$.Tests[3].Log_2"
        );
        assert_eq!(
            json_path(&[k("_x"), k("a b"), k("é")]),
            "$['_x']['a b']['é']"
        );
        assert_eq!(json_path(&[k("it's \\")]), "$['it\\'s \\\\']");
        // Python's `$` also matches before a trailing newline.
        assert_eq!(json_path(&[k("abc\n")]), "$.abc\n");
        assert_eq!(json_path(&[k("abc\n\n")]), "$['abc\n\n']");
    }
}

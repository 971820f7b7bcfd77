//! The value model of a loaded spec: what PyYAML hands PAT, with the place each value came from.
//!
//! PAT's validators (the `schema` library, jsonschema) see Python objects, and several of their
//! messages embed Python `repr`s of them. `Value` therefore keeps Python's distinctions (int vs
//! float vs bool, mapping key order, non-string keys) and implements `repr` exactly as CPython
//! prints these types (strings and floats through `spec::pyrepr`), so that our messages are
//! PAT's messages.

use super::pyrepr::{write_float_repr, write_str_repr};
use std::fmt::Write as _;

/// A place in a file: 1-based line and column (columns count characters).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, PartialOrd, Ord, Hash, serde::Serialize, ts_rs::TS,
)]
pub struct Span {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub col: u32,
}

/// A YAML node after PAT's resolution rules, with its location.
#[derive(Debug, Clone)]
pub struct Node {
    /// The Python value.
    pub value: Value,
    /// Where the node starts in the file.
    pub span: Span,
}

/// A mapping entry; keys keep their own location so errors on unknown keys can point at them.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The key (usually a string).
    pub key: Node,
    /// The value.
    pub value: Node,
}

/// The Python value a YAML node becomes under PAT's loader.
#[derive(Debug, Clone)]
pub enum Value {
    /// `None` (`~`, `null`, an empty value).
    Null,
    /// `True`/`False` (only `true`/`false` in any of three casings, in PAT's dialect).
    Bool(bool),
    /// An `int` that fits an i128.
    Int(i128),
    /// An integer too large for i128, kept as its decimal digits (with sign).
    BigInt(String),
    /// A `float`.
    Float(f64),
    /// A `str`.
    Str(String),
    /// A `list`.
    List(Vec<Node>),
    /// A `dict`, its entries in file order (a duplicate key keeps the first place, last value).
    Map(Vec<Entry>),
}

impl Node {
    /// A node of `value` starting at `span`.
    pub fn new(value: Value, span: Span) -> Self {
        Node { value, span }
    }

    /// Looks a string key up in a mapping, with Python dict semantics (exact match).
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .find(|e| matches!(&e.key.value, Value::Str(k) if k == key))
                .map(|e| &e.value),
            _ => None,
        }
    }

    /// The entry (key and value) of a string key.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .find(|e| matches!(&e.key.value, Value::Str(k) if k == key)),
            _ => None,
        }
    }

    /// The string, when the node is one.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean, when the node is one (`yes` is a string in PAT's dialect).
    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The items, when the node is a list.
    pub fn as_list(&self) -> Option<&[Node]> {
        match &self.value {
            Value::List(items) => Some(items),
            _ => None,
        }
    }

    /// The entries in file order, when the node is a mapping.
    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// Python truthiness (`if spec.get("BaseDetection")`).
    pub fn is_truthy(&self) -> bool {
        self.value.is_truthy()
    }

    /// `repr(value)` as CPython prints it.
    pub fn repr(&self) -> String {
        let mut out = String::new();
        self.value.write_repr(&mut out);
        out
    }

    /// A list of strings, when the node is exactly that.
    pub fn string_list(&self) -> Option<Vec<&str>> {
        self.as_list()?.iter().map(Node::as_str).collect()
    }

    /// Converts to JSON the way `json.dumps` would see the Python object (non-string keys
    /// become their `str()`; NaN and infinities become null, which `json` cannot express).
    pub fn to_json(&self) -> serde_json::Value {
        self.value.to_json()
    }
}

impl Value {
    /// Python truthiness (`bool(x)`).
    pub fn is_truthy(&self) -> bool {
        match self {
            Value::Null => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::BigInt(_) => true,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::List(l) => !l.is_empty(),
            Value::Map(m) => !m.is_empty(),
        }
    }

    /// The Python type name (`type(x).__name__`).
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "NoneType",
            Value::Bool(_) => "bool",
            Value::Int(_) | Value::BigInt(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "str",
            Value::List(_) => "list",
            Value::Map(_) => "dict",
        }
    }

    /// Python `==` between two values (1 == 1.0 == True, lists and dicts structurally).
    pub fn py_eq(&self, other: &Value) -> bool {
        use Value::*;
        match (self.as_number(), other.as_number()) {
            (Some(a), Some(b)) => return a == b,
            (Some(_), None) | (None, Some(_)) => return false,
            _ => {}
        }
        match (self, other) {
            (Null, Null) => true,
            (BigInt(a), BigInt(b)) => a == b,
            (Str(a), Str(b)) => a == b,
            (List(a), List(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.value.py_eq(&y.value))
            }
            (Map(a), Map(b)) => {
                a.len() == b.len()
                    && a.iter().all(|e| {
                        b.iter()
                            .find(|f| f.key.value.py_eq(&e.key.value))
                            .is_some_and(|f| f.value.value.py_eq(&e.value.value))
                    })
            }
            _ => false,
        }
    }

    /// Numeric view used for Python's cross-type numeric equality.
    fn as_number(&self) -> Option<f64> {
        match self {
            Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// Whether Python could use this value as a dict key.
    pub fn is_hashable(&self) -> bool {
        !matches!(self, Value::List(_) | Value::Map(_))
    }

    /// Converts to JSON as `json.dumps` would see the Python object (see `Node::to_json`).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => {
                if let Ok(v) = i64::try_from(*i) {
                    J::from(v)
                } else if let Ok(v) = u64::try_from(*i) {
                    J::from(v)
                } else {
                    J::from(*i as f64)
                }
            }
            Value::BigInt(s) => s.parse::<f64>().map(J::from).unwrap_or(J::Null),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Str(s) => J::String(s.clone()),
            Value::List(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => {
                let mut map = serde_json::Map::new();
                for e in entries {
                    map.insert(e.key.value.py_str(), e.value.to_json());
                }
                J::Object(map)
            }
        }
    }

    /// Python `str(x)`.
    pub fn py_str(&self) -> String {
        match self {
            Value::Str(s) => s.clone(),
            other => {
                let mut out = String::new();
                other.write_repr(&mut out);
                out
            }
        }
    }

    /// Appends `repr(value)` as CPython prints it.
    pub fn write_repr(&self, out: &mut String) {
        match self {
            Value::Null => out.push_str("None"),
            Value::Bool(true) => out.push_str("True"),
            Value::Bool(false) => out.push_str("False"),
            Value::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Value::BigInt(s) => out.push_str(s),
            Value::Float(f) => write_float_repr(out, *f),
            Value::Str(s) => write_str_repr(out, s),
            Value::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.value.write_repr(out);
                }
                out.push(']');
            }
            Value::Map(entries) => {
                out.push('{');
                for (i, e) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    e.key.value.write_repr(out);
                    out.push_str(": ");
                    e.value.value.write_repr(out);
                }
                out.push('}');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_equality_crosses_numeric_types() {
        assert!(Value::Int(1).py_eq(&Value::Bool(true)));
        assert!(Value::Float(1.0).py_eq(&Value::Int(1)));
        assert!(!Value::Str("1".into()).py_eq(&Value::Int(1)));
    }
}

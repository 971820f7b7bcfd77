//! The schema model the mirror of PAT's JSON schema is written in: the JSON types, schema
//! objects as ordered lists of the keywords PAT's file uses, and a small builder DSL
//! (`node!`, `reference!`, `array_of!`, `map_of!`, `closed!`).
//!
//! Invariant: a schema object keeps its keywords in the order of PAT's file, because that
//! order decides which error jsonschema yields first.

use super::pat_schema::Def;
use serde_json::Value;

/// A JSON type name as used by the `type` keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ty {
    String,
    Integer,
    Number,
    Boolean,
    Object,
    Array,
}

impl Ty {
    /// The type's name as the `type` keyword spells it.
    pub(super) fn name(self) -> &'static str {
        match self {
            Ty::String => "string",
            Ty::Integer => "integer",
            Ty::Number => "number",
            Ty::Boolean => "boolean",
            Ty::Object => "object",
            Ty::Array => "array",
        }
    }

    /// jsonschema's Draft 2020-12 type checker.
    pub(super) fn matches(self, v: &Value) -> bool {
        match self {
            Ty::String => v.is_string(),
            Ty::Boolean => v.is_boolean(),
            Ty::Object => v.is_object(),
            Ty::Array => v.is_array(),
            Ty::Number => v.is_number(),
            Ty::Integer => match v {
                Value::Number(n) => {
                    n.is_i64() || n.is_u64() || n.as_f64().is_some_and(float_is_integer)
                }
                _ => false,
            },
        }
    }
}

/// Python's `float.is_integer()`. (Kept out of line: written with `fract()`, the compiler hoisted
/// a libm `trunc` call into every schema check.)
#[inline(never)]
fn float_is_integer(f: f64) -> bool {
    // Every finite f64 of magnitude 2^52 or more is an integer; below that `as i64` is exact.
    f.is_finite() && (f.abs() >= 4_503_599_627_370_496.0 || (f as i64) as f64 == f)
}

/// A schema: the boolean schema `true`, or a schema object whose keywords are kept in order.
#[derive(Debug, Clone, Copy)]
pub(super) enum Node {
    True,
    S(&'static [Kw]),
}

/// The keywords PAT's schema uses (with the values it uses them with).
#[derive(Debug, Clone, Copy)]
pub(super) enum Kw {
    Type(Ty),
    /// `enum` with string members (the only kind PAT's schema has).
    Enum(&'static [&'static str]),
    Properties(&'static [(&'static str, Node)]),
    AdditionalProperties(bool),
    Required(&'static [&'static str]),
    /// `patternProperties: {".*": ...}`: `.*` matches every key under `re.search`.
    PatternPropertiesAny(Node),
    Items(Node),
    MinItems(usize),
    MaxItems(usize),
    OneOf(&'static [Node]),
    AnyOf(&'static [Node]),
    Ref(Def),
}

/// Builds a schema object from keywords, in order.
macro_rules! node {
    ($($kw:expr),* $(,)?) => { Node::S(&[$($kw),*]) };
}

/// `{"$ref": "#/$defs/<Def>"}`.
macro_rules! reference {
    ($def:ident) => {
        Node::S(&[Kw::Ref(Def::$def)])
    };
}

/// `{"items": <node>, "type": "array"}`.
macro_rules! array_of {
    ($items:expr) => {
        Node::S(&[Kw::Items($items), Kw::Type(Ty::Array)])
    };
}

/// `{"patternProperties": {".*": <node>}, "type": "object"}`.
macro_rules! map_of {
    ($values:expr) => {
        Node::S(&[Kw::PatternPropertiesAny($values), Kw::Type(Ty::Object)])
    };
}

/// `{"properties": {...}, "additionalProperties": false, "type": "object"[, "required": [...]]}`.
macro_rules! closed {
    ({ $($name:literal : $n:expr),* $(,)? }, required [$($r:literal),* $(,)?]) => {
        Node::S(&[
            Kw::Properties(&[$(($name, $n)),*]),
            Kw::AdditionalProperties(false),
            Kw::Type(Ty::Object),
            Kw::Required(&[$($r),*]),
        ])
    };
    ({ $($name:literal : $n:expr),* $(,)? }) => {
        Node::S(&[
            Kw::Properties(&[$(($name, $n)),*]),
            Kw::AdditionalProperties(false),
            Kw::Type(Ty::Object),
        ])
    };
}

pub(super) use {array_of, closed, map_of, node, reference};

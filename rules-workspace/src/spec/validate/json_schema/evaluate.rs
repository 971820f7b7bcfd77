//! jsonschema's evaluation of an instance under the mirror, as PAT's `validate` call sees it:
//! the first error `iter_errors` yields (keywords in schema order, `properties` in schema order,
//! `patternProperties`/`items` in instance order), and validity alone for `oneOf`/`anyOf`
//! branches, whose errors never reach PAT's message.
//!
//! Invariants: evaluation stops at [`MAX_DEPTH`] instance levels (PAT's `RecursionError`), and
//! branch validity checks the cheap keywords first so nested match expressions stay linear.

use super::messages::{json_path, py_repr, py_str_list_repr, schema_repr};
use super::schema::{Kw, Node};
use super::{JsonSchemaViolation, PathSegment, MAX_DEPTH, RECURSION_MESSAGE};
use crate::spec::pyrepr::str_repr;
use serde_json::{Map, Value};

/// One step of the path to the instance being evaluated (borrowed; owned in `PathSegment`).
#[derive(Clone, Copy)]
pub(super) enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

/// jsonschema's evaluation state: the path to the current instance and the depth guard.
pub(super) struct Evaluator<'a> {
    /// Path of the instance being evaluated by `first_error`.
    pub(super) path: Vec<Seg<'a>>,
    /// Set when evaluation hit [`MAX_DEPTH`]; the place where it did.
    pub(super) too_deep: Option<Vec<PathSegment>>,
}

impl<'a> Evaluator<'a> {
    fn owned_path(&self) -> Vec<PathSegment> {
        self.path
            .iter()
            .map(|s| match *s {
                Seg::Key(k) => PathSegment::Key(k.to_string()),
                Seg::Index(i) => PathSegment::Index(i),
            })
            .collect()
    }

    fn violation(&self, message: String) -> JsonSchemaViolation {
        let path = self.owned_path();
        let message = format!("{}: {}", json_path(&path), message);
        JsonSchemaViolation { path, message }
    }

    fn note_too_deep(&mut self) {
        if self.too_deep.is_none() {
            self.too_deep = Some(self.owned_path());
        }
    }

    /// The first error jsonschema's `iter_errors` would yield for `inst` under `node`.
    pub(super) fn first_error(
        &mut self,
        node: Node,
        inst: &'a Value,
        depth: usize,
    ) -> Option<JsonSchemaViolation> {
        let kws = match node {
            Node::True => return None,
            Node::S(kws) => kws,
        };
        for kw in kws {
            match *kw {
                Kw::Type(ty) => {
                    if !ty.matches(inst) {
                        return Some(self.violation(format!(
                            "{} is not of type {}",
                            py_repr(inst),
                            str_repr(ty.name())
                        )));
                    }
                }
                Kw::Enum(members) => {
                    if !enum_contains(members, inst) {
                        return Some(self.violation(format!(
                            "{} is not one of {}",
                            py_repr(inst),
                            py_str_list_repr(members)
                        )));
                    }
                }
                Kw::Properties(props) => {
                    if let Value::Object(map) = inst {
                        for &(name, sub) in props {
                            if let Some(value) = lookup(map, name) {
                                let found = self.descend(sub, value, Seg::Key(name), depth);
                                if found.is_some() {
                                    return found;
                                }
                            }
                        }
                    }
                }
                Kw::AdditionalProperties(false) => {
                    if let Value::Object(map) = inst {
                        let mut extras: Vec<&str> = additional_keys(kws, map).collect();
                        if !extras.is_empty() {
                            extras.sort_unstable();
                            let listed: Vec<String> = extras.iter().map(|k| str_repr(k)).collect();
                            let verb = if extras.len() == 1 { "was" } else { "were" };
                            return Some(self.violation(format!(
                                "Additional properties are not allowed ({} {} unexpected)",
                                listed.join(", "),
                                verb
                            )));
                        }
                    }
                }
                Kw::AdditionalProperties(true) => {}
                Kw::Required(names) => {
                    if let Value::Object(map) = inst {
                        if let Some(missing) = names.iter().find(|n| lookup(map, n).is_none()) {
                            return Some(self.violation(format!(
                                "{} is a required property",
                                str_repr(missing)
                            )));
                        }
                    }
                }
                Kw::PatternPropertiesAny(sub) => {
                    if let Value::Object(map) = inst {
                        for (key, value) in map {
                            let found = self.descend(sub, value, Seg::Key(key), depth);
                            if found.is_some() {
                                return found;
                            }
                        }
                    }
                }
                Kw::Items(sub) => {
                    if let Value::Array(items) = inst {
                        for (i, value) in items.iter().enumerate() {
                            let found = self.descend(sub, value, Seg::Index(i), depth);
                            if found.is_some() {
                                return found;
                            }
                        }
                    }
                }
                Kw::MinItems(min) => {
                    if let Value::Array(items) = inst {
                        if items.len() < min {
                            let what = if min == 1 {
                                "should be non-empty"
                            } else {
                                "is too short"
                            };
                            return Some(self.violation(format!("{} {}", py_repr(inst), what)));
                        }
                    }
                }
                Kw::MaxItems(max) => {
                    if let Value::Array(items) = inst {
                        if items.len() > max {
                            let what = if max == 0 {
                                "is expected to be empty"
                            } else {
                                "is too long"
                            };
                            return Some(self.violation(format!("{} {}", py_repr(inst), what)));
                        }
                    }
                }
                Kw::AnyOf(branches) => {
                    if !branches.iter().any(|b| self.is_valid(*b, inst, depth)) {
                        return Some(self.violation(format!(
                            "{} is not valid under any of the given schemas",
                            py_repr(inst)
                        )));
                    }
                }
                Kw::OneOf(branches) => {
                    let Some(first) =
                        (0..branches.len()).find(|&i| self.is_valid(branches[i], inst, depth))
                    else {
                        return Some(self.violation(format!(
                            "{} is not valid under any of the given schemas",
                            py_repr(inst)
                        )));
                    };
                    let more: Vec<usize> = (first + 1..branches.len())
                        .filter(|&i| self.is_valid(branches[i], inst, depth))
                        .collect();
                    if !more.is_empty() {
                        // jsonschema lists the later matches, then the first one. (With PAT's
                        // schema this only happens inside another `oneOf`, as context.)
                        let mut reprs: Vec<String> =
                            more.iter().map(|&i| schema_repr(branches[i])).collect();
                        reprs.push(schema_repr(branches[first]));
                        return Some(self.violation(format!(
                            "{} is valid under each of {}",
                            py_repr(inst),
                            reprs.join(", ")
                        )));
                    }
                }
                Kw::Ref(def) => {
                    let found = self.first_error(def.schema(), inst, depth);
                    if found.is_some() {
                        return found;
                    }
                }
            }
        }
        None
    }

    fn descend(
        &mut self,
        node: Node,
        inst: &'a Value,
        seg: Seg<'a>,
        depth: usize,
    ) -> Option<JsonSchemaViolation> {
        if matches!(node, Node::True) {
            return None;
        }
        self.path.push(seg);
        let found = if depth >= MAX_DEPTH {
            self.note_too_deep();
            Some(self.violation(RECURSION_MESSAGE.to_string()))
        } else {
            self.first_error(node, inst, depth + 1)
        };
        self.path.pop();
        found
    }

    /// `is_valid` for a member of an instance at `depth`.
    fn is_valid_child(&mut self, node: Node, child: &'a Value, depth: usize) -> bool {
        if matches!(node, Node::True) {
            return true;
        }
        if depth >= MAX_DEPTH {
            self.note_too_deep();
            return false;
        }
        self.is_valid(node, child, depth + 1)
    }

    /// Whether `inst` is valid under `node`. Order-independent, so the cheap keywords are checked
    /// before the ones that descend into the instance.
    fn is_valid(&mut self, node: Node, inst: &'a Value, depth: usize) -> bool {
        let kws = match node {
            Node::True => return true,
            Node::S(kws) => kws,
        };
        // The cheap checks first; `additionalProperties: false` after `required`, which usually
        // tells the forms of a match expression apart sooner.
        let mut closed = false;
        for kw in kws {
            let ok = match *kw {
                Kw::Type(ty) => ty.matches(inst),
                Kw::Enum(members) => enum_contains(members, inst),
                Kw::Required(names) => match inst {
                    Value::Object(map) => names.iter().all(|n| lookup(map, n).is_some()),
                    _ => true,
                },
                Kw::AdditionalProperties(false) => {
                    closed = true;
                    true
                }
                Kw::MinItems(min) => inst.as_array().is_none_or(|a| a.len() >= min),
                Kw::MaxItems(max) => inst.as_array().is_none_or(|a| a.len() <= max),
                _ => true,
            };
            if !ok {
                return false;
            }
        }
        if closed {
            if let Value::Object(map) = inst {
                if additional_keys(kws, map).next().is_some() {
                    return false;
                }
            }
        }
        for kw in kws {
            let ok = match *kw {
                Kw::Properties(props) => match inst {
                    Value::Object(map) => props.iter().all(|&(name, sub)| {
                        lookup(map, name).is_none_or(|v| self.is_valid_child(sub, v, depth))
                    }),
                    _ => true,
                },
                Kw::PatternPropertiesAny(sub) => match inst {
                    Value::Object(map) => map.values().all(|v| self.is_valid_child(sub, v, depth)),
                    _ => true,
                },
                Kw::Items(sub) => match inst {
                    Value::Array(items) => items.iter().all(|v| self.is_valid_child(sub, v, depth)),
                    _ => true,
                },
                Kw::AnyOf(branches) => branches.iter().any(|b| self.is_valid(*b, inst, depth)),
                Kw::OneOf(branches) => {
                    let mut valid = 0;
                    for b in branches {
                        if self.is_valid(*b, inst, depth) {
                            valid += 1;
                            if valid > 1 {
                                break;
                            }
                        }
                    }
                    valid == 1
                }
                Kw::Ref(def) => self.is_valid(def.schema(), inst, depth),
                _ => true,
            };
            if !ok {
                return false;
            }
        }
        true
    }
}

/// `map.get(key)`; small mappings (most of a spec) are scanned, which beats hashing the key.
fn lookup<'m>(map: &'m Map<String, Value>, key: &str) -> Option<&'m Value> {
    if map.len() <= 12 {
        map.iter().find(|(k, _)| same_key(k, key)).map(|(_, v)| v)
    } else {
        map.get(key)
    }
}

/// `a == b`, without a `memcmp` call for the short keys of a spec.
#[inline]
fn same_key(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| x == y)
}

fn enum_contains(members: &[&str], inst: &Value) -> bool {
    matches!(inst, Value::String(s) if members.contains(&s.as_str()))
}

/// Keys of `map` not covered by the schema object's `properties` / `patternProperties`, in
/// instance order (jsonschema's `find_additional_properties`).
fn additional_keys<'m>(
    kws: &'static [Kw],
    map: &'m Map<String, Value>,
) -> impl Iterator<Item = &'m str> {
    let mut props: &[(&str, Node)] = &[];
    let mut any_pattern = false;
    for kw in kws {
        match *kw {
            Kw::Properties(p) => props = p,
            Kw::PatternPropertiesAny(_) => any_pattern = true,
            _ => {}
        }
    }
    map.keys()
        .map(String::as_str)
        .filter(move |k| !any_pattern && !props.iter().any(|(name, _)| same_key(name, k)))
}

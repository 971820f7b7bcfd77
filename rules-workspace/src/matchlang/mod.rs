//! Panther's YAML match language, evaluated offline: Simple Detections (`Detection:` plus
//! `AlertTitle`, `AlertContext`, `DynamicSeverities`, `GroupBy`), `InlineFilters` on rules, and
//! correlation rules (`Group` / `Sequence`).
//!
//! Panther transpiles the first two on its server (`transpileSimpleDetectionsToPython`,
//! `transpileFilters`) and evaluates correlation rules there (`testCorrelationRuleYAML`); PAT
//! skips all three without a token. Prowl does it locally, in two halves:
//! - this module reads the YAML (one reader, also behind the window's problems) and compiles
//!   each expression into a small *program*: JSON, every key path parsed, every condition
//!   checked and named canonically. A problem points at the line it is on.
//! - `engine/python/prowl_match.py` turns a program into Python closures once per detection
//!   and evaluates them on events inside the workers, where panther-core runs: unit tests,
//!   replay and the alert functions all go through it. It is the only evaluator.
//!
//! Correlation rules need no event (their tests give the sub-rules' signals directly), so
//! [`correlation`] evaluates them here, in Rust.
//!
//! Every choice the documentation leaves open is written down in `docs/match-language.md`
//! and next to the code that makes it.
//!
//! Program form (JSON arrays, read by `prowl_match.py`):
//! - `["all", [e…]]`, `["any", [e…]]`, `["one", [e…]]`, `["none", [e…]]`
//! - `["true"]`, `["false"]`
//! - `["cond", path, CONDITION, operand]` (operand: a scalar, a list of scalars, or null)
//! - `["pair", path, CONDITION, path]` (two-key comparison)
//! - `["each", path, QUANTIFIER, [e…]]` (list comprehension; elements match when all `e` do)
//!
//! A path is a list of steps: a string (a key), an integer (a list index) or null (`[*]`, every
//! element).

pub mod correlation;
pub mod lookup;
pub mod simple;

use crate::spec::{Node, Span, Value};
use serde_json::{json, Value as Json};

/// Where an expression list sits: the forms and conditions allowed differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `Detection`, `DynamicSeverities[].Conditions`, list-comprehension `Expressions`.
    Detection,
    /// `InlineFilters`: only `KeyPath` / `Enrichment` forms and `All` / `Any`.
    Filter,
}

/// A problem in a match expression, at its line.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// Where (the expression, or the offending key).
    pub span: Span,
    /// What is wrong, for people.
    pub message: String,
}

/// What a condition takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operand {
    /// Nothing (`Exists`, `IsNull`, `IsIPAddress`…).
    None,
    /// `Value`: one scalar.
    Value,
    /// `Values`: a list of scalars.
    Values,
}

/// Every scalar condition: its canonical name, what it takes, whether inline filters accept it.
/// Names from Panther's match-expression reference; `Has` / `DoesNotHave` appear only in PAT's
/// fixtures and are kept as the older spelling of `Contains` they behave like.
const CONDITIONS: &[(&str, Operand, bool)] = &[
    ("Equals", Operand::Value, true),
    ("DoesNotEqual", Operand::Value, true),
    ("IEquals", Operand::Value, false),
    ("IDoesNotEqual", Operand::Value, false),
    ("StartsWith", Operand::Value, true),
    ("DoesNotStartWith", Operand::Value, false),
    ("IStartsWith", Operand::Value, false),
    ("IDoesNotStartWith", Operand::Value, false),
    ("EndsWith", Operand::Value, true),
    ("DoesNotEndWith", Operand::Value, false),
    ("IEndsWith", Operand::Value, false),
    ("IDoesNotEndWith", Operand::Value, false),
    ("Contains", Operand::Value, true),
    ("DoesNotContain", Operand::Value, true),
    ("IContains", Operand::Value, false),
    ("IDoesNotContain", Operand::Value, false),
    ("Has", Operand::Value, false),
    ("DoesNotHave", Operand::Value, false),
    ("IsGreaterThan", Operand::Value, true),
    ("IsGreaterThanOrEquals", Operand::Value, true),
    ("IsLessThan", Operand::Value, true),
    ("IsLessThanOrEquals", Operand::Value, true),
    ("IsIn", Operand::Values, true),
    ("IsNotIn", Operand::Values, true),
    ("IsIPAddressInCIDR", Operand::Value, true),
    ("IsIPAddressNotInCIDR", Operand::Value, true),
    ("CIDRContainsIPAddresses", Operand::Value, true),
    ("CIDRDoesNotContainIPAddresses", Operand::Value, true),
    ("Exists", Operand::None, false),
    ("DoesNotExist", Operand::None, false),
    ("IsNull", Operand::None, false),
    ("IsNotNull", Operand::None, false),
    ("IsNullOrEmpty", Operand::None, true),
    ("IsNotNullOrEmpty", Operand::None, true),
    ("IsIPAddress", Operand::None, false),
    ("IsIPv4Address", Operand::None, false),
    ("IsIPv6Address", Operand::None, false),
    ("IsIPAddressPublic", Operand::None, true),
    ("IsIPAddressPrivate", Operand::None, true),
];

/// Other spellings seen in Panther's own documentation, and the name they mean.
const ALIASES: &[(&str, &str)] = &[
    ("IsGreaterThanOrEqual", "IsGreaterThanOrEquals"),
    ("IsLessThanOrEqual", "IsLessThanOrEquals"),
];

/// Conditions a two-key comparison may use (they compare one value with another).
const PAIR_CONDITIONS: &[&str] = &[
    "Equals",
    "DoesNotEqual",
    "IEquals",
    "IDoesNotEqual",
    "StartsWith",
    "DoesNotStartWith",
    "IStartsWith",
    "IDoesNotStartWith",
    "EndsWith",
    "DoesNotEndWith",
    "IEndsWith",
    "IDoesNotEndWith",
    "Contains",
    "DoesNotContain",
    "IContains",
    "IDoesNotContain",
    "IsGreaterThan",
    "IsGreaterThanOrEquals",
    "IsLessThan",
    "IsLessThanOrEquals",
];

const QUANTIFIERS: &[&str] = &["AllElements", "AnyElement", "NoElement", "OnlyOneElement"];

/// The condition names a spec editor offers, in the reference's order.
pub fn condition_names() -> impl Iterator<Item = &'static str> {
    CONDITIONS
        .iter()
        .map(|c| c.0)
        .chain(QUANTIFIERS.iter().copied())
        .chain(["AlwaysTrue", "AlwaysFalse"])
}

fn canonical(name: &str) -> Option<(&'static str, Operand, bool)> {
    let name = ALIASES
        .iter()
        .find(|(alias, _)| *alias == name)
        .map_or(name, |(_, real)| real);
    CONDITIONS.iter().find(|c| c.0 == name).copied()
}

/// Compiles a list of match expressions (an implicit `All`).
pub fn compile_list(node: &Node, mode: Mode) -> (Json, Vec<Problem>) {
    let mut c = Compiler {
        mode,
        problems: Vec::new(),
    };
    let program = c.list(node, "All");
    (program, c.problems)
}

/// Compiles a key specifier (`{Key}`, `{DeepKey}` or `{KeyPath}`) into a path.
pub fn compile_key(node: &Node) -> (Json, Vec<Problem>) {
    let mut c = Compiler {
        mode: Mode::Detection,
        problems: Vec::new(),
    };
    let path = match c.key_of(node) {
        Some(path) => path,
        None => {
            c.problem(node.span, "expected one of Key, DeepKey or KeyPath".into());
            Json::Null
        }
    };
    (path, c.problems)
}

/// Parses a `KeyPath` (`a.b[0].c`, `a[*].b`) into path steps. Also used for the `{field}`
/// placeholders of `AlertTitle` and the match fields of correlation rules.
pub fn parse_key_path(text: &str) -> Result<Vec<Json>, String> {
    let mut steps = Vec::new();
    let mut rest = text;
    if rest.is_empty() {
        return Err("the key path is empty".into());
    }
    loop {
        // A name, up to `.` or `[`.
        let end = rest.find(['.', '[']).unwrap_or(rest.len());
        let name = &rest[..end];
        rest = &rest[end..];
        if name.is_empty() {
            return Err(format!("`{text}`: a name is missing"));
        }
        steps.push(json!(name));
        // Any number of `[n]` / `[*]`.
        while let Some(inner) = rest.strip_prefix('[') {
            let close = inner
                .find(']')
                .ok_or_else(|| format!("`{text}`: `[` is not closed"))?;
            let index = inner[..close].trim();
            if index == "*" {
                steps.push(Json::Null);
            } else {
                // Panther documents only `[n]` and `[*]`; a negative index (Python's "from
                // the end") is refused rather than guessed.
                let n: u64 = index.parse().map_err(|_| {
                    format!("`{text}`: `[{index}]` is not a list index (a number ≥ 0, or *)")
                })?;
                steps.push(json!(n));
            }
            rest = &inner[close + 1..];
        }
        if rest.is_empty() {
            return Ok(steps);
        }
        match rest.strip_prefix('.') {
            Some(after) if !after.is_empty() => rest = after,
            _ => return Err(format!("`{text}`: a name is missing after `.`")),
        }
    }
}

struct Compiler {
    mode: Mode,
    problems: Vec<Problem>,
}

impl Compiler {
    fn problem(&mut self, span: Span, message: String) {
        self.problems.push(Problem { span, message });
    }

    /// A list of expressions, combined as `op`.
    fn list(&mut self, node: &Node, op: &str) -> Json {
        let Some(items) = node.as_list() else {
            self.problem(
                node.span,
                format!("`{op}` needs a list of match expressions"),
            );
            return json!(["false"]);
        };
        let compiled: Vec<Json> = items.iter().map(|e| self.expression(e)).collect();
        let name = match op {
            "Any" => "any",
            "OnlyOne" => "one",
            "None" => "none",
            _ => "all",
        };
        json!([name, compiled])
    }

    fn expression(&mut self, node: &Node) -> Json {
        let Some(entries) = node.as_map() else {
            self.problem(
                node.span,
                format!(
                    "a match expression is a mapping, not {}",
                    node.value.type_name()
                ),
            );
            return json!(["false"]);
        };
        let keys: Vec<&str> = entries.iter().filter_map(|e| e.key.as_str()).collect();
        for combinator in ["All", "Any", "OnlyOne", "None"] {
            if let Some(inner) = node.get(combinator) {
                if keys.len() > 1 {
                    self.problem(
                        node.span,
                        format!("`{combinator}` stands alone in its expression"),
                    );
                }
                if self.mode == Mode::Filter && matches!(combinator, "OnlyOne" | "None") {
                    self.problem(
                        node.span,
                        format!("inline filters allow only `All` and `Any`, not `{combinator}`"),
                    );
                }
                return self.list(inner, combinator);
            }
        }
        if node.get("Sequence").is_some() || node.get("Group").is_some() {
            self.problem(
                node.span,
                "`Sequence` and `Group` belong to correlation rules".into(),
            );
            return json!(["false"]);
        }
        for entry in entries {
            let known = [
                "Key",
                "DeepKey",
                "KeyPath",
                "Enrichment",
                "Condition",
                "Value",
                "Values",
                "Expressions",
            ];
            match entry.key.as_str() {
                Some(k) if known.contains(&k) => {}
                other => self.problem(
                    entry.key.span,
                    format!(
                        "unknown key `{}` in a match expression",
                        other.unwrap_or("?")
                    ),
                ),
            }
        }
        let Some(condition_node) = node.get("Condition") else {
            self.problem(node.span, "the expression has no `Condition`".into());
            return json!(["false"]);
        };
        let Some(condition) = condition_node.as_str() else {
            self.problem(condition_node.span, "`Condition` is a name".into());
            return json!(["false"]);
        };
        let cspan = condition_node.span;
        let key = self.key_of(node);
        let filter = self.mode == Mode::Filter;
        if filter && (node.get("Key").is_some() || node.get("DeepKey").is_some()) {
            self.problem(
                node.span,
                "inline filters name fields with `KeyPath` only".into(),
            );
        }
        match condition {
            "AlwaysTrue" | "AlwaysFalse" => {
                if filter {
                    self.problem(cspan, format!("inline filters do not allow `{condition}`"));
                }
                if key.is_some() || node.get("Value").is_some() || node.get("Values").is_some() {
                    self.problem(node.span, format!("`{condition}` stands alone"));
                }
                return json!([if condition == "AlwaysTrue" {
                    "true"
                } else {
                    "false"
                }]);
            }
            q if QUANTIFIERS.contains(&q) => {
                if filter {
                    self.problem(cspan, format!("inline filters do not allow `{q}`"));
                }
                let Some(path) = key else {
                    self.problem(
                        node.span,
                        format!("`{q}` needs the list's Key, DeepKey or KeyPath"),
                    );
                    return json!(["false"]);
                };
                let Some(inner) = node.get("Expressions") else {
                    self.problem(node.span, format!("`{q}` needs `Expressions`"));
                    return json!(["false"]);
                };
                // The elements match when all of their expressions do.
                let inner = match self.list(inner, "All") {
                    Json::Array(mut parts) if parts.len() == 2 => parts.remove(1),
                    _ => json!([]),
                };
                return json!(["each", path, q, inner]);
            }
            _ => {}
        }
        if node.get("Expressions").is_some() {
            self.problem(
                node.span,
                format!("`Expressions` goes with AllElements, AnyElement, NoElement or OnlyOneElement, not `{condition}`"),
            );
        }
        let Some((name, operand, in_filters)) = canonical(condition) else {
            self.problem(
                cspan,
                format!("unknown condition `{condition}`: Panther would reject the detection"),
            );
            return json!(["false"]);
        };
        if filter && !in_filters {
            self.problem(cspan, format!("inline filters do not allow `{name}`"));
        }
        // A two-key comparison: no key of its own, and two key specifiers as `Values`.
        if key.is_none() {
            let pair = node
                .get("Values")
                .and_then(Node::as_list)
                .filter(|v| v.iter().all(|k| k.as_map().is_some()));
            let Some(pair) = pair else {
                self.problem(
                    node.span,
                    format!("`{name}` needs a Key, DeepKey or KeyPath"),
                );
                return json!(["false"]);
            };
            if filter {
                self.problem(node.span, "inline filters do not compare two keys".into());
            }
            if pair.len() != 2 {
                self.problem(
                    node.span,
                    "a two-key comparison names exactly two keys".into(),
                );
                return json!(["false"]);
            }
            if !PAIR_CONDITIONS.contains(&name) {
                self.problem(cspan, format!("`{name}` does not compare two keys"));
                return json!(["false"]);
            }
            let (Some(a), Some(b)) = (self.key_of(&pair[0]), self.key_of(&pair[1])) else {
                self.problem(
                    node.span,
                    "each of the two keys is a Key, DeepKey or KeyPath".into(),
                );
                return json!(["false"]);
            };
            return json!(["pair", a, name, b]);
        }
        let path = key.unwrap_or(Json::Null);
        let value = node.get("Value");
        let values = node.get("Values");
        let operand_json = match operand {
            Operand::None => {
                if let Some(extra) = value.or(values) {
                    self.problem(extra.span, format!("`{name}` takes no value"));
                }
                Json::Null
            }
            Operand::Value => match (value, values) {
                (Some(v), None) => self.scalar(v, name),
                (None, Some(v)) => {
                    self.problem(v.span, format!("`{name}` takes one `Value`, not `Values`"));
                    Json::Null
                }
                _ => {
                    self.problem(node.span, format!("`{name}` needs a `Value`"));
                    Json::Null
                }
            },
            Operand::Values => match (value, values) {
                (None, Some(v)) => match v.as_list() {
                    Some(list) => Json::Array(list.iter().map(|x| self.scalar(x, name)).collect()),
                    None => {
                        self.problem(v.span, format!("`{name}` takes a list of `Values`"));
                        Json::Array(Vec::new())
                    }
                },
                (Some(v), None) => {
                    self.problem(
                        v.span,
                        format!("`{name}` takes a list of `Values`, not `Value`"),
                    );
                    Json::Array(vec![self.scalar(v, name)])
                }
                _ => {
                    self.problem(node.span, format!("`{name}` needs `Values`"));
                    Json::Array(Vec::new())
                }
            },
        };
        if name.contains("CIDR") {
            if let Some(cidr) = operand_json.as_str() {
                if parse_network(cidr).is_none() {
                    self.problem(
                        value.map_or(node.span, |v| v.span),
                        format!(
                            "`{cidr}` is not an IP network (such as 10.0.0.0/8 or 2001:db8::/32)"
                        ),
                    );
                }
            }
        }
        if (name.starts_with("IsGreater") || name.starts_with("IsLess"))
            && (operand_json.is_string() || operand_json.is_boolean())
        {
            self.problem(
                value.map_or(node.span, |v| v.span),
                format!("`{name}` compares numbers; this value is not one"),
            );
        }
        json!(["cond", path, name, operand_json])
    }

    /// The scalar a `Value` holds, as JSON.
    fn scalar(&mut self, node: &Node, condition: &str) -> Json {
        match &node.value {
            Value::Str(_) | Value::Int(_) | Value::Float(_) | Value::Bool(_) | Value::BigInt(_) => {
                node.to_json()
            }
            Value::Null => {
                self.problem(
                    node.span,
                    format!("`{condition}` compares with null; use IsNull or IsNotNull"),
                );
                Json::Null
            }
            _ => {
                self.problem(
                    node.span,
                    format!(
                        "a `Value` is a string, number or boolean, not a {}",
                        node.value.type_name()
                    ),
                );
                Json::Null
            }
        }
    }

    /// The path of the expression's `Key`, `DeepKey`, `KeyPath` or `Enrichment`, if any.
    fn key_of(&mut self, node: &Node) -> Option<Json> {
        let specs: Vec<&str> = ["Key", "DeepKey", "KeyPath", "Enrichment"]
            .into_iter()
            .filter(|k| node.get(k).is_some())
            .collect();
        if specs.len() > 1 {
            self.problem(node.span, format!("use one of {} only", specs.join(", ")));
        }
        if let Some(k) = node.get("Key") {
            return match k.as_str() {
                // A Key is one top-level field, dots and all.
                Some(name) if !name.is_empty() => Some(json!([name])),
                _ => {
                    self.problem(k.span, "`Key` is a field name".into());
                    Some(json!([]))
                }
            };
        }
        if let Some(k) = node.get("DeepKey") {
            let Some(steps) = k.as_list() else {
                self.problem(k.span, "`DeepKey` is a list of keys and indexes".into());
                return Some(json!([]));
            };
            let mut path = Vec::new();
            for step in steps {
                match &step.value {
                    Value::Str(s) => path.push(json!(s)),
                    Value::Int(i) if *i >= 0 => path.push(json!(*i as u64)),
                    _ => self.problem(
                        step.span,
                        "a `DeepKey` step is a key or a list index ≥ 0".into(),
                    ),
                }
            }
            if path.is_empty() {
                self.problem(k.span, "`DeepKey` is empty".into());
            }
            return Some(Json::Array(path));
        }
        if let Some(k) = node.get("KeyPath") {
            let Some(text) = k.as_str() else {
                self.problem(k.span, "`KeyPath` is a path such as a.b[0].c".into());
                return Some(json!([]));
            };
            return Some(match parse_key_path(text) {
                Ok(steps) => Json::Array(steps),
                Err(message) => {
                    self.problem(k.span, message);
                    json!([])
                }
            });
        }
        if let Some(e) = node.get("Enrichment") {
            // Enrichment data travels on the event, as Panther attaches it:
            // p_enrichment.<Table>.<Selector>.<FieldPath>.
            let part = |name: &str| e.get(name).and_then(Node::as_str);
            let (Some(table), Some(selector), Some(field)) =
                (part("Table"), part("Selector"), part("FieldPath"))
            else {
                self.problem(
                    e.span,
                    "`Enrichment` needs Table, Selector and FieldPath".into(),
                );
                return Some(json!([]));
            };
            let mut path = vec![json!("p_enrichment"), json!(table), json!(selector)];
            match parse_key_path(field) {
                Ok(steps) => path.extend(steps),
                Err(message) => self.problem(e.span, message),
            }
            return Some(Json::Array(path));
        }
        None
    }
}

/// An IP network written as a CIDR or a single address.
pub fn parse_network(text: &str) -> Option<(std::net::IpAddr, u8)> {
    let (addr, bits) = match text.split_once('/') {
        Some((a, b)) => (a, Some(b)),
        None => (text, None),
    };
    let ip: std::net::IpAddr = addr.trim().parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let bits = match bits {
        Some(b) => b.trim().parse::<u8>().ok().filter(|b| *b <= max)?,
        None => max,
    };
    Some((ip, bits))
}

#[cfg(test)]
mod tests;

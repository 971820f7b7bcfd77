//! PAT's first validation layer: the `schema` library (0.7.x) with PAT's schemas, reproduced.
//!
//! PAT validates each spec with a `schema.Schema` object and prints `str(SchemaError)`. Those
//! messages embed Python `repr`s of both the schema and the data, and the order in which the
//! library visits keys decides which error wins. This module is a faithful model of that
//! engine for the constructs PAT's schemas use (literals, types, `Or`/`And` with `only_one`,
//! `Optional` keys, `Regex`, lists, nested dicts, `Schema(...)` wrappers, PAT's
//! `QueryScheduleSchema`), so our verdicts and messages are PAT's. It also records the path of
//! the value that failed, which PAT does not, so the editor can point at the line.
//!
//! The schemas themselves are in `schemas` (`rule_schema()` …), transcribed from PAT 1.7.0's
//! `schemas.py` (1.6.3 differs only by lacking `scheduled_prompt` and `DatabricksQuery`).

use crate::spec::pyrepr::str_repr;
use crate::spec::value::{Entry, Node, Value};
use std::cell::Cell;

mod schemas;

pub use schemas::{
    correlation_rule_schema, data_model_schema, derived_schema, global_schema, lookup_table_schema,
    pack_schema, policy_schema, rule_schema, saved_query_schema, scheduled_prompt_schema,
    scheduled_query_schema, sql_lookup_table_schema, type_schema,
};

/// A Python type used as a schema (`str`, `bool`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PyType {
    Str,
    Bool,
    Int,
    List,
    Dict,
    Object,
}

impl PyType {
    fn name(self) -> &'static str {
        match self {
            PyType::Str => "str",
            PyType::Bool => "bool",
            PyType::Int => "int",
            PyType::List => "list",
            PyType::Dict => "dict",
            PyType::Object => "object",
        }
    }

    /// `isinstance(data, t) and not (isinstance(data, bool) and t == int)`.
    fn accepts(self, v: &Value) -> bool {
        match self {
            PyType::Str => matches!(v, Value::Str(_)),
            PyType::Bool => matches!(v, Value::Bool(_)),
            PyType::Int => matches!(v, Value::Int(_) | Value::BigInt(_)),
            PyType::List => matches!(v, Value::List(_)),
            PyType::Dict => matches!(v, Value::Map(_)),
            PyType::Object => true,
        }
    }
}

/// A schema node, mirroring the Python objects PAT builds.
#[derive(Debug)]
pub enum Schema {
    /// A comparable literal (`"rule"`): valid when `==`.
    Lit(&'static str),
    /// The literal `False` (scheduled prompts' `Private`).
    False,
    Type(PyType),
    /// `Or(*args, only_one=…)`; the match counter is per object, as in the library.
    Or(Vec<Schema>, bool, Cell<usize>),
    And(Vec<Schema>),
    /// `Regex(pattern)`: the pattern as written, and a matcher equivalent to `re.search`.
    Regex(&'static str, fn(&str) -> bool),
    /// A list schema (`[str]`): the value must be a list whose items each match one of these.
    List(Vec<Schema>),
    /// A dict schema.
    Dict(Vec<(Key, Schema)>),
    /// `Schema({...})` used inside another schema (own `ignore_extra_keys`, repr `Schema(...)`).
    Wrapped(&'static str, Box<Schema>, bool),
    /// The builtin `len` as a callable validator.
    Len,
}

/// A dict key schema.
#[derive(Debug)]
pub enum Key {
    Lit(&'static str),
    Optional(&'static str),
    Or(Vec<&'static str>, bool, Cell<usize>),
    Type(PyType),
}

/// What kind of `SchemaError` subclass was raised; PAT formats some of them differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Generic,
    MissingKey,
    WrongKey,
    UnexpectedType,
    OnlyOne,
}

/// One step of the path to the failing value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// A `SchemaError`: its `autos` (the library's messages, `None`s dropped when printed), the
/// subclass, and where in the data it happened.
#[derive(Debug, Clone)]
pub struct SchemaError {
    /// The library's messages, outermost first (`None`s are not printed).
    pub autos: Vec<Option<String>>,
    /// Which `SchemaError` subclass was raised.
    pub kind: ErrorKind,
    /// Path to the value the innermost message is about.
    pub path: Vec<Step>,
    /// For wrong keys and only-one violations: the offending keys (at `path`).
    pub keys: Vec<String>,
}

impl SchemaError {
    fn new(message: String, kind: ErrorKind) -> Self {
        SchemaError {
            autos: vec![Some(message)],
            kind,
            path: Vec::new(),
            keys: Vec::new(),
        }
    }

    /// `str(err)`: the unique non-`None` autos joined by newlines.
    pub fn code(&self) -> String {
        let mut seen = std::collections::HashSet::new();
        let mut out: Vec<&str> = Vec::new();
        for a in self.autos.iter().flatten() {
            if seen.insert(a.as_str()) {
                out.push(a);
            }
        }
        out.join("\n")
    }
}

type Res = Result<(), SchemaError>;

impl Schema {
    /// Python `repr` of the schema object.
    pub fn repr(&self) -> String {
        match self {
            Schema::Lit(s) => str_repr(s),
            Schema::False => "False".into(),
            Schema::Type(t) => format!("<class '{}'>", t.name()),
            Schema::Or(items, _, _) => format!("Or({})", join(items.iter().map(Schema::repr))),
            Schema::And(items) => format!("And({})", join(items.iter().map(Schema::repr))),
            Schema::Regex(p, _) => format!("Regex({})", str_repr(p)),
            Schema::List(items) => format!("[{}]", join(items.iter().map(Schema::repr))),
            Schema::Dict(entries) => format!(
                "{{{}}}",
                join(
                    entries
                        .iter()
                        .map(|(k, v)| format!("{}: {}", k.repr(), v.repr()))
                )
            ),
            Schema::Wrapped(name, inner, _) => format!("{name}({})", inner.repr()),
            Schema::Len => "<built-in function len>".into(),
        }
    }

    /// `Schema(self, ignore_extra_keys=ignore).validate(data)`.
    pub fn validate(&self, data: &Node, ignore: bool) -> Res {
        match self {
            Schema::Lit(s) => {
                if matches!(&data.value, Value::Str(d) if d == s) {
                    Ok(())
                } else {
                    Err(SchemaError::new(
                        format!("{} does not match {}", str_repr(s), data.repr()),
                        ErrorKind::Generic,
                    ))
                }
            }
            Schema::False => {
                if Value::Bool(false).py_eq(&data.value) {
                    Ok(())
                } else {
                    Err(SchemaError::new(
                        format!("False does not match {}", data.repr()),
                        ErrorKind::Generic,
                    ))
                }
            }
            Schema::Type(t) => check_type(*t, data),
            // Validators are called through `Schema(...).validate`, which wraps their errors
            // with a leading `None` auto (invisible in the message).
            Schema::Or(..) | Schema::And(_) | Schema::Regex(..) | Schema::Wrapped(..) => {
                self.validate_validator(data, ignore).map_err(|mut e| {
                    e.autos.insert(0, None);
                    e
                })
            }
            Schema::Len => {
                let truthy = match &data.value {
                    Value::Str(s) => !s.is_empty(),
                    Value::List(l) => !l.is_empty(),
                    Value::Map(m) => !m.is_empty(),
                    other => {
                        return Err(SchemaError::new(
                            format!(
                                "len({}) raised TypeError(\"object of type '{}' has no len()\")",
                                data.repr(),
                                other.type_name()
                            ),
                            ErrorKind::Generic,
                        ))
                    }
                };
                if truthy {
                    Ok(())
                } else {
                    Err(SchemaError::new(
                        format!("len({}) should evaluate to True", data.repr()),
                        ErrorKind::Generic,
                    ))
                }
            }
            Schema::List(items) => {
                check_type(PyType::List, data)?;
                let or = Schema::Or(
                    items.iter().map(Schema::shallow_clone).collect(),
                    false,
                    Cell::new(0),
                );
                if let Value::List(elements) = &data.value {
                    for (i, el) in elements.iter().enumerate() {
                        or.validate_validator(el, ignore).map_err(|mut e| {
                            e.path.insert(0, Step::Index(i));
                            e
                        })?;
                    }
                }
                Ok(())
            }
            Schema::Dict(entries) => validate_dict(entries, data, ignore),
        }
    }

    /// The object's own `.validate` (for validators: Or, And, Regex, Schema wrappers).
    fn validate_validator(&self, data: &Node, ignore: bool) -> Res {
        match self {
            Schema::Or(items, only_one, count) => {
                let mut autos = vec![None];
                let mut deepest: Option<SchemaError> = None;
                for sub in items {
                    match sub.validate(data, ignore) {
                        Ok(()) => {
                            count.set(count.get() + 1);
                            if count.get() > 1 && *only_one {
                                break;
                            }
                            return Ok(());
                        }
                        Err(e) => {
                            autos.extend(e.autos.iter().cloned());
                            if deepest.as_ref().is_none_or(|d| e.path.len() > d.path.len()) {
                                deepest = Some(e);
                            }
                        }
                    }
                }
                autos[0] = Some(format!("{} did not validate {}", self.repr(), data.repr()));
                let path = deepest.map(|d| d.path).unwrap_or_default();
                Err(SchemaError {
                    autos,
                    kind: ErrorKind::Generic,
                    path,
                    keys: Vec::new(),
                })
            }
            Schema::And(items) => {
                for sub in items {
                    sub.validate(data, ignore)?;
                }
                Ok(())
            }
            Schema::Regex(pattern, matcher) => match &data.value {
                Value::Str(s) if matcher(s) => Ok(()),
                Value::Str(_) => Err(SchemaError::new(
                    format!("{} does not match {}", data.repr(), str_repr(pattern)),
                    ErrorKind::Generic,
                )),
                _ => Err(SchemaError::new(
                    format!("{} is not string nor buffer", data.repr()),
                    ErrorKind::Generic,
                )),
            },
            Schema::Wrapped(name, inner, own_ignore) => {
                inner.validate(data, *own_ignore)?;
                if *name == "QueryScheduleSchema" {
                    query_schedule_extra(self, data)?;
                }
                Ok(())
            }
            other => other.validate(data, ignore),
        }
    }

    /// A structural copy used where the library builds fresh objects (list items' `Or`).
    fn shallow_clone(&self) -> Schema {
        match self {
            Schema::Lit(s) => Schema::Lit(s),
            Schema::False => Schema::False,
            Schema::Type(t) => Schema::Type(*t),
            Schema::Or(items, o, _) => Schema::Or(
                items.iter().map(Schema::shallow_clone).collect(),
                *o,
                Cell::new(0),
            ),
            Schema::And(items) => Schema::And(items.iter().map(Schema::shallow_clone).collect()),
            Schema::Regex(p, m) => Schema::Regex(p, *m),
            Schema::List(items) => Schema::List(items.iter().map(Schema::shallow_clone).collect()),
            Schema::Dict(entries) => Schema::Dict(
                entries
                    .iter()
                    .map(|(k, v)| (k.shallow_clone(), v.shallow_clone()))
                    .collect(),
            ),
            Schema::Wrapped(n, inner, i) => Schema::Wrapped(n, Box::new(inner.shallow_clone()), *i),
            Schema::Len => Schema::Len,
        }
    }

    /// The keys of a dict schema as PAT lists them in "not in list of valid keys: [...]".
    pub fn keys_repr(&self) -> String {
        match self {
            Schema::Dict(entries) => format!("[{}]", join(entries.iter().map(|(k, _)| k.repr()))),
            Schema::Wrapped(_, inner, _) => inner.keys_repr(),
            _ => "[]".into(),
        }
    }

    /// Top-level keys of a dict schema, for "unknown key" hints and completion.
    pub fn key_names(&self) -> Vec<&'static str> {
        match self {
            Schema::Dict(entries) => entries
                .iter()
                .flat_map(|(k, _)| match k {
                    Key::Lit(s) | Key::Optional(s) => vec![*s],
                    Key::Or(names, _, _) => names.clone(),
                    Key::Type(_) => vec![],
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

impl Key {
    fn repr(&self) -> String {
        match self {
            Key::Lit(s) => str_repr(s),
            Key::Optional(s) => format!("Optional({})", str_repr(s)),
            Key::Or(names, _, _) => format!("Or({})", join(names.iter().map(|n| str_repr(n)))),
            Key::Type(t) => format!("<class '{}'>", t.name()),
        }
    }

    /// `_dict_key_priority`: literals 0, optionals 0.5, validators (Or) 2, types 3.
    fn priority(&self) -> u8 {
        match self {
            Key::Lit(_) => 0,
            Key::Optional(_) => 1,
            Key::Or(..) => 4,
            Key::Type(_) => 6,
        }
    }

    fn is_optional(&self) -> bool {
        matches!(self, Key::Optional(_))
    }

    /// Whether a data key matches this key schema (with `Or`'s counting side effect).
    fn matches(&self, key: &Value) -> bool {
        match self {
            Key::Lit(s) | Key::Optional(s) => matches!(key, Value::Str(k) if k == s),
            Key::Type(t) => t.accepts(key),
            Key::Or(names, only_one, count) => {
                if names.iter().any(|n| matches!(key, Value::Str(k) if k == n)) {
                    count.set(count.get() + 1);
                    !(count.get() > 1 && *only_one)
                } else {
                    false
                }
            }
        }
    }

    /// `Or.reset()`: raises when an only-one condition saw several keys.
    fn reset(&self) -> Option<SchemaError> {
        if let Key::Or(_, only_one, count) = self {
            let failed = count.get() > 1 && *only_one;
            count.set(0);
            if failed {
                return Some(SchemaError::new(
                    format!(
                        "There are multiple keys present from the {} condition",
                        self.repr()
                    ),
                    ErrorKind::OnlyOne,
                ));
            }
        }
        None
    }

    fn shallow_clone(&self) -> Key {
        match self {
            Key::Lit(s) => Key::Lit(s),
            Key::Optional(s) => Key::Optional(s),
            Key::Or(n, o, _) => Key::Or(n.clone(), *o, Cell::new(0)),
            Key::Type(t) => Key::Type(*t),
        }
    }
}

fn join(parts: impl Iterator<Item = String>) -> String {
    parts.collect::<Vec<_>>().join(", ")
}

fn check_type(t: PyType, data: &Node) -> Res {
    if t.accepts(&data.value) {
        Ok(())
    } else {
        Err(SchemaError::new(
            format!(
                "{} should be instance of {}",
                data.repr(),
                str_repr(t.name())
            ),
            ErrorKind::UnexpectedType,
        ))
    }
}

fn validate_dict(entries: &[(Key, Schema)], data: &Node, ignore: bool) -> Res {
    check_type(PyType::Dict, data)?;
    let Value::Map(items) = &data.value else {
        return Ok(());
    };
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by_key(|&i| entries[i].0.priority());
    // Values that are dicts are checked last (a stable sort on `isinstance(value, dict)`).
    let mut data_order: Vec<&Entry> = items.iter().collect();
    data_order.sort_by_key(|e| matches!(e.value.value, Value::Map(_)));

    let mut covered = vec![false; entries.len()];
    let mut matched_keys: Vec<&Value> = Vec::new();
    let mut loop_result: Res = Ok(());
    'data: for item in data_order {
        for &si in &order {
            let (skey, svalue) = &entries[si];
            if !skey.matches(&item.key.value) {
                continue;
            }
            match svalue.validate(&item.value, ignore) {
                Ok(()) => {
                    covered[si] = true;
                    if !matched_keys.iter().any(|k| k.py_eq(&item.key.value)) {
                        matched_keys.push(&item.key.value);
                    }
                    continue 'data;
                }
                Err(mut e) => {
                    e.autos
                        .insert(0, Some(format!("Key '{}' error:", item.key.value.py_str())));
                    e.kind = ErrorKind::Generic;
                    e.path.insert(0, Step::Key(item.key.value.py_str()));
                    loop_result = Err(e);
                    break 'data;
                }
            }
        }
    }
    // The ExitStack of `reset` callbacks runs last-registered first; a raising callback replaces
    // whatever was in flight, so the first only-one key in priority order wins.
    for &si in order.iter().rev() {
        if let Some(e) = entries[si].0.reset() {
            let key_names = match &entries[si].0 {
                Key::Or(names, _, _) => names.iter().map(|s| s.to_string()).collect(),
                _ => Vec::new(),
            };
            loop_result = Err(SchemaError {
                keys: key_names,
                ..e
            });
        }
    }
    loop_result?;

    let mut missing: Vec<String> = entries
        .iter()
        .enumerate()
        .filter(|(i, (k, _))| !k.is_optional() && !covered[*i])
        .map(|(_, (k, _))| k.repr())
        .collect();
    if !missing.is_empty() {
        missing.sort();
        let plural = if missing.len() > 1 { "s" } else { "" };
        let mut e = SchemaError::new(
            format!("Missing key{plural}: {}", missing.join(", ")),
            ErrorKind::MissingKey,
        );
        e.keys = missing;
        return Err(e);
    }
    if !ignore && matched_keys.len() != items.len() {
        let mut wrong: Vec<&Entry> = Vec::new();
        for e in items {
            if !matched_keys.iter().any(|k| k.py_eq(&e.key.value)) {
                wrong.push(e);
            }
        }
        let mut reprs: Vec<String> = wrong.iter().map(|e| e.key.repr()).collect();
        reprs.sort();
        reprs.dedup();
        let plural = if reprs.len() > 1 { "s" } else { "" };
        let mut e = SchemaError::new(
            format!("Wrong key{plural} {} in {}", reprs.join(", "), data.repr()),
            ErrorKind::WrongKey,
        );
        e.keys = wrong.iter().map(|e| e.key.value.py_str()).collect();
        return Err(e);
    }
    Ok(())
}

/// PAT's `QueryScheduleSchema.validate` extra checks after the dict validation.
fn query_schedule_extra(schema: &Schema, data: &Node) -> Res {
    let rate = data.get("RateMinutes");
    let timeout = data.get("TimeoutMinutes");
    let Some(rate) = rate else { return Ok(()) };
    let num = |n: &Node| -> Option<f64> {
        match n.value {
            Value::Int(i) => Some(i as f64),
            Value::Bool(b) => Some(b as i32 as f64),
            Value::Float(f) => Some(f),
            _ => None,
        }
    };
    let raised = |op: &str, a: &Node, b: Option<&Node>| {
        let bt = b.map_or("NoneType", |b| b.value.type_name());
        SchemaError::new(
            format!(
                "{}.validate({}) raised TypeError(\"'{op}' not supported between instances of '{}' and '{}'\")",
                schema.repr(),
                data.repr(),
                a.value.type_name(),
                bt
            ),
            ErrorKind::Generic,
        )
    };
    let Some(r) = num(rate) else {
        return Err(raised(
            "<=",
            rate,
            Some(&Node::new(Value::Int(1), rate.span)),
        ));
    };
    if r <= 1.0 {
        return Err(SchemaError {
            path: vec![Step::Key("RateMinutes".into())],
            ..SchemaError::new("RateMinutes must be > 1".into(), ErrorKind::Generic)
        });
    }
    let Some(t) = timeout.and_then(num) else {
        return Err(raised("<", rate, timeout));
    };
    if r < t {
        return Err(SchemaError {
            path: vec![Step::Key("RateMinutes".into())],
            ..SchemaError::new(
                "RateMinutes must be >= TimeoutMinutes".into(),
                ErrorKind::Generic,
            )
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::yaml::load_str;

    fn check(schema: &Schema, yaml: &str) -> Result<(), SchemaError> {
        let node = load_str(yaml).unwrap().root.unwrap();
        schema.validate(&node, false)
    }

    const OK_RULE: &str = "AnalysisType: rule\nFilename: r.py\nRuleID: A\nEnabled: true\nLogTypes: [X]\nSeverity: Medium\n";

    #[test]
    fn a_valid_rule_passes() {
        check(&rule_schema(), OK_RULE).unwrap();
    }

    #[test]
    fn wrong_severity_lists_every_alternative_like_pat() {
        let e = check(&rule_schema(), &OK_RULE.replace("Medium", "medium")).unwrap_err();
        assert_eq!(
            e.code(),
            "Key 'Severity' error:\nOr('Info', 'Low', 'Medium', 'High', 'Critical') did not validate 'medium'\n'Info' does not match 'medium'\n'Low' does not match 'medium'\n'Medium' does not match 'medium'\n'High' does not match 'medium'\n'Critical' does not match 'medium'"
        );
        assert_eq!(e.path, vec![Step::Key("Severity".into())]);
    }

    #[test]
    fn yes_is_not_a_bool() {
        let e = check(
            &rule_schema(),
            &OK_RULE.replace("Enabled: true", "Enabled: yes"),
        )
        .unwrap_err();
        assert_eq!(
            e.code(),
            "Key 'Enabled' error:\n'yes' should be instance of 'bool'"
        );
    }

    #[test]
    fn missing_keys_are_sorted_by_repr() {
        let e = check(
            &rule_schema(),
            "AnalysisType: rule\nRuleID: A\nLogTypes: [X]\nSeverity: Medium\n",
        )
        .unwrap_err();
        assert_eq!(
            e.code(),
            "Missing keys: 'Enabled', Or('Filename', 'Detection')"
        );
        assert_eq!(e.kind, ErrorKind::MissingKey);
    }

    #[test]
    fn both_filename_and_detection_is_an_only_one_error() {
        let e = check(&rule_schema(), &format!("{OK_RULE}Detection: []\n")).unwrap_err();
        assert_eq!(
            e.code(),
            "There are multiple keys present from the Or('Filename', 'Detection') condition"
        );
    }

    #[test]
    fn nested_mock_error_reproduces_the_whole_chain() {
        let yaml = format!("{OK_RULE}Tests:\n  - Name: t\n    ExpectedResult: true\n    Log: {{}}\n    Mocks:\n      - objectName: x\n        returnValue: 3\n");
        let e = check(&rule_schema(), &yaml).unwrap_err();
        assert_eq!(
            e.code(),
            "Key 'Tests' error:\nOr({'Name': <class 'str'>, Optional('LogType'): <class 'str'>, 'ExpectedResult': <class 'bool'>, 'Log': <class 'object'>, Optional('Mocks'): [Schema({'objectName': <class 'str'>, 'returnValue': Or(<class 'str'>, <class 'bool'>)})]}) did not validate {'Name': 't', 'ExpectedResult': True, 'Log': {}, 'Mocks': [{'objectName': 'x', 'returnValue': 3}]}\nKey 'Mocks' error:\nOr(Schema({'objectName': <class 'str'>, 'returnValue': Or(<class 'str'>, <class 'bool'>)})) did not validate {'objectName': 'x', 'returnValue': 3}\nKey 'returnValue' error:\nOr(<class 'str'>, <class 'bool'>) did not validate 3\n3 should be instance of 'str'\n3 should be instance of 'bool'"
        );
        assert_eq!(
            e.path,
            vec![
                Step::Key("Tests".into()),
                Step::Index(0),
                Step::Key("Mocks".into()),
                Step::Index(0),
                Step::Key("returnValue".into())
            ]
        );
    }

    #[test]
    fn id_regex_failure_shows_the_pattern_repr() {
        let e = check(
            &rule_schema(),
            &OK_RULE.replace("RuleID: A", "RuleID: \"a<b\""),
        )
        .unwrap_err();
        assert_eq!(
            e.code(),
            "Key 'RuleID' error:\n'a<b' does not match '^[^<>&\\\\\"%]+$'"
        );
    }

    #[test]
    fn unknown_keys_are_wrong_keys() {
        let e = check(&rule_schema(), &format!("{OK_RULE}Foo: 1\nBar: 2\n")).unwrap_err();
        assert_eq!(e.kind, ErrorKind::WrongKey);
        assert!(
            e.code().starts_with("Wrong keys 'Bar', 'Foo' in {"),
            "{}",
            e.code()
        );
        assert_eq!(e.keys, vec!["Foo".to_string(), "Bar".to_string()]);
    }

    #[test]
    fn rate_minutes_rules_of_query_schedules() {
        let base = "AnalysisType: scheduled_query\nQueryName: Q\nEnabled: true\nQuery: select 1\n";
        let e = check(
            &scheduled_query_schema(),
            &format!("{base}Schedule: {{RateMinutes: 1, TimeoutMinutes: 1}}\n"),
        )
        .unwrap_err();
        assert_eq!(e.code(), "Key 'Schedule' error:\nRateMinutes must be > 1");
        let e = check(
            &scheduled_query_schema(),
            &format!("{base}Schedule: {{RateMinutes: 5, TimeoutMinutes: 10}}\n"),
        )
        .unwrap_err();
        assert_eq!(
            e.code(),
            "Key 'Schedule' error:\nRateMinutes must be >= TimeoutMinutes"
        );
        check(
            &scheduled_query_schema(),
            &format!("{base}Schedule: {{CronExpression: '0 * * * *', TimeoutMinutes: 10}}\n"),
        )
        .unwrap();
    }
}

//! Edits of a spec's `Tests` that change only the lines they must.
//!
//! The desktop app's test editor and `prowl tests edit` change one test at a time, and the change
//! must read as exactly that in `git diff`. So edits work on the file's lines, placed with the
//! spans of our own loader (`spec::yaml`, PAT's dialect):
//!
//! * a test runs from its `-` line to its last content line; comment lines directly above the
//!   `-` (indented no deeper than it) belong to the test, deeper comments after its content are
//!   its own; blank lines and other comments between tests are separators and stay;
//! * new text copies the file's layout: the column of the tests' `-`, the indentation of keys
//!   after it, the step of nested mappings and lists, the line ending (`\n` or `\r\n`) and
//!   whether the file ends with a newline;
//! * values are written in block style; a string is written plain only when nothing could read
//!   it as another type or as YAML syntax (YAML 1.1 words like `yes` and `on` included, though
//!   PAT reads them as strings), multi-line strings as `|` blocks when that is exact, anything
//!   else double-quoted with JSON-style escapes.
//!
//! Invariants: lines outside the edited range are byte-identical; every result is read back with
//! the loader and must give the expected data (the spec's other keys unchanged, `Tests` as the
//! edit describes) with no new duplicate keys, or the edit is refused and nothing is written.
//! Layouts that cannot be edited line by line (`Tests` in flow style, a test that is not a
//! block mapping, merge keys, duplicate keys) are refused with a message saying so.
//!
//! # Layout
//! `lines` (the text as lines), `locate` (where `Tests` and each test are), `style` (the
//! indentation to copy), `render` (values as YAML), `ops` (the edits), `verify` (the read-back
//! check).

mod lines;
mod locate;
mod ops;
mod render;
mod style;
#[cfg(test)]
mod tests;
mod verify;

use crate::error::{Location, UserError};
use crate::spec::value::{Node, Value};
use locate::{event_key_of, Spec};
use ops::{
    add, delete, duplicate, mocks_json, new_test, remove_key, set_key, set_scalar, set_value,
};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use verify::verify;

/// One change to a spec's `Tests`, as the desktop app and `prowl tests edit --edit` send it
/// (`{"kind": "rename", "index": 0, "name": "…"}`). Indexes count tests from 0 in file order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TestEdit {
    /// Appends a test: a JSON object with `Name`, `ExpectedResult`, `Log` (rules) or `Resource`
    /// (policies) and optionally `Mocks`.
    Add {
        /// The test, with PAT's keys.
        #[ts(type = "unknown")]
        test: Json,
    },
    /// Copies test `index` under a new name, right after it (its comments and layout included).
    Duplicate {
        /// The test to copy.
        index: usize,
        /// The copy's name.
        name: String,
    },
    /// Gives test `index` a new name (names are unique within a spec).
    Rename {
        /// The test.
        index: usize,
        /// Its new name.
        name: String,
    },
    /// Removes test `index` with the comment lines directly above it; removing the last one
    /// leaves `Tests: []`.
    Delete {
        /// The test.
        index: usize,
    },
    /// Sets test `index`'s `ExpectedResult`.
    SetExpected {
        /// The test.
        index: usize,
        /// Whether the detection should alert on the test's event.
        expected: bool,
    },
    /// Replaces the test's `Resource` if it has one, else its `Log` (added when missing: `Resource`
    /// for a policy, `Log` otherwise).
    SetEvent {
        /// The test's place.
        index: usize,
        /// The new event.
        #[ts(type = "unknown")]
        event: Json,
    },
    /// Replaces the test's `Mocks`; an empty list removes the key.
    SetMocks {
        /// The test.
        index: usize,
        /// The new mocks, in order.
        mocks: Vec<Mock>,
    },
}

/// The `p_` fields a unit test keeps (as panther-analysis's tests do): the log type binds the
/// data model, the event time and enrichment can be read by rules; the rest is derived at
/// ingestion and only makes the test longer.
pub const KEPT_P_FIELDS: &[&str] = &["p_log_type", "p_event_time", "p_enrichment", "p_udm"];

impl TestEdit {
    /// The edit adding `event` (an event of a replay) as a test named `name`: its `p_` fields
    /// trimmed to [`KEPT_P_FIELDS`], under `Resource` for a policy and `Log` otherwise.
    pub fn add_event(
        mut event: serde_json::Map<String, Json>,
        name: &str,
        expected: bool,
        policy: bool,
    ) -> TestEdit {
        event.retain(|k, _| !k.starts_with("p_") || KEPT_P_FIELDS.contains(&k.as_str()));
        let mut test = serde_json::Map::new();
        test.insert("Name".into(), name.into());
        test.insert("ExpectedResult".into(), expected.into());
        test.insert(
            if policy { "Resource" } else { "Log" }.into(),
            Json::Object(event),
        );
        TestEdit::Add {
            test: Json::Object(test),
        }
    }
}

/// A mocked object of a test: `{objectName, returnValue}` in the spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Mock {
    /// The name of the module attribute the test replaces (`objectName`).
    pub object_name: String,
    /// What the replacement returns (`returnValue`), as text.
    pub return_value: String,
}

/// What the test editor lists about each test: everything a front end shows of it, so that it
/// needs no YAML parser of its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct TestInfo {
    /// The test's place among the spec's tests, from 0 in file order.
    pub index: usize,
    /// `None` when the test has no `Name` (the spec is then invalid).
    pub name: Option<String>,
    /// `None` when `ExpectedResult` is missing or not a boolean (PAT reads `yes`, `on` and the
    /// like as strings).
    pub expected: Option<bool>,
    /// 1-based line of the test's `-`.
    pub line: u32,
    /// The key holding the test's event, as PAT reads it: `Resource` when the test has one,
    /// else `Log`; `None` when it has neither.
    pub event_key: Option<String>,
    /// The value under `event_key`, as JSON (`Node::to_json`).
    #[ts(type = "unknown")]
    pub event: Option<Json>,
    /// The test's `Mocks` in order (none when the key is missing or not a list). A string is
    /// given as is, another scalar as Python's `str()` of it (`True`, `1.5`), a mapping or
    /// list as compact JSON, a missing key as an empty string.
    pub mocks: Vec<Mock>,
}

/// Why an edit was refused. The file is never changed when one is returned. As a
/// [`UserError`] its code is `edit.<name>`, with a hint and the line (and column) in the text.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EditError {
    /// The text is not YAML PAT can read.
    #[error("line {line}, column {col}: the spec is not valid YAML: {message}")]
    Parse {
        /// 1-based line of the error.
        line: u32,
        /// 1-based column of the error.
        col: u32,
        /// The parser's message.
        message: String,
    },
    /// The document is not a mapping (a list, a scalar).
    #[error("the spec is not a YAML mapping of keys to values")]
    NotAMapping,
    /// `Tests: [...]`: flow style cannot be edited line by line.
    #[error("line {line}: `Tests` is written in flow style (`[...]`); edit it as text")]
    FlowStyle {
        /// The line of `Tests`.
        line: u32,
    },
    /// `Tests` is not a list.
    #[error("line {line}: `Tests` is not a list")]
    NotAList {
        /// The line of `Tests`.
        line: u32,
    },
    /// The edit names a test the spec does not have.
    #[error("no test at index {index}: the spec has {}", count_tests(*.count))]
    NoSuchTest {
        /// The index asked for.
        index: usize,
        /// How many tests the spec has.
        count: usize,
    },
    /// Another test already has the name.
    #[error("line {line}: a test named {name:?} already exists; test names must be unique within a spec")]
    DuplicateName {
        /// The name.
        name: String,
        /// The line of the test that has it.
        line: u32,
    },
    /// A key is written twice inside `Tests` (PAT keeps the last one).
    #[error("line {line}: the key `{key}` is written twice in `Tests` and PAT keeps only the last one; remove one before editing the tests")]
    DuplicateKey {
        /// The key.
        key: String,
        /// The line of its second occurrence.
        line: u32,
    },
    /// A layout the editor does not change line by line (merge keys, a test that is not a block
    /// mapping).
    #[error("line {line}: {what}; edit it as text")]
    Unsupported {
        /// Where.
        line: u32,
        /// What the layout is.
        what: String,
    },
    /// The test to add is not a test PAT accepts.
    #[error("the test is not valid: {0}")]
    InvalidTest(String),
    /// The edited text would not read back as the edit intends: a bug, and nothing changes.
    #[error("the edited spec would not read back as intended ({detail}); nothing was changed")]
    NotRoundTripping {
        /// What differed.
        detail: String,
    },
}

fn count_tests(count: usize) -> String {
    match count {
        1 => "1 test".into(),
        n => format!("{n} tests"),
    }
}

impl UserError for EditError {
    fn family(&self) -> &'static str {
        "edit"
    }

    fn name(&self) -> &'static str {
        match self {
            EditError::Parse { .. } => "parse",
            EditError::NotAMapping => "not_a_mapping",
            EditError::FlowStyle { .. } => "flow_style",
            EditError::NotAList { .. } => "not_a_list",
            EditError::NoSuchTest { .. } => "no_such_test",
            EditError::DuplicateName { .. } => "duplicate_name",
            EditError::DuplicateKey { .. } => "duplicate_key",
            EditError::Unsupported { .. } => "unsupported_layout",
            EditError::InvalidTest(_) => "invalid_test",
            EditError::NotRoundTripping { .. } => "not_round_tripping",
        }
    }

    fn hint(&self) -> Option<String> {
        use EditError as E;
        let hint = match self {
            E::Parse { .. } => "fix the YAML at that line first; PAT rejects the whole file",
            E::FlowStyle { .. } | E::Unsupported { .. } => {
                "rewrite `Tests` in block style (one `- Name: …` item per test), or make this change in an editor"
            }
            E::NoSuchTest { .. } => "indexes count from 0; `prowl tests list SPEC` shows them",
            E::DuplicateName { .. } => {
                "choose another name; `prowl tests list SPEC` shows the names in use"
            }
            E::InvalidTest(_) => crate::error::EDIT_EXAMPLE,
            E::NotRoundTripping { .. } => {
                "this is a bug in Prowl's test editor; please report it with the spec"
            }
            E::NotAMapping | E::NotAList { .. } | E::DuplicateKey { .. } => {
                "fix the spec as text, or undo the last edit"
            }
        };
        Some(hint.to_owned())
    }

    fn location(&self) -> Option<Location> {
        use EditError as E;
        let (line, column) = match self {
            E::Parse { line, col, .. } => (*line, Some(*col)),
            E::FlowStyle { line }
            | E::NotAList { line }
            | E::DuplicateName { line, .. }
            | E::DuplicateKey { line, .. }
            | E::Unsupported { line, .. } => (*line, None),
            _ => return None,
        };
        // The text is the caller's (a buffer, or a file it read): `ErrorInfo::in_file`.
        Some(Location {
            file: None,
            line: Some(line),
            column,
        })
    }
}

/// The one run of lines in which `new` differs from `old` (everything before and after it is
/// byte-identical): the number of lines kept before it, the old lines and the new lines (each
/// with its line end).
pub fn changed_run<'a>(old: &'a str, new: &'a str) -> (usize, Vec<&'a str>, Vec<&'a str>) {
    let old: Vec<&str> = old.split_inclusive('\n').collect();
    let new: Vec<&str> = new.split_inclusive('\n').collect();
    let prefix = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    (
        prefix,
        old[prefix..old.len() - suffix].to_vec(),
        new[prefix..new.len() - suffix].to_vec(),
    )
}

/// The tests of a spec in file order, for the test editor's list.
pub fn tests_of(source: &str) -> Result<Vec<TestInfo>, EditError> {
    let spec = Spec::parse(source)?;
    Ok(spec
        .tests()
        .iter()
        .enumerate()
        .map(|(index, test)| {
            let event_key = event_key_of(test);
            TestInfo {
                index,
                name: test.get("Name").map(|n| n.value.py_str()),
                expected: test.get("ExpectedResult").and_then(Node::as_bool),
                line: spec.test_line(index),
                event_key: event_key.map(str::to_owned),
                event: event_key.and_then(|key| test.get(key)).map(Node::to_json),
                mocks: test
                    .get("Mocks")
                    .and_then(Node::as_list)
                    .unwrap_or_default()
                    .iter()
                    .map(|mock| Mock {
                        object_name: mock_text(mock.get("objectName")),
                        return_value: mock_text(mock.get("returnValue")),
                    })
                    .collect(),
            }
        })
        .collect())
}

/// A mock's `objectName` or `returnValue` as text: a string as is, a mapping or list as
/// compact JSON, another scalar as Python's `str()`, nothing as an empty string.
fn mock_text(node: Option<&Node>) -> String {
    let Some(node) = node else {
        return String::new();
    };
    match &node.value {
        Value::List(_) | Value::Map(_) => node.to_json().to_string(),
        value => value.py_str(),
    }
}

/// Applies one edit to a spec's text and returns the new text, in which only the lines the edit
/// needs differ (see the module documentation for what is refused).
pub fn apply_test_edit(source: &str, edit: &TestEdit) -> Result<String, EditError> {
    let spec = Spec::parse(source)?;
    spec.refuse_unsupported_layouts()?;
    let mut expected: Vec<Json> = spec.tests().iter().map(Node::to_json).collect();
    let text = match edit {
        TestEdit::Add { test } => {
            let test = new_test(test, spec.analysis_type())?;
            let name = test.get("Name").and_then(Json::as_str).unwrap_or_default();
            spec.check_unique(name, None)?;
            expected.push(Json::Object(test.clone()));
            add(&spec, test)?
        }
        TestEdit::Duplicate { index, name } => {
            spec.check_index(*index)?;
            spec.check_unique(name, None)?;
            let mut copy = expected[*index].clone();
            set_key(&mut copy, "Name", Json::String(name.clone()));
            expected.insert(index + 1, copy);
            duplicate(&spec, *index, name)?
        }
        TestEdit::Rename { index, name } => {
            spec.check_index(*index)?;
            spec.check_unique(name, Some(*index))?;
            set_key(&mut expected[*index], "Name", Json::String(name.clone()));
            set_scalar(&spec, *index, "Name", &Json::String(name.clone()))?
        }
        TestEdit::Delete { index } => {
            spec.check_index(*index)?;
            expected.remove(*index);
            delete(&spec, *index)?
        }
        TestEdit::SetExpected {
            index,
            expected: value,
        } => {
            spec.check_index(*index)?;
            set_key(&mut expected[*index], "ExpectedResult", Json::Bool(*value));
            set_scalar(&spec, *index, "ExpectedResult", &Json::Bool(*value))?
        }
        TestEdit::SetEvent { index, event } => {
            spec.check_index(*index)?;
            let key = spec.event_key(*index);
            set_key(&mut expected[*index], key, event.clone());
            set_value(&spec, *index, key, event)?
        }
        TestEdit::SetMocks { index, mocks } => {
            spec.check_index(*index)?;
            let value = mocks_json(mocks);
            if mocks.is_empty() {
                if let Json::Object(test) = &mut expected[*index] {
                    test.shift_remove("Mocks");
                }
                remove_key(&spec, *index, "Mocks")?
            } else {
                set_key(&mut expected[*index], "Mocks", value.clone());
                set_value(&spec, *index, "Mocks", &value)?
            }
        }
    };
    verify(&spec, &text, expected)?;
    Ok(text)
}

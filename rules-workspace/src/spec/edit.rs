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

use super::pyrepr::float_repr;
use super::value::{Node, Span, Value};
use super::yaml::{self, DuplicateKey};
use super::AnalysisType;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};
use std::ops::Range;

/// One change to a spec's `Tests`, as the desktop app and `prowl tests edit --edit` send it
/// (`{"kind": "rename", "index": 0, "name": "…"}`). Indexes count tests from 0 in file order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TestEdit {
    /// Appends a test: a JSON object with `Name`, `ExpectedResult`, `Log` (rules) or `Resource`
    /// (policies) and optionally `Mocks`.
    Add { test: Json },
    /// Copies test `index` under a new name, right after it (its comments and layout included).
    Duplicate { index: usize, name: String },
    /// Gives test `index` a new name (names are unique within a spec).
    Rename { index: usize, name: String },
    /// Removes test `index` with the comment lines directly above it; removing the last one
    /// leaves `Tests: []`.
    Delete { index: usize },
    /// Sets test `index`'s `ExpectedResult`.
    SetExpected { index: usize, expected: bool },
    /// Replaces the test's `Resource` if it has one, else its `Log` (added when missing: `Resource`
    /// for a policy, `Log` otherwise).
    SetEvent { index: usize, event: Json },
    /// Replaces the test's `Mocks`; an empty list removes the key.
    SetMocks { index: usize, mocks: Vec<Mock> },
}

/// A mocked object of a test: `{objectName, returnValue}` in the spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mock {
    pub object_name: String,
    pub return_value: String,
}

/// What the test editor lists about each test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestInfo {
    pub index: usize,
    /// `None` when the test has no `Name` (the spec is then invalid).
    pub name: Option<String>,
    /// `None` when `ExpectedResult` is missing or not a boolean.
    pub expected: Option<bool>,
    /// 1-based line of the test's `-`.
    pub line: u32,
}

/// Why an edit was refused. The file is never changed when one is returned.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EditError {
    #[error("line {line}, column {col}: the spec is not valid YAML: {message}")]
    Parse {
        line: u32,
        col: u32,
        message: String,
    },
    #[error("the spec is not a YAML mapping of keys to values")]
    NotAMapping,
    #[error("line {line}: `Tests` is written in flow style (`[...]`); edit it as text")]
    FlowStyle { line: u32 },
    #[error("line {line}: `Tests` is not a list")]
    NotAList { line: u32 },
    #[error("no test at index {index}: the spec has {}", count_tests(*.count))]
    NoSuchTest { index: usize, count: usize },
    #[error("line {line}: a test named {name:?} already exists; test names must be unique within a spec")]
    DuplicateName { name: String, line: u32 },
    #[error("line {line}: the key `{key}` is written twice in `Tests` and PAT keeps only the last one; remove one before editing the tests")]
    DuplicateKey { key: String, line: u32 },
    #[error("line {line}: {what}; edit it as text")]
    Unsupported { line: u32, what: String },
    #[error("the test is not valid: {0}")]
    InvalidTest(String),
    #[error("the edited spec would not read back as intended ({detail}); nothing was changed")]
    NotRoundTripping { detail: String },
}

fn count_tests(count: usize) -> String {
    match count {
        1 => "1 test".into(),
        n => format!("{n} tests"),
    }
}

impl EditError {
    /// A stable code the front end can switch on.
    pub fn code(&self) -> &'static str {
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
        .map(|(index, test)| TestInfo {
            index,
            name: test.get("Name").map(|n| n.value.py_str()),
            expected: test.get("ExpectedResult").and_then(Node::as_bool),
            line: spec.test_line(index),
        })
        .collect())
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

// ---------------------------------------------------------------------------------------------
// The text as lines

/// A file's lines, each without its terminator; terminators are kept per line so untouched
/// lines stay byte-identical even in a file that mixes them.
#[derive(Debug, Clone)]
struct Lines {
    text: Vec<String>,
    ends: Vec<&'static str>,
    /// The terminator new lines get: the file's most common one.
    eol: &'static str,
}

impl Lines {
    fn split(source: &str) -> Lines {
        let (mut text, mut ends) = (Vec::new(), Vec::new());
        let (mut crlf, mut lf) = (0usize, 0usize);
        for piece in source.split_inclusive('\n') {
            if let Some(body) = piece.strip_suffix("\r\n") {
                text.push(body.to_owned());
                ends.push("\r\n");
                crlf += 1;
            } else if let Some(body) = piece.strip_suffix('\n') {
                text.push(body.to_owned());
                ends.push("\n");
                lf += 1;
            } else {
                text.push(piece.to_owned());
                ends.push("");
            }
        }
        Lines {
            text,
            ends,
            eol: if crlf > lf { "\r\n" } else { "\n" },
        }
    }

    fn len(&self) -> usize {
        self.text.len()
    }

    fn get(&self, line: usize) -> &str {
        self.text.get(line).map_or("", String::as_str)
    }

    fn set(&mut self, line: usize, content: String) {
        self.text[line] = content;
    }

    /// Replaces lines `range` with `new`. A file that ends without a newline keeps ending
    /// without one.
    fn splice(&mut self, range: Range<usize>, new: Vec<String>) {
        let len = self.len();
        let open_end = len > 0 && self.ends[len - 1].is_empty() && range.end == len;
        let mut new_ends = vec![self.eol; new.len()];
        if open_end {
            if let Some(last) = new_ends.last_mut() {
                *last = "";
                if range.start == len {
                    self.ends[len - 1] = self.eol;
                }
            } else if range.start > 0 {
                self.ends[range.start - 1] = "";
            }
        }
        self.text.splice(range.clone(), new);
        self.ends.splice(range, new_ends);
    }

    fn join(&self) -> String {
        let mut out = String::with_capacity(self.text.iter().map(|l| l.len() + 2).sum());
        for (text, end) in self.text.iter().zip(&self.ends) {
            out.push_str(text);
            out.push_str(end);
        }
        out
    }
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn is_blank(line: &str) -> bool {
    line.trim().is_empty()
}

fn is_comment(line: &str) -> bool {
    line.trim_start().starts_with('#')
}

/// Whether a line is part of a node whose block sits at column `col`: not blank, and not a
/// comment indented no deeper than `col` (such comments introduce what follows).
fn is_content(line: &str, col: usize) -> bool {
    let introduces_what_follows = is_comment(line) && indent(line) <= col;
    !(is_blank(line) || introduces_what_follows)
}

/// The byte offset of a 0-based character column (the line's length past its end).
fn col_byte(line: &str, col: usize) -> usize {
    line.char_indices().nth(col).map_or(line.len(), |(i, _)| i)
}

fn char_at(lines: &Lines, span: Span) -> Option<char> {
    let line = lines.text.get((span.line as usize).checked_sub(1)?)?;
    line.chars().nth((span.col as usize).checked_sub(1)?)
}

/// 0-based (line, column) of a span.
fn at(span: Span) -> (usize, usize) {
    (
        (span.line as usize).saturating_sub(1),
        (span.col as usize).saturating_sub(1),
    )
}

/// The byte offset of the `:` that ends the mapping key starting at byte `start`.
fn key_colon(line: &str, start: usize) -> Option<usize> {
    let rest = line.get(start..)?;
    let after_key = match rest.chars().next()? {
        '\'' | '"' => start + quoted_end(rest)?,
        _ => {
            let bytes = rest.as_bytes();
            return (0..bytes.len())
                .find(|&i| {
                    bytes[i] == b':' && bytes.get(i + 1).is_none_or(|b| *b == b' ' || *b == b'\t')
                })
                .map(|i| start + i);
        }
    };
    let gap = line[after_key..].len() - line[after_key..].trim_start().len();
    (line[after_key + gap..].starts_with(':')).then_some(after_key + gap)
}

/// The byte length of a quoted scalar at the start of `text` (quotes included), when it closes
/// on this line.
fn quoted_end(text: &str) -> Option<usize> {
    let quote = text.chars().next()?;
    let mut chars = text.char_indices().skip(1).peekable();
    while let Some((i, c)) = chars.next() {
        match (quote, c) {
            ('"', '\\') => {
                chars.next();
            }
            ('\'', '\'') if chars.peek().is_some_and(|(_, n)| *n == '\'') => {
                chars.next();
            }
            (q, c) if c == q => return Some(i + 1),
            _ => {}
        }
    }
    None
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ScalarStyle {
    Plain,
    Single,
    Double,
}

/// The byte range and style of a one-line scalar starting at byte `start`, when nothing but
/// spaces and a comment follows it on the line.
fn scalar_extent(line: &str, start: usize) -> Option<(Range<usize>, ScalarStyle)> {
    let rest = line.get(start..)?;
    let (len, style) = match rest.chars().next()? {
        '\'' => (quoted_end(rest)?, ScalarStyle::Single),
        '"' => (quoted_end(rest)?, ScalarStyle::Double),
        '|' | '>' | '&' | '!' | '*' | '[' | '{' | '#' => return None,
        _ => {
            let bytes = rest.as_bytes();
            let comment = (1..bytes.len())
                .find(|&i| bytes[i] == b'#' && matches!(bytes[i - 1], b' ' | b'\t'))
                .unwrap_or(bytes.len());
            (rest[..comment].trim_end().len(), ScalarStyle::Plain)
        }
    };
    let after = rest[len..].trim_start();
    (after.is_empty() || after.starts_with('#')).then_some((start..start + len, style))
}

// ---------------------------------------------------------------------------------------------
// The spec and where its tests are

/// A loaded spec with the place of its `Tests` in the text.
struct Spec {
    bom: bool,
    lines: Lines,
    root: Node,
    duplicates: Vec<DuplicateKey>,
    layout: TestsLayout,
}

enum TestsLayout {
    /// No `Tests` key.
    Absent,
    /// `Tests:` with no value, `Tests: ~` or `Tests: []`; `token` is the bytes of the key line
    /// to drop (the value and the spaces before it) when items are added.
    Empty {
        key_line: usize,
        key_col: usize,
        token: Option<Range<usize>>,
    },
    /// `Tests: [...]`.
    Flow {
        line: u32,
    },
    Block(BlockList),
}

/// A block sequence of tests.
struct BlockList {
    key_line: usize,
    key_col: usize,
    /// Column of the tests' `-`.
    dash_col: usize,
    items: Vec<ItemLines>,
    /// Whether blank lines separate the tests (new tests get one too).
    blank_separated: bool,
}

/// Where one test sits (0-based line indexes, inclusive).
#[derive(Debug, Clone, Copy)]
struct ItemLines {
    /// First comment line directly above the `-` that belongs to the test (`dash` if none).
    lead_start: usize,
    dash: usize,
    content_end: usize,
}

/// A test that is a block mapping, ready for key-level edits.
struct BlockItem<'a> {
    lines: ItemLines,
    node: &'a Node,
    /// Column of the test's keys.
    key_col: usize,
}

impl Spec {
    fn parse(source: &str) -> Result<Spec, EditError> {
        let (bom, text) = match source.strip_prefix('\u{feff}') {
            Some(text) => (true, text),
            None => (false, source),
        };
        let loaded = yaml::load_str(text).map_err(|e| EditError::Parse {
            line: e.span.line,
            col: e.span.col,
            message: e.message,
        })?;
        let root = loaded.root.ok_or(EditError::NotAMapping)?;
        if root.as_map().is_none() {
            return Err(EditError::NotAMapping);
        }
        let lines = Lines::split(text);
        if char_at(&lines, root.span) == Some('{') {
            return Err(EditError::Unsupported {
                line: root.span.line,
                what: "the spec is written in flow style (`{...}`)".into(),
            });
        }
        let layout = layout_of(&lines, &root)?;
        Ok(Spec {
            bom,
            lines,
            root,
            duplicates: loaded.duplicate_keys,
            layout,
        })
    }

    fn tests(&self) -> &[Node] {
        self.root
            .get("Tests")
            .and_then(Node::as_list)
            .unwrap_or_default()
    }

    fn analysis_type(&self) -> Option<AnalysisType> {
        self.root
            .get("AnalysisType")
            .and_then(Node::as_str)
            .and_then(AnalysisType::parse)
    }

    fn text(&self, lines: &Lines) -> String {
        let body = lines.join();
        if self.bom {
            format!("\u{feff}{body}")
        } else {
            body
        }
    }

    /// 1-based line of test `index`'s `-` (its own line when not in a block list).
    fn test_line(&self, index: usize) -> u32 {
        match &self.layout {
            TestsLayout::Block(list) => list.items[index].dash as u32 + 1,
            _ => self.tests()[index].span.line,
        }
    }

    /// Refuses what line edits cannot handle: flow-style `Tests`, duplicate keys in or of it.
    fn refuse_unsupported_layouts(&self) -> Result<(), EditError> {
        let range = match &self.layout {
            TestsLayout::Flow { line } => return Err(EditError::FlowStyle { line: *line }),
            TestsLayout::Absent => None,
            TestsLayout::Empty { key_line, .. } => Some(*key_line..*key_line + 1),
            TestsLayout::Block(list) => {
                let last = list.items.last().map_or(list.key_line, |i| i.content_end);
                Some(list.key_line..last + 1)
            }
        };
        for d in &self.duplicates {
            let (line, _) = at(d.second);
            let in_tests = range.as_ref().is_some_and(|r| r.contains(&line));
            let tests_key = d.key == "Tests" && d.second.col == self.root_key_col() as u32 + 1;
            if in_tests || tests_key {
                return Err(EditError::DuplicateKey {
                    key: d.key.clone(),
                    line: d.second.line,
                });
            }
        }
        Ok(())
    }

    fn root_key_col(&self) -> usize {
        self.root
            .as_map()
            .unwrap_or_default()
            .iter()
            .map(|e| e.key.span)
            .min()
            .map_or(0, |s| at(s).1)
    }

    fn check_index(&self, index: usize) -> Result<(), EditError> {
        let count = self.tests().len();
        if index < count {
            Ok(())
        } else {
            Err(EditError::NoSuchTest { index, count })
        }
    }

    fn check_unique(&self, name: &str, except: Option<usize>) -> Result<(), EditError> {
        for (i, test) in self.tests().iter().enumerate() {
            if Some(i) != except && test.get("Name").is_some_and(|n| n.value.py_str() == name) {
                return Err(EditError::DuplicateName {
                    name: name.to_owned(),
                    line: self.test_line(i),
                });
            }
        }
        Ok(())
    }

    /// The key a test's event lives under.
    fn event_key(&self, index: usize) -> &'static str {
        let test = &self.tests()[index];
        if test.get("Resource").is_some() {
            "Resource"
        } else if test.get("Log").is_some() {
            "Log"
        } else if self.analysis_type() == Some(AnalysisType::Policy) {
            "Resource"
        } else {
            "Log"
        }
    }

    /// Test `index` as a block mapping whose keys all sit in its own lines, or why not.
    fn block_item(&self, index: usize) -> Result<BlockItem<'_>, EditError> {
        let TestsLayout::Block(list) = &self.layout else {
            return Err(EditError::NoSuchTest { index, count: 0 });
        };
        let lines = list.items[index];
        let node = &self.tests()[index];
        let unsupported = |what: &str| EditError::Unsupported {
            line: lines.dash as u32 + 1,
            what: format!("test {index} {what}"),
        };
        let entries = match &node.value {
            Value::Map(entries) if char_at(&self.lines, node.span) != Some('{') => entries,
            Value::Map(_) => return Err(unsupported("is written in flow style (`{...}`)")),
            _ => return Err(unsupported("is not a mapping")),
        };
        let Some(first) = entries.iter().map(|e| e.key.span).min() else {
            return Err(unsupported("is empty"));
        };
        let key_col = at(first).1;
        let own = |s: Span| {
            let (line, col) = at(s);
            col == key_col && (lines.dash..=lines.content_end).contains(&line)
        };
        if !entries.iter().all(|e| own(e.key.span)) {
            return Err(unsupported(
                "takes keys from elsewhere (a merge key `<<` or an alias)",
            ));
        }
        Ok(BlockItem {
            lines,
            node,
            key_col,
        })
    }
}

/// Finds where `Tests` is and, for a block list, where each test starts and ends.
fn layout_of(lines: &Lines, root: &Node) -> Result<TestsLayout, EditError> {
    let Some(entry) = root.entry("Tests") else {
        return Ok(TestsLayout::Absent);
    };
    let (key_line, key_col) = at(entry.key.span);
    // The block ends where the next key of the spec starts.
    let end = root
        .as_map()
        .unwrap_or_default()
        .iter()
        .map(|e| e.key.span)
        .filter(|s| s.col == entry.key.span.col && s.line > entry.key.span.line)
        .map(|s| at(s).0)
        .min()
        .unwrap_or(lines.len());
    match &entry.value.value {
        Value::Null => {
            let key = lines.get(key_line);
            let colon = key_colon(key, col_byte(key, key_col));
            let token = colon.and_then(|c| empty_value_token(key, c));
            let bare = colon.is_some_and(|c| {
                let rest = key[c + 1..].trim_start();
                rest.is_empty() || rest.starts_with('#')
            });
            let below_empty = (key_line + 1..end).all(|l| !is_content(lines.get(l), usize::MAX));
            match (token, bare && below_empty) {
                (Some(token), _) => Ok(TestsLayout::Empty {
                    key_line,
                    key_col,
                    token: Some(token),
                }),
                (None, true) => Ok(TestsLayout::Empty {
                    key_line,
                    key_col,
                    token: None,
                }),
                (None, false) => Err(EditError::Unsupported {
                    line: key_line as u32 + 1,
                    what: "`Tests` has an empty value written in an unusual way".into(),
                }),
            }
        }
        Value::List(items) if items.is_empty() || char_at(lines, entry.value.span) == Some('[') => {
            let key = lines.get(key_line);
            let token = key_colon(key, col_byte(key, key_col))
                .and_then(|c| empty_value_token(key, c))
                .filter(|_| items.is_empty());
            match token {
                Some(token) => Ok(TestsLayout::Empty {
                    key_line,
                    key_col,
                    token: Some(token),
                }),
                None => Ok(TestsLayout::Flow {
                    line: entry.value.span.line,
                }),
            }
        }
        Value::List(items) => {
            block_layout(lines, items, key_line, key_col, end).map(TestsLayout::Block)
        }
        _ => Err(EditError::NotAList {
            line: entry.key.span.line,
        }),
    }
}

/// The bytes after the key's `:` holding an empty value (`[]`, `~`, `null`) and the spaces
/// before it, when only spaces and a comment follow.
fn empty_value_token(line: &str, colon: usize) -> Option<Range<usize>> {
    let rest = &line[colon + 1..];
    let value = rest.trim_start();
    let start = colon + 1 + (rest.len() - value.len());
    let len = if let Some(inner) = value.strip_prefix('[') {
        let inner_trimmed = inner.trim_start();
        inner_trimmed.strip_prefix(']')?;
        1 + (inner.len() - inner_trimmed.len()) + 1
    } else {
        ["~", "null", "Null", "NULL"]
            .into_iter()
            .find(|w| {
                value.starts_with(w)
                    && value[w.len()..]
                        .chars()
                        .next()
                        .is_none_or(|c| c == ' ' || c == '\t')
            })?
            .len()
    };
    let after = value[len..].trim_start();
    (after.is_empty() || after.starts_with('#')).then_some(colon + 1..start + len)
}

/// Where a node's text starts (0-based line and column): its first key for a block mapping.
fn node_start(lines: &Lines, node: &Node) -> (usize, usize) {
    match &node.value {
        Value::Map(entries) if char_at(lines, node.span) != Some('{') => entries
            .iter()
            .map(|e| e.key.span)
            .min()
            .map_or(at(node.span), at),
        _ => at(node.span),
    }
}

/// The line and column of the `-` of the block sequence item whose text starts at
/// (`line`, `col`): on the same line (`  - Name: x`) or on a line of its own above (`-`).
fn find_dash(lines: &Lines, line: usize, col: usize) -> Option<(usize, usize)> {
    let text = lines.get(line);
    let prefix = &text[..col_byte(text, col)];
    let trimmed = prefix.trim_end();
    if let Some(before) = trimmed.strip_suffix('-') {
        return before
            .chars()
            .all(|c| c == ' ')
            .then_some((line, before.len()));
    }
    if !prefix.chars().all(|c| c == ' ') {
        return None;
    }
    for l in (0..line).rev() {
        let above = lines.get(l);
        if is_blank(above) || is_comment(above) {
            continue;
        }
        let rest = above.trim_start().strip_prefix('-')?;
        let rest = rest.trim_start();
        return (rest.is_empty() || rest.starts_with('#')).then_some((l, indent(above)));
    }
    None
}

fn block_layout(
    lines: &Lines,
    items: &[Node],
    key_line: usize,
    key_col: usize,
    end: usize,
) -> Result<BlockList, EditError> {
    let mut dashes = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let (line, col) = node_start(lines, item);
        let dash = find_dash(lines, line, col).ok_or_else(|| EditError::Unsupported {
            line: line as u32 + 1,
            what: format!("test {i} does not start on a `-` line of its own"),
        })?;
        dashes.push(dash);
    }
    let dash_col = dashes[0].1;
    let mut previous = key_line;
    for &(dash, col) in &dashes {
        if col != dash_col || dash <= previous || dash >= end {
            return Err(EditError::Unsupported {
                line: dash as u32 + 1,
                what: "the tests' `-` lines are not one below the other at one indentation".into(),
            });
        }
        previous = dash;
    }
    let mut placed: Vec<ItemLines> = Vec::with_capacity(items.len());
    for (i, &(dash, _)) in dashes.iter().enumerate() {
        let next = dashes.get(i + 1).map_or(end, |d| d.0);
        let content_end = (dash..next)
            .rev()
            .find(|&l| is_content(lines.get(l), dash_col))
            .unwrap_or(dash);
        let floor = placed.last().map_or(key_line + 1, |p| p.content_end + 1);
        let mut lead_start = dash;
        while lead_start > floor {
            let above = lines.get(lead_start - 1);
            if !(is_comment(above) && indent(above) <= dash_col) {
                break;
            }
            lead_start -= 1;
        }
        placed.push(ItemLines {
            lead_start,
            dash,
            content_end,
        });
    }
    let blank_separated = placed
        .windows(2)
        .any(|w| (w[0].content_end + 1..w[1].lead_start).any(|l| is_blank(lines.get(l))));
    Ok(BlockList {
        key_line,
        key_col,
        dash_col,
        items: placed,
        blank_separated,
    })
}

// ---------------------------------------------------------------------------------------------
// The file's layout, as new text must copy it

/// Indentation new text uses.
#[derive(Debug, Clone, Copy)]
struct Style {
    /// Columns from a key to the keys of its nested mapping.
    map_step: usize,
    /// Columns from a key to the `-` of its list (0 for `key:\n- item`).
    seq_offset: usize,
    /// Columns from a `-` to the item's text (2 for `- x`, 4 for `-   x`).
    item_offset: usize,
    /// Column of the tests' `-`, and the offset of a test's keys from it.
    tests_dash_col: usize,
    tests_item_offset: usize,
}

/// Indentation seen in a file.
#[derive(Default)]
struct Observed {
    map_steps: Vec<usize>,
    seq_offsets: Vec<usize>,
    item_offsets: Vec<usize>,
}

fn observe(lines: &Lines, node: &Node, out: &mut Observed, depth: usize) {
    if depth > 64 {
        return;
    }
    match &node.value {
        Value::Map(entries) => {
            for e in entries {
                let (key_line, key_col) = at(e.key.span);
                let opener = char_at(lines, e.value.span);
                match &e.value.value {
                    Value::Map(children)
                        if !children.is_empty() && !matches!(opener, Some('{' | '*')) =>
                    {
                        if let Some((line, col)) = children.iter().map(|c| at(c.key.span)).min() {
                            if line > key_line && col > key_col {
                                out.map_steps.push(col - key_col);
                            }
                        }
                    }
                    Value::List(items)
                        if !items.is_empty() && !matches!(opener, Some('[' | '*')) =>
                    {
                        let (line, col) = node_start(lines, &items[0]);
                        if let Some((dash, dash_col)) = find_dash(lines, line, col) {
                            if dash > key_line && dash_col >= key_col {
                                out.seq_offsets.push(dash_col - key_col);
                                if line == dash && col > dash_col + 1 {
                                    out.item_offsets.push(col - dash_col);
                                }
                            }
                        }
                    }
                    _ => {}
                }
                observe(lines, &e.value, out, depth + 1);
            }
        }
        Value::List(items) => {
            for item in items {
                observe(lines, item, out, depth + 1);
            }
        }
        _ => {}
    }
}

/// The most common value (the first seen among equals).
fn mode(values: &[usize]) -> Option<usize> {
    let mut best: Option<(usize, usize)> = None;
    for &v in values {
        let count = values.iter().filter(|&&w| w == v).count();
        if best.is_none_or(|(_, c)| count > c) {
            best = Some((v, count));
        }
    }
    best.map(|(v, _)| v)
}

fn style_of(spec: &Spec) -> Style {
    let mut inner = Observed::default();
    for test in spec.tests() {
        observe(&spec.lines, test, &mut inner, 0);
    }
    let mut all = Observed::default();
    observe(&spec.lines, &spec.root, &mut all, 0);
    let pick = |a: &[usize], b: &[usize]| mode(a).or_else(|| mode(b)).unwrap_or(2);
    let map_step = pick(&inner.map_steps, &all.map_steps).max(1);
    let seq_offset = pick(&inner.seq_offsets, &all.seq_offsets);
    let item_offset = pick(&inner.item_offsets, &all.item_offsets).max(2);
    let (tests_dash_col, tests_item_offset) = match &spec.layout {
        TestsLayout::Block(list) => {
            let own = spec
                .tests()
                .iter()
                .zip(&list.items)
                .find_map(|(test, place)| {
                    let (line, col) = node_start(&spec.lines, test);
                    (matches!(test.value, Value::Map(_))
                        && line == place.dash
                        && col > list.dash_col + 1)
                        .then(|| col - list.dash_col)
                });
            (list.dash_col, own.unwrap_or(item_offset))
        }
        TestsLayout::Empty { key_col, .. } => {
            (key_col + mode(&all.seq_offsets).unwrap_or(2), item_offset)
        }
        TestsLayout::Absent | TestsLayout::Flow { .. } => (
            spec.root_key_col() + mode(&all.seq_offsets).unwrap_or(2),
            item_offset,
        ),
    };
    Style {
        map_step,
        seq_offset,
        item_offset,
        tests_dash_col,
        tests_item_offset,
    }
}

// ---------------------------------------------------------------------------------------------
// Rendering JSON as block YAML

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
    fn seq(
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
    fn after_key(
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
fn inline_scalar(value: &Json) -> String {
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
fn float_text(f: f64) -> String {
    let repr = float_repr(f);
    match repr.split_once('e') {
        Some((mantissa, exp)) if !mantissa.contains('.') => format!("{mantissa}.0e{exp}"),
        _ => repr,
    }
}

fn render_key(key: &str) -> Result<String, EditError> {
    let text = inline_string(key);
    if text.chars().count() > MAX_KEY_CHARS {
        return Err(EditError::InvalidTest(format!(
            "a key of {} characters is longer than YAML parsers accept ({MAX_KEY_CHARS})",
            key.chars().count()
        )));
    }
    Ok(text)
}

fn inline_string(s: &str) -> String {
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

fn double_quoted(s: &str) -> String {
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
fn single_quoted(s: &str) -> Option<String> {
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

// ---------------------------------------------------------------------------------------------
// The edits

fn set_key(test: &mut Json, key: &str, value: Json) {
    if let Json::Object(map) = test {
        map.insert(key.to_owned(), value);
    }
}

fn mocks_json(mocks: &[Mock]) -> Json {
    Json::Array(
        mocks
            .iter()
            .map(
                |m| serde_json::json!({"objectName": m.object_name, "returnValue": m.return_value}),
            )
            .collect(),
    )
}

/// Checks a new test and orders its keys as specs usually do.
fn new_test(
    test: &Json,
    analysis_type: Option<AnalysisType>,
) -> Result<Map<String, Json>, EditError> {
    const ORDER: [&str; 8] = [
        "Name",
        "ExpectedResult",
        "LogType",
        "ResourceType",
        "Log",
        "Resource",
        "RuleOutputs",
        "Mocks",
    ];
    let invalid = |m: &str| Err(EditError::InvalidTest(m.to_owned()));
    let Json::Object(given) = test else {
        return invalid("a test is a JSON object with Name, ExpectedResult and Log (rules) or Resource (policies)");
    };
    if let Some(key) = given.keys().find(|k| !ORDER.contains(&k.as_str())) {
        return Err(EditError::InvalidTest(format!(
            "unknown key `{key}`: a test has Name, ExpectedResult, Log or Resource, and optionally Mocks"
        )));
    }
    if !given.get("Name").is_some_and(Json::is_string) {
        return invalid("`Name` must be a string");
    }
    if !given.get("ExpectedResult").is_some_and(Json::is_boolean) {
        return invalid("`ExpectedResult` must be true or false");
    }
    let (log, resource) = (given.contains_key("Log"), given.contains_key("Resource"));
    match analysis_type {
        Some(AnalysisType::Policy) if !resource || log => {
            return invalid("a policy's test has a `Resource` and no `Log`")
        }
        Some(AnalysisType::Rule | AnalysisType::ScheduledRule) if !log || resource => {
            return invalid("a rule's test has a `Log` and no `Resource`")
        }
        _ if log && resource => return invalid("a test has a `Log` or a `Resource`, not both"),
        _ => {}
    }
    if let Some(mocks) = given.get("Mocks") {
        let ok = mocks.as_array().is_some_and(|list| {
            list.iter().all(|m| {
                m.as_object().is_some_and(|m| {
                    m.len() == 2
                        && m.get("objectName").is_some_and(Json::is_string)
                        && m.get("returnValue")
                            .is_some_and(|v| v.is_string() || v.is_boolean())
                })
            })
        });
        if !ok {
            return invalid(
                "`Mocks` is a list of {objectName: string, returnValue: string or boolean}",
            );
        }
    }
    let mut ordered = Map::new();
    for key in ORDER {
        if let Some(v) = given.get(key) {
            ordered.insert(key.to_owned(), v.clone());
        }
    }
    Ok(ordered)
}

fn add(spec: &Spec, test: Map<String, Json>) -> Result<String, EditError> {
    let style = style_of(spec);
    let mut item = Vec::new();
    style.seq(
        &[Json::Object(test)],
        style.tests_dash_col,
        style.tests_item_offset,
        None,
        &mut item,
    )?;
    let mut lines = spec.lines.clone();
    match &spec.layout {
        TestsLayout::Block(list) => {
            let at = list.items.last().map_or(list.key_line, |i| i.content_end) + 1;
            if list.blank_separated {
                item.insert(0, String::new());
            }
            lines.splice(at..at, item);
        }
        TestsLayout::Empty {
            key_line, token, ..
        } => {
            if let Some(token) = token {
                let mut key = lines.get(*key_line).to_owned();
                key.replace_range(token.clone(), "");
                lines.set(*key_line, key);
            }
            lines.splice(key_line + 1..key_line + 1, item);
        }
        TestsLayout::Absent => {
            item.insert(0, format!("{}Tests:", " ".repeat(spec.root_key_col())));
            let end = lines.len();
            lines.splice(end..end, item);
        }
        TestsLayout::Flow { line } => return Err(EditError::FlowStyle { line: *line }),
    }
    Ok(spec.text(&lines))
}

fn delete(spec: &Spec, index: usize) -> Result<String, EditError> {
    let TestsLayout::Block(list) = &spec.layout else {
        return Err(EditError::NoSuchTest { index, count: 0 });
    };
    let item = list.items[index];
    let mut lines = spec.lines.clone();
    let all_blank =
        |r: Range<usize>| !r.is_empty() && r.clone().all(|l| is_blank(spec.lines.get(l)));
    if list.items.len() == 1 {
        // PAT needs a list: the key line becomes `Tests: []`.
        let key = lines.get(list.key_line);
        let colon =
            key_colon(key, col_byte(key, list.key_col)).ok_or_else(|| EditError::Unsupported {
                line: list.key_line as u32 + 1,
                what: "the `Tests` key is written in an unusual way".into(),
            })?;
        let emptied = format!("{} []{}", &key[..=colon], &key[colon + 1..]);
        lines.set(list.key_line, emptied);
        lines.splice(item.lead_start..item.content_end + 1, Vec::new());
    } else if let Some(next) = list.items.get(index + 1) {
        // The blank lines after the test go with it; those before it now separate its
        // neighbours.
        let gap = item.content_end + 1..next.lead_start;
        let end = if all_blank(gap.clone()) {
            gap.end
        } else {
            gap.start
        };
        lines.splice(item.lead_start..end, Vec::new());
    } else {
        let previous = list.items[index - 1];
        let gap = previous.content_end + 1..item.lead_start;
        let start = if all_blank(gap.clone()) {
            gap.start
        } else {
            gap.end
        };
        lines.splice(start..item.content_end + 1, Vec::new());
    }
    Ok(spec.text(&lines))
}

fn duplicate(spec: &Spec, index: usize, name: &str) -> Result<String, EditError> {
    let TestsLayout::Block(list) = &spec.layout else {
        return Err(EditError::NoSuchTest { index, count: 0 });
    };
    let item = spec.block_item(index)?.lines;
    let mut copy: Vec<String> = (item.dash..=item.content_end)
        .map(|l| spec.lines.get(l).to_owned())
        .collect();
    if list.blank_separated {
        copy.insert(0, String::new());
    }
    let mut lines = spec.lines.clone();
    lines.splice(item.content_end + 1..item.content_end + 1, copy);
    // Rename the copy where it now stands.
    let copied = Spec::parse(&spec.text(&lines)).map_err(|e| EditError::NotRoundTripping {
        detail: format!("the copy would not parse: {e}"),
    })?;
    set_scalar(&copied, index + 1, "Name", &Json::String(name.to_owned()))
}

/// The last line of the entry whose key is on `key_line` (its value's last content line).
fn entry_last_line(spec: &Spec, item: &BlockItem, key_line: usize) -> usize {
    let bound = item
        .node
        .as_map()
        .unwrap_or_default()
        .iter()
        .map(|e| at(e.key.span).0)
        .filter(|&l| l > key_line)
        .min()
        .unwrap_or(item.lines.content_end + 1);
    (key_line..bound)
        .rev()
        .find(|&l| is_content(spec.lines.get(l), item.key_col))
        .unwrap_or(key_line)
}

/// Sets a scalar key (`Name`, `ExpectedResult`): in place on its line when it is a one-line
/// scalar (keeping its quoting and any comment after it), else by rewriting the entry; added
/// after `Name` (or at the end of the test) when missing.
fn set_scalar(spec: &Spec, index: usize, key: &str, value: &Json) -> Result<String, EditError> {
    let item = spec.block_item(index)?;
    let Some(entry) = item.node.entry(key) else {
        let after = match item.node.entry("Name").filter(|_| key != "Name") {
            Some(name) => entry_last_line(spec, &item, at(name.key.span).0),
            None => item.lines.content_end,
        };
        return insert_entry(spec, &item, after, key, value);
    };
    let (key_line, _) = at(entry.key.span);
    let (value_line, value_col) = at(entry.value.span);
    let line = spec.lines.get(key_line);
    if value_line == key_line && entry_last_line(spec, &item, key_line) == key_line {
        if let Some((range, style)) = scalar_extent(line, col_byte(line, value_col)) {
            let old = &line[range.clone()];
            let new = match value {
                Json::Bool(b) => bool_like(*b, old, style),
                Json::String(s) => match style {
                    ScalarStyle::Plain => inline_string(s),
                    ScalarStyle::Single => single_quoted(s).unwrap_or_else(|| double_quoted(s)),
                    ScalarStyle::Double => double_quoted(s),
                },
                other => inline_scalar(other),
            };
            let mut lines = spec.lines.clone();
            lines.set(
                key_line,
                format!("{}{new}{}", &line[..range.start], &line[range.end..]),
            );
            return Ok(spec.text(&lines));
        }
    }
    replace_entry(spec, &item, key_line, value)
}

/// `true`/`false` in the capitalisation the old plain boolean used.
fn bool_like(value: bool, old: &str, style: ScalarStyle) -> String {
    let word = if value { "true" } else { "false" };
    match old {
        "True" | "False" if style == ScalarStyle::Plain => {
            let mut w = word.to_owned();
            w[..1].make_ascii_uppercase();
            w
        }
        "TRUE" | "FALSE" if style == ScalarStyle::Plain => word.to_ascii_uppercase(),
        _ => word.to_owned(),
    }
}

/// Sets any key: rewrites its entry, or adds it at the end of the test.
fn set_value(spec: &Spec, index: usize, key: &str, value: &Json) -> Result<String, EditError> {
    let item = spec.block_item(index)?;
    match item.node.entry(key) {
        Some(entry) => replace_entry(spec, &item, at(entry.key.span).0, value),
        None => insert_entry(spec, &item, item.lines.content_end, key, value),
    }
}

/// Rewrites the entry whose key is on `key_line`, keeping the key as written and a comment
/// after it when the new value starts on the next line.
fn replace_entry(
    spec: &Spec,
    item: &BlockItem,
    key_line: usize,
    value: &Json,
) -> Result<String, EditError> {
    let last = entry_last_line(spec, item, key_line);
    let line = spec.lines.get(key_line);
    let colon =
        key_colon(line, col_byte(line, item.key_col)).ok_or_else(|| EditError::Unsupported {
            line: key_line as u32 + 1,
            what: "this key is written in an unusual way".into(),
        })?;
    let head = line[..=colon].to_owned();
    let mut new = Vec::new();
    style_of(spec).after_key(head.clone(), value, item.key_col, &mut new)?;
    let rest = &line[colon + 1..];
    if new.len() > 1 && new[0] == head && rest.trim_start().starts_with('#') {
        new[0].push_str(rest);
    }
    let mut lines = spec.lines.clone();
    lines.splice(key_line..last + 1, new);
    Ok(spec.text(&lines))
}

fn insert_entry(
    spec: &Spec,
    item: &BlockItem,
    after: usize,
    key: &str,
    value: &Json,
) -> Result<String, EditError> {
    let head = format!("{}{}:", " ".repeat(item.key_col), render_key(key)?);
    let mut new = Vec::new();
    style_of(spec).after_key(head, value, item.key_col, &mut new)?;
    let mut lines = spec.lines.clone();
    lines.splice(after + 1..after + 1, new);
    Ok(spec.text(&lines))
}

/// Removes a key's entry (nothing to do when it is missing). When the key is on the `-` line,
/// the next key moves up onto it.
fn remove_key(spec: &Spec, index: usize, key: &str) -> Result<String, EditError> {
    let item = spec.block_item(index)?;
    let Some(entry) = item.node.entry(key) else {
        return Ok(spec.text(&spec.lines));
    };
    let (key_line, _) = at(entry.key.span);
    let last = entry_last_line(spec, &item, key_line);
    let mut lines = spec.lines.clone();
    if key_line == item.lines.dash {
        let next = item
            .node
            .as_map()
            .unwrap_or_default()
            .iter()
            .map(|e| at(e.key.span).0)
            .filter(|&l| l > key_line)
            .min()
            .ok_or_else(|| EditError::Unsupported {
                line: key_line as u32 + 1,
                what: format!("removing `{key}` would leave test {index} empty"),
            })?;
        let dash_line = spec.lines.get(item.lines.dash);
        let next_line = spec.lines.get(next);
        let moved = format!(
            "{}{}",
            &dash_line[..col_byte(dash_line, item.key_col)],
            &next_line[col_byte(next_line, item.key_col)..]
        );
        lines.set(next, moved);
    }
    lines.splice(key_line..last + 1, Vec::new());
    Ok(spec.text(&lines))
}

/// Reads the result back and checks it holds exactly the expected data.
fn verify(spec: &Spec, text: &str, expected_tests: Vec<Json>) -> Result<(), EditError> {
    let failed = |detail: String| EditError::NotRoundTripping { detail };
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let loaded = yaml::load_str(body).map_err(|e| {
        failed(format!(
            "it would not parse: line {}: {}",
            e.span.line, e.message
        ))
    })?;
    let got = loaded.root.as_ref().map_or(Json::Null, Node::to_json);
    let mut want = spec.root.to_json();
    set_key(&mut want, "Tests", Json::Array(expected_tests));
    if got != want {
        let (got_tests, want_tests) = (got.get("Tests"), want.get("Tests"));
        let detail = if got_tests == want_tests {
            "keys outside `Tests` would change".to_owned()
        } else {
            let got_tests = got_tests
                .and_then(Json::as_array)
                .map_or(&[][..], Vec::as_slice);
            let want_tests = want_tests
                .and_then(Json::as_array)
                .map_or(&[][..], Vec::as_slice);
            match (0..want_tests.len().max(got_tests.len()))
                .find(|&i| got_tests.get(i) != want_tests.get(i))
            {
                Some(i) => format!(
                    "test {i} would read back as {} instead of {}",
                    brief(got_tests.get(i)),
                    brief(want_tests.get(i))
                ),
                None => "`Tests` would read back differently".to_owned(),
            }
        };
        return Err(failed(detail));
    }
    if loaded.duplicate_keys.len() != spec.duplicates.len() {
        return Err(failed("it would hold a duplicate key".into()));
    }
    Ok(())
}

fn brief(value: Option<&Json>) -> String {
    let text = value.map_or("nothing".to_owned(), Json::to_string);
    if text.chars().count() > 200 {
        format!("{}…", text.chars().take(200).collect::<String>())
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::validate::{classify, SpecFile, ValidationOptions};
    use proptest::prelude::*;
    use serde_json::json;

    /// A rule as panther-analysis writes them: comments above, inside and after `Tests`, blank
    /// lines between tests, names in double, single and no quotes, mocks, a JSON-style `Log`.
    const RULE: &str = r#"AnalysisType: rule
Filename: aws_console_login_without_mfa.py
RuleID: "AWS.Console.LoginWithoutMFA"
DisplayName: "Console Login Without MFA"
Enabled: true
LogTypes:
  - AWS.CloudTrail
Severity: High
Description: >
  A console login without multi-factor authentication.
# Unit tests: `pat test` and `prowl test` run these.
Tests:
  # No MFA: alert.
  - Name: "Login Without MFA"
    ExpectedResult: true
    Mocks:
      - objectName: is_account_new
        returnValue: "false"
    Log:
      eventName: ConsoleLogin
      additionalEventData:
        MFAUsed: "No"   # PAT reads the string "No"

  - Name: 'Login With MFA' # quiet
    ExpectedResult: False
    Log:
      eventName: ConsoleLogin

  - Name: Failed Login
    ExpectedResult: false
    Log: {"eventName": "ConsoleLogin", "responseElements": {"ConsoleLogin": "Failure"}}
# Keep the runbook short.
Runbook: Ask the user whether they logged in.
"#;

    /// A policy with its tests' `-` at column 0, lists not indented under their keys, no blank
    /// lines between tests, `Resource` events and mocks.
    const POLICY: &str = r#"AnalysisType: policy
Filename: s3_bucket_encryption.py
PolicyID: AWS.S3.Bucket.Encryption
Enabled: true
ResourceTypes:
- AWS.S3.Bucket
Severity: Medium
Tests:
- Name: Encrypted bucket
  ExpectedResult: true
  Resource:
    Name: secure-bucket
    EncryptionRules:
    - SSEAlgorithm: AES256
- Name: Unencrypted bucket
  ExpectedResult: false
  Mocks:
  - objectName: get_tags
    returnValue: "{}"
  Resource:
    Name: open-bucket
    EncryptionRules: []
"#;

    /// Four-space indentation with `-   Name` items, and a key after `Tests`.
    const WIDE: &str = r#"AnalysisType: scheduled_rule
Filename: okta_brute_force.py
RuleID: Okta.BruteForce
Enabled: true
ScheduledQueries:
    - Okta Failed Logins
Severity: Medium
Tests:
    -   Name: Many failures
        ExpectedResult: true
        Log:
            actor:
                alternateId: alice@example.com
            failures: 12
    -   Name: Few failures
        ExpectedResult: false
        Log:
            actor:
                alternateId: bob@example.com
            failures: 2
Threshold: 1
"#;

    /// Windows line endings and no newline at the end of the file.
    const CRLF: &str = "AnalysisType: rule\r\nFilename: okta_failed_login.py\r\nRuleID: Okta.FailedLogin\r\nEnabled: true\r\nLogTypes:\r\n  - Okta.SystemLog\r\nSeverity: Low\r\nTests:\r\n  - Name: Failed login\r\n    ExpectedResult: true\r\n    Log:\r\n      outcome:\r\n        result: FAILURE";

    /// A rule without tests.
    const NO_TESTS: &str = "AnalysisType: rule\nFilename: github_repo_deleted.py\nRuleID: GitHub.Repo.Deleted\nEnabled: true\nLogTypes:\n  - GitHub.Audit\nSeverity: Medium\n";

    fn edit(source: &str, edit: serde_json::Value) -> String {
        let edit: TestEdit = serde_json::from_value(edit).expect("a valid edit");
        match apply_test_edit(source, &edit) {
            Ok(text) => text,
            Err(e) => panic!("{edit:?} failed: {e}"),
        }
    }

    fn refused(source: &str, edit: serde_json::Value) -> EditError {
        let edit: TestEdit = serde_json::from_value(edit).expect("a valid edit");
        match apply_test_edit(source, &edit) {
            Ok(text) => panic!("{edit:?} should have been refused, gave:\n{text}"),
            Err(e) => e,
        }
    }

    /// The one run of lines in which `new` differs from `old` (everything before and after it
    /// is byte-identical): `-N: text` for old lines, `+N: text` for new ones, 1-based, with line
    /// ends other than `\n` shown.
    fn hunk(old: &str, new: &str) -> String {
        let (prefix, removed, added) = changed_run(old, new);
        let show = |line: &str| {
            if let Some(body) = line.strip_suffix("\r\n") {
                format!("{body}\\r\\n")
            } else if let Some(body) = line.strip_suffix('\n') {
                body.to_owned()
            } else {
                format!("{line}[no newline]")
            }
        };
        let mut out = String::new();
        for (i, line) in removed.iter().enumerate() {
            out.push_str(&format!("-{}: {}\n", prefix + i + 1, show(line)));
        }
        for (i, line) in added.iter().enumerate() {
            out.push_str(&format!("+{}: {}\n", prefix + i + 1, show(line)));
        }
        out
    }

    fn tests_json(text: &str) -> Json {
        let loaded = yaml::load_str(text.trim_start_matches('\u{feff}')).expect("parses");
        loaded.root.expect("a document").to_json()["Tests"].clone()
    }

    /// The spec passes PAT's validation as the workspace runs it.
    fn assert_valid(text: &str) {
        let loaded = yaml::load_str(text.trim_start_matches('\u{feff}')).expect("parses");
        let file = SpecFile {
            path: "/ws/rules/spec.yml".into(),
            rel_path: "rules/spec.yml".into(),
            walk_dir: "./rules".into(),
            content: Ok(std::sync::Arc::new(loaded)),
        };
        let classified = classify(vec![file], &ValidationOptions::default());
        let errors: Vec<String> = classified
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| format!("{}: {}", d.summary, d.message))
            .collect();
        assert!(errors.is_empty(), "{errors:#?}\n{text}");
        assert_eq!(classified.items.len(), 1);
    }

    #[test]
    fn fixtures_are_valid_specs() {
        for spec in [RULE, POLICY, WIDE, CRLF, NO_TESTS] {
            assert_valid(spec);
        }
    }

    #[test]
    fn add_appends_after_the_last_test_with_the_files_blank_line_and_indentation() {
        let test = json!({
            "Name": "Root login from a new country",
            "ExpectedResult": true,
            "Log": {
                "eventName": "ConsoleLogin",
                "userIdentity": {"type": "Root"},
                "sourceIPAddress": "203.0.113.7",
                "additionalEventData": {"MFAUsed": "No"}
            },
            "Mocks": [{"objectName": "is_account_new", "returnValue": "true"}]
        });
        let out = edit(RULE, json!({"kind": "add", "test": test}));
        assert_eq!(
            hunk(RULE, &out),
            r#"+32: 
+33:   - Name: Root login from a new country
+34:     ExpectedResult: true
+35:     Log:
+36:       eventName: ConsoleLogin
+37:       userIdentity:
+38:         type: Root
+39:       sourceIPAddress: "203.0.113.7"
+40:       additionalEventData:
+41:         MFAUsed: "No"
+42:     Mocks:
+43:       - objectName: is_account_new
+44:         returnValue: "true"
"#
        );
        assert_eq!(tests_json(&out)[3], test);
        assert_valid(&out);
    }

    #[test]
    fn add_quotes_every_string_a_plain_scalar_would_change_and_reads_back_exactly() {
        let log: Json = serde_json::from_str(
            r#"{
            "yes": "yes", "on": "on", "null_word": "null", "tilde": "~", "empty": "",
            "octal": "0644", "underscored": "1_000", "hex": "0x1F", "float_text": "1.0",
            "exp_text": "1e5", "date": "2024-01-01", "time": "12:30:00", "ip": "10.0.0.1",
            "colon space": "a: b", "hash": "a #b", "lead": " x", "dash": "- x", "y": "y",
            "url": "https://example.com/a?b=c#frag", "quote": "it's", "unicode": "Grüße, 日本",
            "control": "bell\u0007", "nel": "a\u0085b", "tab": "a\tb",
            "multi": "line one\nline two\n", "multi_no_end": "a\n\nb", "multi_indented": " x\ny",
            "int": 42, "negative": -7, "big": 18446744073709551615, "float": 0.1,
            "huge": 1e300, "whole": 3.0, "true": true, "none": null, "list": [], "map": {},
            "nested": [[1, "2"], {"k": null}], "123": "numeric key", "": "empty key",
            "a: b": "colon key"
        }"#,
        )
        .unwrap();
        let test = json!({"Name": "Tricky values", "ExpectedResult": false, "Log": log});
        let out = edit(RULE, json!({"kind": "add", "test": test}));
        assert_eq!(tests_json(&out)[3]["Log"], log);
        let hunk = hunk(RULE, &out);
        let rendered: Vec<&str> = hunk
            .lines()
            .skip(4)
            .map(|l| &l[l.find(": ").unwrap() + 2..])
            .collect();
        assert_eq!(
            rendered.join("\n"),
            r#"      "yes": "yes"
      "on": "on"
      null_word: "null"
      tilde: "~"
      empty: ""
      octal: "0644"
      underscored: "1_000"
      hex: "0x1F"
      float_text: "1.0"
      exp_text: "1e5"
      date: "2024-01-01"
      time: "12:30:00"
      ip: "10.0.0.1"
      colon space: "a: b"
      hash: "a #b"
      lead: " x"
      dash: "- x"
      "y": "y"
      url: https://example.com/a?b=c#frag
      quote: it's
      unicode: Grüße, 日本
      control: "bell\u0007"
      nel: "a\u0085b"
      tab: "a\tb"
      multi: |
        line one
        line two
      multi_no_end: |-
        a

        b
      multi_indented: " x\ny"
      int: 42
      negative: -7
      big: 18446744073709551615
      float: 0.1
      huge: 1.0e+300
      whole: 3.0
      "true": true
      none: null
      list: []
      map: {}
      nested:
        - - 1
          - "2"
        - k: null
      "123": numeric key
      "": empty key
      "a: b": colon key"#
        );
        assert_valid(&out);
    }

    #[test]
    fn add_to_a_policy_with_dashes_at_column_zero_copies_that_layout() {
        let test = json!({
            "Name": "Bucket with KMS",
            "ExpectedResult": true,
            "Resource": {
                "Name": "kms-bucket",
                "EncryptionRules": [{"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "arn:aws:kms:us-east-1:123456789012:key/abc"}]
            }
        });
        let out = edit(POLICY, json!({"kind": "add", "test": test}));
        assert_eq!(
            hunk(POLICY, &out),
            "+23: - Name: Bucket with KMS
+24:   ExpectedResult: true
+25:   Resource:
+26:     Name: kms-bucket
+27:     EncryptionRules:
+28:     - SSEAlgorithm: aws:kms
+29:       KMSMasterKeyID: arn:aws:kms:us-east-1:123456789012:key/abc
"
        );
        assert_valid(&out);
        let with_log = json!({"Name": "x", "ExpectedResult": true, "Log": {}});
        let e = refused(POLICY, json!({"kind": "add", "test": with_log}));
        assert_eq!(e.code(), "invalid_test");
        assert_eq!(
            e.to_string(),
            "the test is not valid: a policy's test has a `Resource` and no `Log`"
        );
    }

    /// Keys and mappings step by four like the file's; a list of strings gets `- x` like the
    /// file's own list of strings (`ScheduledQueries`), not the `-   ` of its tests.
    #[test]
    fn add_copies_four_space_indentation() {
        let test = json!({
            "Name": "Locked out",
            "ExpectedResult": true,
            "Log": {"actor": {"alternateId": "carol@example.com"}, "failures": 30, "outcomes": ["FAILURE", "LOCKED_OUT"]}
        });
        let out = edit(WIDE, json!({"kind": "add", "test": test}));
        assert_eq!(
            hunk(WIDE, &out),
            "+21:     -   Name: Locked out
+22:         ExpectedResult: true
+23:         Log:
+24:             actor:
+25:                 alternateId: carol@example.com
+26:             failures: 30
+27:             outcomes:
+28:                 - FAILURE
+29:                 - LOCKED_OUT
"
        );
        assert_valid(&out);
    }

    #[test]
    fn add_to_a_crlf_file_without_final_newline_keeps_both() {
        let test = json!({"Name": "Successful login", "ExpectedResult": false, "Log": {"outcome": {"result": "SUCCESS"}}});
        let out = edit(CRLF, json!({"kind": "add", "test": test}));
        assert_eq!(
            out,
            format!("{CRLF}\r\n  - Name: Successful login\r\n    ExpectedResult: false\r\n    Log:\r\n      outcome:\r\n        result: SUCCESS")
        );
        assert_valid(&out);
    }

    #[test]
    fn add_to_a_spec_without_tests_appends_a_tests_block() {
        let test = json!({"Name": "Repository deleted", "ExpectedResult": true, "Log": {"action": "repo.destroy", "repo": "acme/secrets"}});
        let block = "Tests:\n  - Name: Repository deleted\n    ExpectedResult: true\n    Log:\n      action: repo.destroy\n      repo: acme/secrets";
        let out = edit(NO_TESTS, json!({"kind": "add", "test": test}));
        assert_eq!(out, format!("{NO_TESTS}{block}\n"));
        assert_valid(&out);
        // Without a final newline the last line gets one, and the file still ends without.
        let bare = NO_TESTS.trim_end();
        let out = edit(bare, json!({"kind": "add", "test": test}));
        assert_eq!(out, format!("{bare}\n{block}"));
    }

    #[test]
    fn add_to_an_empty_tests_key_fills_it() {
        let test = json!({"Name": "First", "ExpectedResult": true, "Log": {"k": "v"}});
        let item = "  - Name: First\n    ExpectedResult: true\n    Log:\n      k: v\n";
        for (tests, key) in [
            ("Tests: []  # none yet\n", "Tests:  # none yet\n"),
            ("Tests: [ ]\n", "Tests:\n"),
            ("Tests:\n", "Tests:\n"),
            ("Tests: ~\n", "Tests:\n"),
        ] {
            let spec = format!("{NO_TESTS}{tests}Runbook: Look at the repository's audit log.\n");
            let out = edit(&spec, json!({"kind": "add", "test": test}));
            assert_eq!(
                out,
                format!("{NO_TESTS}{key}{item}Runbook: Look at the repository's audit log.\n"),
                "{tests:?}"
            );
            assert_valid(&out);
        }
    }

    #[test]
    fn add_refuses_a_taken_name_and_malformed_tests() {
        let taken = json!({"Name": "Login With MFA", "ExpectedResult": true, "Log": {}});
        let e = refused(RULE, json!({"kind": "add", "test": taken}));
        assert_eq!(
            e,
            EditError::DuplicateName {
                name: "Login With MFA".into(),
                line: 24
            }
        );
        assert_eq!(
            e.to_string(),
            "line 24: a test named \"Login With MFA\" already exists; test names must be unique within a spec"
        );
        for (test, message) in [
            (json!([]), "a test is a JSON object"),
            (
                json!({"Name": 1, "ExpectedResult": true, "Log": {}}),
                "`Name` must be a string",
            ),
            (
                json!({"Name": "x", "Log": {}}),
                "`ExpectedResult` must be true or false",
            ),
            (
                json!({"Name": "x", "ExpectedResult": true, "Log": {}, "Extra": 1}),
                "unknown key `Extra`",
            ),
            (
                json!({"Name": "x", "ExpectedResult": true}),
                "a rule's test has a `Log`",
            ),
            (
                json!({"Name": "x", "ExpectedResult": true, "Log": {}, "Mocks": [{"objectName": "a", "returnValue": 1}]}),
                "`Mocks` is a list",
            ),
        ] {
            let e = refused(RULE, json!({"kind": "add", "test": test}));
            assert!(e.to_string().contains(message), "{e}");
        }
    }

    #[test]
    fn duplicate_copies_the_tests_lines_under_the_new_name_right_after_it() {
        let out = edit(
            RULE,
            json!({"kind": "duplicate", "index": 0, "name": "Login without MFA (copy)"}),
        );
        assert_eq!(
            hunk(RULE, &out),
            r#"+24:   - Name: "Login without MFA (copy)"
+25:     ExpectedResult: true
+26:     Mocks:
+27:       - objectName: is_account_new
+28:         returnValue: "false"
+29:     Log:
+30:       eventName: ConsoleLogin
+31:       additionalEventData:
+32:         MFAUsed: "No"   # PAT reads the string "No"
+33: 
"#
        );
        assert_valid(&out);
        let out = edit(
            POLICY,
            json!({"kind": "duplicate", "index": 1, "name": "Unencrypted bucket 2"}),
        );
        assert_eq!(
            hunk(POLICY, &out),
            r#"+23: - Name: Unencrypted bucket 2
+24:   ExpectedResult: false
+25:   Mocks:
+26:   - objectName: get_tags
+27:     returnValue: "{}"
+28:   Resource:
+29:     Name: open-bucket
+30:     EncryptionRules: []
"#
        );
        let e = refused(
            POLICY,
            json!({"kind": "duplicate", "index": 0, "name": "Unencrypted bucket"}),
        );
        assert_eq!(e.code(), "duplicate_name");
    }

    #[test]
    fn rename_changes_only_the_name_keeping_its_quotes_and_comment() {
        let cases = [
            (0, "Login without MFA (console)", "-14:   - Name: \"Login Without MFA\"\n+14:   - Name: \"Login without MFA (console)\"\n"),
            (1, "it's quiet", "-24:   - Name: 'Login With MFA' # quiet\n+24:   - Name: 'it''s quiet' # quiet\n"),
            (2, "Failed console login", "-29:   - Name: Failed Login\n+29:   - Name: Failed console login\n"),
            (2, "on", "-29:   - Name: Failed Login\n+29:   - Name: \"on\"\n"),
            (1, "tab\there", "-24:   - Name: 'Login With MFA' # quiet\n+24:   - Name: \"tab\\there\" # quiet\n"),
        ];
        for (index, name, expected) in cases {
            let out = edit(
                RULE,
                json!({"kind": "rename", "index": index, "name": name}),
            );
            assert_eq!(hunk(RULE, &out), expected);
            assert_eq!(tests_json(&out)[index]["Name"], name);
            assert_valid(&out);
        }
        // Its own name is not a conflict; another test's is.
        assert_eq!(
            edit(
                RULE,
                json!({"kind": "rename", "index": 2, "name": "Failed Login"})
            ),
            RULE
        );
        let e = refused(
            RULE,
            json!({"kind": "rename", "index": 2, "name": "Login Without MFA"}),
        );
        assert_eq!(
            e,
            EditError::DuplicateName {
                name: "Login Without MFA".into(),
                line: 14
            }
        );
    }

    #[test]
    fn rename_rewrites_a_multi_line_name_as_one_line() {
        let spec = format!("{NO_TESTS}Tests:\n  - Name: a name\n      split over lines\n    ExpectedResult: true\n    Log: {{}}\n");
        let out = edit(
            &spec,
            json!({"kind": "rename", "index": 0, "name": "short"}),
        );
        assert_eq!(
            hunk(&spec, &out),
            "-9:   - Name: a name\n-10:       split over lines\n+9:   - Name: short\n"
        );
    }

    #[test]
    fn delete_takes_the_test_its_leading_comment_and_one_separator() {
        let out = edit(RULE, json!({"kind": "delete", "index": 0}));
        assert_eq!(
            hunk(RULE, &out),
            r#"-13:   # No MFA: alert.
-14:   - Name: "Login Without MFA"
-15:     ExpectedResult: true
-16:     Mocks:
-17:       - objectName: is_account_new
-18:         returnValue: "false"
-19:     Log:
-20:       eventName: ConsoleLogin
-21:       additionalEventData:
-22:         MFAUsed: "No"   # PAT reads the string "No"
-23: 
"#
        );
        let out = edit(RULE, json!({"kind": "delete", "index": 1}));
        assert_eq!(
            hunk(RULE, &out),
            "-24:   - Name: 'Login With MFA' # quiet\n-25:     ExpectedResult: False\n-26:     Log:\n-27:       eventName: ConsoleLogin\n-28: \n"
        );
        let out = edit(RULE, json!({"kind": "delete", "index": 2}));
        assert_eq!(
            hunk(RULE, &out),
            "-28: \n-29:   - Name: Failed Login\n-30:     ExpectedResult: false\n-31:     Log: {\"eventName\": \"ConsoleLogin\", \"responseElements\": {\"ConsoleLogin\": \"Failure\"}}\n"
        );
        assert_valid(&out);
        let names: Vec<Json> = tests_json(&out)
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["Name"].clone())
            .collect();
        assert_eq!(
            names,
            vec![json!("Login Without MFA"), json!("Login With MFA")]
        );
        let out = edit(POLICY, json!({"kind": "delete", "index": 0}));
        assert_eq!(
            hunk(POLICY, &out),
            "-9: - Name: Encrypted bucket\n-10:   ExpectedResult: true\n-11:   Resource:\n-12:     Name: secure-bucket\n-13:     EncryptionRules:\n-14:     - SSEAlgorithm: AES256\n"
        );
    }

    #[test]
    fn deleting_the_only_test_leaves_an_empty_list() {
        let out = edit(CRLF, json!({"kind": "delete", "index": 0}));
        let kept = &CRLF[..CRLF.find("Tests:").unwrap()];
        assert_eq!(out, format!("{kept}Tests: []"));
        assert_valid(&out);
        assert_eq!(tests_json(&out), json!([]));
    }

    #[test]
    fn set_expected_changes_only_the_value_in_its_capitalisation() {
        let out = edit(
            RULE,
            json!({"kind": "set_expected", "index": 1, "expected": true}),
        );
        assert_eq!(
            hunk(RULE, &out),
            "-25:     ExpectedResult: False\n+25:     ExpectedResult: True\n"
        );
        let out = edit(
            RULE,
            json!({"kind": "set_expected", "index": 0, "expected": false}),
        );
        assert_eq!(
            hunk(RULE, &out),
            "-15:     ExpectedResult: true\n+15:     ExpectedResult: false\n"
        );
        assert_valid(&out);
        // A test without the key gets it after its name.
        let spec = format!("{NO_TESTS}Tests:\n  - Name: no expectation\n    Log: {{}}\n");
        let out = edit(
            &spec,
            json!({"kind": "set_expected", "index": 0, "expected": true}),
        );
        assert_eq!(hunk(&spec, &out), "+10:     ExpectedResult: true\n");
        assert_valid(&out);
    }

    #[test]
    fn set_event_replaces_the_log_and_nothing_else() {
        let event = json!({"eventName": "ConsoleLogin", "responseElements": {"ConsoleLogin": "Failure"}, "errorMessage": "Failed authentication"});
        let out = edit(
            RULE,
            json!({"kind": "set_event", "index": 2, "event": event}),
        );
        assert_eq!(
            hunk(RULE, &out),
            r#"-31:     Log: {"eventName": "ConsoleLogin", "responseElements": {"ConsoleLogin": "Failure"}}
+31:     Log:
+32:       eventName: ConsoleLogin
+33:       responseElements:
+34:         ConsoleLogin: Failure
+35:       errorMessage: Failed authentication
"#
        );
        assert_valid(&out);
        // In the middle of a test, with the comment inside the old event gone with it.
        let out = edit(
            RULE,
            json!({"kind": "set_event", "index": 0, "event": {"eventName": "ConsoleLogin"}}),
        );
        assert_eq!(
            hunk(RULE, &out),
            "-21:       additionalEventData:\n-22:         MFAUsed: \"No\"   # PAT reads the string \"No\"\n"
        );
        // A policy's event is its Resource.
        let out = edit(
            POLICY,
            json!({"kind": "set_event", "index": 0, "event": {"Name": "b", "EncryptionRules": []}}),
        );
        assert_eq!(
            hunk(POLICY, &out),
            "-12:     Name: secure-bucket\n-13:     EncryptionRules:\n-14:     - SSEAlgorithm: AES256\n+12:     Name: b\n+13:     EncryptionRules: []\n"
        );
        assert_eq!(
            tests_json(&out)[0]["Resource"],
            json!({"Name": "b", "EncryptionRules": []})
        );
        // A comment after the key survives when the event stays a block.
        let spec = format!("{NO_TESTS}Tests:\n  - Name: a\n    ExpectedResult: true\n    Log:  # from production\n      k: 1\n");
        let out = edit(
            &spec,
            json!({"kind": "set_event", "index": 0, "event": {"k": 2}}),
        );
        assert_eq!(hunk(&spec, &out), "-12:       k: 1\n+12:       k: 2\n");
        // A test without an event gets one at its end.
        let spec = format!("{NO_TESTS}Tests:\n  - Name: a\n    ExpectedResult: true\n");
        let out = edit(
            &spec,
            json!({"kind": "set_event", "index": 0, "event": "raw text"}),
        );
        assert_eq!(hunk(&spec, &out), "+11:     Log: raw text\n");
    }

    #[test]
    fn set_mocks_adds_replaces_and_removes_the_key() {
        let mocks = json!([{"object_name": "is_account_new", "return_value": "true"}]);
        let out = edit(
            RULE,
            json!({"kind": "set_mocks", "index": 1, "mocks": mocks}),
        );
        assert_eq!(
            hunk(RULE, &out),
            "+28:     Mocks:\n+29:       - objectName: is_account_new\n+30:         returnValue: \"true\"\n"
        );
        assert_eq!(
            tests_json(&out)[1]["Mocks"],
            json!([{"objectName": "is_account_new", "returnValue": "true"}])
        );
        assert_valid(&out);
        let out = edit(
            RULE,
            json!({"kind": "set_mocks", "index": 0, "mocks": [{"object_name": "geoip", "return_value": "{\"country\": \"FR\"}"}]}),
        );
        assert_eq!(
            hunk(RULE, &out),
            "-17:       - objectName: is_account_new\n-18:         returnValue: \"false\"\n+17:       - objectName: geoip\n+18:         returnValue: \"{\\\"country\\\": \\\"FR\\\"}\"\n"
        );
        let out = edit(RULE, json!({"kind": "set_mocks", "index": 0, "mocks": []}));
        assert_eq!(
            hunk(RULE, &out),
            "-16:     Mocks:\n-17:       - objectName: is_account_new\n-18:         returnValue: \"false\"\n"
        );
        assert_valid(&out);
        let out = edit(
            POLICY,
            json!({"kind": "set_mocks", "index": 1, "mocks": []}),
        );
        assert_eq!(
            hunk(POLICY, &out),
            "-17:   Mocks:\n-18:   - objectName: get_tags\n-19:     returnValue: \"{}\"\n"
        );
        // Nothing to remove: nothing changes.
        assert_eq!(
            edit(
                POLICY,
                json!({"kind": "set_mocks", "index": 0, "mocks": []})
            ),
            POLICY
        );
    }

    #[test]
    fn removing_the_key_on_the_dash_line_moves_the_next_key_up() {
        let spec = format!("{NO_TESTS}Tests:\n  - Mocks:\n      - objectName: a\n        returnValue: b\n    Name: mocked\n    ExpectedResult: true\n    Log: {{}}\n");
        let out = edit(&spec, json!({"kind": "set_mocks", "index": 0, "mocks": []}));
        assert_eq!(
            hunk(&spec, &out),
            "-9:   - Mocks:\n-10:       - objectName: a\n-11:         returnValue: b\n-12:     Name: mocked\n+9:   - Name: mocked\n"
        );
        assert_valid(&out);
    }

    #[test]
    fn layouts_that_cannot_be_edited_by_line_are_refused() {
        let flow = format!("{NO_TESTS}Tests: [{{Name: a, ExpectedResult: true, Log: {{}}}}]\n");
        let e = refused(&flow, json!({"kind": "delete", "index": 0}));
        assert_eq!(e, EditError::FlowStyle { line: 8 });
        assert_eq!(
            e.to_string(),
            "line 8: `Tests` is written in flow style (`[...]`); edit it as text"
        );
        // Listing still works.
        assert_eq!(tests_of(&flow).unwrap()[0].name.as_deref(), Some("a"));

        let flow_item = format!("{NO_TESTS}Tests:\n  - {{Name: a, ExpectedResult: true, Log: {{}}}}\n  - Name: b\n    ExpectedResult: true\n    Log: {{}}\n");
        let e = refused(
            &flow_item,
            json!({"kind": "rename", "index": 0, "name": "c"}),
        );
        assert_eq!(
            e.to_string(),
            "line 9: test 0 is written in flow style (`{...}`); edit it as text"
        );
        // Whole-test edits still work on it.
        let out = edit(&flow_item, json!({"kind": "delete", "index": 0}));
        assert_eq!(
            hunk(&flow_item, &out),
            "-9:   - {Name: a, ExpectedResult: true, Log: {}}\n"
        );

        let twice = format!("{NO_TESTS}Tests:\n  - Name: a\n    ExpectedResult: true\n    Log: {{}}\n    Log: {{k: 1}}\n");
        let e = refused(
            &twice,
            json!({"kind": "set_expected", "index": 0, "expected": false}),
        );
        assert_eq!(
            e,
            EditError::DuplicateKey {
                key: "Log".into(),
                line: 12
            }
        );

        let e = refused(RULE, json!({"kind": "delete", "index": 3}));
        assert_eq!(e.to_string(), "no test at index 3: the spec has 3 tests");
        assert_eq!(e.code(), "no_such_test");

        let scalar = format!("{NO_TESTS}Tests: none\n");
        assert_eq!(
            refused(&scalar, json!({"kind": "delete", "index": 0})),
            EditError::NotAList { line: 8 }
        );

        let broken = format!("{NO_TESTS}Tests:\n  - Name: [unclosed\n");
        let e = refused(&broken, json!({"kind": "delete", "index": 0}));
        assert!(matches!(e, EditError::Parse { line: 10, .. }), "{e:?}");
        assert_eq!(
            refused("# nothing\n", json!({"kind": "delete", "index": 0})),
            EditError::NotAMapping
        );
    }

    #[test]
    fn an_edit_that_would_break_an_alias_is_refused() {
        let spec = format!("{NO_TESTS}Tests:\n  - Name: base\n    ExpectedResult: true\n    Log: &event\n      k: v\n  - Name: reuses\n    ExpectedResult: true\n    Log: *event\n");
        let e = refused(&spec, json!({"kind": "delete", "index": 0}));
        assert_eq!(e.code(), "not_round_tripping");
        assert!(e.to_string().contains("it would not parse: line 11"), "{e}");
        // Copying the anchor along keeps the alias meaning the same.
        let out = edit(
            &spec,
            json!({"kind": "duplicate", "index": 0, "name": "copy"}),
        );
        assert_eq!(tests_json(&out)[1]["Log"], json!({"k": "v"}));
    }

    #[test]
    fn tests_of_lists_each_test_with_its_line() {
        let tests = tests_of(RULE).unwrap();
        let summary: Vec<(usize, Option<&str>, Option<bool>, u32)> = tests
            .iter()
            .map(|t| (t.index, t.name.as_deref(), t.expected, t.line))
            .collect();
        assert_eq!(
            summary,
            vec![
                (0, Some("Login Without MFA"), Some(true), 14),
                (1, Some("Login With MFA"), Some(false), 24),
                (2, Some("Failed Login"), Some(false), 29)
            ]
        );
        assert!(tests_of(NO_TESTS).unwrap().is_empty());
        let bare_dash = format!(
            "{NO_TESTS}Tests:\n  -\n    Name: a\n    ExpectedResult: true\n    Log: {{}}\n"
        );
        assert_eq!(tests_of(&bare_dash).unwrap()[0].line, 9);
    }

    #[test]
    fn a_byte_order_mark_is_kept() {
        let spec = format!("\u{feff}{NO_TESTS}");
        let out = edit(
            &spec,
            json!({"kind": "add", "test": {"Name": "a", "ExpectedResult": true, "Log": {}}}),
        );
        assert_eq!(
            out,
            format!("{spec}Tests:\n  - Name: a\n    ExpectedResult: true\n    Log: {{}}\n")
        );
    }

    #[test]
    fn edits_read_the_json_the_app_sends() {
        let edit: TestEdit = serde_json::from_str(
            r#"{"kind": "set_mocks", "index": 2, "mocks": [{"object_name": "a", "return_value": "b"}]}"#,
        )
        .unwrap();
        assert_eq!(
            edit,
            TestEdit::SetMocks {
                index: 2,
                mocks: vec![Mock {
                    object_name: "a".into(),
                    return_value: "b".into()
                }]
            }
        );
        let edit: TestEdit =
            serde_json::from_str(r#"{"kind": "set_expected", "index": 0, "expected": true}"#)
                .unwrap();
        assert_eq!(
            edit,
            TestEdit::SetExpected {
                index: 0,
                expected: true
            }
        );
    }

    // -----------------------------------------------------------------------------------------
    // Properties

    fn tricky_string() -> impl Strategy<Value = String> {
        const SPECIAL: &[&str] = &[
            "",
            "yes",
            "No",
            "on",
            "OFF",
            "y",
            "n",
            "null",
            "Null",
            "~",
            "true",
            "False",
            "1",
            "-1",
            "+1",
            "0x1F",
            "0b11",
            "0o7",
            "0644",
            "08",
            "1_000",
            "1.5",
            ".5",
            "1e5",
            "1.0e+5",
            ".inf",
            "-.Inf",
            ".nan",
            "2024-01-01",
            "2024-01-01T00:00:00Z",
            "1:30:00",
            "12:30",
            "<<",
            "- a",
            "-",
            "a: b",
            "a:b",
            "a:",
            "#x",
            "a #b",
            "a#b",
            " lead",
            "trail ",
            "multi\nline",
            "multi\nline\n",
            "\n",
            "two\n\n",
            " indented\nx",
            "x\n indented",
            "x\n \ny",
            "tab\there",
            "cr\r\nlf",
            "'quoted'",
            "\"dq\"",
            "[a]",
            "{a}",
            "&anchor",
            "*alias",
            "!tag",
            "|",
            ">",
            "%",
            "@",
            "`",
            "?",
            "? x",
            ":",
            "---",
            "...",
            "é",
            "日本",
            "\u{85}",
            "\u{2028}",
            "\u{feff}",
            "\u{7f}",
            "\u{0}",
            "a\\b",
            "1,2",
            "a, b",
            "https://x.y/z?q=1#f",
            "C:\\path",
            "=",
            "ok",
        ];
        prop_oneof![
            3 => "[a-zA-Z0-9 _./:@#'\"\\-]{0,12}",
            2 => "\\PC{0,10}",
            1 => any::<String>(),
            3 => prop::sample::select(SPECIAL).prop_map(str::to_owned),
        ]
    }

    fn json_value() -> impl Strategy<Value = Json> {
        let leaf = prop_oneof![
            Just(Json::Null),
            any::<bool>().prop_map(Json::Bool),
            any::<i64>().prop_map(Json::from),
            any::<u64>().prop_map(Json::from),
            any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
                .map(Json::Number)),
            tricky_string().prop_map(Json::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Json::Array),
                prop::collection::vec((tricky_string(), inner), 0..6)
                    .prop_map(|entries| Json::Object(entries.into_iter().collect())),
            ]
        })
    }

    /// An event: mostly objects, as real logs are, but any JSON value.
    fn event() -> impl Strategy<Value = Json> {
        prop_oneof![
            4 => prop::collection::vec((tricky_string(), json_value()), 0..8)
                .prop_map(|entries| Json::Object(entries.into_iter().collect())),
            1 => json_value(),
        ]
    }

    const FIXTURES: [&str; 5] = [RULE, POLICY, WIDE, CRLF, NO_TESTS];

    /// The lines `new` adds to `old` when it only inserts lines (allowing the old last line to
    /// gain the newline a file without one needs before more lines).
    fn inserted(old: &str, new: &str) -> Option<Vec<String>> {
        let (_, removed, added) = changed_run(old, new);
        match removed.as_slice() {
            [] => Some(added.iter().map(|l| l.to_string()).collect()),
            [last]
                if !last.ends_with('\n')
                    && added
                        .first()
                        .is_some_and(|a| a.trim_end_matches(['\r', '\n']) == *last) =>
            {
                Some(added[1..].iter().map(|l| l.to_string()).collect())
            }
            _ => None,
        }
    }

    proptest! {
        #[test]
        fn adding_a_test_reads_back_the_same_event_and_only_inserts_lines(
            fixture in 0..FIXTURES.len(),
            event in event(),
        ) {
            let source = FIXTURES[fixture];
            let key = if source == POLICY { "Resource" } else { "Log" };
            let test = json!({"Name": "Generated", "ExpectedResult": true, key: event.clone()});
            let out = apply_test_edit(source, &TestEdit::Add { test })
                .map_err(|e| TestCaseError::fail(format!("{e}")))?;
            let tests = tests_json(&out);
            let tests = tests.as_array().expect("a list");
            prop_assert_eq!(&tests[tests.len() - 1][key], &event, "{}", out);
            let lines = inserted(source, &out);
            prop_assert!(lines.is_some(), "lines other than the new test's changed:\n{}", hunk(source, &out));
            if source != NO_TESTS {
                // Deleting it again gives the file back byte for byte.
                let index = tests.len() - 1;
                let back = apply_test_edit(&out, &TestEdit::Delete { index })
                    .map_err(|e| TestCaseError::fail(format!("{e}")))?;
                prop_assert_eq!(back, source);
            }
        }

        #[test]
        fn setting_an_event_reads_back_and_changes_only_that_entry(
            fixture in 0..4usize,
            index in 0..2usize,
            event in event(),
        ) {
            let source = FIXTURES[fixture];
            let spec = Spec::parse(source).expect("fixture parses");
            let index = index.min(spec.tests().len() - 1);
            let key = spec.event_key(index);
            let item = spec.block_item(index).expect("a block test");
            let entry = item.node.entry(key).expect("the test has an event");
            let first = at(entry.key.span).0;
            let last = entry_last_line(&spec, &item, first);
            let out = apply_test_edit(source, &TestEdit::SetEvent { index, event: event.clone() })
                .map_err(|e| TestCaseError::fail(format!("{e}")))?;
            prop_assert_eq!(&tests_json(&out)[index][key], &event);
            let old: Vec<&str> = source.split_inclusive('\n').collect();
            let new: Vec<&str> = out.split_inclusive('\n').collect();
            prop_assert_eq!(&old[..first], &new[..first]);
            let after = old.len() - last - 1;
            prop_assert_eq!(&old[old.len() - after..], &new[new.len() - after..]);
        }
    }
}

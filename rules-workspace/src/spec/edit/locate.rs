//! Where a spec's tests are in its text: the `Tests` key and its layout (absent, empty, flow or
//! a block list), and for a block list the lines each test spans, its leading comments
//! included.
//!
//! Invariant: locations come from our loader's spans (PAT's dialect), never from a second
//! parse; a layout that cannot be edited line by line is refused here, before any edit.

use super::lines::{
    at, char_at, col_byte, indent, is_blank, is_comment, is_content, key_colon, Lines,
};
use super::EditError;
use crate::spec::value::{Node, Span, Value};
use crate::spec::yaml::{self, DuplicateKey};
use crate::spec::AnalysisType;
use std::ops::Range;

/// A loaded spec with the place of its `Tests` in the text.
pub(super) struct Spec {
    bom: bool,
    /// The text (without a byte order mark) as lines.
    pub(super) lines: Lines,
    /// The loaded spec, a mapping.
    pub(super) root: Node,
    /// The duplicate keys the loader found.
    pub(super) duplicates: Vec<DuplicateKey>,
    /// Where `Tests` is and how it is written.
    pub(super) layout: TestsLayout,
}

/// How a spec's `Tests` is written.
pub(super) enum TestsLayout {
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
pub(super) struct BlockList {
    /// Line of the `Tests` key.
    pub(super) key_line: usize,
    /// Column of the `Tests` key.
    pub(super) key_col: usize,
    /// Column of the tests' `-`.
    pub(super) dash_col: usize,
    /// Each test's lines, in order.
    pub(super) items: Vec<ItemLines>,
    /// Whether blank lines separate the tests (new tests get one too).
    pub(super) blank_separated: bool,
}

/// Where one test sits (0-based line indexes, inclusive).
#[derive(Debug, Clone, Copy)]
pub(super) struct ItemLines {
    /// First comment line directly above the `-` that belongs to the test (`dash` if none).
    pub(super) lead_start: usize,
    /// The line of the test's `-`.
    pub(super) dash: usize,
    /// The test's last content line (its deeper comments included).
    pub(super) content_end: usize,
}

/// A test that is a block mapping, ready for key-level edits.
pub(super) struct BlockItem<'a> {
    /// Where the test sits.
    pub(super) lines: ItemLines,
    /// The test as loaded.
    pub(super) node: &'a Node,
    /// Column of the test's keys.
    pub(super) key_col: usize,
}

impl Spec {
    /// Loads a spec's text and locates its tests; refuses what is not a block mapping.
    pub(super) fn parse(source: &str) -> Result<Spec, EditError> {
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

    /// The tests as loaded (none when `Tests` is missing or not a list).
    pub(super) fn tests(&self) -> &[Node] {
        self.root
            .get("Tests")
            .and_then(Node::as_list)
            .unwrap_or_default()
    }

    /// The spec's `AnalysisType`, when it is one.
    pub(super) fn analysis_type(&self) -> Option<AnalysisType> {
        self.root
            .get("AnalysisType")
            .and_then(Node::as_str)
            .and_then(AnalysisType::parse)
    }

    /// The file's text for `lines`, with the byte order mark the spec had.
    pub(super) fn text(&self, lines: &Lines) -> String {
        let body = lines.join();
        if self.bom {
            format!("\u{feff}{body}")
        } else {
            body
        }
    }

    /// 1-based line of test `index`'s `-` (its own line when not in a block list).
    pub(super) fn test_line(&self, index: usize) -> u32 {
        match &self.layout {
            TestsLayout::Block(list) => list.items[index].dash as u32 + 1,
            _ => self.tests()[index].span.line,
        }
    }

    /// Refuses what line edits cannot handle: flow-style `Tests`, duplicate keys in or of it.
    pub(super) fn refuse_unsupported_layouts(&self) -> Result<(), EditError> {
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

    /// The column of the spec's top-level keys.
    pub(super) fn root_key_col(&self) -> usize {
        self.root
            .as_map()
            .unwrap_or_default()
            .iter()
            .map(|e| e.key.span)
            .min()
            .map_or(0, |s| at(s).1)
    }

    /// Refuses an index past the last test.
    pub(super) fn check_index(&self, index: usize) -> Result<(), EditError> {
        let count = self.tests().len();
        if index < count {
            Ok(())
        } else {
            Err(EditError::NoSuchTest { index, count })
        }
    }

    /// Refuses a name another test (other than `except`) already has.
    pub(super) fn check_unique(&self, name: &str, except: Option<usize>) -> Result<(), EditError> {
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

    /// The key a test's event lives under: the one it has (see [`event_key_of`]), else the one
    /// its spec's type uses (`Resource` for a policy, `Log` otherwise).
    pub(super) fn event_key(&self, index: usize) -> &'static str {
        event_key_of(&self.tests()[index]).unwrap_or(
            if self.analysis_type() == Some(AnalysisType::Policy) {
                "Resource"
            } else {
                "Log"
            },
        )
    }

    /// Test `index` as a block mapping whose keys all sit in its own lines, or why not.
    pub(super) fn block_item(&self, index: usize) -> Result<BlockItem<'_>, EditError> {
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

/// The key holding a test's event as PAT reads it: `Resource` when the test has one, else
/// `Log` when it has one.
pub(super) fn event_key_of(test: &Node) -> Option<&'static str> {
    ["Resource", "Log"]
        .into_iter()
        .find(|key| test.get(key).is_some())
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
pub(super) fn node_start(lines: &Lines, node: &Node) -> (usize, usize) {
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
pub(super) fn find_dash(lines: &Lines, line: usize, col: usize) -> Option<(usize, usize)> {
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

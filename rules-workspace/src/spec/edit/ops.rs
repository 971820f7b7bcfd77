//! The edits themselves: each turns a located spec into new text, changing only the lines
//! it must (adding, copying or removing a test's lines; setting, adding or removing one key of
//! a test).
//!
//! Invariant: lines outside the edited range are kept as they are; a one-line scalar is
//! changed in place, keeping its quoting and any comment after it.

use super::lines::{at, col_byte, is_blank, is_content, key_colon, scalar_extent, ScalarStyle};
use super::locate::{BlockItem, Spec, TestsLayout};
use super::render::{double_quoted, inline_scalar, inline_string, render_key, single_quoted};
use super::style::style_of;
use super::{EditError, Mock};
use crate::spec::AnalysisType;
use serde_json::{Map, Value as Json};
use std::ops::Range;

/// Sets `key` of a test given as a JSON object (nothing for other values).
pub(super) fn set_key(test: &mut Json, key: &str, value: Json) {
    if let Json::Object(map) = test {
        map.insert(key.to_owned(), value);
    }
}

/// Mocks as the spec writes them: `[{objectName, returnValue}]`.
pub(super) fn mocks_json(mocks: &[Mock]) -> Json {
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
pub(super) fn new_test(
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

/// Appends a test after the last one (or starts `Tests`), in the file's layout.
pub(super) fn add(spec: &Spec, test: Map<String, Json>) -> Result<String, EditError> {
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

/// Removes test `index` with its leading comments and one separator.
pub(super) fn delete(spec: &Spec, index: usize) -> Result<String, EditError> {
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

/// Copies test `index`'s lines right after it and renames the copy.
pub(super) fn duplicate(spec: &Spec, index: usize, name: &str) -> Result<String, EditError> {
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

/// The line of the test's first key below `key_line`, if any.
fn next_key_line(item: &BlockItem, key_line: usize) -> Option<usize> {
    item.node
        .as_map()
        .unwrap_or_default()
        .iter()
        .map(|e| at(e.key.span).0)
        .filter(|&l| l > key_line)
        .min()
}

/// The last line of the entry whose key is on `key_line` (its value's last content line).
pub(super) fn entry_last_line(spec: &Spec, item: &BlockItem, key_line: usize) -> usize {
    let bound = next_key_line(item, key_line).unwrap_or(item.lines.content_end + 1);
    (key_line..bound)
        .rev()
        .find(|&l| is_content(spec.lines.get(l), item.key_col))
        .unwrap_or(key_line)
}

/// Sets a scalar key (`Name`, `ExpectedResult`): in place on its line when it is a one-line
/// scalar (keeping its quoting and any comment after it), else by rewriting the entry; added
/// after `Name` (or at the end of the test) when missing.
pub(super) fn set_scalar(
    spec: &Spec,
    index: usize,
    key: &str,
    value: &Json,
) -> Result<String, EditError> {
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
pub(super) fn set_value(
    spec: &Spec,
    index: usize,
    key: &str,
    value: &Json,
) -> Result<String, EditError> {
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
pub(super) fn remove_key(spec: &Spec, index: usize, key: &str) -> Result<String, EditError> {
    let item = spec.block_item(index)?;
    let Some(entry) = item.node.entry(key) else {
        return Ok(spec.text(&spec.lines));
    };
    let (key_line, _) = at(entry.key.span);
    let last = entry_last_line(spec, &item, key_line);
    let mut lines = spec.lines.clone();
    if key_line == item.lines.dash {
        let next = next_key_line(&item, key_line).ok_or_else(|| EditError::Unsupported {
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

//! The file's indentation, as new text must copy it: the step of nested mappings, the offset
//! of a list's `-` from its key and of an item's text from its `-`, and the column of the
//! tests' `-`, observed in the tests first and in the whole spec otherwise.
//!
//! Invariant: observation only reads the spec; when nothing can be observed, the defaults are
//! two-space steps and lists at their key's column plus two.

use super::lines::{at, char_at, Lines};
use super::locate::{find_dash, node_start, Spec, TestsLayout};
use crate::spec::value::{Node, Value};

/// Indentation new text uses.
#[derive(Debug, Clone, Copy)]
pub(super) struct Style {
    /// Columns from a key to the keys of its nested mapping.
    pub(super) map_step: usize,
    /// Columns from a key to the `-` of its list (0 for `key:\n- item`).
    pub(super) seq_offset: usize,
    /// Columns from a `-` to the item's text (2 for `- x`, 4 for `-   x`).
    pub(super) item_offset: usize,
    /// Column of the tests' `-`.
    pub(super) tests_dash_col: usize,
    /// Offset of a test's keys from its `-`.
    pub(super) tests_item_offset: usize,
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

/// The indentation new text in `spec` uses, observed in its tests first, then in the whole spec.
pub(super) fn style_of(spec: &Spec) -> Style {
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

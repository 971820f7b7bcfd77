//! The three-way merge of a spec that knows PAT's format: by top-level key, byte-preserving.
//!
//! A spec's text is cut into parts, one per top-level key: the key's lines, the comment lines
//! right above it (no blank line between), and the blank lines after it (kept apart, so that a
//! key added below does not make this one look changed). Each key is then merged on its own:
//!
//! - the same text on both sides, or changed on one side only: that side's text, byte for byte;
//! - changed on both sides: lists with an identity merge per element (`Tests` by `Name`;
//!   `Tags`, `LogTypes`, `ResourceTypes`, `OutputIds`, `ScheduledQueries`, `Suppressions`,
//!   `PackDefinition.IDs` and each framework of `Reports` as sets: the fork's order, upstream's
//!   new elements added after their upstream neighbour, elements upstream removed dropped);
//!   mappings (`Reports`, `PackDefinition`) key by key again; any other key by lines within
//!   the key (as git would), and a conflict only when those lines overlap.
//!
//! The result keeps the fork's text outside the lines that change: its comments, quoting, key
//! order and blank lines. Where the text cannot be cut this way (a flow-style mapping, a spec
//! that does not parse, a duplicate key), the caller merges the whole file by lines instead.

use super::text::{merge_lines, Favor};
use crate::spec::value::{Node, Value};
use crate::spec::yaml;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

/// One spec's text, loaded.
pub struct Doc {
    lines: Vec<String>,
    root: Node,
}

impl Doc {
    /// Loads a spec; `None` when it is not a block mapping this merge can cut by key (it does
    /// not parse, has duplicate keys, or is written in flow style).
    pub fn parse(text: &str) -> Option<Doc> {
        let loaded = yaml::load_str(text).ok()?;
        if !loaded.duplicate_keys.is_empty() {
            return None;
        }
        let root = loaded.root?;
        let entries = root.as_map()?;
        let lines: Vec<String> = text.split_inclusive('\n').map(str::to_owned).collect();
        // Every top-level key at column 1, each on its own line.
        let mut last = 0;
        for e in entries {
            if e.key.span.col != 1 || (e.key.span.line as usize) <= last {
                return None;
            }
            last = e.key.span.line as usize;
        }
        Some(Doc { lines, root })
    }

    fn text(&self, r: &Range<usize>) -> String {
        let mut s: String = self.lines[r.clone()].concat();
        if !s.is_empty() && !s.ends_with('\n') {
            s.push('\n');
        }
        s
    }
}

/// A key both sides changed differently: the three texts of the key (its lines, comments
/// above included), `None` where the key is absent.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[ts(rename = "UpstreamKeyConflict")]
pub struct KeyConflict {
    /// `Severity`, `PackDefinition.IDs`, `Tests[Name of the test]`, `(header)`.
    pub path: String,
    /// The common ancestor's text.
    pub base: Option<String>,
    /// The fork's text.
    pub ours: Option<String>,
    /// Upstream's text.
    pub theirs: Option<String>,
    /// Why it is a conflict, in words.
    pub reason: String,
}

/// A side of a conflict to take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "UpstreamTake")]
pub enum Take {
    /// The fork's.
    Ours,
    /// Upstream's.
    Theirs,
    /// The fork's, then upstream's.
    Both,
}

impl Take {
    /// Parses `ours`, `theirs`, `both` (also `fork`, `upstream`).
    pub fn parse(s: &str) -> Option<Take> {
        match s {
            "ours" | "fork" => Some(Take::Ours),
            "theirs" | "upstream" => Some(Take::Theirs),
            "both" => Some(Take::Both),
            _ => None,
        }
    }

    /// The word the command line uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Take::Ours => "ours",
            Take::Theirs => "theirs",
            Take::Both => "both",
        }
    }
}

/// A piece of a merged spec.
#[derive(Debug, Clone)]
enum Piece {
    Text(String),
    Conflict(KeyConflict),
}

/// A spec merged by key: text with the conflicts left in it, and what was merged how.
#[derive(Debug, Clone)]
pub struct MergedSpec {
    pieces: Vec<Piece>,
    /// Keys both sides changed that merged without a conflict, with how (`Tests: by test
    /// name`, `Description: by lines`).
    pub merged_keys: Vec<String>,
}

impl MergedSpec {
    /// The conflicts, in file order.
    pub fn conflicts(&self) -> Vec<&KeyConflict> {
        self.pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Conflict(c) => Some(c),
                Piece::Text(_) => None,
            })
            .collect()
    }

    /// The text, each conflict resolved as `choices` says (by path) or else as `default` says;
    /// with neither, the conflict is written with git's diff3 markers.
    pub fn render(&self, choices: &BTreeMap<String, Take>, default: Option<Take>) -> String {
        let mut out = String::new();
        for p in &self.pieces {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Conflict(c) => {
                    let ours = c.ours.as_deref().unwrap_or("");
                    let theirs = c.theirs.as_deref().unwrap_or("");
                    match choices.get(&c.path).copied().or(default) {
                        Some(Take::Ours) => out.push_str(ours),
                        Some(Take::Theirs) => out.push_str(theirs),
                        Some(Take::Both) => {
                            out.push_str(ours);
                            out.push_str(theirs);
                        }
                        None => {
                            out.push_str(&format!("<<<<<<< {}\n", super::text::OURS_LABEL));
                            out.push_str(ours);
                            out.push_str(&format!("||||||| {}\n", super::text::BASE_LABEL));
                            out.push_str(c.base.as_deref().unwrap_or(""));
                            out.push_str("=======\n");
                            out.push_str(theirs);
                            out.push_str(&format!(">>>>>>> {}\n", super::text::THEIRS_LABEL));
                        }
                    }
                }
            }
        }
        out
    }
}

/// How the elements of one key merge when both sides changed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Strategy {
    /// Text by lines.
    Lines,
    /// Key by key.
    Mapping,
    /// A set of scalars.
    Set,
    /// A list of mappings identified by the value of a key.
    Keyed(&'static str),
}

fn strategy(path: &[String]) -> Strategy {
    let p: Vec<&str> = path.iter().map(String::as_str).collect();
    match p.as_slice() {
        [] => Strategy::Mapping,
        ["Tests"] => Strategy::Keyed("Name"),
        ["Tags" | "LogTypes" | "ResourceTypes" | "OutputIds" | "ScheduledQueries"
        | "Suppressions"] => Strategy::Set,
        ["Reports" | "PackDefinition"] => Strategy::Mapping,
        ["Reports", _] | ["PackDefinition", "IDs"] => Strategy::Set,
        _ => Strategy::Lines,
    }
}

fn path_name(path: &[String]) -> String {
    path.join(".")
}

fn is_blank(l: &str) -> bool {
    l.trim().is_empty()
}

fn is_comment(l: &str) -> bool {
    l.trim_start().starts_with('#')
}

fn indent_of(l: &str) -> usize {
    l.len() - l.trim_start_matches(' ').len()
}

/// One element of a mapping or list: an identity, its lines (comments above included) and
/// the blank lines after it.
#[derive(Debug, Clone)]
struct Part<'a> {
    id: String,
    body: Range<usize>,
    trail: Range<usize>,
    node: &'a Node,
}

/// A region cut into a head (lines before the first element) and elements.
struct Split<'a> {
    head: Range<usize>,
    parts: Vec<Part<'a>>,
}

/// Cuts `region` into parts starting at `starts` (line indexes, increasing, each with the
/// element's identity and node); comments directly above a start (not the first) belong to
/// the element below them when `walk_back` allows it.
fn cut<'a>(
    doc: &Doc,
    region: Range<usize>,
    starts: Vec<(usize, String, &'a Node)>,
    first_walks_back: bool,
    max_comment_indent: usize,
) -> Option<Split<'a>> {
    let mut begins = Vec::with_capacity(starts.len());
    let mut floor = region.start;
    for (i, (line, _, _)) in starts.iter().enumerate() {
        if *line < floor || *line >= region.end {
            return None;
        }
        let mut b = *line;
        if i > 0 || first_walks_back {
            let lower = if i == 0 { region.start } else { floor };
            while b > lower
                && is_comment(&doc.lines[b - 1])
                && indent_of(&doc.lines[b - 1]) <= max_comment_indent
            {
                b -= 1;
            }
        }
        begins.push(b);
        floor = line + 1;
    }
    let mut parts = Vec::with_capacity(starts.len());
    for (i, (_, id, node)) in starts.into_iter().enumerate() {
        let end = begins.get(i + 1).copied().unwrap_or(region.end);
        let mut body_end = end;
        while body_end > begins[i] + 1 && is_blank(&doc.lines[body_end - 1]) {
            body_end -= 1;
        }
        parts.push(Part {
            id,
            body: begins[i]..body_end,
            trail: body_end..end,
            node,
        });
    }
    let head_end = begins.first().copied().unwrap_or(region.end);
    Some(Split {
        head: region.start..head_end,
        parts,
    })
}

/// The entries of a mapping node as parts. `region` starts at the mapping's own key line for
/// a nested mapping (its head), at the file's start for the root.
fn split_map<'a>(doc: &Doc, node: &'a Node, region: Range<usize>, top: bool) -> Option<Split<'a>> {
    let entries = node.as_map()?;
    if entries.is_empty() {
        return None;
    }
    let col = entries[0].key.span.col;
    let mut starts = Vec::with_capacity(entries.len());
    for e in entries {
        let Value::Str(k) = &e.key.value else {
            return None;
        };
        let line = e.key.span.line as usize - 1;
        if e.key.span.col != col || (!top && line <= region.start) {
            return None;
        }
        // Nothing but indentation before the key: one key per line.
        let before: String = doc
            .lines
            .get(line)?
            .chars()
            .take(col as usize - 1)
            .collect();
        if !before.trim().is_empty() {
            return None;
        }
        starts.push((line, k.clone(), &e.value));
    }
    cut(doc, region, starts, false, col as usize - 1)
}

/// The items of a block sequence as parts, with identities from `identity`.
fn split_list<'a>(
    doc: &Doc,
    node: &'a Node,
    region: Range<usize>,
    identity: &Identity,
) -> Option<Split<'a>> {
    let items = node.as_list()?;
    if items.is_empty() {
        return None;
    }
    let mut starts = Vec::with_capacity(items.len());
    let mut dash_col: Option<usize> = None;
    let mut seen = BTreeSet::new();
    for item in items {
        let l = item.span.line as usize - 1;
        let line = doc.lines.get(l)?;
        let starts_item = |t: &str| {
            let t = t.trim_start();
            t.starts_with("- ") || t.trim_end() == "-"
        };
        let dash_line = if starts_item(line) {
            l
        } else if l > 0 && doc.lines[l - 1].trim() == "-" {
            l - 1
        } else {
            return None;
        };
        let col = indent_of(&doc.lines[dash_line]);
        if *dash_col.get_or_insert(col) != col || dash_line <= region.start {
            return None;
        }
        let id = identity(item)?;
        if !seen.insert(id.clone()) {
            return None;
        }
        starts.push((dash_line, id, item));
    }
    cut(doc, region, starts, true, dash_col.unwrap_or(0))
}

/// How a list element is identified (its value, or the value of one of its keys).
type Identity = dyn Fn(&Node) -> Option<String>;

fn scalar_identity(node: &Node) -> Option<String> {
    match &node.value {
        Value::List(_) | Value::Map(_) => None,
        _ => Some(node.repr()),
    }
}

/// A side of the merge at one place: the document and the part (or region) there.
#[derive(Clone, Copy)]
struct Side<'d, 'n> {
    doc: &'d Doc,
    node: &'n Node,
    region: (usize, usize),
}

impl Side<'_, '_> {
    fn range(&self) -> Range<usize> {
        self.region.0..self.region.1
    }
}

/// Merges three specs by key. `None` when one of them cannot be cut by key.
pub fn merge_spec(base: Option<&str>, ours: &str, theirs: &str) -> Option<MergedSpec> {
    let o = Doc::parse(ours)?;
    let t = Doc::parse(theirs)?;
    let b = match base {
        Some(text) => Some(Doc::parse(text)?),
        None => None,
    };
    let mut out = Merger {
        pieces: Vec::new(),
        merged_keys: Vec::new(),
    };
    let side = |d: &Doc| -> (usize, usize) { (0, d.lines.len()) };
    let bs = b.as_ref().map(|d| Side {
        doc: d,
        node: &d.root,
        region: side(d),
    });
    let os = Side {
        doc: &o,
        node: &o.root,
        region: side(&o),
    };
    let ts = Side {
        doc: &t,
        node: &t.root,
        region: side(&t),
    };
    if !out.mapping(&[], bs, os, ts, true) {
        return None;
    }
    // Join adjacent text pieces.
    let mut pieces: Vec<Piece> = Vec::new();
    for p in out.pieces {
        match (pieces.last_mut(), p) {
            (Some(Piece::Text(prev)), Piece::Text(t)) => prev.push_str(&t),
            (_, p) => pieces.push(p),
        }
    }
    Some(MergedSpec {
        pieces,
        merged_keys: out.merged_keys,
    })
}

struct Merger {
    pieces: Vec<Piece>,
    merged_keys: Vec<String>,
}

/// Three texts of one place: the decision when at most one side changed it.
enum Trivial<'a> {
    Take(Option<&'a str>),
    BothChanged,
}

fn trivial<'a>(b: Option<&'a str>, o: Option<&'a str>, t: Option<&'a str>) -> Trivial<'a> {
    if o == t {
        Trivial::Take(o)
    } else if b == o {
        Trivial::Take(t)
    } else if b == t {
        Trivial::Take(o)
    } else {
        Trivial::BothChanged
    }
}

impl Merger {
    fn text(&mut self, s: impl Into<String>) {
        self.pieces.push(Piece::Text(s.into()));
    }

    /// Merges one text by lines: clean into the output, or a conflict.
    fn by_lines(&mut self, path: &str, b: Option<&str>, o: Option<&str>, t: Option<&str>) {
        match (o, t) {
            (Some(ot), Some(tt)) => {
                let m = merge_lines(
                    b.unwrap_or("").as_bytes(),
                    ot.as_bytes(),
                    tt.as_bytes(),
                    Favor::Markers,
                );
                if !m.conflicted {
                    self.merged_keys.push(format!("{path}: by lines"));
                    self.text(String::from_utf8_lossy(&m.text).into_owned());
                    return;
                }
                self.conflict(
                    path,
                    b,
                    o,
                    t,
                    if b.is_none() {
                        "added on both sides with different values"
                    } else {
                        "changed on both sides, in the same lines"
                    },
                );
            }
            (Some(_), None) => {
                self.conflict(path, b, o, t, "changed in the fork, removed upstream")
            }
            (None, Some(_)) => {
                self.conflict(path, b, o, t, "removed in the fork, changed upstream")
            }
            (None, None) => {}
        }
    }

    fn conflict(
        &mut self,
        path: &str,
        b: Option<&str>,
        o: Option<&str>,
        t: Option<&str>,
        reason: &str,
    ) {
        self.pieces.push(Piece::Conflict(KeyConflict {
            path: path.to_owned(),
            base: b.map(str::to_owned),
            ours: o.map(str::to_owned),
            theirs: t.map(str::to_owned),
            reason: reason.to_owned(),
        }));
    }

    /// Merges a mapping (the root, or a nested block mapping whose region starts at its key
    /// line). Returns false when a side cannot be cut by key (the caller falls back to lines).
    fn mapping(&mut self, path: &[String], b: Option<Side>, o: Side, t: Side, top: bool) -> bool {
        let Some(os) = split_map(o.doc, o.node, o.range(), top) else {
            return false;
        };
        let Some(ts) = split_map(t.doc, t.node, t.range(), top) else {
            return false;
        };
        let bs = match &b {
            Some(b) => match split_map(b.doc, b.node, b.range(), top) {
                Some(s) => Some(s),
                None => return false,
            },
            None => None,
        };
        let head_path = if path.is_empty() {
            "(header)".to_owned()
        } else {
            path_name(path)
        };
        let bh = b.zip(bs.as_ref()).map(|(b, s)| b.doc.text(&s.head));
        let oh = o.doc.text(&os.head);
        let th = t.doc.text(&ts.head);
        match trivial(bh.as_deref(), Some(&oh), Some(&th)) {
            Trivial::Take(h) => self.text(h.unwrap_or("")),
            Trivial::BothChanged => self.by_lines(&head_path, bh.as_deref(), Some(&oh), Some(&th)),
        }
        self.parts(
            path,
            b.zip(bs.as_ref()),
            (o, &os),
            (t, &ts),
            Strategy::Mapping,
        );
        true
    }

    /// Merges the parts of a mapping or list, in the result's order, each with the blank lines
    /// that follow it.
    fn parts(
        &mut self,
        path: &[String],
        b: Option<(Side, &Split)>,
        o: (Side, &Split),
        t: (Side, &Split),
        kind: Strategy,
    ) {
        let find = |s: &Split, id: &str| s.parts.iter().position(|p| p.id == id);
        let b_ids: Vec<&str> = b
            .map(|(_, s)| s.parts.iter().map(|p| p.id.as_str()).collect())
            .unwrap_or_default();
        let o_ids: Vec<&str> = o.1.parts.iter().map(|p| p.id.as_str()).collect();
        let t_ids: Vec<&str> = t.1.parts.iter().map(|p| p.id.as_str()).collect();
        // The order: the fork's, unless only upstream reordered the common elements (then
        // upstream's); the other side's new elements after their neighbour from that side.
        let common = |ids: &[&str], a: &[&str], c: &[&str]| -> Vec<String> {
            ids.iter()
                .filter(|i| a.contains(i) && c.contains(i))
                .map(|s| s.to_string())
                .collect()
        };
        let o_common = common(&o_ids, &b_ids, &t_ids);
        let t_common = common(&t_ids, &b_ids, &o_ids);
        let b_common = common(&b_ids, &o_ids, &t_ids);
        let follow_theirs =
            kind == Strategy::Keyed("Name") && o_common == b_common && t_common != b_common;
        let (first, second) = if follow_theirs {
            (&t_ids, &o_ids)
        } else {
            (&o_ids, &t_ids)
        };
        let mut order: Vec<String> = first.iter().map(|s| s.to_string()).collect();
        for (i, id) in second.iter().enumerate() {
            if order.iter().any(|x| x == id) {
                continue;
            }
            let after = second[..i]
                .iter()
                .rev()
                .find_map(|p| order.iter().position(|x| x == p));
            // After its neighbour, and after the other side's own new elements there.
            let mut at = match after {
                Some(pos) => pos + 1,
                None => 0,
            };
            while at < order.len()
                && !b_ids.contains(&order[at].as_str())
                && !second.contains(&order[at].as_str())
            {
                at += 1;
            }
            order.insert(at, id.to_string());
        }
        // The separator between elements of each side (for elements that were last on theirs).
        let inner_sep = |side: &(Side, &Split)| -> String {
            match side.1.parts.first() {
                Some(p) if side.1.parts.len() > 1 => side.0.doc.text(&p.trail),
                _ => String::new(),
            }
        };
        let o_sep = inner_sep(&o);
        let t_sep = inner_sep(&t);
        let o_last_trail =
            o.1.parts
                .last()
                .map(|p| o.0.doc.text(&p.trail))
                .unwrap_or_default();
        let mut emitted: Vec<(usize, String)> = Vec::new(); // (piece index after body, trail)
        for id in &order {
            let bp = b.and_then(|(s, sp)| find(sp, id).map(|i| (s, &sp.parts[i])));
            let op = find(o.1, id).map(|i| (o.0, &o.1.parts[i]));
            let tp = find(t.1, id).map(|i| (t.0, &t.1.parts[i]));
            let bt = bp.map(|(s, p)| s.doc.text(&p.body));
            let ot = op.map(|(s, p)| s.doc.text(&p.body));
            let tt = tp.map(|(s, p)| s.doc.text(&p.body));
            let child: Vec<String> = path
                .iter()
                .cloned()
                .chain(std::iter::once(id.clone()))
                .collect();
            let name = match kind {
                Strategy::Keyed(_) => format!("{}[{}]", path_name(path), id),
                _ => path_name(&child),
            };
            let before = self.pieces.len();
            match trivial(bt.as_deref(), ot.as_deref(), tt.as_deref()) {
                Trivial::Take(None) => continue,
                Trivial::Take(Some(text)) => self.text(text),
                Trivial::BothChanged => {
                    let child_strategy = match kind {
                        Strategy::Mapping => strategy(&child),
                        _ => Strategy::Lines,
                    };
                    let done = match (op, tp) {
                        (Some((os, opart)), Some((ts, tpart))) => self.nested(
                            &child,
                            child_strategy,
                            bp.map(|(s, p)| Side {
                                doc: s.doc,
                                node: p.node,
                                region: (p.body.start, p.body.end),
                            }),
                            Side {
                                doc: os.doc,
                                node: opart.node,
                                region: (opart.body.start, opart.body.end),
                            },
                            Side {
                                doc: ts.doc,
                                node: tpart.node,
                                region: (tpart.body.start, tpart.body.end),
                            },
                        ),
                        _ => false,
                    };
                    if !done {
                        self.pieces.truncate(before);
                        self.by_lines(&name, bt.as_deref(), ot.as_deref(), tt.as_deref());
                    }
                }
            }
            if self.pieces.len() == before {
                continue;
            }
            // Blank lines after it: its own when it was not last on its side.
            let (side, sep, part) = match (op, tp) {
                (Some((s, p)), _) => (s, &o_sep, p),
                (None, Some((s, p))) => (s, &t_sep, p),
                (None, None) => continue,
            };
            let own_last = if op.is_some() {
                o.1.parts.last().map(|p| p.id == part.id)
            } else {
                t.1.parts.last().map(|p| p.id == part.id)
            };
            let trail = if own_last == Some(true) {
                sep.clone()
            } else {
                side.doc.text(&part.trail)
            };
            self.text(String::new());
            emitted.push((self.pieces.len() - 1, trail));
        }
        // Each element's blank lines; the last gets the fork's blank lines after the region.
        let n = emitted.len();
        for (k, (at, trail)) in emitted.into_iter().enumerate() {
            let t = if k + 1 == n {
                o_last_trail.clone()
            } else {
                trail
            };
            self.pieces[at] = Piece::Text(t);
        }
    }

    /// Merges a value both sides changed, by its strategy; false when it cannot (the caller
    /// merges its lines).
    fn nested(
        &mut self,
        path: &[String],
        kind: Strategy,
        b: Option<Side>,
        o: Side,
        t: Side,
    ) -> bool {
        match kind {
            Strategy::Lines => false,
            Strategy::Mapping => {
                if !matches!(o.node.value, Value::Map(_)) || !matches!(t.node.value, Value::Map(_))
                {
                    return false;
                }
                let ok = self.mapping(path, b, o, t, false);
                if ok {
                    self.merged_keys
                        .push(format!("{}: key by key", path_name(path)));
                }
                ok
            }
            Strategy::Set | Strategy::Keyed(_) => {
                let identity: Box<Identity> = match kind {
                    Strategy::Keyed(key) => Box::new(move |n: &Node| {
                        n.get(key).and_then(|v| v.as_str()).map(str::to_owned)
                    }),
                    _ => Box::new(scalar_identity),
                };
                let Some(os) = split_list(o.doc, o.node, o.range(), &identity) else {
                    return false;
                };
                let Some(ts) = split_list(t.doc, t.node, t.range(), &identity) else {
                    return false;
                };
                let bs = match &b {
                    Some(b) => match split_list(b.doc, b.node, b.range(), &identity) {
                        Some(s) => Some(s),
                        None => return false,
                    },
                    None => None,
                };
                // The key line(s) before the first element: the fork's, unless only upstream
                // changed them.
                let bh = b.zip(bs.as_ref()).map(|(b, s)| b.doc.text(&s.head));
                let oh = o.doc.text(&os.head);
                let th = t.doc.text(&ts.head);
                match trivial(bh.as_deref(), Some(&oh), Some(&th)) {
                    Trivial::Take(h) => self.text(h.unwrap_or("")),
                    Trivial::BothChanged => self.text(oh.clone()),
                }
                if kind == Strategy::Set {
                    self.set(b.zip(bs.as_ref()), (o, &os), (t, &ts));
                } else {
                    self.parts(path, b.zip(bs.as_ref()), (o, &os), (t, &ts), kind);
                }
                let how = match kind {
                    Strategy::Keyed(k) => format!("{}: element by element ({k})", path_name(path)),
                    _ => format!("{}: as a set", path_name(path)),
                };
                self.merged_keys.push(how);
                true
            }
        }
    }

    /// A set: the fork's elements minus those upstream removed, plus upstream's new ones after
    /// their upstream neighbour. Never a conflict.
    fn set(&mut self, b: Option<(Side, &Split)>, o: (Side, &Split), t: (Side, &Split)) {
        let ids = |s: &Split| -> Vec<String> { s.parts.iter().map(|p| p.id.clone()).collect() };
        let b_ids = b.map(|(_, s)| ids(s)).unwrap_or_default();
        let t_ids = ids(t.1);
        let removed_upstream: BTreeSet<&String> =
            b_ids.iter().filter(|i| !t_ids.contains(i)).collect();
        // (text, trail) of each element kept.
        let mut out: Vec<(String, String, String)> = Vec::new(); // (id, body, trail)
        for p in &o.1.parts {
            if removed_upstream.contains(&p.id) {
                continue;
            }
            out.push((p.id.clone(), o.0.doc.text(&p.body), o.0.doc.text(&p.trail)));
        }
        let dash = |side: &(Side, &Split)| -> usize {
            side.1
                .parts
                .first()
                .map(|p| {
                    let l = (p.body.start..p.body.end)
                        .find(|l| !is_comment(&side.0.doc.lines[*l]))
                        .unwrap_or(p.body.start);
                    indent_of(&side.0.doc.lines[l])
                })
                .unwrap_or(0)
        };
        let (od, td) = (dash(&o), dash(&t));
        for (i, p) in t.1.parts.iter().enumerate() {
            if b_ids.contains(&p.id) || out.iter().any(|(id, _, _)| *id == p.id) {
                continue;
            }
            let body = reindent(&t.0.doc.text(&p.body), td, od);
            let after = t.1.parts[..i]
                .iter()
                .rev()
                .find_map(|q| out.iter().position(|(id, _, _)| *id == q.id));
            let mut at = after.map(|x| x + 1).unwrap_or(0);
            while at < out.len() && !b_ids.contains(&out[at].0) && !t_ids.contains(&out[at].0) {
                at += 1;
            }
            out.insert(at, (p.id.clone(), body, String::new()));
        }
        let o_last_trail =
            o.1.parts
                .last()
                .map(|p| o.0.doc.text(&p.trail))
                .unwrap_or_default();
        let sep = match o.1.parts.first() {
            Some(p) if o.1.parts.len() > 1 => o.0.doc.text(&p.trail),
            _ => String::new(),
        };
        let n = out.len();
        for (k, (id, body, trail)) in out.into_iter().enumerate() {
            self.text(body);
            let was_last = o.1.parts.last().map(|p| p.id == id).unwrap_or(false);
            if k + 1 == n {
                self.text(o_last_trail.clone());
            } else if was_last || trail.is_empty() {
                self.text(sep.clone());
            } else {
                self.text(trail);
            }
        }
    }
}

/// Moves every non-blank line of `text` from indentation `from` to `to` (the fork's
/// indentation of the list it joins).
fn reindent(text: &str, from: usize, to: usize) -> String {
    if from == to {
        return text.to_owned();
    }
    text.split_inclusive('\n')
        .map(|l| {
            if is_blank(l) {
                l.to_owned()
            } else if to > from {
                format!("{}{l}", " ".repeat(to - from))
            } else {
                let cut = (from - to).min(indent_of(l));
                l[cut..].to_owned()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merge(b: &str, o: &str, t: &str) -> MergedSpec {
        merge_spec(Some(b), o, t).expect("cuts by key")
    }

    fn clean(b: &str, o: &str, t: &str) -> String {
        let m = merge(b, o, t);
        assert!(m.conflicts().is_empty(), "{:?}", m.conflicts());
        m.render(&BTreeMap::new(), None)
    }

    const BASE: &str = "\
# A header comment
AnalysisType: rule
RuleID: Demo.Rule
Enabled: true
Severity: Medium # tuned?
Threshold: 5
Tags:
  - AWS
  - Initial Access
LogTypes:
  - AWS.CloudTrail
Tests:
  - Name: first
    ExpectedResult: true
    Log:
      a: 1
  - Name: second
    ExpectedResult: false
    Log:
      a: 2
";

    #[test]
    fn merge_keeps_local_severity_when_upstream_changes_tests() {
        let ours = BASE.replace("Severity: Medium # tuned?", "Severity: Low # Acme: noisy");
        let theirs = BASE.replace(
            "      a: 2\n",
            "      a: 2\n  - Name: third\n    ExpectedResult: true\n    Log:\n      a: 3\n",
        );
        let out = clean(BASE, &ours, &theirs);
        assert!(out.contains("Severity: Low # Acme: noisy\n"));
        assert!(out.contains("Name: third"));
        assert!(out.starts_with("# A header comment\n"));
    }

    #[test]
    fn identical_changes_are_not_a_conflict() {
        let both = BASE.replace("Threshold: 5", "Threshold: 10");
        assert_eq!(clean(BASE, &both, &both), both);
    }

    #[test]
    fn same_key_changed_differently_conflicts_and_resolves_per_key() {
        let ours = BASE.replace("Threshold: 5", "Threshold: 20 # Acme");
        let theirs = BASE.replace("Threshold: 5", "Threshold: 10");
        let m = merge(BASE, &ours, &theirs);
        let c = m.conflicts();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].path, "Threshold");
        let mut choice = BTreeMap::new();
        choice.insert("Threshold".to_string(), Take::Ours);
        assert_eq!(m.render(&choice, None), ours);
        choice.insert("Threshold".to_string(), Take::Theirs);
        assert_eq!(m.render(&choice, None), theirs);
        let marked = m.render(&BTreeMap::new(), None);
        assert!(marked.contains("<<<<<<< fork\nThreshold: 20 # Acme\n||||||| base\nThreshold: 5\n=======\nThreshold: 10\n>>>>>>> upstream\n"), "{marked}");
    }

    #[test]
    fn tests_added_on_both_sides_merge_by_name() {
        let ours = BASE.replace("      a: 2\n", "      a: 2\n  # Acme: our own case\n  - Name: acme\n    ExpectedResult: true\n    Log:\n      a: 9\n");
        let theirs = BASE.replace(
            "      a: 2\n",
            "      a: 2\n  - Name: third\n    ExpectedResult: true\n    Log:\n      a: 3\n",
        );
        let out = clean(BASE, &ours, &theirs);
        let acme = out.find("Name: acme").unwrap();
        let third = out.find("Name: third").unwrap();
        assert!(out.find("Name: second").unwrap() < acme.min(third));
        assert!(out.contains("  # Acme: our own case\n  - Name: acme"));
        assert!(Doc::parse(&out).is_some(), "{out}");
    }

    #[test]
    fn a_test_changed_on_one_side_and_another_added_on_the_other() {
        let ours = BASE.replace("    ExpectedResult: false\n", "    ExpectedResult: true\n");
        let theirs = BASE
            .replace("      a: 1\n", "      a: 1\n      b: 1\n")
            .replace(
                "      a: 2\n",
                "      a: 2\n  - Name: third\n    ExpectedResult: true\n    Log:\n      a: 3\n",
            );
        let out = clean(BASE, &ours, &theirs);
        assert!(out.contains("  - Name: second\n    ExpectedResult: true\n"));
        assert!(out.contains("      a: 1\n      b: 1\n"));
        assert!(out.contains("Name: third"));
    }

    #[test]
    fn the_same_test_changed_on_both_sides_is_a_conflict_named_by_the_test() {
        let ours = BASE.replace("    ExpectedResult: false\n", "    ExpectedResult: true\n");
        let theirs = BASE
            .replace(
                "    ExpectedResult: false\n",
                "    ExpectedResult: false # really\n",
            )
            .replace("Tags:\n", "Tags:\n  - New\n");
        let m = merge(BASE, &ours, &theirs);
        let paths: Vec<&str> = m.conflicts().iter().map(|c| c.path.as_str()).collect();
        assert_eq!(paths, vec!["Tests[second]"]);
    }

    #[test]
    fn upstream_reordering_tests_is_followed_when_the_fork_kept_the_order() {
        let second_first = "Tests:\n  - Name: second\n    ExpectedResult: false\n    Log:\n      a: 2\n  - Name: first\n    ExpectedResult: true\n    Log:\n      a: 1\n";
        let theirs = BASE.split("Tests:\n").next().unwrap().to_owned() + second_first;
        let ours = BASE.replace(
            "      a: 2\n",
            "      a: 2\n  - Name: acme\n    ExpectedResult: true\n    Log:\n      a: 9\n",
        );
        let out = clean(BASE, &ours, &theirs);
        let s = out.find("Name: second").unwrap();
        let f = out.find("Name: first").unwrap();
        let a = out.find("Name: acme").unwrap();
        assert!(s < f, "{out}");
        assert!(a > s, "{out}");
    }

    #[test]
    fn tags_merge_as_sets_keeping_the_fork_order() {
        let ours = BASE.replace(
            "  - AWS\n  - Initial Access\n",
            "  - Initial Access\n  - AWS\n  - Acme\n",
        );
        let theirs = BASE.replace("  - Initial Access\n", "  - Compliance:CIS\n");
        let out = clean(BASE, &ours, &theirs);
        assert!(
            out.contains("Tags:\n  - AWS\n  - Acme\n  - Compliance:CIS\n")
                || out.contains("Tags:\n  - AWS\n  - Compliance:CIS\n  - Acme\n"),
            "{out}"
        );
        assert!(
            !out.contains("Initial Access"),
            "upstream removed it: {out}"
        );
    }

    #[test]
    fn pack_ids_merge_as_a_set_inside_pack_definition() {
        let base = "AnalysisType: pack\nPackID: P\nPackDefinition:\n  IDs:\n    - A\n    - B\nDisplayName: p\n";
        let ours = base.replace("    - B\n", "    - B\n    - Local\n");
        let theirs = base.replace("    - A\n", "    - A2\n");
        let out = clean(base, &ours, &theirs);
        assert_eq!(out, "AnalysisType: pack\nPackID: P\nPackDefinition:\n  IDs:\n    - A2\n    - B\n    - Local\nDisplayName: p\n");
    }

    #[test]
    fn reports_merge_per_framework() {
        let base = "AnalysisType: rule\nReports:\n  MITRE ATT&CK:\n    - TA0001:T1078\n  CIS:\n    - 1.1\n";
        let ours = base.replace("    - 1.1\n", "    - 1.1\n    - 1.2\n");
        let theirs = base
            .replace(
                "    - TA0001:T1078\n",
                "    - TA0001:T1078\n    - TA0005:T1562\n",
            )
            .replace("    - 1.1\n", "    - 1.1\n    - 2.4\n");
        let out = clean(base, &ours, &theirs);
        assert!(out.contains("TA0005:T1562"));
        assert!(out.contains("    - 1.1\n    - 1.2\n    - 2.4\n"), "{out}");
    }

    #[test]
    fn a_description_changed_on_both_sides_in_different_lines_merges_by_lines() {
        let base = "AnalysisType: rule\nDescription: >\n  line one\n  line two\n  line three\n  line four\nSeverity: Low\n";
        let ours = base.replace("line one", "line 1");
        let theirs = base.replace("line four", "line 4");
        let out = clean(base, &ours, &theirs);
        assert!(out.contains("line 1") && out.contains("line 4"));
    }

    #[test]
    fn new_upstream_keys_go_after_their_upstream_neighbour() {
        let ours = BASE.replace("Severity: Medium # tuned?", "Severity: Low");
        let theirs = BASE.replace("Threshold: 5\n", "Threshold: 5\nDedupPeriodMinutes: 60\n");
        let out = clean(BASE, &ours, &theirs);
        assert!(
            out.contains("Threshold: 5\nDedupPeriodMinutes: 60\nTags:"),
            "{out}"
        );
    }

    #[test]
    fn a_key_removed_in_the_fork_and_changed_upstream_conflicts() {
        let ours = BASE.replace("Threshold: 5\n", "");
        let theirs = BASE.replace("Threshold: 5", "Threshold: 10");
        let m = merge(BASE, &ours, &theirs);
        assert_eq!(m.conflicts()[0].path, "Threshold");
        assert_eq!(m.conflicts()[0].ours, None);
    }

    #[test]
    fn flow_style_or_broken_specs_are_not_cut_by_key() {
        assert!(merge_spec(Some(BASE), "{AnalysisType: rule}", BASE).is_none());
        assert!(merge_spec(Some(BASE), "a: [\n", BASE).is_none());
        assert!(merge_spec(Some(BASE), "a: 1\na: 2\n", BASE).is_none());
    }

    #[test]
    fn blank_lines_between_keys_are_kept() {
        let base = "A: 1\n\nB: 2\n\nC: 3\n";
        let ours = "A: 1\n\nB: 20\n\nC: 3\n";
        let theirs = "A: 1\n\nB: 2\n\nC: 3\n\nD: 4\n";
        assert_eq!(clean(base, ours, theirs), "A: 1\n\nB: 20\n\nC: 3\n\nD: 4\n");
    }
}

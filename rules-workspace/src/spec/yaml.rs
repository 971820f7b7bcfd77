//! Loads a spec file the way PAT does (PyYAML `CSafeLoader` with PAT's YAML-1.2 tweaks), keeping
//! the line and column of every node.
//!
//! PAT's dialect (panther-spec §1.1): plain scalars are resolved with PyYAML's YAML 1.1 implicit
//! resolvers, then PAT's constructors turn them back towards YAML 1.2: only
//! `true/false/True/False/TRUE/FALSE` are booleans (`yes`, `on` stay strings), timestamps stay
//! strings, leading-zero integers are decimal, `1:30:00` stays a string. Floats follow YAML 1.1
//! (a dot is required, exponents need a sign). Duplicate keys keep the last value at the first
//! key's position, as a Python dict does; we also report them, since PAT silently drops the
//! earlier value. Merge keys (`<<`) and anchors work as in PyYAML.
//!
//! Invariants: never panics on any input; nesting and alias expansion are bounded so a hostile
//! file cannot exhaust the stack or memory.
//!
//! One file (about 800 lines of code) on purpose: it is one state machine over the parser's
//! events (nodes, anchors, merge keys, spans) plus the scalar resolver it calls at every leaf;
//! splitting the two would only scatter the resolution rules a reader compares with PyYAML's.

use super::value::{Entry, Node, Span, Value};
use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// Deepest nesting accepted (Python's own recursion limit is 1000).
const MAX_DEPTH: usize = 512;
/// Most nodes a document may expand to through aliases (a "billion laughs" guard).
const MAX_NODES: usize = 5_000_000;

/// A file that is not valid YAML (or not text), with the place of the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct YamlError {
    /// PyYAML's message (PAT prints it).
    pub message: String,
    /// Where the problem is.
    pub span: Span,
}

/// A duplicate mapping key: Python keeps the last value silently, we tell the user.
#[derive(Debug, Clone)]
pub struct DuplicateKey {
    /// The key, as Python's `str()` of it.
    pub key: String,
    /// Where the key is first written.
    pub first: Span,
    /// Where it is written again (the value that counts).
    pub second: Span,
}

/// The result of loading one file.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// `None` for an empty document (PyYAML returns `None`).
    pub root: Option<Node>,
    /// Keys written twice in one mapping, in file order.
    pub duplicate_keys: Vec<DuplicateKey>,
}

/// Decodes raw file bytes as PyYAML's reader does: a UTF-16 BOM selects UTF-16, otherwise the
/// bytes must be UTF-8 (a UTF-8 BOM is dropped), and every character must be printable in
/// YAML's sense.
pub fn decode(bytes: &[u8]) -> Result<String, YamlError> {
    let text = if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        let le = bytes[0] == 0xFF;
        let units: Vec<u16> = bytes[2..]
            .chunks(2)
            .map(|c| {
                let pair = [c[0], *c.get(1).unwrap_or(&0)];
                if le {
                    u16::from_le_bytes(pair)
                } else {
                    u16::from_be_bytes(pair)
                }
            })
            .collect();
        let text = String::from_utf16(&units).map_err(|_| YamlError {
            message: "the file starts with a UTF-16 byte order mark but is not valid UTF-16".into(),
            span: Span { line: 1, col: 1 },
        })?;
        check_printable(&text)?;
        text
    } else {
        let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
        // libyaml decodes and checks character by character, so whichever comes first, an
        // undecodable byte or an unprintable character, is the error.
        let (valid, bad) = match std::str::from_utf8(body) {
            Ok(s) => (s, None),
            Err(e) => (
                std::str::from_utf8(&body[..e.valid_up_to()]).unwrap_or(""),
                Some(e.valid_up_to()),
            ),
        };
        check_printable(valid)?;
        if let Some(pos) = bad {
            let byte = body.get(pos).copied().unwrap_or(0);
            return Err(YamlError {
                message: format!("'utf-8' codec can't decode byte #x{byte:02x} at position {pos}: the file is not UTF-8 text"),
                span: span_of_byte(body, pos),
            });
        }
        valid.to_owned()
    };
    Ok(text)
}

fn span_of_byte(bytes: &[u8], pos: usize) -> Span {
    let before = &bytes[..pos.min(bytes.len())];
    let line = before.iter().filter(|b| **b == b'\n').count() as u32 + 1;
    let line_start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    let col = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count() as u32
        + 1;
    Span { line, col }
}

fn check_printable(text: &str) -> Result<(), YamlError> {
    // Nearly every spec is printable ASCII: one pass over the bytes, no decoding.
    if text
        .bytes()
        .all(|b| matches!(b, 0x09 | 0x0A | 0x0D | 0x20..=0x7E))
    {
        return Ok(());
    }
    for (line_no, line) in text.split('\n').enumerate() {
        for (col, c) in line.chars().enumerate() {
            if !is_yaml_printable(c) {
                return Err(YamlError {
                    message: format!(
                        "unacceptable character #x{:04x}: control characters are not allowed",
                        c as u32
                    ),
                    span: Span {
                        line: line_no as u32 + 1,
                        col: col as u32 + 1,
                    },
                });
            }
        }
    }
    Ok(())
}

/// The characters libyaml's reader accepts.
fn is_yaml_printable(c: char) -> bool {
    matches!(c as u32,
        0x09 | 0x0A | 0x0D | 0x20..=0x7E | 0x85 | 0xA0..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
}

/// Loads bytes as a single YAML document with PAT's semantics.
pub fn load_bytes(bytes: &[u8]) -> Result<Loaded, YamlError> {
    let text = decode(bytes)?;
    load_str(&text)
}

/// Loads text as a single YAML document with PAT's semantics.
pub fn load_str(text: &str) -> Result<Loaded, YamlError> {
    match parse(text) {
        Err(e) if e.message.starts_with("invalid indentation") => {
            // libyaml (PAT's parser) ignores indentation inside flow collections (`{ … }`,
            // `[ … ]`); yaml-rust2 requires their lines to be indented past the enclosing block.
            // Indent such lines further (which does not change their meaning) and try again,
            // mapping columns back to the file's.
            let Some((relaxed, shifts)) = relax_flow_indentation(text) else {
                return Err(e);
            };
            let mut loaded = parse(&relaxed).map_err(|_| e.clone())?;
            if let Some(root) = loaded.root.as_mut() {
                unshift(root, &shifts);
            }
            for d in &mut loaded.duplicate_keys {
                d.first = unshift_span(d.first, &shifts);
                d.second = unshift_span(d.second, &shifts);
            }
            Ok(loaded)
        }
        other => other,
    }
}

fn unshift_span(span: Span, shifts: &[u32]) -> Span {
    let added = shifts.get(span.line as usize - 1).copied().unwrap_or(0);
    Span {
        line: span.line,
        col: span.col.saturating_sub(added).max(1),
    }
}

fn unshift(node: &mut Node, shifts: &[u32]) {
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        n.span = unshift_span(n.span, shifts);
        match &mut n.value {
            Value::List(items) => stack.extend(items.iter_mut()),
            Value::Map(entries) => {
                for e in entries.iter_mut() {
                    stack.push(&mut e.key);
                    stack.push(&mut e.value);
                }
            }
            _ => {}
        }
    }
}

/// Re-indents the continuation lines of flow collections so each is indented one column past
/// the line the collection opened on. Returns the new text and the spaces added per line, or
/// `None` when nothing needed changing.
fn relax_flow_indentation(text: &str) -> Option<(String, Vec<u32>)> {
    let mut out = String::with_capacity(text.len() + 64);
    let mut shifts = Vec::new();
    let mut depth = 0usize;
    let mut required = 0usize;
    let mut quote: Option<char> = None;
    let mut changed = false;
    for line in text.split_inclusive('\n') {
        let indent = line.chars().take_while(|c| *c == ' ').count();
        let mut added = 0;
        if depth > 0 && quote.is_none() && !line.trim().is_empty() && indent < required {
            added = required - indent;
            out.push_str(&" ".repeat(added));
            changed = true;
        } else if depth == 0 && quote.is_none() {
            required = indent + 1;
        }
        shifts.push(added as u32);
        out.push_str(line);
        // Track flow depth and quotes on this line (comments end the scan).
        let mut prev = ' ';
        for c in line.chars() {
            match quote {
                Some(q) => {
                    if c == q {
                        quote = None;
                    }
                }
                None => match c {
                    '#' if prev == ' ' || prev == '\t' => break,
                    '"' | '\'' if matches!(prev, ' ' | '\t' | '[' | '{' | ',' | ':') => {
                        quote = Some(c)
                    }
                    '{' | '[' if depth > 0 || matches!(prev, ' ' | '\t' | ':' | '-') => depth += 1,
                    '}' | ']' if depth > 0 => depth -= 1,
                    _ => {}
                },
            }
            prev = c;
        }
        // A single quote can span lines only inside flow collections or quoted values; a
        // stray apostrophe in block text must not poison the next lines.
        if depth == 0 && quote == Some('\'') && !line.trim_start().contains(": '") {
            quote = None;
        }
    }
    changed.then_some((out, shifts))
}

fn parse(text: &str) -> Result<Loaded, YamlError> {
    let mut parser = Parser::new_from_str(text);
    let mut builder = Builder::default();
    let mut documents = 0usize;
    loop {
        let (event, mark) = parser.next_token().map_err(|e| YamlError {
            message: e.info().to_owned(),
            span: marker_span(e.marker()),
        })?;
        match event {
            Event::StreamEnd => break,
            Event::DocumentStart => {
                documents += 1;
                if documents > 1 {
                    return Err(YamlError {
                        message:
                            "expected a single document in the stream, but found another document"
                                .into(),
                        span: marker_span(&mark),
                    });
                }
            }
            other => builder.on_event(other, mark)?,
        }
    }
    Ok(Loaded {
        root: builder.root,
        duplicate_keys: builder.duplicate_keys,
    })
}

fn marker_span(mark: &Marker) -> Span {
    Span {
        line: mark.line() as u32,
        col: mark.col() as u32 + 1,
    }
}

enum Frame {
    Seq {
        anchor: usize,
        span: Span,
        items: Vec<Node>,
    },
    Map {
        anchor: usize,
        span: Span,
        entries: Vec<Entry>,
        pending_key: Option<Node>,
        pending_is_merge: bool,
        merges: Vec<Node>,
    },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    anchors: std::collections::HashMap<usize, Node>,
    root: Option<Node>,
    duplicate_keys: Vec<DuplicateKey>,
    nodes: usize,
}

impl Builder {
    fn on_event(&mut self, event: Event, mark: Marker) -> Result<(), YamlError> {
        let span = marker_span(&mark);
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                // `<<` is the merge key only as an untagged plain scalar (PyYAML's resolver).
                let merge = style == TScalarStyle::Plain && tag.is_none() && text == "<<";
                let node = Node::new(resolve_scalar(&text, style, tag.as_ref(), span)?, span);
                self.finish(node, anchor, merge)?;
            }
            Event::SequenceStart(anchor, tag) => {
                check_collection_tag(tag.as_ref(), "seq", span)?;
                self.push(
                    Frame::Seq {
                        anchor,
                        span,
                        items: Vec::new(),
                    },
                    span,
                )?;
            }
            Event::MappingStart(anchor, tag) => {
                check_collection_tag(tag.as_ref(), "map", span)?;
                self.push(
                    Frame::Map {
                        anchor,
                        span,
                        entries: Vec::new(),
                        pending_key: None,
                        pending_is_merge: false,
                        merges: Vec::new(),
                    },
                    span,
                )?;
            }
            Event::SequenceEnd => {
                if let Some(Frame::Seq {
                    anchor,
                    span,
                    items,
                }) = self.stack.pop()
                {
                    self.finish(Node::new(Value::List(items), span), anchor, false)?;
                }
            }
            Event::MappingEnd => {
                if let Some(Frame::Map {
                    anchor,
                    span,
                    entries,
                    merges,
                    ..
                }) = self.stack.pop()
                {
                    let entries = self.apply_merges(entries, merges)?;
                    self.finish(Node::new(Value::Map(entries), span), anchor, false)?;
                }
            }
            Event::Alias(id) => {
                let node = self.anchors.get(&id).cloned().ok_or_else(|| YamlError {
                    message: "found undefined alias".into(),
                    span,
                })?;
                self.nodes += count_nodes(&node);
                if self.nodes > MAX_NODES {
                    return Err(YamlError {
                        message: format!("aliases expand this document beyond {MAX_NODES} nodes"),
                        span,
                    });
                }
                let node = Node::new(node.value, span);
                self.finish(node, 0, false)?;
            }
            _ => {}
        }
        Ok(())
    }

    fn push(&mut self, frame: Frame, span: Span) -> Result<(), YamlError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(YamlError {
                message: format!("nesting deeper than {MAX_DEPTH} levels"),
                span,
            });
        }
        self.stack.push(frame);
        Ok(())
    }

    /// A complete node: register its anchor and hand it to its parent.
    fn finish(&mut self, node: Node, anchor: usize, merge_key: bool) -> Result<(), YamlError> {
        self.nodes += 1;
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                pending_key,
                merges,
                pending_is_merge,
                ..
            }) => match pending_key.take() {
                None => {
                    *pending_is_merge = merge_key;
                    if !node.value.is_hashable() {
                        return Err(YamlError {
                            message: "while constructing a mapping found unhashable key".into(),
                            span: node.span,
                        });
                    }
                    *pending_key = Some(node);
                }
                Some(key) => {
                    if std::mem::take(pending_is_merge) {
                        merges.push(node);
                        return Ok(());
                    }
                    insert_entry(entries, key, node, &mut self.duplicate_keys);
                }
            },
        }
        Ok(())
    }

    /// PyYAML's `flatten_mapping`: merged entries first (later merge sources lose to earlier
    /// ones), the mapping's own keys override them.
    fn apply_merges(
        &mut self,
        own: Vec<Entry>,
        merges: Vec<Node>,
    ) -> Result<Vec<Entry>, YamlError> {
        if merges.is_empty() {
            return Ok(own);
        }
        let mut merged: Vec<Entry> = Vec::new();
        let mut ignored = Vec::new();
        for source in merges {
            let maps: Vec<Node> = match source.value {
                Value::Map(_) => vec![source],
                Value::List(items) => {
                    let mut maps = Vec::new();
                    for item in items.into_iter().rev() {
                        if !matches!(item.value, Value::Map(_)) {
                            return Err(YamlError {
                                message: "while constructing a mapping expected a mapping for merging".into(),
                                span: item.span,
                            });
                        }
                        maps.push(item);
                    }
                    maps
                }
                _ => {
                    return Err(YamlError {
                        message: "while constructing a mapping expected a mapping or list of mappings for merging".into(),
                        span: source.span,
                    })
                }
            };
            for map in maps {
                if let Value::Map(entries) = map.value {
                    for e in entries {
                        insert_entry(&mut merged, e.key, e.value, &mut ignored);
                    }
                }
            }
        }
        for e in own {
            insert_entry(&mut merged, e.key, e.value, &mut self.duplicate_keys);
        }
        Ok(merged)
    }
}

fn insert_entry(entries: &mut Vec<Entry>, key: Node, value: Node, dups: &mut Vec<DuplicateKey>) {
    if let Some(existing) = entries.iter_mut().find(|e| e.key.value.py_eq(&key.value)) {
        dups.push(DuplicateKey {
            key: key.value.py_str(),
            first: existing.key.span,
            second: key.span,
        });
        existing.value = value;
    } else {
        entries.push(Entry { key, value });
    }
}

fn count_nodes(node: &Node) -> usize {
    let mut count = 0;
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        count += 1;
        match &n.value {
            Value::List(items) => stack.extend(items.iter()),
            Value::Map(entries) => {
                for e in entries {
                    stack.push(&e.key);
                    stack.push(&e.value);
                }
            }
            _ => {}
        }
    }
    count
}

fn core_tag(tag: Option<&Tag>) -> Option<String> {
    let tag = tag?;
    if tag.handle == "!!" || tag.handle == "tag:yaml.org,2002:" {
        Some(format!("tag:yaml.org,2002:{}", tag.suffix))
    } else {
        Some(format!("{}{}", tag.handle, tag.suffix))
    }
}

fn check_collection_tag(tag: Option<&Tag>, kind: &str, span: Span) -> Result<(), YamlError> {
    match core_tag(tag) {
        None => Ok(()),
        Some(t) if t == format!("tag:yaml.org,2002:{kind}") => Ok(()),
        Some(t) => Err(YamlError {
            message: format!("could not determine a constructor for the tag '{t}'"),
            span,
        }),
    }
}

/// Resolves one scalar to its Python value under PAT's loader.
fn resolve_scalar(
    text: &str,
    style: TScalarStyle,
    tag: Option<&Tag>,
    span: Span,
) -> Result<Value, YamlError> {
    if let Some(tag) = core_tag(tag) {
        return match tag.as_str() {
            "tag:yaml.org,2002:str" => Ok(Value::Str(text.to_owned())),
            "tag:yaml.org,2002:null" => Ok(Value::Null),
            "tag:yaml.org,2002:bool" => Ok(construct_bool(text)),
            "tag:yaml.org,2002:int" => construct_int(text).ok_or_else(|| YamlError {
                message: format!(
                    "invalid literal for int() with base 10: {}",
                    super::pyrepr::str_repr(text)
                ),
                span,
            }),
            "tag:yaml.org,2002:float" => {
                construct_float(text)
                    .map(Value::Float)
                    .ok_or_else(|| YamlError {
                        message: format!(
                            "could not convert string to float: {}",
                            super::pyrepr::str_repr(text)
                        ),
                        span,
                    })
            }
            "tag:yaml.org,2002:timestamp" => Ok(Value::Str(text.to_owned())),
            other => Err(YamlError {
                message: format!("could not determine a constructor for the tag '{other}'"),
                span,
            }),
        };
    }
    if style != TScalarStyle::Plain {
        return Ok(Value::Str(text.to_owned()));
    }
    Ok(resolve_plain(text))
}

/// PyYAML's implicit resolvers (YAML 1.1) followed by PAT's constructors.
pub fn resolve_plain(text: &str) -> Value {
    let first = text.chars().next();
    match first {
        None => return Value::Null,
        Some('~') if text == "~" => return Value::Null,
        _ => {}
    }
    if matches!(text, "null" | "Null" | "NULL") {
        return Value::Null;
    }
    if is_yaml11_bool(text) {
        return construct_bool(text);
    }
    if is_yaml11_float(text) {
        if let Some(f) = construct_float(text) {
            return Value::Float(f);
        }
    }
    if is_yaml11_int(text) {
        if text.contains(':') {
            return Value::Str(text.to_owned());
        }
        if let Some(v) = construct_int(text) {
            return v;
        }
    }
    Value::Str(text.to_owned())
}

fn is_yaml11_bool(s: &str) -> bool {
    matches!(
        s,
        "yes"
            | "Yes"
            | "YES"
            | "no"
            | "No"
            | "NO"
            | "true"
            | "True"
            | "TRUE"
            | "false"
            | "False"
            | "FALSE"
            | "on"
            | "On"
            | "ON"
            | "off"
            | "Off"
            | "OFF"
    )
}

/// PAT's bool constructor: YAML 1.2 booleans only, the YAML 1.1 words stay strings.
fn construct_bool(s: &str) -> Value {
    match s {
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        other => Value::Str(other.to_owned()),
    }
}

fn strip_sign(s: &str) -> (bool, &str) {
    if let Some(rest) = s.strip_prefix('-') {
        (true, rest)
    } else if let Some(rest) = s.strip_prefix('+') {
        (false, rest)
    } else {
        (false, s)
    }
}

fn all_in(s: &str, allowed: impl Fn(char) -> bool) -> bool {
    !s.is_empty() && s.chars().all(allowed)
}

/// `[-+]?0b[0-1_]+ | [-+]?0[0-7_]+ | [-+]?(?:0|[1-9][0-9_]*) | [-+]?0x[0-9a-fA-F_]+ |
/// [-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+`
fn is_yaml11_int(s: &str) -> bool {
    let (_, body) = strip_sign(s);
    if let Some(rest) = body.strip_prefix("0b") {
        return all_in(rest, |c| c == '0' || c == '1' || c == '_');
    }
    if let Some(rest) = body.strip_prefix("0x") {
        return all_in(rest, |c| c.is_ascii_hexdigit() || c == '_');
    }
    if body == "0" {
        return true;
    }
    if let Some(rest) = body.strip_prefix('0') {
        return all_in(rest, |c| ('0'..='7').contains(&c) || c == '_');
    }
    let mut parts = body.split(':');
    let head = parts.next().unwrap_or("");
    if !head.starts_with(|c: char| ('1'..='9').contains(&c))
        || !head.chars().all(|c| c.is_ascii_digit() || c == '_')
    {
        return false;
    }
    parts.all(|p| {
        let b = p.as_bytes();
        match b.len() {
            1 => b[0].is_ascii_digit(),
            2 => (b'0'..=b'5').contains(&b[0]) && b[1].is_ascii_digit(),
            _ => false,
        }
    })
}

/// PAT's int constructor: underscores dropped, 0x/0b honoured, everything else decimal.
fn construct_int(s: &str) -> Option<Value> {
    let cleaned = s.replace('_', "");
    let (negative, body) = strip_sign(&cleaned);
    let (digits, radix) =
        if let Some(h) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
            (h, 16)
        } else if let Some(b) = body.strip_prefix("0b").or_else(|| body.strip_prefix("0B")) {
            (b, 2)
        } else {
            (body, 10)
        };
    if digits.is_empty() {
        return None;
    }
    match i128::from_str_radix(digits, radix) {
        Ok(v) => Some(Value::Int(if negative { -v } else { v })),
        Err(_) if radix == 10 && digits.chars().all(|c| c.is_ascii_digit()) => {
            let trimmed = digits.trim_start_matches('0');
            Some(Value::BigInt(format!(
                "{}{}",
                if negative { "-" } else { "" },
                trimmed
            )))
        }
        Err(_) => None,
    }
}

/// `[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)? | \.[0-9][0-9_]*(?:[eE][-+][0-9]+)? |
/// [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]* | [-+]?\.(?:inf|Inf|INF) | \.(?:nan|NaN|NAN)`
fn is_yaml11_float(s: &str) -> bool {
    if matches!(s, ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    let (signed, body) = match s.chars().next() {
        Some('-') | Some('+') => (true, &s[1..]),
        _ => (false, s),
    };
    if matches!(body, ".inf" | ".Inf" | ".INF") {
        return true;
    }
    let exp_ok = |e: &str| -> bool {
        let mut cs = e.chars();
        matches!(cs.next(), Some('e') | Some('E'))
            && matches!(cs.next(), Some('-') | Some('+'))
            && all_in(cs.as_str(), |c| c.is_ascii_digit())
    };
    let digits_us = |t: &str| t.chars().all(|c| c.is_ascii_digit() || c == '_');
    // Form 2: .5, .5e+3 (no sign allowed)
    if let Some(rest) = body.strip_prefix('.') {
        if signed {
            return false;
        }
        let end = rest.find(['e', 'E']).unwrap_or(rest.len());
        let (frac, exp) = rest.split_at(end);
        return frac.starts_with(|c: char| c.is_ascii_digit())
            && digits_us(frac)
            && (exp.is_empty() || exp_ok(exp));
    }
    if !body.starts_with(|c: char| c.is_ascii_digit()) {
        return false;
    }
    let Some(dot) = body.find('.') else {
        return false;
    };
    let (int_part, rest) = body.split_at(dot);
    let rest = &rest[1..];
    if int_part.contains(':') {
        // Form 3: sexagesimal with a fractional part.
        let mut parts = int_part.split(':');
        let head = parts.next().unwrap_or("");
        return digits_us(head)
            && parts.all(|p| {
                let b = p.as_bytes();
                match b.len() {
                    1 => b[0].is_ascii_digit(),
                    2 => (b'0'..=b'5').contains(&b[0]) && b[1].is_ascii_digit(),
                    _ => false,
                }
            })
            && digits_us(rest);
    }
    if !digits_us(int_part) {
        return false;
    }
    let end = rest.find(['e', 'E']).unwrap_or(rest.len());
    let (frac, exp) = rest.split_at(end);
    digits_us(frac) && (exp.is_empty() || exp_ok(exp))
}

/// PyYAML's `construct_yaml_float`.
fn construct_float(s: &str) -> Option<f64> {
    let value = s.replace('_', "").to_lowercase();
    let (negative, body) = strip_sign(&value);
    let sign = if negative { -1.0 } else { 1.0 };
    if body == ".inf" {
        return Some(sign * f64::INFINITY);
    }
    if body == ".nan" {
        return Some(f64::NAN);
    }
    if body.contains(':') {
        let mut total = 0.0;
        let mut base = 1.0;
        for part in body.split(':').rev() {
            total += part.parse::<f64>().ok()? * base;
            base *= 60.0;
        }
        return Some(sign * total);
    }
    body.parse::<f64>().ok().map(|f| sign * f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(text: &str) -> Node {
        load_str(text).unwrap().root.unwrap()
    }

    #[test]
    fn yaml_1_1_words_stay_strings_but_true_false_are_booleans() {
        let n = root("a: yes\nb: On\nc: true\nd: FALSE\n");
        assert_eq!(n.get("a").unwrap().as_str(), Some("yes"));
        assert_eq!(n.get("b").unwrap().as_str(), Some("On"));
        assert_eq!(n.get("c").unwrap().as_bool(), Some(true));
        assert_eq!(n.get("d").unwrap().as_bool(), Some(false));
    }

    #[test]
    fn numbers_follow_pat_rules() {
        let n = root(
            "a: 0644\nb: 1_000\nc: 0x1F\nd: 1:30:00\ne: 1.5\nf: 1e5\ng: 1.0e+5\nh: 08\ni: -0b101\n",
        );
        assert!(matches!(n.get("a").unwrap().value, Value::Int(644)));
        assert!(matches!(n.get("b").unwrap().value, Value::Int(1000)));
        assert!(matches!(n.get("c").unwrap().value, Value::Int(31)));
        assert_eq!(n.get("d").unwrap().as_str(), Some("1:30:00"));
        assert!(matches!(n.get("e").unwrap().value, Value::Float(f) if f == 1.5));
        assert_eq!(n.get("f").unwrap().as_str(), Some("1e5"));
        assert!(matches!(n.get("g").unwrap().value, Value::Float(f) if f == 100000.0));
        assert_eq!(n.get("h").unwrap().as_str(), Some("08"));
        assert!(matches!(n.get("i").unwrap().value, Value::Int(-5)));
    }

    #[test]
    fn timestamps_and_quoted_scalars_stay_strings() {
        let n = root("a: 2024-01-01\nb: '42'\nc: \"true\"\nd: ~\ne:\n");
        assert_eq!(n.get("a").unwrap().as_str(), Some("2024-01-01"));
        assert_eq!(n.get("b").unwrap().as_str(), Some("42"));
        assert_eq!(n.get("c").unwrap().as_str(), Some("true"));
        assert!(matches!(n.get("d").unwrap().value, Value::Null));
        assert!(matches!(n.get("e").unwrap().value, Value::Null));
    }

    #[test]
    fn duplicate_keys_keep_last_value_at_first_position_and_are_reported() {
        let loaded = load_str("a: 1\nb: 2\na: 3\n").unwrap();
        let n = loaded.root.unwrap();
        let entries = n.as_map().unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].key.as_str(), Some("a"));
        assert!(matches!(entries[0].value.value, Value::Int(3)));
        assert_eq!(loaded.duplicate_keys.len(), 1);
        assert_eq!(loaded.duplicate_keys[0].second.line, 3);
    }

    #[test]
    fn spans_point_at_keys_and_values() {
        let n = root("AnalysisType: rule\nTests:\n  - Name: x\n");
        let e = n.entry("Tests").unwrap();
        assert_eq!(e.key.span, Span { line: 2, col: 1 });
        let first = &e.value.as_list().unwrap()[0];
        assert_eq!(
            first.entry("Name").unwrap().key.span,
            Span { line: 3, col: 5 }
        );
    }

    #[test]
    fn merge_keys_and_aliases_expand() {
        let n = root("base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  y: 3\n");
        let d = n.get("d").unwrap();
        assert!(matches!(d.get("x").unwrap().value, Value::Int(1)));
        assert!(matches!(d.get("y").unwrap().value, Value::Int(3)));
    }

    #[test]
    fn bad_input_is_an_error_with_a_place() {
        let err = load_str("key: [unclosed\n").unwrap_err();
        assert!(err.span.line >= 1);
        let err = load_bytes(b"a: \xff\xfe\n").unwrap_err();
        assert!(err.message.contains("utf-8"), "{}", err.message);
        let err = load_bytes(b"a: b\x00c\n").unwrap_err();
        assert!(err.message.contains("#x0000"), "{}", err.message);
        assert!(load_str("a: 1\n---\nb: 2\n").is_err());
        assert!(load_str("a: !custom x\n").is_err());
    }

    #[test]
    fn deep_nesting_is_refused_not_a_stack_overflow() {
        let text = "[".repeat(10_000) + &"]".repeat(10_000);
        assert!(load_str(&text).is_err());
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let prev = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
            ));
        }
        assert!(load_str(&text).is_err());
    }

    #[test]
    fn flow_collections_may_be_less_indented_as_libyaml_allows() {
        let text = "Tests:\n  - Name: x\n    Log:\n      {\n      \"a\": 1,\n      \"b\": [1,\n    2]\n    }\n    ExpectedResult: true\n";
        let root = root(text);
        let test = &root.get("Tests").unwrap().as_list().unwrap()[0];
        let log = test.get("Log").unwrap();
        assert!(matches!(log.get("a").unwrap().value, Value::Int(1)));
        assert_eq!(log.get("b").unwrap().as_list().unwrap().len(), 2);
        assert_eq!(test.get("ExpectedResult").unwrap().as_bool(), Some(true));
        // Columns are the file's, not the re-indented text's.
        assert_eq!(
            test.entry("ExpectedResult").unwrap().key.span,
            Span { line: 9, col: 5 }
        );
    }

    #[test]
    fn empty_documents_load_as_none() {
        assert!(load_str("").unwrap().root.is_none());
        assert!(load_str("# just a comment\n").unwrap().root.is_none());
    }
}

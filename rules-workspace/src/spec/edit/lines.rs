//! A spec's text as lines, and what the editor reads off one line: indentation, blank and
//! comment lines, a mapping key's `:`, the extent and quoting of a one-line scalar.
//!
//! Invariant: each line keeps its own terminator (`\n`, `\r\n` or none at the end), so lines
//! an edit does not touch are written back byte for byte, even in a file that mixes them.

use crate::spec::value::Span;
use std::ops::Range;

/// A file's lines, each without its terminator; terminators are kept per line so untouched
/// lines stay byte-identical even in a file that mixes them.
#[derive(Debug, Clone)]
pub(super) struct Lines {
    text: Vec<String>,
    ends: Vec<&'static str>,
    /// The terminator new lines get: the file's most common one.
    eol: &'static str,
}

impl Lines {
    /// The lines of `source`; new lines get the terminator most of its lines have.
    pub(super) fn split(source: &str) -> Lines {
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

    /// The number of lines.
    pub(super) fn len(&self) -> usize {
        self.text.len()
    }

    /// Line `line` (0-based) without its terminator; empty past the end.
    pub(super) fn get(&self, line: usize) -> &str {
        self.text.get(line).map_or("", String::as_str)
    }

    /// Replaces the text of line `line`, keeping its terminator.
    pub(super) fn set(&mut self, line: usize, content: String) {
        self.text[line] = content;
    }

    /// Replaces lines `range` with `new`. A file that ends without a newline keeps ending
    /// without one.
    pub(super) fn splice(&mut self, range: Range<usize>, new: Vec<String>) {
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

    /// The text again, each line with its own terminator.
    pub(super) fn join(&self) -> String {
        let mut out = String::with_capacity(self.text.iter().map(|l| l.len() + 2).sum());
        for (text, end) in self.text.iter().zip(&self.ends) {
            out.push_str(text);
            out.push_str(end);
        }
        out
    }
}

/// The number of spaces a line starts with.
pub(super) fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// Whether a line holds only whitespace.
pub(super) fn is_blank(line: &str) -> bool {
    line.trim().is_empty()
}

/// Whether a line is a comment (`#` after the indentation).
pub(super) fn is_comment(line: &str) -> bool {
    line.trim_start().starts_with('#')
}

/// Whether a line is part of a node whose block sits at column `col`: not blank, and not a
/// comment indented no deeper than `col` (such comments introduce what follows).
pub(super) fn is_content(line: &str, col: usize) -> bool {
    let introduces_what_follows = is_comment(line) && indent(line) <= col;
    !(is_blank(line) || introduces_what_follows)
}

/// The byte offset of a 0-based character column (the line's length past its end).
pub(super) fn col_byte(line: &str, col: usize) -> usize {
    line.char_indices().nth(col).map_or(line.len(), |(i, _)| i)
}

/// The character a span starts at.
pub(super) fn char_at(lines: &Lines, span: Span) -> Option<char> {
    let line = lines.text.get((span.line as usize).checked_sub(1)?)?;
    line.chars().nth((span.col as usize).checked_sub(1)?)
}

/// 0-based (line, column) of a span.
pub(super) fn at(span: Span) -> (usize, usize) {
    (
        (span.line as usize).saturating_sub(1),
        (span.col as usize).saturating_sub(1),
    )
}

/// The byte offset of the `:` that ends the mapping key starting at byte `start`.
pub(super) fn key_colon(line: &str, start: usize) -> Option<usize> {
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

/// How a one-line scalar is quoted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ScalarStyle {
    Plain,
    Single,
    Double,
}

/// The byte range and style of a one-line scalar starting at byte `start`, when nothing but
/// spaces and a comment follows it on the line.
pub(super) fn scalar_extent(line: &str, start: usize) -> Option<(Range<usize>, ScalarStyle)> {
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

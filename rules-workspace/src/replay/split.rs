//! Record boundaries in a byte stream, found without parsing: newline-delimited lines, and the
//! elements of a JSON array (found by tracking strings, escapes and nesting depth). Each record's
//! bytes are handed over one at a time in a reused buffer, so memory stays flat whatever the
//! file's size; a record longer than the limit is skipped to its end without being kept.
//!
//! Invariants: `offset` counts the bytes consumed so far and `line` the newlines before the
//! current position (plus one); a record's `line`/`offset` are those of its first byte. Nesting
//! depth is a counter, never recursion, so a 10,000-deep element costs nothing here.

use std::io::{self, BufRead};

/// Where one record starts, and whether it was kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RecordSpan {
    /// 1-based line of the record's first byte.
    pub line: u64,
    /// Byte offset of the record's first byte (in the decompressed stream).
    pub offset: u64,
    /// Its length in bytes (also when it was too long to keep).
    pub len: u64,
    /// The deepest nesting inside it (arrays and objects), 0 for a scalar.
    pub depth: u32,
    /// Longer than the limit: its bytes were not kept.
    pub too_long: bool,
}

/// What reading the next record found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Next {
    /// A whole record, its bytes in the buffer (unless `too_long`).
    Record(RecordSpan),
    /// The stream ended cleanly.
    End,
    /// The stream ended inside a record (an array element or string that never closes).
    Unterminated(RecordSpan),
}

/// A byte stream read record by record.
pub(crate) struct Splitter<R> {
    input: R,
    line: u64,
    offset: u64,
    max_len: usize,
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

impl<R: BufRead> Splitter<R> {
    /// Reads `input`, keeping records of at most `max_len` bytes.
    pub fn new(input: R, max_len: usize) -> Splitter<R> {
        Splitter {
            input,
            line: 1,
            offset: 0,
            max_len,
        }
    }

    /// Reads `input`, which starts at `offset` of a stream, on line `line`.
    pub fn starting_at(input: R, max_len: usize, line: u64, offset: u64) -> Splitter<R> {
        Splitter {
            input,
            line,
            offset,
            max_len,
        }
    }

    /// Skips the rest of the current line, its newline included.
    pub fn skip_line(&mut self, scratch: &mut Vec<u8>) -> io::Result<()> {
        let keep = std::mem::replace(&mut self.max_len, 0);
        let result = self.next_line(scratch).map(|_| ());
        self.max_len = keep;
        result
    }

    /// The current line (1-based).
    pub fn line(&self) -> u64 {
        self.line
    }

    /// Bytes consumed so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    fn consume(&mut self, n: usize) {
        self.input.consume(n);
        self.offset += n as u64;
    }

    /// The next byte that is not JSON whitespace, without consuming it; `None` at the end.
    pub fn peek_non_ws(&mut self) -> io::Result<Option<u8>> {
        loop {
            let chunk = self.input.fill_buf()?;
            if chunk.is_empty() {
                return Ok(None);
            }
            match chunk.iter().position(|b| !is_ws(*b)) {
                Some(i) => {
                    let newlines = memchr::memchr_iter(b'\n', &chunk[..i]).count() as u64;
                    let b = chunk[i];
                    self.line += newlines;
                    self.consume(i);
                    return Ok(Some(b));
                }
                None => {
                    let n = chunk.len();
                    self.line += memchr::memchr_iter(b'\n', chunk).count() as u64;
                    self.consume(n);
                }
            }
        }
    }

    /// Consumes one byte (after `peek_non_ws` showed it).
    pub fn skip_byte(&mut self) {
        self.consume(1);
    }

    /// The next line, without its `\n` (and `\r`), into `buf`. Lines of whitespace only are
    /// records too (callers skip them).
    pub fn next_line(&mut self, buf: &mut Vec<u8>) -> io::Result<Next> {
        buf.clear();
        let mut span = RecordSpan {
            line: self.line,
            offset: self.offset,
            len: 0,
            depth: 0,
            too_long: false,
        };
        loop {
            let chunk = self.input.fill_buf()?;
            if chunk.is_empty() {
                if span.len == 0 {
                    return Ok(Next::End);
                }
                break;
            }
            let (part, used, done) = match memchr::memchr(b'\n', chunk) {
                Some(i) => (&chunk[..i], i + 1, true),
                None => (chunk, chunk.len(), false),
            };
            span.len += part.len() as u64;
            if !span.too_long {
                if buf.len() + part.len() > self.max_len {
                    span.too_long = true;
                    buf.clear();
                } else {
                    buf.extend_from_slice(part);
                }
            }
            self.consume(used);
            if done {
                self.line += 1;
                break;
            }
        }
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
        Ok(Next::Record(span))
    }

    /// One JSON value starting at the next non-whitespace byte, into `buf`: an object or array
    /// up to its matching close, a string to its closing quote, any other scalar up to the next
    /// whitespace, `,`, `]` or `}`. The value is not checked, only delimited.
    pub fn next_value(&mut self, buf: &mut Vec<u8>) -> io::Result<Next> {
        buf.clear();
        if self.peek_non_ws()?.is_none() {
            return Ok(Next::End);
        }
        let mut span = RecordSpan {
            line: self.line,
            offset: self.offset,
            len: 0,
            depth: 0,
            too_long: false,
        };
        let mut scan = Scan::default();
        loop {
            let chunk = self.input.fill_buf()?;
            if chunk.is_empty() {
                return Ok(Next::Unterminated(span));
            }
            let (used, done) = scan.feed(chunk);
            let part = &chunk[..used];
            self.line += memchr::memchr_iter(b'\n', part).count() as u64;
            span.len += used as u64;
            if !span.too_long {
                if buf.len() + used > self.max_len {
                    span.too_long = true;
                    buf.clear();
                } else {
                    buf.extend_from_slice(part);
                }
            }
            self.consume(used);
            if done {
                span.depth = scan.max_depth;
                return Ok(Next::Record(span));
            }
        }
    }

    /// Skips to the end of an object or array whose opening byte was already consumed
    /// (`depth` levels deep), keeping nothing; false when the stream ends first.
    pub fn skip_to_close(&mut self, depth: u32) -> io::Result<bool> {
        let mut scan = Scan {
            depth,
            started: true,
            container: true,
            ..Scan::default()
        };
        loop {
            let chunk = self.input.fill_buf()?;
            if chunk.is_empty() {
                return Ok(false);
            }
            let (used, done) = scan.feed(chunk);
            self.line += memchr::memchr_iter(b'\n', &chunk[..used]).count() as u64;
            self.consume(used);
            if done {
                return Ok(true);
            }
        }
    }
}

/// The state of delimiting one JSON value, fed chunk by chunk.
#[derive(Debug, Default)]
struct Scan {
    started: bool,
    /// The value is an object or array (else a string or another scalar).
    container: bool,
    in_string: bool,
    escaped: bool,
    depth: u32,
    max_depth: u32,
}

impl Scan {
    /// Scans `chunk`; returns how many bytes belong to the value and whether it ended there.
    fn feed(&mut self, chunk: &[u8]) -> (usize, bool) {
        let mut i = 0;
        while i < chunk.len() {
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                    i += 1;
                    continue;
                }
                // Strings are most of a log's bytes: jump to the next quote or backslash.
                match memchr::memchr2(b'"', b'\\', &chunk[i..]) {
                    None => return (chunk.len(), false),
                    Some(j) => {
                        i += j;
                        if chunk[i] == b'\\' {
                            self.escaped = true;
                        } else {
                            self.in_string = false;
                            if self.depth == 0 {
                                return (i + 1, true);
                            }
                        }
                        i += 1;
                        continue;
                    }
                }
            }
            let b = chunk[i];
            if !self.started {
                self.started = true;
                match b {
                    b'{' | b'[' => {
                        self.container = true;
                        self.depth = 1;
                        self.max_depth = 1;
                    }
                    b'"' => self.in_string = true,
                    _ => {}
                }
                i += 1;
                continue;
            }
            if !self.container {
                // A number, true, false, null (or junk): it ends where a delimiter starts.
                if is_ws(b) || matches!(b, b',' | b']' | b'}') {
                    return (i, true);
                }
                i += 1;
                continue;
            }
            match b {
                b'"' => self.in_string = true,
                b'{' | b'[' => {
                    self.depth += 1;
                    self.max_depth = self.max_depth.max(self.depth);
                }
                b'}' | b']' => {
                    self.depth -= 1;
                    if self.depth == 0 {
                        return (i + 1, true);
                    }
                }
                _ => {}
            }
            i += 1;
        }
        (chunk.len(), false)
    }
}

/// The deepest nesting of arrays and objects in `bytes` (strings and escapes respected).
pub(crate) fn max_depth(bytes: &[u8]) -> u32 {
    let (mut depth, mut max, mut in_string, mut escaped) = (0u32, 0u32, false, false);
    for &b in bytes {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                max = max.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufReader;

    /// Splits `text` read through a buffer of `cap` bytes (small, to cross chunk boundaries).
    fn values(text: &str, cap: usize) -> (Vec<String>, Next) {
        let mut s = Splitter::new(BufReader::with_capacity(cap, text.as_bytes()), 1 << 20);
        let mut out = Vec::new();
        let mut buf = Vec::new();
        loop {
            match s.next_value(&mut buf).unwrap() {
                Next::Record(_) => {
                    out.push(String::from_utf8(buf.clone()).unwrap());
                    // Between values: a comma is a separator here.
                    if s.peek_non_ws().unwrap() == Some(b',') {
                        s.skip_byte();
                    }
                }
                end => return (out, end),
            }
        }
    }

    #[test]
    fn strings_with_brackets_quotes_and_escapes_do_not_end_a_value() {
        let text = r#"{"a": "}]", "b": "say \"hi\" [", "c": "back\\"} {"d": ["\\\"", "]"]}"#;
        for cap in [1, 2, 3, 7, 64] {
            let (got, end) = values(text, cap);
            assert_eq!(
                got,
                vec![
                    r#"{"a": "}]", "b": "say \"hi\" [", "c": "back\\"}"#,
                    r#"{"d": ["\\\"", "]"]}"#
                ],
                "buffer of {cap}"
            );
            assert_eq!(end, Next::End);
        }
    }

    #[test]
    fn scalars_end_at_delimiters_and_whitespace_is_skipped() {
        let (got, end) = values(" \n\t 12 , \"s,]\" ,true,\r\nnull ,{}", 4);
        assert_eq!(got, vec!["12", "\"s,]\"", "true", "null", "{}"]);
        assert_eq!(end, Next::End);
    }

    #[test]
    fn an_unclosed_value_is_unterminated_not_a_record() {
        let (got, end) = values(r#"{"a": 1} {"b": [1, 2"#, 5);
        assert_eq!(got, vec![r#"{"a": 1}"#]);
        assert!(
            matches!(end, Next::Unterminated(s) if s.offset == 9),
            "{end:?}"
        );
        let (_, end) = values(r#"{"a": "never closed}"#, 5);
        assert!(matches!(end, Next::Unterminated(_)));
    }

    #[test]
    fn lines_and_offsets_are_those_of_each_values_first_byte() {
        let text = "[\n  {\"a\": 1},\n\n  {\"b\":\n 2}\n]";
        let mut s = Splitter::new(BufReader::with_capacity(3, text.as_bytes()), 100);
        assert_eq!(s.peek_non_ws().unwrap(), Some(b'['));
        s.skip_byte();
        let mut buf = Vec::new();
        let Next::Record(a) = s.next_value(&mut buf).unwrap() else {
            panic!()
        };
        assert_eq!((a.line, a.offset, a.len, a.depth), (2, 4, 8, 1));
        assert_eq!(s.peek_non_ws().unwrap(), Some(b','));
        s.skip_byte();
        let Next::Record(b) = s.next_value(&mut buf).unwrap() else {
            panic!()
        };
        assert_eq!((b.line, b.offset), (4, 17));
        assert_eq!(buf, b"{\"b\":\n 2}");
        assert_eq!(s.peek_non_ws().unwrap(), Some(b']'));
        assert_eq!(s.line(), 6);
    }

    #[test]
    fn a_value_over_the_limit_is_measured_and_skipped_not_kept() {
        let text = format!("{{\"big\": \"{}\"}} {{\"small\": 1}}", "x".repeat(1000));
        let mut s = Splitter::new(BufReader::with_capacity(16, text.as_bytes()), 100);
        let mut buf = Vec::new();
        let Next::Record(big) = s.next_value(&mut buf).unwrap() else {
            panic!()
        };
        assert!(big.too_long);
        assert_eq!(big.len, 1011);
        assert!(buf.is_empty());
        let Next::Record(small) = s.next_value(&mut buf).unwrap() else {
            panic!()
        };
        assert!(!small.too_long);
        assert_eq!(buf, b"{\"small\": 1}");
    }

    #[test]
    fn nesting_is_counted_not_recursed() {
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let (got, _) = values(&deep, 64);
        assert_eq!(got.len(), 1);
        assert_eq!(max_depth(deep.as_bytes()), 10_000);
        assert_eq!(max_depth(br#"{"a": "[[[[", "b": [{}]}"#), 3);
    }

    #[test]
    fn lines_drop_their_line_ending_and_overlong_lines_are_skipped() {
        let text = format!("a\r\n\n{}\nb", "x".repeat(50));
        let mut s = Splitter::new(BufReader::with_capacity(8, text.as_bytes()), 10);
        let mut buf = Vec::new();
        let mut got = Vec::new();
        while let Next::Record(span) = s.next_line(&mut buf).unwrap() {
            got.push((
                span.line,
                span.too_long,
                String::from_utf8(buf.clone()).unwrap(),
            ));
        }
        assert_eq!(
            got,
            vec![
                (1, false, "a".to_owned()),
                (2, false, String::new()),
                (3, true, String::new()),
                (4, false, "b".to_owned()),
            ]
        );
    }

    #[test]
    fn skip_to_close_leaves_the_stream_after_the_container() {
        let text = r#""x": {"y": "}"}, "z": 1} tail"#;
        let mut s = Splitter::new(BufReader::with_capacity(4, text.as_bytes()), 100);
        assert!(s.skip_to_close(1).unwrap());
        assert_eq!(s.peek_non_ws().unwrap(), Some(b't'));
        let mut s = Splitter::new(BufReader::new(&b"\"open"[..]), 100);
        assert!(!s.skip_to_close(1).unwrap());
    }
}

//! One file's records: its format told from its content (gzip, then JSON lines, an array or a
//! CloudTrail `Records` document), and the records split out of it one at a time, with the
//! problems met on the way. See [`super::source`] for the invariants.

use super::problem::{Problem, ProblemKind};
use super::source::{Input, SourceFile};
use super::split::{Next, RecordSpan, Splitter};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;

/// Bytes read from the source (and decoded) at a time.
const BUFFER_BYTES: usize = 256 << 10;

/// Bytes looked at to tell the format.
const SNIFF_BYTES: usize = 4096;

/// A reader counting the bytes it passes on, for progress: those before `limit` only (a
/// share of a file counts its own bytes, not the end of the record it reads past its range).
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
    at: u64,
    limit: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let next = self.at + n as u64;
        let counted = next.min(self.limit).saturating_sub(self.at.min(self.limit));
        self.at = next;
        self.count.fetch_add(counted, Ordering::Relaxed);
        Ok(n)
    }
}

/// Whether a file's records can be read by byte ranges: plain (not compressed) JSON lines,
/// told from its first bytes as a whole read tells them. Arrays, `Records` documents and
/// compressed files are read whole.
pub fn splittable(path: &Path) -> io::Result<bool> {
    let mut file = open_regular(path)?;
    let prefix = sniff(&mut file)?;
    Ok(!prefix.starts_with(&[0x1f, 0x8b])
        && compression_of(&prefix).is_none()
        && !looks_binary(&prefix)
        && framing_of(&prefix) == Framing::Lines)
}

/// Counts the newlines in the first `upto` bytes of `file` (leaving it at `upto`), and tells
/// whether the last of those bytes is one.
fn lines_before(file: &mut File, upto: u64) -> io::Result<(u64, bool)> {
    use std::io::{Seek, SeekFrom};
    file.seek(SeekFrom::Start(0))?;
    let mut left = upto;
    let mut lines = 0u64;
    let mut last = b'\n';
    let mut buf = vec![0u8; BUFFER_BYTES];
    while left > 0 {
        let want = (left as usize).min(buf.len());
        let n = file.read(&mut buf[..want])?;
        if n == 0 {
            break;
        }
        lines += memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
        last = buf[n - 1];
        left -= n as u64;
    }
    Ok((lines, last == b'\n'))
}

/// How a file's records are framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    Lines,
    Array,
    Records,
}

/// Where the reading of an array or `Records` file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ArrayState {
    /// Before a document: `[`, or `{"Records": [`.
    Open,
    /// Inside the list; a comma is due after an element.
    Inside { comma_due: bool },
    /// After the list closed.
    Closed,
}

type Decoded = Box<dyn BufRead + Send>;

/// One file being read.
pub(super) struct FileReader {
    pub(super) name: Arc<str>,
    pub(super) splitter: Splitter<Decoded>,
    framing: Framing,
    state: ArrayState,
    next_index: u64,
    gzip: bool,
    /// A share's bytes (`start..end`): records starting at or after `end` are the next share's.
    range: Option<(u64, u64)>,
}

/// What reading a file gave.
pub(super) enum Step {
    /// A record, its bytes in the reader's buffer.
    Record(RecordSpan, Option<u64>),
    /// A problem; the file goes on.
    Problem(Problem),
    /// The file has ended (after a problem, when there is one).
    End(Option<Problem>),
}

fn looks_binary(prefix: &[u8]) -> bool {
    if prefix.contains(&0) {
        return true;
    }
    match std::str::from_utf8(prefix) {
        Ok(_) => false,
        // A character cut by the end of the prefix is not a sign of binary data.
        Err(e) => e.error_len().is_some(),
    }
}

fn compression_of(prefix: &[u8]) -> Option<&'static str> {
    if prefix.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Some("zstd")
    } else if prefix.starts_with(b"BZh") && prefix.get(3).is_some_and(u8::is_ascii_digit) {
        Some("bzip2")
    } else if prefix.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        Some("xz")
    } else if prefix.starts_with(b"PK\x03\x04") {
        Some("zip")
    } else {
        None
    }
}

fn framing_of(prefix: &[u8]) -> Framing {
    let text = prefix.strip_prefix(b"\xef\xbb\xbf").unwrap_or(prefix);
    let mut rest = text.iter().skip_while(|b| b.is_ascii_whitespace());
    match rest.next() {
        Some(b'[') => Framing::Array,
        Some(b'{') => {
            let key: Vec<u8> = rest
                .skip_while(|b| b.is_ascii_whitespace())
                .take(9)
                .copied()
                .collect();
            if key == b"\"Records\"" {
                Framing::Records
            } else {
                Framing::Lines
            }
        }
        _ => Framing::Lines,
    }
}

/// Reads up to [`SNIFF_BYTES`] from the start of a stream.
fn sniff(input: &mut dyn Read) -> io::Result<Vec<u8>> {
    let mut prefix = Vec::with_capacity(SNIFF_BYTES);
    input.take(SNIFF_BYTES as u64).read_to_end(&mut prefix)?;
    Ok(prefix)
}

fn gzip_problem(e: &io::Error) -> ProblemKind {
    match e.kind() {
        io::ErrorKind::UnexpectedEof => ProblemKind::TruncatedGzip,
        io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData => ProblemKind::CorruptGzip,
        _ => ProblemKind::ReadError,
    }
}

/// Bytes decompressed ahead at a time, and how many such chunks may wait.
const AHEAD_CHUNK: usize = 256 << 10;
const AHEAD_CHUNKS: usize = 4;

/// A stream decompressed on a thread of its own while this one splits and parses: only bytes
/// cross between the threads (at most [`AHEAD_CHUNKS`] chunks waiting), never events, so the
/// memory stays flat and each thread's allocations stay its own.
struct DecompressedAhead {
    chunks: Receiver<io::Result<Vec<u8>>>,
    spare: SyncSender<Vec<u8>>,
    current: Vec<u8>,
    at: usize,
    done: bool,
}

fn decompress_ahead(mut inner: Box<dyn Read + Send>) -> io::Result<DecompressedAhead> {
    let (chunks_tx, chunks) = sync_channel::<io::Result<Vec<u8>>>(AHEAD_CHUNKS);
    let (spare, spare_rx) = sync_channel::<Vec<u8>>(AHEAD_CHUNKS + 2);
    std::thread::Builder::new()
        .name("replay-gunzip".to_owned())
        .spawn(move || loop {
            let mut buf = spare_rx.try_recv().unwrap_or_default();
            buf.resize(AHEAD_CHUNK, 0);
            let mut filled = 0;
            let error = loop {
                if filled == AHEAD_CHUNK {
                    break None;
                }
                match inner.read(&mut buf[filled..]) {
                    Ok(0) => break None,
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => break Some(e),
                }
            };
            buf.truncate(filled);
            // A send fails when the reader is gone (the file was abandoned): stop too.
            if filled > 0 && chunks_tx.send(Ok(buf)).is_err() {
                return;
            }
            match error {
                Some(e) => {
                    let _ = chunks_tx.send(Err(e));
                    return;
                }
                None if filled < AHEAD_CHUNK => return,
                None => {}
            }
        })?;
    Ok(DecompressedAhead {
        chunks,
        spare,
        current: Vec::new(),
        at: 0,
        done: false,
    })
}

impl Read for DecompressedAhead {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.at == self.current.len() {
            if self.done {
                return Ok(0);
            }
            match self.chunks.recv() {
                Ok(Ok(chunk)) => {
                    let used = std::mem::replace(&mut self.current, chunk);
                    let _ = self.spare.try_send(used);
                    self.at = 0;
                }
                Ok(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                Err(_) => {
                    self.done = true;
                    return Ok(0);
                }
            }
        }
        let n = out.len().min(self.current.len() - self.at);
        out[..n].copy_from_slice(&self.current[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// Opens a regular file without blocking on a FIFO swapped in since the listing.
fn open_regular(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::other("not a regular file"));
    }
    Ok(file)
}

impl FileReader {
    /// Opens a source and tells its format; a problem when it cannot be read at all.
    pub(super) fn open(
        source: &SourceFile,
        counter: &Arc<AtomicU64>,
        max_record_bytes: usize,
    ) -> Result<FileReader, Problem> {
        let name = source.name.clone();
        let problem = |kind, detail: String| Problem {
            kind,
            file: name.clone(),
            line: None,
            record: None,
            offset: None,
            detail,
        };
        if let (Some((start, end)), Input::File(path)) = (source.range, &source.input) {
            let split =
                splittable(path).map_err(|e| problem(ProblemKind::Unreadable, e.to_string()))?;
            if split {
                return FileReader::open_range(source, path, start, end, counter, max_record_bytes)
                    .map_err(|e| problem(ProblemKind::ReadError, e.to_string()));
            }
            if start > 0 {
                // Read whole by the share starting at 0.
                return Ok(FileReader {
                    name,
                    splitter: Splitter::new(Box::new(io::empty()), max_record_bytes),
                    framing: Framing::Lines,
                    state: ArrayState::Open,
                    next_index: 0,
                    gzip: false,
                    range: Some((start, start)),
                });
            }
        }
        let raw: Box<dyn Read + Send> = match &source.input {
            Input::Stdin => Box::new(io::stdin()),
            Input::File(path) => Box::new(
                open_regular(path).map_err(|e| problem(ProblemKind::Unreadable, e.to_string()))?,
            ),
        };
        let mut raw = Counting {
            inner: raw,
            count: counter.clone(),
            at: 0,
            limit: u64::MAX,
        };
        let prefix = sniff(&mut raw).map_err(|e| problem(ProblemKind::ReadError, e.to_string()))?;
        let gzip = prefix.starts_with(&[0x1f, 0x8b]);
        // `prefix` is the start of the text, `stream` the rest (after the prefix).
        let (prefix, stream): (Vec<u8>, Box<dyn Read + Send>) = if gzip {
            let compressed = io::Cursor::new(prefix).chain(raw);
            let mut decoder = flate2::read::MultiGzDecoder::new(compressed);
            let decoded =
                sniff(&mut decoder).map_err(|e| problem(gzip_problem(&e), e.to_string()))?;
            let ahead = decompress_ahead(Box::new(decoder)).map_err(|e| {
                problem(
                    ProblemKind::ReadError,
                    format!("cannot start decompressing: {e}"),
                )
            })?;
            (decoded, Box::new(ahead))
        } else {
            (prefix, Box::new(raw))
        };
        if let Some(what) = compression_of(&prefix) {
            return Err(problem(
                ProblemKind::UnsupportedCompression,
                format!("{what}-compressed; replay reads plain text and gzip"),
            ));
        }
        if looks_binary(&prefix) {
            return Err(problem(
                ProblemKind::Binary,
                "NUL bytes or invalid UTF-8 at the start; not read".to_owned(),
            ));
        }
        let framing = framing_of(&prefix);
        let text: Decoded = Box::new(BufReader::with_capacity(
            BUFFER_BYTES,
            io::Cursor::new(prefix).chain(stream),
        ));
        Ok(FileReader {
            name,
            splitter: Splitter::new(text, max_record_bytes),
            framing,
            state: ArrayState::Open,
            next_index: 0,
            gzip,
            range: None,
        })
    }

    /// A share of a plain JSON-lines file: the records whose first byte is in `start..end`,
    /// with their lines and offsets in the whole file.
    fn open_range(
        source: &SourceFile,
        path: &Path,
        start: u64,
        end: u64,
        counter: &Arc<AtomicU64>,
        max_record_bytes: usize,
    ) -> io::Result<FileReader> {
        let mut file = open_regular(path)?;
        let (newlines, at_line_start) = lines_before(&mut file, start)?;
        let text: Decoded = Box::new(BufReader::with_capacity(
            BUFFER_BYTES,
            Counting {
                inner: file,
                count: counter.clone(),
                at: start,
                limit: end,
            },
        ));
        let mut splitter = Splitter::starting_at(text, max_record_bytes, newlines + 1, start);
        if !at_line_start {
            // The line under way at `start` belongs to the share before.
            let mut scratch = Vec::new();
            splitter.skip_line(&mut scratch)?;
        }
        Ok(FileReader {
            name: source.name.clone(),
            splitter,
            framing: Framing::Lines,
            state: ArrayState::Open,
            next_index: 0,
            gzip: false,
            range: Some((start, end)),
        })
    }

    /// Bytes of text this reader went through (of its share only, for a share).
    pub(super) fn decoded(&self) -> u64 {
        match self.range {
            Some((start, end)) => self.splitter.offset().min(end).saturating_sub(start),
            None => self.splitter.offset(),
        }
    }

    fn problem_here(&self, kind: ProblemKind, detail: impl Into<String>) -> Problem {
        Problem {
            kind,
            file: self.name.clone(),
            line: Some(self.splitter.line()),
            record: None,
            offset: Some(self.splitter.offset()),
            detail: detail.into(),
        }
    }

    fn io_problem(&self, e: &io::Error) -> Problem {
        let kind = if self.gzip {
            gzip_problem(e)
        } else {
            ProblemKind::ReadError
        };
        self.problem_here(kind, e.to_string())
    }

    /// The next record or problem.
    pub(super) fn step(&mut self, buf: &mut Vec<u8>) -> Step {
        let result = match self.framing {
            Framing::Lines => self.step_line(buf),
            Framing::Array | Framing::Records => self.step_array(buf),
        };
        result.unwrap_or_else(|e| Step::End(Some(self.io_problem(&e))))
    }

    fn step_line(&mut self, buf: &mut Vec<u8>) -> io::Result<Step> {
        loop {
            match self.splitter.next_line(buf)? {
                Next::Record(span) if self.range.is_some_and(|(_, end)| span.offset >= end) => {
                    return Ok(Step::End(None))
                }
                Next::Record(span) => {
                    if span.line == 1 && buf.starts_with(b"\xef\xbb\xbf") {
                        buf.drain(..3);
                    }
                    if !span.too_long && buf.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    return Ok(Step::Record(span, None));
                }
                Next::End | Next::Unterminated(_) => return Ok(Step::End(None)),
            }
        }
    }

    fn step_array(&mut self, buf: &mut Vec<u8>) -> io::Result<Step> {
        loop {
            match self.state {
                ArrayState::Open => {
                    let Some(b) = self.splitter.peek_non_ws()? else {
                        return Ok(Step::End(None));
                    };
                    // A byte-order mark is not JSON whitespace.
                    if b == 0xef && self.splitter.offset() == 0 {
                        self.splitter.skip_byte();
                        self.splitter.skip_byte();
                        self.splitter.skip_byte();
                        continue;
                    }
                    match (self.framing, b) {
                        (Framing::Array, b'[') => {
                            self.splitter.skip_byte();
                            self.state = ArrayState::Inside { comma_due: false };
                        }
                        (Framing::Records, b'{') => {
                            self.splitter.skip_byte();
                            if let Some(step) = self.open_records(buf)? {
                                return Ok(step);
                            }
                        }
                        _ => {
                            let what = if self.framing == Framing::Array {
                                "another array"
                            } else {
                                "another {\"Records\": [...]} document"
                            };
                            return Ok(Step::End(Some(self.problem_here(
                                ProblemKind::TrailingData,
                                format!("expected the end of the file or {what}"),
                            ))));
                        }
                    }
                }
                ArrayState::Inside { comma_due } => {
                    let Some(b) = self.splitter.peek_non_ws()? else {
                        return Ok(Step::End(Some(self.problem_here(
                            ProblemKind::UnclosedArray,
                            format!("the file ends after {} records", self.next_index),
                        ))));
                    };
                    match b {
                        b']' => {
                            self.splitter.skip_byte();
                            self.state = ArrayState::Closed;
                        }
                        b',' if comma_due => {
                            self.splitter.skip_byte();
                            self.state = ArrayState::Inside { comma_due: false };
                        }
                        b',' => {
                            let p = self.problem_here(ProblemKind::NotJson, "an empty element");
                            self.splitter.skip_byte();
                            return Ok(Step::Problem(p));
                        }
                        _ if comma_due => {
                            self.state = ArrayState::Inside { comma_due: false };
                            return Ok(Step::Problem(self.problem_here(
                                ProblemKind::NotJson,
                                "expected `,` or `]` after an element",
                            )));
                        }
                        _ => match self.splitter.next_value(buf)? {
                            Next::Record(span) => {
                                self.state = ArrayState::Inside { comma_due: true };
                                let index = self.next_index;
                                self.next_index += 1;
                                return Ok(Step::Record(span, Some(index)));
                            }
                            Next::End | Next::Unterminated(_) => {
                                return Ok(Step::End(Some(self.problem_here(
                                    ProblemKind::UnclosedArray,
                                    format!("the file ends inside record {}", self.next_index),
                                ))));
                            }
                        },
                    }
                }
                ArrayState::Closed => {
                    if self.framing == Framing::Records {
                        // The rest of the object holding `Records` (other keys are ignored).
                        if !self.splitter.skip_to_close(1)? {
                            return Ok(Step::End(Some(self.problem_here(
                                ProblemKind::UnclosedArray,
                                "the object holding Records never closes",
                            ))));
                        }
                    }
                    self.state = ArrayState::Open;
                }
            }
        }
    }

    /// After the `{` of a document: its first key must be `Records`, holding an array.
    fn open_records(&mut self, buf: &mut Vec<u8>) -> io::Result<Option<Step>> {
        let start = self.problem_here(ProblemKind::NotJson, "");
        let key_ok = matches!(self.splitter.next_value(buf)?, Next::Record(_))
            && buf.as_slice() == b"\"Records\"";
        let colon = key_ok && self.splitter.peek_non_ws()? == Some(b':');
        if colon {
            self.splitter.skip_byte();
            if self.splitter.peek_non_ws()? == Some(b'[') {
                self.splitter.skip_byte();
                self.state = ArrayState::Inside { comma_due: false };
                return Ok(None);
            }
        }
        // Not a CloudTrail document: skip the object, say so, and go on after it.
        let closed = self.splitter.skip_to_close(1)?;
        if !closed {
            return Ok(Some(Step::End(Some(Problem {
                kind: ProblemKind::UnclosedArray,
                detail: "a document that never closes".to_owned(),
                ..start
            }))));
        }
        self.state = ArrayState::Open;
        Ok(Some(Step::Problem(Problem {
            detail: "an object whose first key is not a \"Records\" list".to_owned(),
            ..start
        })))
    }
}

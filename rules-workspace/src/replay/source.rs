//! Log sources read as a stream of [`Event`]s: files, folders (recursively) and standard input;
//! JSON lines, JSON arrays and CloudTrail-style `{"Records": [...]}` documents, plain or gzip.
//!
//! Invariants:
//! - Nothing is read whole. A file is decoded through a fixed buffer and split record by record
//!   ([`super::split`]); one record is held at a time, at most `max_record_bytes` long, so a
//!   2 GB array is read in flat memory.
//! - The format is found from the content, not the name: gzip by its magic bytes, then the
//!   first byte that is not whitespace: `[` an array, `{` whose first key is `"Records"` a
//!   CloudTrail document, anything else JSON lines.
//! - Bad input never stops the read. Each problem (a line that is not JSON, an element too long
//!   or too deep, an event without a usable time or log type, a truncated gzip, an array that
//!   never closes, a binary file…) is counted by kind with the first few places kept
//!   ([`ProblemTally`]); the read goes on with the next record, or with the next file when the
//!   rest of this one cannot be read.
//! - Only regular files are read: a FIFO or device named on the command line is refused before
//!   anything is read (standard input is `-`); in a folder such entries, hidden files and
//!   symbolic links leading out of the folder are passed over and counted.

use super::fields::{self, Completion, Incomplete};
use super::split::{self, Next, RecordSpan, Splitter};
use super::time::EventTime;
use crate::error::{Location, UserError};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashSet, VecDeque};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The longest record (a line or an array element) read by default: 16 MiB.
pub const DEFAULT_MAX_RECORD_BYTES: usize = 16 << 20;

/// How many places of each kind of problem are kept by default.
pub const DEFAULT_KEPT_PROBLEMS: usize = 10;

/// The deepest nesting an event may have: `serde_json`'s recursion limit.
pub const MAX_DEPTH: u32 = 128;

/// Bytes read from the source (and decoded) at a time.
const BUFFER_BYTES: usize = 256 << 10;

/// Bytes looked at to tell the format.
const SNIFF_BYTES: usize = 4096;

/// An error that stops a read before it starts (a source that is missing or not a file).
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// A named source does not exist.
    #[error("{}: no such file or folder", path.display())]
    NotFound {
        /// The source as named.
        path: PathBuf,
    },
    /// A named source is a FIFO, a socket or a device: reading it could block forever or
    /// never end.
    #[error("{}: is a {kind}, not a file or folder; not read", path.display())]
    NotAFile {
        /// The source as named.
        path: PathBuf,
        /// What it is (`FIFO`, `socket`, `device`).
        kind: &'static str,
    },
    /// A named source cannot be read.
    #[error("{}: {source}", path.display())]
    Unreadable {
        /// The source as named.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
}

impl UserError for SourceError {
    fn family(&self) -> &'static str {
        "replay"
    }

    fn name(&self) -> &'static str {
        match self {
            SourceError::NotFound { .. } => "source_not_found",
            SourceError::NotAFile { .. } => "source_not_a_file",
            SourceError::Unreadable { .. } => "source_unreadable",
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            SourceError::NotFound { .. } => {
                Some("name log files or folders, or `-` for standard input".to_owned())
            }
            SourceError::NotAFile { path, .. } => Some(format!(
                "to replay a stream, pipe it to standard input: `prowl replay - < {}`",
                path.display()
            )),
            SourceError::Unreadable { .. } => None,
        }
    }

    fn location(&self) -> Option<Location> {
        match self {
            SourceError::NotFound { path }
            | SourceError::NotAFile { path, .. }
            | SourceError::Unreadable { path, .. } => Some(Location::file(path)),
        }
    }
}

/// Where one source file's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Input {
    /// A regular file.
    File(PathBuf),
    /// The process's standard input (`-`).
    Stdin,
}

/// One file to read.
#[derive(Debug, Clone, Serialize)]
pub struct SourceFile {
    /// Where its bytes come from.
    pub input: Input,
    /// Its name in events' origins and problems: the path as named (a folder's path joined
    /// with the file's path inside it), `-` for standard input. Row IDs hash it.
    pub name: Arc<str>,
    /// Its size in bytes when known (not for standard input).
    pub size: Option<u64>,
}

/// The files a list of sources names, in the order they are read.
#[derive(Debug, Default)]
pub struct Sources {
    /// The files, in order: each source as named, a folder's files sorted by path.
    pub files: Vec<SourceFile>,
    /// Entries of folders passed over (devices, links out of the folder, unreadable folders).
    pub problems: Vec<Problem>,
}

impl Sources {
    /// The size of all files, when every size is known (not with standard input).
    pub fn total_bytes(&self) -> Option<u64> {
        self.files.iter().map(|f| f.size).sum()
    }
}

fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_fifo() {
        "FIFO"
    } else if t.is_socket() {
        "socket"
    } else if t.is_block_device() || t.is_char_device() {
        "device"
    } else {
        "special file"
    }
}

/// The files to read for `paths` (`-` is standard input): files as named, folders walked
/// recursively in sorted order without hidden entries, symbolic links inside a folder
/// followed only when they stay inside it, each file once.
pub fn list_sources(paths: &[PathBuf]) -> Result<Sources, SourceError> {
    let mut sources = Sources::default();
    let mut seen = HashSet::new();
    for path in paths {
        if path.as_os_str() == "-" {
            if !sources.files.iter().any(|f| f.input == Input::Stdin) {
                sources.files.push(SourceFile {
                    input: Input::Stdin,
                    name: Arc::from("-"),
                    size: None,
                });
            }
            continue;
        }
        let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => SourceError::NotFound { path: path.clone() },
            _ => SourceError::Unreadable {
                path: path.clone(),
                source: e,
            },
        })?;
        if meta.is_file() {
            sources.files.push(SourceFile {
                input: Input::File(path.clone()),
                name: Arc::from(path.display().to_string()),
                size: Some(meta.len()),
            });
        } else if meta.is_dir() {
            let root = std::fs::canonicalize(path).map_err(|e| SourceError::Unreadable {
                path: path.clone(),
                source: e,
            })?;
            // A folder that cannot be listed at all stops the read; one inside it is counted.
            std::fs::read_dir(path).map_err(|e| SourceError::Unreadable {
                path: path.clone(),
                source: e,
            })?;
            let mut walk = Walk {
                root: &root,
                seen: &mut seen,
                sources: &mut sources,
            };
            walk.folder(path, &root);
        } else {
            return Err(SourceError::NotAFile {
                path: path.clone(),
                kind: kind_of(&meta),
            });
        }
    }
    Ok(sources)
}

/// A folder being walked.
struct Walk<'a> {
    root: &'a Path,
    /// Canonical paths of the folders and files already taken.
    seen: &'a mut HashSet<PathBuf>,
    sources: &'a mut Sources,
}

impl Walk<'_> {
    fn pass_over(&mut self, kind: ProblemKind, path: &Path, detail: impl Into<String>) {
        self.sources.problems.push(Problem {
            kind,
            file: Arc::from(path.display().to_string()),
            line: None,
            record: None,
            offset: None,
            detail: detail.into(),
        });
    }

    /// `shown` is the folder as the user sees it; `real` its canonical path.
    fn folder(&mut self, shown: &Path, real: &Path) {
        if !self.seen.insert(real.to_path_buf()) {
            return;
        }
        let entries = match std::fs::read_dir(shown) {
            Ok(entries) => entries,
            Err(e) => return self.pass_over(ProblemKind::Unreadable, shown, e.to_string()),
        };
        let mut names: Vec<_> = entries.flatten().collect();
        names.sort_by_key(|e| e.file_name());
        for entry in names {
            let name = entry.file_name();
            if name.to_string_lossy().starts_with('.') {
                continue;
            }
            let path = shown.join(&name);
            let Ok(file_type) = entry.file_type() else {
                continue;
            };
            let real_path = if file_type.is_symlink() {
                match std::fs::canonicalize(&path) {
                    Ok(target) if target.starts_with(self.root) => target,
                    Ok(target) => {
                        self.pass_over(
                            ProblemKind::LinkOutside,
                            &path,
                            format!(
                                "a link to {}, outside the folder; not followed",
                                target.display()
                            ),
                        );
                        continue;
                    }
                    Err(e) => {
                        self.pass_over(
                            ProblemKind::Unreadable,
                            &path,
                            format!("a broken link: {e}"),
                        );
                        continue;
                    }
                }
            } else {
                real.join(&name)
            };
            let meta = match std::fs::metadata(&real_path) {
                Ok(m) => m,
                Err(e) => {
                    self.pass_over(ProblemKind::Unreadable, &path, e.to_string());
                    continue;
                }
            };
            if meta.is_dir() {
                self.folder(&path, &real_path);
            } else if meta.is_file() {
                if self.seen.insert(real_path) {
                    self.sources.files.push(SourceFile {
                        input: Input::File(path.clone()),
                        name: Arc::from(path.display().to_string()),
                        size: Some(meta.len()),
                    });
                }
            } else {
                let kind = kind_of(&meta);
                self.pass_over(
                    ProblemKind::NotAFile,
                    &path,
                    format!("a {kind}, not a file; not read"),
                );
            }
        }
    }
}

/// Where an event came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Origin {
    /// The file's name ([`SourceFile::name`]).
    pub file: Arc<str>,
    /// The 1-based line of the event's first byte (in the decompressed text).
    pub line: u64,
    /// Its 0-based index in its array or `Records` list (`None` in JSON lines).
    pub record: Option<u64>,
    /// The byte offset of its first byte in the decompressed text.
    pub offset: u64,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)?;
        if let Some(r) = self.record {
            write!(f, " (record {r})")?;
        }
        Ok(())
    }
}

/// One event, ready for the detections: a JSON object with its standard `p_` fields.
#[derive(Debug, Clone)]
pub struct Event {
    /// The event, with `p_log_type`, `p_event_time`, `p_parse_time`, `p_row_id`, and what
    /// [`fields`] derives (see `docs/replay-fields.md`).
    pub value: Map<String, Value>,
    /// Its log type (`p_log_type`).
    pub log_type: Arc<str>,
    /// Its time (`p_event_time`), in UTC.
    pub event_time: EventTime,
    /// Where it was read.
    pub origin: Origin,
}

/// A kind of problem in the input; each is counted and the replay goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// A line or element that is not JSON.
    NotJson,
    /// Valid JSON that is not an object (a number, a string, an array in an array).
    NotAnObject,
    /// A line or element longer than the limit (skipped without being kept).
    TooLong,
    /// An event nested deeper than [`MAX_DEPTH`].
    TooDeep,
    /// An event whose time field is missing or not a time.
    NoTime,
    /// An event without `p_log_type`, read without `--log-type`.
    NoLogType,
    /// A raw event of a log type the field table does not know, read without `--time-field`.
    UnknownLogType,
    /// A file that is not text (NUL bytes or invalid UTF-8 at its start).
    Binary,
    /// A file compressed with something other than gzip (zstd, bzip2, xz, zip).
    UnsupportedCompression,
    /// A gzip file that ends early.
    TruncatedGzip,
    /// A gzip file whose compressed data is damaged.
    CorruptGzip,
    /// A JSON array (or `Records` document) that never closes.
    UnclosedArray,
    /// Something after a file's array or document has closed.
    TrailingData,
    /// An error reading a file after it was opened.
    ReadError,
    /// A file or folder that cannot be opened.
    Unreadable,
    /// A FIFO, socket or device found in a folder (not read).
    NotAFile,
    /// A symbolic link in a folder leading out of it (not followed).
    LinkOutside,
}

impl ProblemKind {
    /// The kind's stable name (`not_json`), as `--format json` writes it.
    pub fn code(self) -> &'static str {
        match self {
            ProblemKind::NotJson => "not_json",
            ProblemKind::NotAnObject => "not_an_object",
            ProblemKind::TooLong => "too_long",
            ProblemKind::TooDeep => "too_deep",
            ProblemKind::NoTime => "no_time",
            ProblemKind::NoLogType => "no_log_type",
            ProblemKind::UnknownLogType => "unknown_log_type",
            ProblemKind::Binary => "binary",
            ProblemKind::UnsupportedCompression => "unsupported_compression",
            ProblemKind::TruncatedGzip => "truncated_gzip",
            ProblemKind::CorruptGzip => "corrupt_gzip",
            ProblemKind::UnclosedArray => "unclosed_array",
            ProblemKind::TrailingData => "trailing_data",
            ProblemKind::ReadError => "read_error",
            ProblemKind::Unreadable => "unreadable",
            ProblemKind::NotAFile => "not_a_file",
            ProblemKind::LinkOutside => "link_outside",
        }
    }

    /// What it means, in a few words.
    pub fn describe(self) -> &'static str {
        match self {
            ProblemKind::NotJson => "not JSON",
            ProblemKind::NotAnObject => "JSON but not an object",
            ProblemKind::TooLong => "longer than the record limit",
            ProblemKind::TooDeep => "nested too deep",
            ProblemKind::NoTime => "no usable event time",
            ProblemKind::NoLogType => "no log type",
            ProblemKind::UnknownLogType => "log type without a known time field",
            ProblemKind::Binary => "not text",
            ProblemKind::UnsupportedCompression => "compressed with something other than gzip",
            ProblemKind::TruncatedGzip => "gzip data ends early",
            ProblemKind::CorruptGzip => "gzip data is damaged",
            ProblemKind::UnclosedArray => "array never closes",
            ProblemKind::TrailingData => "data after the end",
            ProblemKind::ReadError => "read error",
            ProblemKind::Unreadable => "cannot be opened",
            ProblemKind::NotAFile => "not a regular file",
            ProblemKind::LinkOutside => "link out of the folder",
        }
    }

    /// The next step for the user, when there is one.
    pub fn hint(self) -> Option<&'static str> {
        match self {
            ProblemKind::TooLong => Some("raise the limit with --max-record-size"),
            ProblemKind::NoLogType => Some("name the log type of raw logs with --log-type"),
            ProblemKind::UnknownLogType => {
                Some("name the field holding the event time with --time-field")
            }
            ProblemKind::NoTime => Some("name the field holding the event time with --time-field"),
            ProblemKind::UnsupportedCompression => {
                Some("decompress the file first, or pipe it: `zstd -dc FILE | prowl replay -`")
            }
            _ => None,
        }
    }
}

/// One problem and where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// What kind of problem.
    pub kind: ProblemKind,
    /// The file ([`SourceFile::name`]).
    pub file: Arc<str>,
    /// The 1-based line, when the problem is at one.
    pub line: Option<u64>,
    /// The record's 0-based index in its array, when it is in one.
    pub record: Option<u64>,
    /// The byte offset in the decompressed text, when known.
    pub offset: Option<u64>,
    /// What exactly (the parser's message, the value found, the size).
    pub detail: String,
}

impl Problem {
    /// `file:line (record N)`, or the parts that are known.
    pub fn place(&self) -> String {
        let mut s = self.file.to_string();
        if let Some(line) = self.line {
            s.push_str(&format!(":{line}"));
        }
        if let Some(r) = self.record {
            s.push_str(&format!(" (record {r})"));
        }
        s
    }
}

/// Problems counted by kind, with the first few of each kept.
#[derive(Debug, Clone)]
pub struct ProblemTally {
    keep: usize,
    kinds: BTreeMap<ProblemKind, (u64, Vec<Problem>)>,
}

/// One kind's count and first places, as reports show them.
#[derive(Debug, Clone, Serialize)]
pub struct ProblemCount {
    /// The kind.
    pub kind: ProblemKind,
    /// How many.
    pub count: u64,
    /// The first ones, in the order they were found.
    pub first: Vec<Problem>,
}

impl ProblemTally {
    /// Keeping the first `keep` problems of each kind.
    pub fn new(keep: usize) -> ProblemTally {
        ProblemTally {
            keep,
            kinds: BTreeMap::new(),
        }
    }

    /// Counts a problem.
    pub fn add(&mut self, problem: Problem) {
        let entry = self.kinds.entry(problem.kind).or_default();
        entry.0 += 1;
        if entry.1.len() < self.keep {
            entry.1.push(problem);
        }
    }

    /// How many of a kind.
    pub fn count(&self, kind: ProblemKind) -> u64 {
        self.kinds.get(&kind).map_or(0, |k| k.0)
    }

    /// How many in all.
    pub fn total(&self) -> u64 {
        self.kinds.values().map(|k| k.0).sum()
    }

    /// The first problems of a kind.
    pub fn first(&self, kind: ProblemKind) -> &[Problem] {
        self.kinds.get(&kind).map_or(&[], |k| &k.1)
    }

    /// Every kind found, in the order of [`ProblemKind`].
    pub fn counts(&self) -> Vec<ProblemCount> {
        self.kinds
            .iter()
            .map(|(kind, (count, first))| ProblemCount {
                kind: *kind,
                count: *count,
                first: first.clone(),
            })
            .collect()
    }
}

/// How to read: what raw events lack and the limits.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// The log type of events without `p_log_type` (`--log-type`).
    pub log_type: Option<String>,
    /// The field holding the time of events without `p_event_time` (`--time-field`).
    pub time_field: Option<String>,
    /// `p_source_label` of events without one (`--source-label`).
    pub source_label: Option<String>,
    /// The longest line or array element kept (longer ones are problems).
    pub max_record_bytes: usize,
    /// How many places of each kind of problem to keep.
    pub kept_problems: usize,
    /// `p_parse_time` of events without one; `None` is the time the read starts.
    pub parse_time: Option<EventTime>,
}

impl Default for ReadOptions {
    fn default() -> ReadOptions {
        ReadOptions {
            log_type: None,
            time_field: None,
            source_label: None,
            max_record_bytes: DEFAULT_MAX_RECORD_BYTES,
            kept_problems: DEFAULT_KEPT_PROBLEMS,
            parse_time: None,
        }
    }
}

/// Counts of a read so far.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReadStats {
    /// Files opened (standard input counts as one).
    pub files: u64,
    /// Files in the list.
    pub files_total: u64,
    /// Events given out.
    pub events: u64,
    /// Events by log type.
    pub events_by_log_type: BTreeMap<String, u64>,
    /// Bytes read from the sources (compressed bytes for gzip files).
    pub bytes_read: u64,
    /// Bytes of text after decompression, in files finished so far.
    pub bytes_decoded: u64,
    /// The size of every source when all are known (not with standard input).
    pub total_bytes: Option<u64>,
}

/// A reader counting the bytes it passes on, for progress.
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
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
struct FileReader {
    name: Arc<str>,
    splitter: Splitter<Decoded>,
    framing: Framing,
    state: ArrayState,
    next_index: u64,
    gzip: bool,
}

/// What reading a file gave.
enum Step {
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
    fn open(
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
        let raw: Box<dyn Read + Send> = match &source.input {
            Input::Stdin => Box::new(io::stdin()),
            Input::File(path) => Box::new(
                open_regular(path).map_err(|e| problem(ProblemKind::Unreadable, e.to_string()))?,
            ),
        };
        let mut raw = Counting {
            inner: raw,
            count: counter.clone(),
        };
        let prefix = sniff(&mut raw).map_err(|e| problem(ProblemKind::ReadError, e.to_string()))?;
        let gzip = prefix.starts_with(&[0x1f, 0x8b]);
        // `prefix` is the start of the text, `stream` the rest (after the prefix).
        let (prefix, stream): (Vec<u8>, Box<dyn Read + Send>) = if gzip {
            let compressed = io::Cursor::new(prefix).chain(raw);
            let mut decoder = flate2::read::MultiGzDecoder::new(compressed);
            let decoded =
                sniff(&mut decoder).map_err(|e| problem(gzip_problem(&e), e.to_string()))?;
            (decoded, Box::new(decoder))
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
        })
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
    fn step(&mut self, buf: &mut Vec<u8>) -> Step {
        let result = match self.framing {
            Framing::Lines => self.step_line(buf),
            Framing::Array | Framing::Records => self.step_array(buf),
        };
        result.unwrap_or_else(|e| Step::End(Some(self.io_problem(&e))))
    }

    fn step_line(&mut self, buf: &mut Vec<u8>) -> io::Result<Step> {
        loop {
            match self.splitter.next_line(buf)? {
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

/// The events of a list of sources, one at a time (an [`Iterator`]); problems are counted in
/// [`EventReader::problems`] as they are met.
pub struct EventReader {
    pending: VecDeque<SourceFile>,
    current: Option<FileReader>,
    max_record_bytes: usize,
    completion: Completion,
    tally: ProblemTally,
    stats: ReadStats,
    bytes_read: Arc<AtomicU64>,
    buf: Vec<u8>,
    log_types: BTreeMap<String, Arc<str>>,
}

impl EventReader {
    /// A reader over `sources` (their listing problems are counted first).
    pub fn new(sources: Sources, options: ReadOptions) -> EventReader {
        let mut tally = ProblemTally::new(options.kept_problems);
        for p in sources.problems.iter().cloned() {
            tally.add(p);
        }
        let stats = ReadStats {
            files_total: sources.files.len() as u64,
            total_bytes: sources.total_bytes(),
            ..ReadStats::default()
        };
        EventReader {
            pending: sources.files.into(),
            current: None,
            max_record_bytes: options.max_record_bytes,
            completion: Completion {
                log_type: options.log_type,
                time_field: options.time_field,
                source_label: options.source_label,
                parse_time: options
                    .parse_time
                    .unwrap_or_else(EventTime::now)
                    .to_panther(),
            },
            tally,
            stats,
            bytes_read: Arc::new(AtomicU64::new(0)),
            buf: Vec::new(),
            log_types: BTreeMap::new(),
        }
    }

    /// The problems met so far.
    pub fn problems(&self) -> &ProblemTally {
        &self.tally
    }

    /// The counts so far.
    pub fn stats(&self) -> ReadStats {
        let mut stats = self.stats.clone();
        stats.bytes_read = self.bytes_read.load(Ordering::Relaxed);
        stats
    }

    /// The count of bytes read from the sources, for another thread's progress display.
    pub fn bytes_counter(&self) -> Arc<AtomicU64> {
        self.bytes_read.clone()
    }

    fn finish_file(&mut self) {
        if let Some(file) = self.current.take() {
            self.stats.bytes_decoded += file.splitter.offset();
        }
    }

    /// Parses and completes the record in `self.buf`.
    fn event(&mut self, span: RecordSpan, record: Option<u64>) -> Result<Event, Problem> {
        let Some(file) = &self.current else {
            unreachable!("a record comes from the current file")
        };
        let name = file.name.clone();
        let problem = |kind, detail: String| Problem {
            kind,
            file: name.clone(),
            line: Some(span.line),
            record,
            offset: Some(span.offset),
            detail,
        };
        if span.too_long {
            return Err(problem(
                ProblemKind::TooLong,
                format!(
                    "{} bytes, more than the limit of {}",
                    span.len, self.max_record_bytes
                ),
            ));
        }
        if span.depth > MAX_DEPTH {
            return Err(problem(
                ProblemKind::TooDeep,
                format!("nested {} deep, more than {MAX_DEPTH}", span.depth),
            ));
        }
        let value: Value = match serde_json::from_slice(&self.buf) {
            Ok(v) => v,
            Err(e) => {
                let depth = split::max_depth(&self.buf);
                return Err(if depth >= MAX_DEPTH {
                    problem(
                        ProblemKind::TooDeep,
                        format!("nested {depth} deep, more than {MAX_DEPTH}"),
                    )
                } else {
                    problem(ProblemKind::NotJson, e.to_string())
                });
            }
        };
        let mut map = match value {
            Value::Object(map) => map,
            other => {
                let what = match other {
                    Value::Array(_) => "an array",
                    Value::String(_) => "a string",
                    Value::Number(_) => "a number",
                    Value::Bool(_) => "a boolean",
                    _ => "null",
                };
                return Err(problem(
                    ProblemKind::NotAnObject,
                    format!("{what}, not an object"),
                ));
            }
        };
        let (log_type, event_time) = fields::complete(&mut map, &self.completion, || {
            fields::row_id(&name, span.offset)
        })
        .map_err(|why| match why {
            Incomplete::NoLogType => problem(
                ProblemKind::NoLogType,
                "no p_log_type, and no --log-type".to_owned(),
            ),
            Incomplete::UnknownLogType(t) => {
                let detail = match fields::log_type_ignoring_case(&t) {
                    Some(known) => {
                        format!("`{t}` is not a log type replay knows; did you mean `{known}`?")
                    }
                    None => format!("`{t}` is not a log type replay knows the time field of"),
                };
                problem(ProblemKind::UnknownLogType, detail)
            }
            Incomplete::NoTime { fields, found } => problem(
                ProblemKind::NoTime,
                match found {
                    Some(v) => format!("{fields}: {v} is not a time"),
                    None => format!("no {fields}"),
                },
            ),
        })?;
        let log_type = match self.log_types.get(&log_type) {
            Some(t) => t.clone(),
            None => {
                let t: Arc<str> = Arc::from(log_type.as_str());
                self.log_types.insert(log_type, t.clone());
                t
            }
        };
        Ok(Event {
            value: map,
            log_type,
            event_time,
            origin: Origin {
                file: name,
                line: span.line,
                record,
                offset: span.offset,
            },
        })
    }
}

impl Iterator for EventReader {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        loop {
            if self.current.is_none() {
                let source = self.pending.pop_front()?;
                self.stats.files += 1;
                match FileReader::open(&source, &self.bytes_read, self.max_record_bytes) {
                    Ok(file) => self.current = Some(file),
                    Err(p) => {
                        self.tally.add(p);
                        continue;
                    }
                }
            }
            let Some(file) = self.current.as_mut() else {
                continue;
            };
            match file.step(&mut self.buf) {
                Step::Record(span, record) => match self.event(span, record) {
                    Ok(event) => {
                        self.stats.events += 1;
                        match self.stats.events_by_log_type.get_mut(&*event.log_type) {
                            Some(n) => *n += 1,
                            None => {
                                self.stats
                                    .events_by_log_type
                                    .insert(event.log_type.to_string(), 1);
                            }
                        }
                        return Some(event);
                    }
                    Err(p) => self.tally.add(p),
                },
                Step::Problem(p) => self.tally.add(p),
                Step::End(p) => {
                    if let Some(p) = p {
                        self.tally.add(p);
                    }
                    self.finish_file();
                }
            }
        }
    }
}

/// Reads every event of `sources`, handing each to `on_event`, and returns the counts: what
/// `prowl replay --read-only` does. `observe` sees the counts every 65,536 events (progress).
pub fn read_only(
    sources: Sources,
    options: ReadOptions,
    mut on_event: impl FnMut(&Event),
    mut observe: impl FnMut(&ReadStats),
) -> (ReadStats, ProblemTally) {
    let mut reader = EventReader::new(sources, options);
    let mut n = 0u64;
    while let Some(event) = reader.next() {
        on_event(&event);
        n += 1;
        if n % 65_536 == 0 {
            observe(&reader.stats());
        }
    }
    (reader.stats(), reader.problems().clone())
}

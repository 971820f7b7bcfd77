//! Log sources read as a stream of [`Event`]s: files, folders (recursively) and standard input;
//! JSON lines, JSON arrays and CloudTrail-style `{"Records": [...]}` documents, plain or gzip.
//!
//! Invariants:
//! - Nothing is read whole. A file is decoded through a fixed buffer and split record by record
//!   (the private `split` module); one record is held at a time, at most `max_record_bytes` long, so a
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
pub use super::file::splittable;
use super::file::{FileReader, Step};
use super::problem::{Problem, ProblemKind, ProblemTally};
use super::split::{self, RecordSpan};
use super::time::EventTime;
use crate::error::{Location, UserError};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashSet, VecDeque};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The longest record (a line or an array element) read by default: 16 MiB.
pub const DEFAULT_MAX_RECORD_BYTES: usize = 16 << 20;

/// How many places of each kind of problem are kept by default.
pub const DEFAULT_KEPT_PROBLEMS: usize = 10;

/// The deepest nesting an event may have: `serde_json`'s recursion limit.
pub const MAX_DEPTH: u32 = 128;

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
    /// Only the records starting in these bytes (`start..end`) are read: a share of a large
    /// JSON-lines file on a cluster. Lines keep their numbers in the whole file. A file that
    /// cannot be split ([`splittable`]) is read whole by its share starting at 0, and not at all
    /// by the others.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub range: Option<(u64, u64)>,
    /// Its number in the replay's list of files, for the order of events ([`Event::seq`]);
    /// `None`: its place in the reader's list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<u64>,
}

impl SourceFile {
    /// A whole file, numbered by its place in the list.
    pub fn new(input: Input, name: Arc<str>, size: Option<u64>) -> SourceFile {
        SourceFile {
            input,
            name,
            size,
            range: None,
            number: None,
        }
    }
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
                sources
                    .files
                    .push(SourceFile::new(Input::Stdin, Arc::from("-"), None));
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
            sources.files.push(SourceFile::new(
                Input::File(path.clone()),
                Arc::from(path.display().to_string()),
                Some(meta.len()),
            ));
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
                    self.sources.files.push(SourceFile::new(
                        Input::File(path.clone()),
                        Arc::from(path.display().to_string()),
                        Some(meta.len()),
                    ));
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
    /// [`fields`] derives (see `docs/replay-fields.md`); empty when the event is in `raw`.
    pub value: Map<String, Value>,
    /// A lake export read with [`ReadOptions::raw_exports`]: the event's JSON text as read,
    /// with the `p_` fields it lacked appended (`value` is then empty).
    pub raw: Option<Box<serde_json::value::RawValue>>,
    /// Its log type (`p_log_type`).
    pub log_type: Arc<str>,
    /// Its time (`p_event_time`), in UTC.
    pub event_time: EventTime,
    /// Where it was read.
    pub origin: Origin,
    /// Its place in the read: the file's number and the record's offset in it, so that the
    /// order of events is the same however the files are split among readers.
    pub seq: u64,
}

/// Bits of [`Event::seq`] for the offset in a file (1 TiB); the file's number is above them.
const SEQ_OFFSET_BITS: u32 = 40;

/// The file number in an [`Event::seq`].
pub fn file_of_seq(seq: u64) -> u64 {
    seq >> SEQ_OFFSET_BITS
}

/// [`Event::seq`] of a record: its file's number, then its offset.
pub fn seq_of(file_number: u64, offset: u64) -> u64 {
    (file_number << SEQ_OFFSET_BITS) | offset.min((1 << SEQ_OFFSET_BITS) - 1)
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
    /// The records are query rows or cloud resources, not log events.
    pub rows: Option<fields::Rows>,
    /// Keep lake exports (events with `p_log_type` and `p_event_time`) as JSON text in
    /// [`Event::raw`] instead of building their [`Map`]: only the `p_` fields are decoded, and
    /// the text goes to the workers as it was read. For replay's detection step.
    pub raw_exports: bool,
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
            rows: None,
            raw_exports: false,
        }
    }
}

/// Counts of a read so far.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, ts_rs::TS)]
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

/// A record parsed and completed, before its log type is shared.
struct Parsed {
    value: Map<String, Value>,
    raw: Option<Box<serde_json::value::RawValue>>,
    log_type: String,
    event_time: EventTime,
    origin: Origin,
}

/// The events of a list of sources, one at a time (an [`Iterator`]); problems are counted in
/// [`EventReader::problems`] as they are met.
///
/// One thread, one record at a time. Parsing a batch of records on every core was tried: with
/// a batch of events alive at once, the system allocator spent 20-70% more CPU per byte
/// (consolidating its free lists) than the second core gave back, and the later pieces of
/// replay need the cores for the Python workers.
pub struct EventReader {
    /// Files to read, each with the index of its completion and its number.
    pending: VecDeque<(SourceFile, usize, u64)>,
    /// The number of the file being read.
    number: u64,
    /// The numbers given so far.
    numbered: u64,
    current: Option<FileReader>,
    max_record_bytes: usize,
    /// How the records of each group of files are completed ([`EventReader::add`]).
    completions: Vec<Completion>,
    completion: usize,
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
        let numbered = sources.files.len() as u64;
        EventReader {
            pending: sources
                .files
                .into_iter()
                .enumerate()
                .map(|(i, f)| {
                    let n = f.number.unwrap_or(i as u64);
                    (f, 0, n)
                })
                .collect(),
            number: 0,
            numbered,
            current: None,
            max_record_bytes: options.max_record_bytes,
            completions: vec![completion_of(options)],
            completion: 0,
            tally,
            stats,
            bytes_read: Arc::new(AtomicU64::new(0)),
            buf: Vec::new(),
            log_types: BTreeMap::new(),
        }
    }

    /// Reads `sources` too, after the others, completing their records as `options` says
    /// (query rows and resources are read this way, after the logs). `max_record_bytes` and
    /// `kept_problems` stay the first options'.
    pub fn add(&mut self, sources: Sources, options: ReadOptions) {
        for p in sources.problems.iter().cloned() {
            self.tally.add(p);
        }
        self.stats.files_total += sources.files.len() as u64;
        self.stats.total_bytes = match (self.stats.total_bytes, sources.total_bytes()) {
            (Some(a), Some(b)) => Some(a + b),
            _ => None,
        };
        let index = self.completions.len();
        self.completions.push(completion_of(options));
        let first = self.numbered;
        self.numbered += sources.files.len() as u64;
        self.pending
            .extend(sources.files.into_iter().enumerate().map(|(i, f)| {
                let n = f.number.unwrap_or(first + i as u64);
                (f, index, n)
            }));
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
            self.stats.bytes_decoded += file.decoded();
        }
    }

    /// The next record or problem of the current file (opening the next file when needed);
    /// `None` when every file has been read.
    fn next_result(&mut self) -> Option<Result<Parsed, Problem>> {
        loop {
            if self.current.is_none() {
                let (source, completion, number) = self.pending.pop_front()?;
                self.completion = completion;
                self.number = number;
                self.stats.files += 1;
                match FileReader::open(&source, &self.bytes_read, self.max_record_bytes) {
                    Ok(file) => self.current = Some(file),
                    Err(p) => return Some(Err(p)),
                }
            }
            let file = self.current.as_mut()?;
            match file.step(&mut self.buf) {
                Step::Record(span, record) => {
                    return Some(parse_record(
                        &self.buf,
                        file.name.clone(),
                        span,
                        record,
                        &self.completions[self.completion],
                        self.max_record_bytes,
                    ))
                }
                Step::Problem(p) => return Some(Err(p)),
                Step::End(p) => {
                    self.finish_file();
                    if let Some(p) = p {
                        return Some(Err(p));
                    }
                }
            }
        }
    }
}

/// Parses and completes one record.
fn parse_record(
    bytes: &[u8],
    file: Arc<str>,
    span: RecordSpan,
    record: Option<u64>,
    completion: &Completion,
    max_record_bytes: usize,
) -> Result<Parsed, Problem> {
    let problem = |kind, detail: String| Problem {
        kind,
        file: file.clone(),
        line: Some(span.line),
        record,
        offset: Some(span.offset),
        detail,
    };
    if span.too_long {
        return Err(problem(
            ProblemKind::TooLong,
            format!(
                "{} bytes, more than the limit of {max_record_bytes}",
                span.len
            ),
        ));
    }
    if span.depth > MAX_DEPTH {
        return Err(problem(
            ProblemKind::TooDeep,
            format!("nested {} deep, more than {MAX_DEPTH}", span.depth),
        ));
    }
    // One UTF-8 check of the whole record (fast on ASCII) spares serde_json one per string.
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            return Err(problem(
                ProblemKind::NotJson,
                format!("not UTF-8 text (byte {})", e.valid_up_to() + 1),
            ))
        }
    };
    if completion.raw_exports && completion.rows.is_none() {
        if let Some((raw, log_type, event_time)) =
            raw_export(text, completion, || fields::row_id(&file, span.offset))
        {
            return Ok(Parsed {
                value: Map::new(),
                raw: Some(raw),
                log_type,
                event_time,
                origin: Origin {
                    file,
                    line: span.line,
                    record,
                    offset: span.offset,
                },
            });
        }
    }
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            let depth = split::max_depth(bytes);
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
    let (log_type, event_time) =
        fields::complete(&mut map, completion, || fields::row_id(&file, span.offset)).map_err(
            |why| match why {
                Incomplete::NoLogType => problem(
                    ProblemKind::NoLogType,
                    "no p_log_type, and no --log-type".to_owned(),
                ),
                Incomplete::NoResourceType => problem(
                    ProblemKind::NoResourceType,
                    "a resource without ResourceType, and no --resource-type".to_owned(),
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
            },
        )?;
    Ok(Parsed {
        value: map,
        raw: None,
        log_type,
        event_time,
        origin: Origin {
            file,
            line: span.line,
            record,
            offset: span.offset,
        },
    })
}

impl Iterator for EventReader {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        loop {
            let parsed = match self.next_result()? {
                Ok(parsed) => parsed,
                Err(problem) => {
                    self.tally.add(problem);
                    continue;
                }
            };
            let log_type = match self.log_types.get(&parsed.log_type) {
                Some(t) => t.clone(),
                None => {
                    let t: Arc<str> = Arc::from(parsed.log_type.as_str());
                    self.log_types.insert(parsed.log_type, t.clone());
                    self.stats.events_by_log_type.insert(t.to_string(), 0);
                    t
                }
            };
            self.stats.events += 1;
            if let Some(n) = self.stats.events_by_log_type.get_mut(&*log_type) {
                *n += 1;
            }
            let seq = seq_of(self.number, parsed.origin.offset);
            return Some(Event {
                value: parsed.value,
                raw: parsed.raw,
                log_type,
                event_time: parsed.event_time,
                origin: parsed.origin,
                seq,
            });
        }
    }
}

/// The `p_` fields of a lake export; the rest of the event is skipped, not built.
#[derive(serde::Deserialize)]
struct ExportHead<'a> {
    #[serde(borrow)]
    p_log_type: Option<std::borrow::Cow<'a, str>>,
    p_event_time: Option<Value>,
    p_parse_time: Option<serde::de::IgnoredAny>,
    p_row_id: Option<serde::de::IgnoredAny>,
    p_source_label: Option<serde::de::IgnoredAny>,
}

/// A lake export (an object with a string `p_log_type` and a usable `p_event_time`) as JSON
/// text with the `p_` fields [`fields::complete`] would add appended, with its log type and
/// time; `None` for anything else (which then takes the full path and its problem reports).
/// The text is the record as read, so key order and values are the file's.
fn raw_export(
    text: &str,
    how: &Completion,
    row_id: impl FnOnce() -> String,
) -> Option<(Box<serde_json::value::RawValue>, String, EventTime)> {
    let head: ExportHead = serde_json::from_str(text).ok()?;
    let log_type = head.p_log_type?.into_owned();
    let time = EventTime::from_json(head.p_event_time.as_ref().filter(|v| !v.is_null())?)?;
    let body = text.trim_end();
    let body = body.strip_suffix('}')?;
    let mut out = String::with_capacity(text.len() + 128);
    out.push_str(body);
    let mut add = |key: &str, value: &str| {
        // Not the first key: the object holds p_log_type at least.
        out.push_str(",\"");
        out.push_str(key);
        out.push_str("\":");
        out.push_str(&serde_json::to_string(value).expect("a string"));
    };
    if head.p_parse_time.is_none() {
        add("p_parse_time", &how.parse_time);
    }
    if head.p_row_id.is_none() {
        add("p_row_id", &row_id());
    }
    if let (None, Some(label)) = (&head.p_source_label, &how.source_label) {
        add("p_source_label", label);
    }
    out.push('}');
    let raw = serde_json::value::RawValue::from_string(out).ok()?;
    Some((raw, log_type, time))
}

fn completion_of(options: ReadOptions) -> Completion {
    let now = options.parse_time.unwrap_or_else(EventTime::now);
    Completion {
        log_type: options.log_type,
        time_field: options.time_field,
        source_label: options.source_label,
        parse_time: now.to_panther(),
        rows: options.rows,
        now: Some(now),
        raw_exports: options.raw_exports,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn completion(raw_exports: bool, label: Option<&str>) -> Completion {
        Completion {
            log_type: Some("Okta.SystemLog".into()),
            source_label: label.map(str::to_owned),
            parse_time: "2026-11-02 00:00:00.000000000".into(),
            raw_exports,
            ..Completion::default()
        }
    }

    fn parsed(text: &str, how: &Completion) -> Result<Parsed, Problem> {
        let span = RecordSpan {
            offset: 40,
            line: 3,
            len: text.len() as u64,
            depth: 3,
            too_long: false,
        };
        parse_record(
            text.as_bytes(),
            Arc::from("f.jsonl"),
            span,
            None,
            how,
            1 << 20,
        )
    }

    /// The event the detections get, whichever path read it.
    fn event_of(p: &Parsed) -> Value {
        match &p.raw {
            Some(raw) => serde_json::from_str(raw.get()).unwrap(),
            None => Value::Object(p.value.clone()),
        }
    }

    #[test]
    fn lake_exports_kept_as_text_equal_the_built_events() {
        let exports = [
            r#"{"p_log_type":"Okta.SystemLog","p_event_time":"2026-11-01 00:00:01","actor":{"alternateId":"a@b"},"n":[1,2.5,"\u00e9"]}"#,
            r#"{"a":1, "p_event_time":1793491200,"p_log_type":"GitHub.Audit","p_row_id":"r1" }  "#,
            r#"{"p_log_type":"X.Y","p_event_time":"2026-11-01T00:00:00Z","p_parse_time":"t","p_source_label":"mine"}"#,
        ];
        for label in [None, Some("lab\"el")] {
            for text in exports {
                let fast = parsed(text, &completion(true, label)).unwrap();
                let slow = parsed(text, &completion(false, label)).unwrap();
                assert!(fast.raw.is_some(), "{text}");
                assert!(slow.raw.is_none());
                assert_eq!(event_of(&fast), event_of(&slow), "{text}");
                assert_eq!(fast.log_type, slow.log_type);
                assert_eq!(fast.event_time, slow.event_time);
            }
        }
    }

    #[test]
    fn anything_else_takes_the_full_path_and_its_problems() {
        let how = completion(true, None);
        // A raw log (no p_event_time): derived fields, so built.
        let raw = parsed(r#"{"published":"2026-11-01 00:00:00","actor":{}}"#, &how).unwrap();
        assert!(raw.raw.is_none());
        assert!(raw.value.contains_key("p_event_time"));
        // Problems are the full path's.
        for (text, kind) in [
            (
                r#"{"p_log_type":"X","p_event_time":"soon"}"#,
                ProblemKind::NoTime,
            ),
            ("[1]", ProblemKind::NotAnObject),
            (r#"{"p_log_type":"X", "#, ProblemKind::NotJson),
        ] {
            let p = parsed(text, &how).err().expect(text);
            assert_eq!(p.kind, kind, "{text}");
        }
        // A non-string log type, a duplicate p_ key: built, as before.
        for text in [
            r#"{"p_log_type":7,"p_event_time":"2026-11-01 00:00:00"}"#,
            r#"{"p_log_type":"A","p_log_type":"Okta.SystemLog","p_event_time":"2026-11-01 00:00:00"}"#,
        ] {
            let p = parsed(text, &how).unwrap();
            assert!(p.raw.is_none(), "{text}");
        }
    }
}

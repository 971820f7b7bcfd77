//! Problems in replay's input: their kinds, where each is, and the tally that counts them by
//! kind and keeps the first few places of each.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A kind of problem in the input; each is counted and the replay goes on.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// A line or element that is not JSON.
    NotJson,
    /// Valid JSON that is not an object (a number, a string, an array in an array).
    NotAnObject,
    /// A line or element longer than the limit (skipped without being kept).
    TooLong,
    /// An event nested deeper than [`MAX_DEPTH`](super::source::MAX_DEPTH).
    TooDeep,
    /// An event whose time field is missing or not a time.
    NoTime,
    /// An event without `p_log_type`, read without `--log-type`.
    NoLogType,
    /// A resource without `ResourceType`, read without `--resource-type`.
    NoResourceType,
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
            ProblemKind::NoResourceType => "no_resource_type",
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
            ProblemKind::NoResourceType => "a resource without a resource type",
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
            ProblemKind::NoResourceType => {
                Some("name the type of resources without ResourceType with --resource-type")
            }
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Problem {
    /// What kind of problem.
    pub kind: ProblemKind,
    /// The file ([`SourceFile::name`](super::source::SourceFile::name)).
    #[ts(type = "string")]
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
#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
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

    /// Counts another read's problems after these ones (the shares of a cluster replay, in
    /// the order of the files): counts add up, first places are kept in order.
    pub fn merge(&mut self, counts: Vec<ProblemCount>) {
        for c in counts {
            let entry = self.kinds.entry(c.kind).or_default();
            entry.0 += c.count;
            let room = self.keep.saturating_sub(entry.1.len());
            entry.1.extend(c.first.into_iter().take(room));
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

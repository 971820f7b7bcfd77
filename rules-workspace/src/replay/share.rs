//! One share of a cluster replay, read on a node by `prowl-read` with the replay's own reader
//! and batching ([`super::run::batches`]): the files (or byte ranges of a file) of the share,
//! routed by log type, written as the batches a local worker gets, one JSON line each.
//!
//! Input ([`ShareJob`], JSON): the files with their numbers (for the order of events), the
//! route table, the read options of each group of files (logs, a query's rows, resources).
//!
//! Output, one JSON object per line:
//! - `{"meta": [[time_ns, seq, line, record|null, offset], …], "events": [[route, event], …]}`
//!   and, when events are kept (`--out`), `"raw": ["<event JSON>", …]`, for each batch;
//! - `{"done": {"stats": ReadStats, "problems": [ProblemCount…], "unrouted": {log type: n}}}`
//!   last.

use super::fields::Rows;
use super::run::{batches, Job, RouteTable};
use super::source::{EventReader, Input, ReadOptions, SourceFile, Sources};
use super::time::EventTime;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::Arc;

/// How a group of files is read (the part of [`ReadOptions`] that travels).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ShareRead {
    /// `--log-type` (for resources: `--resource-type`).
    pub log_type: Option<String>,
    /// `--time-field`.
    pub time_field: Option<String>,
    /// `--source-label`.
    pub source_label: Option<String>,
    /// The longest record kept.
    pub max_record_bytes: usize,
    /// Places kept per kind of problem.
    pub kept_problems: usize,
    /// `p_parse_time` of events without one (ns since the epoch), the same on every node.
    pub parse_time_ns: i64,
    /// The rows of this scheduled query.
    pub query: Option<String>,
    /// Cloud resources.
    pub resources: bool,
}

impl ShareRead {
    /// What travels of `options`, with the parse time fixed to `parse_time`.
    pub fn of(options: &ReadOptions, parse_time: EventTime) -> ShareRead {
        let (query, resources) = match &options.rows {
            Some(Rows::Query(q)) => (Some(q.clone()), false),
            Some(Rows::Resources) => (None, true),
            None => (None, false),
        };
        ShareRead {
            log_type: options.log_type.clone(),
            time_field: options.time_field.clone(),
            source_label: options.source_label.clone(),
            max_record_bytes: options.max_record_bytes,
            kept_problems: options.kept_problems,
            parse_time_ns: options.parse_time.unwrap_or(parse_time).unix_nanos(),
            query,
            resources,
        }
    }

    /// The read options again, as the replay's reader takes them.
    pub fn options(&self) -> ReadOptions {
        ReadOptions {
            log_type: self.log_type.clone(),
            time_field: self.time_field.clone(),
            source_label: self.source_label.clone(),
            max_record_bytes: self.max_record_bytes,
            kept_problems: self.kept_problems,
            parse_time: Some(EventTime::from_unix_nanos(self.parse_time_ns)),
            rows: match (&self.query, self.resources) {
                (Some(q), _) => Some(Rows::Query(q.clone())),
                (None, true) => Some(Rows::Resources),
                (None, false) => None,
            },
            raw_exports: true,
        }
    }
}

/// A file, or a byte range of one, in a share.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ShareFile {
    /// Where the node reads it (`-`: the share's standard input, for objects a task streams).
    pub path: String,
    /// Its name in origins and problems (and in row IDs): the same on every node.
    pub name: String,
    /// Its number in the replay's list of files.
    pub number: u64,
    /// Its size, when known.
    pub size: Option<u64>,
    /// The bytes of it this share reads (`None`: all).
    pub range: Option<(u64, u64)>,
    /// Its group's index in [`ShareJob::reads`].
    pub group: usize,
}

/// What one share reads and how it batches.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShareJob {
    /// The files, in the replay's order.
    pub files: Vec<ShareFile>,
    /// How each group of files is read.
    pub reads: Vec<ShareRead>,
    /// Where each log type goes.
    pub routes: RouteTable,
    /// Events per batch.
    pub batch_events: usize,
    /// Send each event's JSON text too (`--out`).
    pub keep_events: bool,
}

/// The counts a share ends with.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ShareDone {
    /// What was read.
    pub stats: super::ReadStats,
    /// Problems by kind, with their first places.
    pub problems: Vec<super::ProblemCount>,
    /// Events no detection reads, by log type.
    pub unrouted: std::collections::BTreeMap<String, u64>,
}

#[derive(Serialize)]
struct BatchLine<'a> {
    meta: Vec<(i64, u64, u64, Option<u64>, u64)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    raw: Option<Vec<&'a str>>,
    events: &'a serde_json::value::RawValue,
}

fn line(job: &Job, keep: bool) -> serde_json::Result<String> {
    serde_json::to_string(&BatchLine {
        meta: job
            .events
            .iter()
            .map(|e| {
                (
                    e.time,
                    e.seq,
                    e.origin.line,
                    e.origin.record,
                    e.origin.offset,
                )
            })
            .collect(),
        raw: keep.then(|| {
            job.events
                .iter()
                .map(|e| e.value.as_ref().map_or("null", |v| v.get()))
                .collect()
        }),
        events: &job.wire,
    })
}

/// Reads `job`'s files and writes its batches and counts to `out` (see the module's doc).
/// Stops early, with an error, when `out` cannot be written (the task reading it is gone).
pub fn read_share(job: &ShareJob, out: &mut dyn Write) -> std::io::Result<ShareDone> {
    let mut reader: Option<EventReader> = None;
    let mut files = job.files.iter().peekable();
    while let Some(first) = files.next() {
        let mut group = vec![first];
        while let Some(next) = files.next_if(|f| f.group == first.group) {
            group.push(next);
        }
        let sources = Sources {
            files: group
                .iter()
                .map(|f| SourceFile {
                    input: if f.path == "-" {
                        Input::Stdin
                    } else {
                        Input::File(PathBuf::from(&f.path))
                    },
                    name: Arc::from(f.name.as_str()),
                    size: f.size,
                    range: f.range,
                    number: Some(f.number),
                })
                .collect(),
            problems: Vec::new(),
        };
        let options = job
            .reads
            .get(first.group)
            .map(ShareRead::options)
            .unwrap_or_default();
        match reader.as_mut() {
            None => reader = Some(EventReader::new(sources, options)),
            Some(r) => r.add(sources, options),
        }
    }
    let Some(mut reader) = reader else {
        return Ok(ShareDone::default());
    };
    let stop = AtomicBool::new(false);
    let read = AtomicU64::new(0);
    let mut failed: Option<std::io::Error> = None;
    let unrouted = batches(
        &mut reader,
        &job.routes,
        job.batch_events,
        job.keep_events,
        &stop,
        &read,
        |batch| {
            let written = line(&batch, job.keep_events)
                .map_err(std::io::Error::from)
                .and_then(|text| {
                    out.write_all(text.as_bytes())?;
                    out.write_all(b"\n")
                });
            match written {
                Ok(()) => true,
                Err(e) => {
                    failed = Some(e);
                    false
                }
            }
        },
    );
    if let Some(e) = failed {
        return Err(e);
    }
    let done = ShareDone {
        stats: reader.stats(),
        problems: reader.problems().counts(),
        unrouted,
    };
    serde_json::to_writer(&mut *out, &serde_json::json!({ "done": &done }))?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(done)
}

/// `prowl-read`'s main: a [`ShareJob`] as JSON from the file named by the first argument (or
/// standard input when there is none), the share's lines on standard output.
pub fn main_with_args(args: &[String]) -> i32 {
    let text = match args.first() {
        Some(path) if path != "--version" => std::fs::read(path),
        Some(_) => {
            println!("prowl-read {}", env!("CARGO_PKG_VERSION"));
            return 0;
        }
        None => {
            let mut buf = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf).map(|_| buf)
        }
    };
    let job: ShareJob = match text
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_slice(&t).map_err(|e| format!("not a share job: {e}")))
    {
        Ok(job) => job,
        Err(e) => {
            eprintln!("prowl-read: {e}");
            return 2;
        }
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
    match read_share(&job, &mut out) {
        Ok(_) => 0,
        Err(e) => {
            eprintln!("prowl-read: {e}");
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::ProblemTally;

    /// (line, offset, seq, log type, time, event text) of every event, and problems by kind.
    type Read = (
        Vec<(u64, u64, u64, String, i64, String)>,
        Vec<(String, u64)>,
    );

    fn read(path: &std::path::Path, ranges: &[(u64, u64)]) -> Read {
        let options = ReadOptions {
            log_type: Some("Okta.SystemLog".into()),
            parse_time: Some(EventTime::from_unix_nanos(1_000_000_000)),
            raw_exports: true,
            max_record_bytes: 64,
            ..ReadOptions::default()
        };
        let file = |range| SourceFile {
            input: Input::File(path.to_path_buf()),
            name: Arc::from("f.jsonl"),
            size: None,
            range,
            number: Some(3),
        };
        let files: Vec<SourceFile> = if ranges.is_empty() {
            vec![file(None)]
        } else {
            ranges.iter().map(|r| file(Some(*r))).collect()
        };
        let mut events = Vec::new();
        let mut tally = ProblemTally::new(100);
        for f in files {
            let mut reader = EventReader::new(
                Sources {
                    files: vec![f],
                    problems: Vec::new(),
                },
                options.clone(),
            );
            for e in reader.by_ref() {
                let text = match &e.raw {
                    Some(raw) => raw.get().to_owned(),
                    None => serde_json::to_string(&e.value).unwrap(),
                };
                events.push((
                    e.origin.line,
                    e.origin.offset,
                    e.seq,
                    e.log_type.to_string(),
                    e.event_time.unix_nanos(),
                    text,
                ));
            }
            tally.merge(reader.problems().counts());
        }
        let problems = tally
            .counts()
            .into_iter()
            .map(|c| {
                let places: Vec<String> = c.first.iter().map(|p| p.place()).collect();
                (format!("{:?} {places:?}", c.kind), c.count)
            })
            .collect();
        (events, problems)
    }

    #[test]
    fn byte_ranges_of_a_file_read_exactly_its_events_whatever_the_cut() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.jsonl");
        let text = concat!(
            "\u{feff}{\"published\":\"2026-11-01 00:00:00\",\"a\":1}\n",
            "\n",
            "   \n",
            "{\"published\":\"2026-11-01 00:00:01\",\"b\":\"x\\ny\"}\r\n",
            "not json\n",
            "{\"published\":\"2026-11-01 00:00:02\",\"c\":\"a very long line that goes past the limit of sixty-four bytes\"}\n",
            "{\"p_log_type\":\"GitHub.Audit\",\"p_event_time\":\"2026-11-01 00:00:03\"}\n",
            "[1,2]\n",
            "{\"published\":\"2026-11-01 00:00:04\"}"
        );
        std::fs::write(&path, text).unwrap();
        assert!(crate::replay::splittable(&path).unwrap());
        let whole = read(&path, &[]);
        assert_eq!(whole.0.len(), 3, "{whole:?}");
        assert_eq!(
            whole.1.len(),
            3,
            "not JSON, not an object, too long: {whole:?}"
        );
        let len = text.len() as u64;
        for size in 1..=len {
            let ranges: Vec<(u64, u64)> = (0..len.div_ceil(size))
                .map(|i| (i * size, ((i + 1) * size).min(len)))
                .collect();
            assert_eq!(read(&path, &ranges), whole, "cut every {size} bytes");
        }
    }

    #[test]
    fn files_that_cannot_be_cut_are_read_whole_by_the_share_at_zero() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json");
        std::fs::write(
            &path,
            r#"[{"published":"2026-11-01 00:00:00"},{"published":"2026-11-01 00:00:01"}]"#,
        )
        .unwrap();
        assert!(!crate::replay::splittable(&path).unwrap());
        let whole = read(&path, &[]);
        assert_eq!(whole.0.len(), 2);
        assert_eq!(read(&path, &[(0, 10), (10, 20), (20, 80)]), whole);
    }
}

//! `prowl replay SOURCES…`: log files through the workspace's detections, with the alerts
//! Panther would raise (see [`crate::replay`]): a summary, the alert table, `--out DIR` with
//! every alert and its events, `--expect`/`--write-expect` for regression tests. With
//! `--read-only` it only reads the logs and prints what it found: events per log type,
//! problems by kind with their first places, bytes and throughput.

use super::{env, output, usage, CliError};
use crate::replay::{self, fields, ProblemTally, ReadOptions, ReadStats};
use clap::{Args, ValueEnum};
use serde::Serialize;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// How `prowl replay` prints its results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReplayFormat {
    /// A summary and the alert table, for people.
    Text,
    /// The whole report as one JSON document.
    Json,
    /// One JSON object per alert.
    Jsonl,
    /// The alert table as CSV.
    Csv,
}

/// `prowl replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Log files or folders (read recursively, hidden files skipped); `-` is standard input.
    /// JSON lines, JSON arrays and CloudTrail `{"Records": [...]}` files, plain or gzip.
    #[arg(required_unless_present_any = ["query_results", "resources"], value_name = "SOURCES")]
    pub sources: Vec<PathBuf>,
    /// The rows of a scheduled query's result (JSON lines or a JSON array), for the scheduled
    /// rules running on QUERY (their `ScheduledQueries`); repeatable.
    #[arg(long = "query-results", value_name = "QUERY=FILE", value_parser = parse_query_results)]
    pub query_results: Vec<(String, PathBuf)>,
    /// Cloud resources (JSON lines or arrays, files or folders) for the policies of their
    /// `ResourceType`; repeatable.
    #[arg(long, value_name = "FILE")]
    pub resources: Vec<PathBuf>,
    /// The type of resources without `ResourceType`, e.g. AWS.S3.Bucket.
    #[arg(long, value_name = "TYPE", requires = "resources")]
    pub resource_type: Option<String>,
    /// The workspace whose detections run.
    #[arg(long, short = 'w', default_value = ".", value_name = "DIR")]
    pub workspace: PathBuf,
    /// PAT's filter on the detections: KEY=V1,V2 or KEY!=V1,V2 (repeatable), as for `prowl test`.
    #[arg(long = "filter", value_name = "KEY=VALUES")]
    pub filter: Vec<String>,
    /// The log type of events without `p_log_type` (raw logs), e.g. AWS.CloudTrail.
    #[arg(long, value_name = "LOG_TYPE")]
    pub log_type: Option<String>,
    /// The field holding the event time of raw events (dotted for nested fields), instead of
    /// the one replay knows for the log type.
    #[arg(long, value_name = "FIELD")]
    pub time_field: Option<String>,
    /// `p_source_label` of events without one.
    #[arg(long, value_name = "LABEL")]
    pub source_label: Option<String>,
    /// Only read and count the events and problems (no detections run).
    #[arg(long)]
    pub read_only: bool,
    /// With --read-only: print each event as a JSON line, with its p_ fields, on stdout (the
    /// counts then go to stderr).
    #[arg(long, requires = "read_only")]
    pub print_events: bool,
    /// The longest line or array element read (bytes; K, M, G suffixes); longer ones are
    /// counted as problems and skipped.
    #[arg(long, value_name = "SIZE", default_value = "16M", value_parser = parse_size)]
    pub max_record_size: usize,
    /// Write every alert (`alerts.jsonl`), every event of an alert (`events.jsonl`) and the
    /// report (`report.json`) into this folder.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Compare the alerts per detection with this expectations file; differences fail the run.
    #[arg(long, value_name = "FILE", conflicts_with = "write_expect")]
    pub expect: Option<PathBuf>,
    /// Record the alerts per detection (and per title) in this expectations file.
    #[arg(long, value_name = "FILE")]
    pub write_expect: Option<PathBuf>,
    /// Also replay the events through the detections as they are in this git revision (HEAD,
    /// a branch, a tag, HEAD~3, a commit ID; read with git, no checkout) and report per
    /// detection the alerts the working tree adds, removes and changes.
    #[arg(long, value_name = "REV", conflicts_with = "read_only")]
    pub compare: Option<String>,
    /// Alert rows printed by --format text.
    #[arg(long, default_value_t = 50, value_name = "N")]
    pub show: usize,
    /// Worker processes (default: one per core).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub workers: Option<u16>,
    /// Run on a Ray cluster: `auto` (the cluster this machine belongs to), `ray://HOST:10001`,
    /// a head's `HOST:6379`, or `saved` (the cluster set in the app's Settings). The nodes read
    /// the sources themselves (by the same paths) and need only Python and Ray; the driver
    /// needs a Python with the cluster's Ray (`PROWL_RAY_PYTHON`, else the one saved with the
    /// cluster). The workspace must be trusted (`prowl trust`).
    #[arg(long, value_name = "ADDRESS", conflicts_with = "read_only")]
    pub cluster: Option<String>,
    /// With --cluster: input per task (large JSON-lines files are cut at this size).
    #[arg(long, value_name = "SIZE", default_value = "64M", value_parser = parse_size, requires = "cluster")]
    pub share_size: usize,
    /// Events per batch sent to a worker.
    #[arg(long, default_value_t = 256, value_name = "N")]
    pub batch: usize,
    /// Seconds one batch may take before its worker is stopped (a rule that never returns).
    #[arg(long, default_value_t = 60.0, value_name = "SECONDS")]
    pub timeout: f64,
    /// A destination name `destinations()` may return (repeatable).
    #[arg(long = "available-destination", value_name = "NAME")]
    pub available_destinations: Vec<String>,
    /// How to print the results.
    #[arg(long, value_enum, default_value_t = ReplayFormat::Text)]
    pub format: ReplayFormat,
    /// How the first sync of the workspace's Python environment may proceed.
    #[command(flatten)]
    pub approval: env::ApprovalArgs,
}

/// `16M`, `512K`, `1G` (powers of 1024), or bytes.
fn parse_size(text: &str) -> Result<usize, String> {
    let t = text.trim();
    let (digits, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => t.split_at(i),
        None => (t, ""),
    };
    let n: usize = digits
        .parse()
        .map_err(|_| format!("`{text}` is not a size"))?;
    let scale: usize = match unit.to_ascii_uppercase().trim_end_matches(['B', 'I']) {
        "" => 1,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        _ => return Err(format!("`{text}`: use a number of bytes, or K, M or G")),
    };
    match n.checked_mul(scale) {
        Some(0) | None => Err(format!("`{text}` is not a usable size")),
        Some(v) => Ok(v),
    }
}

/// What `--format json` prints.
#[derive(Debug, Serialize)]
struct ReadReport<'a> {
    #[serde(flatten)]
    stats: &'a ReadStats,
    seconds: f64,
    mb_per_second: f64,
    decoded_mb_per_second: f64,
    events_per_second: f64,
    /// The process's peak resident memory (Linux `VmHWM`).
    peak_memory_bytes: Option<u64>,
    problem_count: u64,
    problems: Vec<replay::ProblemCount>,
}

/// The process's peak resident set size, from `/proc/self/status`.
pub(super) fn peak_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn parse_query_results(text: &str) -> Result<(String, PathBuf), String> {
    match text.split_once('=') {
        Some((query, file)) if !query.is_empty() && !file.is_empty() => {
            Ok((query.to_owned(), PathBuf::from(file)))
        }
        _ => Err(format!(
            "`{text}` is not QUERY=FILE (the query's name as the scheduled rule's ScheduledQueries list it)"
        )),
    }
}

pub(super) fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// Runs `prowl replay`.
pub fn run(args: &ReplayArgs, style: &output::Style) -> Result<ExitCode, CliError> {
    note_unknown_log_type(args, style);
    if args.read_only {
        if matches!(args.format, ReplayFormat::Jsonl | ReplayFormat::Csv) {
            return Err(usage(
                "prowl replay --read-only prints text or json",
                Some("use --format text or --format json"),
            ));
        }
        return read_only(args, style);
    }
    super::replay_run::run(args, style)
}

pub(super) fn read_options(args: &ReplayArgs) -> ReadOptions {
    ReadOptions {
        log_type: args.log_type.clone(),
        time_field: args.time_field.clone(),
        source_label: args.source_label.clone(),
        max_record_bytes: args.max_record_size,
        ..ReadOptions::default()
    }
}

fn note_unknown_log_type(args: &ReplayArgs, style: &output::Style) {
    if let (Some(t), None) = (&args.log_type, &args.time_field) {
        if fields::log_type_fields(t).is_none() {
            let known = fields::log_type_ignoring_case(t)
                .map(|k| format!(" (did you mean {k}?)"))
                .unwrap_or_default();
            eprintln!(
                "{} replay does not know where {t} keeps its event time{known}; raw events without p_event_time will be counted as problems\n  {} name the field with --time-field",
                style.bold("note:"),
                style.hint_label()
            );
        }
    }
}

fn read_only(args: &ReplayArgs, style: &output::Style) -> Result<ExitCode, CliError> {
    let sources = replay::list_sources(&args.sources)?;
    let options = read_options(args);
    let started = Instant::now();
    let show_progress = std::io::stderr().is_terminal();
    let mut last = Instant::now();
    let stdout = std::io::stdout();
    let mut events_out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut write_failed = None;
    let print_events = args.print_events;
    let on_event = |event: &replay::Event| {
        use std::io::Write;
        if print_events && write_failed.is_none() {
            let written = serde_json::to_writer(&mut events_out, &event.value)
                .map_err(std::io::Error::from)
                .and_then(|()| events_out.write_all(b"\n"));
            if let Err(e) = written {
                write_failed = Some(e);
            }
        }
    };
    let (stats, problems) = replay::read_only(sources, options, on_event, |s| {
        if show_progress && last.elapsed().as_millis() >= 500 {
            last = Instant::now();
            let of = s.total_bytes.map(|t| format!(" of {}", megabytes(t)));
            eprint!(
                "\rread {}{}, {} events ",
                megabytes(s.bytes_read),
                of.unwrap_or_default(),
                s.events
            );
        }
    });
    if show_progress {
        eprint!("\r\x1b[K");
    }
    {
        use std::io::Write;
        if let Some(e) = write_failed.or_else(|| events_out.flush().err()) {
            return Err(crate::error::ErrorInfo::new(
                "cli.output",
                format!("cannot write the events to standard output: {e}"),
            ));
        }
    }
    drop(events_out);
    let seconds = started.elapsed().as_secs_f64().max(1e-9);
    let report = ReadReport {
        stats: &stats,
        seconds,
        mb_per_second: stats.bytes_read as f64 / 1e6 / seconds,
        decoded_mb_per_second: stats.bytes_decoded as f64 / 1e6 / seconds,
        events_per_second: stats.events as f64 / seconds,
        peak_memory_bytes: peak_memory(),
        problem_count: problems.total(),
        problems: problems.counts(),
    };
    match (args.format, args.print_events) {
        (ReplayFormat::Json, false) => output::print_json(&report),
        (ReplayFormat::Json, true) => eprintln!(
            "{}",
            serde_json::to_string_pretty(&report).expect("plain data")
        ),
        (_, false) => print_text(&report, &problems, style, &mut std::io::stdout()),
        (_, true) => print_text(&report, &problems, style, &mut std::io::stderr()),
    }
    Ok(if problems.total() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Problems by kind with their first places and hints (`--read-only` and the full replay).
pub(super) fn print_problems(
    total: u64,
    counts: &[replay::ProblemCount],
    style: &output::Style,
    line: &mut dyn FnMut(String),
) {
    line(format!("{} {}", style.bold("Problems:"), total));
    for kind in counts {
        line(format!(
            "  {} ({}): {}",
            kind.kind.code(),
            kind.kind.describe(),
            kind.count
        ));
        for p in &kind.first {
            line(format!("    {}  {}", p.place(), p.detail));
        }
        if kind.count > kind.first.len() as u64 {
            line(format!(
                "    … and {} more",
                kind.count - kind.first.len() as u64
            ));
        }
        if let Some(h) = kind.kind.hint() {
            line(format!("    {} {h}", style.hint_label()));
        }
    }
}

fn print_text(
    report: &ReadReport<'_>,
    problems: &ProblemTally,
    style: &output::Style,
    out: &mut dyn std::io::Write,
) {
    // A closed stdout ends the process quietly (SIGPIPE); other write errors are not news.
    let mut line = |text: String| {
        let _ = writeln!(out, "{text}");
    };
    let s = report.stats;
    let decoded = if s.bytes_decoded != s.bytes_read {
        format!(", {} decoded", megabytes(s.bytes_decoded))
    } else {
        String::new()
    };
    line(format!(
        "{} {} of {} files ({}{decoded}) in {:.2} s: {:.1} MB/s, {:.0} events/s",
        style.bold("Read"),
        s.files,
        s.files_total,
        megabytes(s.bytes_read),
        report.seconds,
        report.mb_per_second,
        report.events_per_second
    ));
    line(format!("{} {}", style.bold("Events:"), s.events));
    let width = s
        .events_by_log_type
        .keys()
        .map(String::len)
        .max()
        .unwrap_or(0);
    for (log_type, n) in &s.events_by_log_type {
        line(format!("  {log_type:width$}  {n}"));
    }
    print_problems(problems.total(), &problems.counts(), style, &mut line);
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_take_binary_suffixes() {
        assert_eq!(parse_size("16M"), Ok(16 << 20));
        assert_eq!(parse_size("512k"), Ok(512 << 10));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("100"), Ok(100));
        assert!(parse_size("0").is_err());
        assert!(parse_size("12Q").is_err());
        assert!(parse_size("M").is_err());
    }
}

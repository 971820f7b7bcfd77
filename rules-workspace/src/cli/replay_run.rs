//! `prowl replay SOURCES…` with the detections: progress on the terminal, Ctrl+C, the outputs
//! (`--format`, `--out`) and the expectations (`--expect`, `--write-expect`).

use super::replay::{megabytes, peak_memory, ReplayArgs, ReplayFormat};
use super::{output, usage, CliError};
use crate::error::ErrorInfo;
use crate::filter::Filters;
use crate::replay::compare::{self, AlertBrief, Impact, Revision, Side};
use crate::replay::expect::Expectations;
use crate::replay::{self, Alert, AlertSink, Match, MatchKind, ReplayOptions, ReplayReport};
use crate::workspace::{OpenOptions, Workspace};
use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_interrupt(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// Ctrl+C stops the replay cleanly (the report covers what was done); a second one ends the
/// process at once (the handler resets itself).
fn catch_interrupt() {
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_interrupt as *const () as usize;
        action.sa_flags = libc::SA_RESETHAND;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGINT, &action, std::ptr::null_mut());
    }
}

/// `--out DIR`: `alerts.jsonl` and `events.jsonl` written as the grouping step completes them,
/// under `.partial` names until the replay is over.
struct OutSink {
    dir: PathBuf,
    ids: Vec<String>,
    alerts: BufWriter<File>,
    events: BufWriter<File>,
}

const ALERTS: &str = "alerts.jsonl";
const EVENTS: &str = "events.jsonl";
const REPORT: &str = "report.json";
const IMPACT: &str = "impact.json";

mod erased {
    /// A value written as pretty JSON.
    pub(super) trait Json {
        fn pretty(&self) -> std::io::Result<String>;
    }
    impl<T: serde::Serialize> Json for T {
        fn pretty(&self) -> std::io::Result<String> {
            serde_json::to_string_pretty(self).map_err(std::io::Error::other)
        }
    }
}

fn partial(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!(".{name}.partial"))
}

impl OutSink {
    fn create(dir: &Path, ids: Vec<String>) -> std::io::Result<OutSink> {
        std::fs::create_dir_all(dir)?;
        let open = |name: &str| -> std::io::Result<BufWriter<File>> {
            Ok(BufWriter::with_capacity(
                1 << 16,
                File::create(partial(dir, name))?,
            ))
        };
        Ok(OutSink {
            dir: dir.to_path_buf(),
            ids,
            alerts: open(ALERTS)?,
            events: open(EVENTS)?,
        })
    }

    /// Flushes, writes the report (and the comparison), and gives every file its name.
    fn finish(mut self, report: &ReplayReport, impact: Option<&Impact>) -> std::io::Result<()> {
        self.alerts.flush()?;
        self.events.flush()?;
        self.alerts.get_ref().sync_all()?;
        self.events.get_ref().sync_all()?;
        let write = |name: &str, value: &dyn erased::Json| -> std::io::Result<()> {
            let mut text = value.pretty()?;
            text.push('\n');
            std::fs::write(partial(&self.dir, name), text)
        };
        write(REPORT, &report)?;
        let mut names = vec![ALERTS, EVENTS, REPORT];
        if let Some(impact) = impact {
            write(IMPACT, &impact)?;
            names.push(IMPACT);
        }
        for name in names {
            std::fs::rename(partial(&self.dir, name), self.dir.join(name))?;
        }
        Ok(())
    }
}

#[derive(serde::Serialize)]
struct EventLine<'a> {
    alert: u64,
    detection: &'a str,
    kind: MatchKind,
    p_event_time: String,
    origin: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    event: Option<&'a serde_json::value::RawValue>,
}

impl AlertSink for OutSink {
    fn event(&mut self, alert: u64, m: &Match) -> std::io::Result<()> {
        let line = EventLine {
            alert,
            detection: self
                .ids
                .get(m.detection as usize)
                .map_or("", String::as_str),
            kind: m.kind,
            p_event_time: replay::EventTime::from_unix_nanos(m.time).to_panther(),
            origin: &m.origin,
            error: m.message.as_deref(),
            event: m.event.as_deref(),
        };
        serde_json::to_writer(&mut self.events, &line)?;
        self.events.write_all(b"\n")
    }

    fn alert(&mut self, alert: Alert) -> std::io::Result<()> {
        serde_json::to_writer(&mut self.alerts, &alert)?;
        self.alerts.write_all(b"\n")
    }
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> CliError {
    ErrorInfo::new(
        "cli.output",
        format!("cannot {what} {}: {e}", path.display()),
    )
}

/// Runs the detections over the sources and prints the results.
pub(super) fn run(args: &ReplayArgs, style: &output::Style) -> Result<ExitCode, CliError> {
    let expected = match &args.expect {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| io_error("read", path, e))?;
            let parsed: Expectations = serde_json::from_str(&text).map_err(|e| {
                ErrorInfo::new(
                    "cli.usage",
                    format!("{} is not an expectations file: {e}", path.display()),
                )
                .with_hint("write one with --write-expect FILE")
            })?;
            Some(parsed)
        }
        None => None,
    };
    if args.compare.is_some() && args.sources.iter().any(|s| s.as_os_str() == "-") {
        return Err(usage(
            "--compare reads the events twice, so it cannot read standard input",
            Some("save the events to a file and replay that"),
        ));
    }
    let filters = Filters::parse(&args.filter)?;
    let ws = Workspace::open(&args.workspace, &OpenOptions::default())?;
    let inputs = ReplayOptions {
        filters: filters.clone(),
        query_results: args.query_results.clone(),
        resources: args.resources.clone(),
        resource_type: args.resource_type.clone(),
        ..ReplayOptions::default()
    };
    // Inputs that cannot be read fail now, before any worker starts.
    for (_, path) in &inputs.query_results {
        replay::list_sources(std::slice::from_ref(path))?;
    }
    replay::list_sources(&inputs.resources)?;
    let plan = replay::plan_for(&ws, &inputs);
    if plan.detections.is_empty() {
        let why = if plan.skipped.is_empty() {
            "no rule is selected".to_string()
        } else {
            format!(
                "none of the {} selected detections is an enabled detection with Python code fed by the inputs",
                plan.skipped.len()
            )
        };
        return Err(usage(
            format!("nothing to replay: {why} in {}", ws.root.display()),
            Some("replay runs enabled rules on logs, scheduled rules on --query-results and policies on --resources: check --filter and the workspace path (-w), or only read the logs with --read-only"),
        ));
    }
    // The cluster's address (the saved one for `saved`) is known before any worker starts.
    let cluster_options = match &args.cluster {
        Some(address) => Some(crate::session::cluster::cli_options(Some(address))?),
        None => None,
    };
    // The revision is read before any worker starts: a wrong name fails at once.
    let revision = match &args.compare {
        Some(rev) => Some(Revision::export(&args.workspace, rev)?),
        None => None,
    };
    let mut pool = super::worker_pool(&args.workspace, &args.approval, args.workers)?;
    if args.cluster.is_none() {
        pool.prewarm(pool.size());
    }
    // `s3://` sources are listed by the cluster's driver and read by its nodes.
    let (s3, local): (Vec<&PathBuf>, Vec<&PathBuf>) = args
        .sources
        .iter()
        .partition(|p| p.to_str().is_some_and(|p| p.starts_with("s3://")));
    if !s3.is_empty() && args.cluster.is_none() {
        return Err(usage(
            format!(
                "{} is in S3: only a cluster's nodes read S3",
                s3[0].display()
            ),
            Some("add --cluster ADDRESS, or download the objects and replay the files"),
        ));
    }
    let local: Vec<PathBuf> = local.into_iter().cloned().collect();
    let sources = replay::list_sources(&local)?;
    let keep_all = matches!(args.format, ReplayFormat::Jsonl | ReplayFormat::Csv)
        || args.write_expect.is_some();
    let options = ReplayOptions {
        filters,
        query_results: inputs.query_results,
        resources: inputs.resources,
        resource_type: inputs.resource_type,
        read: super::replay::read_options(args),
        workers: pool.size(),
        batch_events: args.batch.max(1),
        batch_timeout: Duration::from_secs_f64(args.timeout.max(0.1)),
        keep_events: args.out.is_some(),
        alert_limit: if keep_all { 1_000_000 } else { 10_000 },
        available_destinations: args.available_destinations.clone(),
        ..ReplayOptions::default()
    };
    let ids: Vec<String> = plan.detections.iter().map(|d| d.id.clone()).collect();
    let mut out_sink = match &args.out {
        Some(dir) => Some(OutSink::create(dir, ids).map_err(|e| io_error("write to", dir, e))?),
        None => None,
    };
    catch_interrupt();
    let show_progress = std::io::stderr().is_terminal();
    let mut last = Instant::now();
    let mut observer = |side: Option<Side>, p: &replay::ReplayProgress| {
        if show_progress && last.elapsed() >= Duration::from_millis(250) {
            last = Instant::now();
            let of = p.total_bytes.map(|t| format!(" of {}", megabytes(t)));
            let label = match side {
                None => "",
                Some(Side::Revision) => " (revision)",
                Some(Side::WorkingTree) => " (working tree)",
            };
            let tasks = p.tasks.map_or(String::new(), |t| {
                let failed = if t.failed > 0 {
                    format!(", {} failed", t.failed)
                } else {
                    String::new()
                };
                format!(", tasks {}/{}{failed}", t.done, t.total)
            });
            eprint!(
                "\r\x1b[Kreplay{label}: {}{} read, {} events ({:.0}/s), {} matches{tasks}  (Ctrl+C stops)",
                megabytes(p.bytes_read),
                of.unwrap_or_default(),
                p.events_read,
                p.events_read as f64 / p.seconds.max(1e-9),
                p.matches
            );
        }
        !INTERRUPTED.load(Ordering::SeqCst)
    };
    let mut none = replay::run::NoSink;
    let sink: &mut dyn AlertSink = match out_sink.as_mut() {
        Some(s) => s,
        None => &mut none,
    };
    let cluster = cluster_options.map(|options| replay::cluster::ClusterOptions {
        share_bytes: args.share_size as u64,
        s3: s3.iter().map(|p| p.display().to_string()).collect(),
        ..options
    });
    let (report, impact) = match (&revision, &cluster) {
        (Some(revision), None) => {
            drop(sources);
            let c = compare::compare(
                &ws,
                revision,
                &mut pool,
                &args.sources,
                &options,
                &mut |side, p| observer(Some(side), p),
                sink,
            )?;
            (c.after, Some(c.impact))
        }
        (Some(revision), Some(cluster)) => {
            drop(sources);
            let c = replay::cluster::compare_on_cluster(
                &ws,
                revision,
                &local,
                &options,
                cluster,
                &mut |side, p| observer(Some(side), p),
                sink,
            )?;
            (c.after, Some(c.impact))
        }
        (None, Some(cluster)) => (
            replay::cluster::run_on_cluster(
                &ws,
                &plan,
                sources,
                &options,
                cluster,
                &mut |p| observer(None, p),
                sink,
            )?,
            None,
        ),
        (None, None) => (
            replay::run(
                &ws,
                &mut pool,
                &plan,
                sources,
                &options,
                &mut |p| observer(None, p),
                sink,
            )?,
            None,
        ),
    };
    pool.shutdown();
    if show_progress {
        eprint!("\r\x1b[K");
    }
    if let (Some(sink), Some(dir)) = (out_sink, &args.out) {
        sink.finish(&report, impact.as_ref())
            .map_err(|e| io_error("write to", dir, e))?;
    }

    let mut failed =
        !report.lost.is_empty() || report.cluster.as_ref().is_some_and(|c| c.lost.is_some());
    let actual = Expectations::of(&report, true);
    let mut diff = Vec::new();
    if let Some(want) = &expected {
        diff = want.compare(&actual);
        failed |= !diff.is_empty();
    }
    if let Some(path) = &args.write_expect {
        // Replaced whole (written beside it, then renamed): never half-written.
        crate::workspace::save::stamp_on_disk(path)
            .and_then(|stamp| crate::workspace::save::save_text(path, &actual.to_text(), &stamp))
            .map_err(|e| {
                ErrorInfo::new(
                    "cli.output",
                    format!("cannot write {}: {e}", path.display()),
                )
            })?;
    }

    match args.format {
        ReplayFormat::Json => output::print_json(&serde_json::json!({
            "report": &report,
            "impact": &impact,
            "peak_memory_bytes": peak_memory(),
            "expectation_differences": &diff,
        })),
        ReplayFormat::Jsonl => {
            let stdout = std::io::stdout();
            let mut w = BufWriter::new(stdout.lock());
            for a in &report.alerts {
                let _ = serde_json::to_writer(&mut w, a);
                let _ = w.write_all(b"\n");
            }
            let _ = w.flush();
        }
        ReplayFormat::Csv => print_csv(&report),
        ReplayFormat::Text => {
            print_text(&report, args.show, style);
            if let Some(impact) = &impact {
                print_impact(impact, &report, style);
            }
        }
    }
    let mut err = std::io::stderr();
    if matches!(args.format, ReplayFormat::Jsonl | ReplayFormat::Csv) {
        let _ = writeln!(
            err,
            "replay: {} events, {} matches, {} alerts in {:.2} s",
            report.read.events, report.matches, report.alerts_total, report.seconds
        );
    }
    if report.cancelled {
        let _ = writeln!(
            err,
            "{} stopped: the results cover the events evaluated before the stop",
            style.bold("replay:")
        );
    }
    if let Some(path) = &args.write_expect {
        let _ = writeln!(err, "replay: expectations written to {}", path.display());
    }
    if let Some(path) = &args.expect {
        if diff.is_empty() {
            let _ = writeln!(err, "replay: the alerts match {}", path.display());
        } else {
            let _ = writeln!(
                err,
                "{}",
                style.error_line(&format!(
                    "the alerts differ from {} ({} difference{}):",
                    path.display(),
                    diff.len(),
                    if diff.len() == 1 { "" } else { "s" }
                ))
            );
            for d in &diff {
                let _ = writeln!(err, "  {d}");
            }
            let _ = writeln!(
                err,
                "  {} if the change is intended, record it with --write-expect {}",
                style.hint_label(),
                path.display()
            );
        }
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

fn print_csv(report: &ReplayReport) {
    let stdout = std::io::stdout();
    let mut w = BufWriter::new(stdout.lock());
    let _ = writeln!(
        w,
        "id,detection,kind,severity,title,first_event_time,last_event_time,events,dedup,origin"
    );
    for a in &report.alerts {
        let kind = match a.kind {
            MatchKind::Alert => "alert",
            MatchKind::Error => "error",
        };
        let _ = writeln!(
            w,
            "{},{},{},{},{},{},{},{},{},{}",
            a.id,
            csv_field(&a.detection),
            kind,
            a.severity,
            csv_field(&a.title),
            a.first_event_time,
            a.last_event_time,
            a.events,
            csv_field(&a.dedup),
            csv_field(&a.origin)
        );
    }
    let _ = w.flush();
}

/// One line of at most `width` characters.
fn cut(text: &str, width: usize) -> String {
    let one_line = text.replace(['\n', '\r', '\t'], " ");
    if one_line.chars().count() <= width {
        one_line
    } else {
        let mut s: String = one_line.chars().take(width.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

/// `2026-11-01 00:00:00` of a Panther time (to the second, for the table).
fn seconds(time: &str) -> &str {
    time.get(..19).unwrap_or(time)
}

fn print_text(report: &ReplayReport, show: usize, style: &output::Style) {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut line = |text: String| {
        let _ = writeln!(out, "{text}");
    };
    let r = &report.read;
    line(format!(
        "{} {} events from {} of {} files ({}) in {:.2} s: {:.0} events/s, {:.1} MB/s, {} worker{}",
        style.bold("Replayed"),
        r.events,
        r.files,
        r.files_total,
        megabytes(r.bytes_read),
        report.seconds,
        report.events_per_second,
        report.mb_per_second,
        report.workers,
        if report.workers == 1 { "" } else { "s" }
    ));
    for (log_type, n) in &r.events_by_log_type {
        let unrouted = report.unrouted.get(log_type).copied().unwrap_or(0);
        let note = if unrouted == *n {
            "  (no selected detection reads it)".to_string()
        } else {
            String::new()
        };
        line(format!("  {log_type}  {n}{note}"));
    }
    line(format!(
        "{} {} matches, {} rule errors over {} detection runs",
        style.bold("Detections:"),
        report.matches,
        report.rule_errors,
        report.runs
    ));
    for d in report
        .detections
        .iter()
        .filter(|d| d.matches > 0 || d.errors > 0 || d.build_error.is_some())
    {
        let mut text = format!("  {}  {} matches, {} alerts", d.id, d.matches, d.alerts);
        if d.errors > 0 {
            text.push_str(&format!(
                ", {} errors ({} error alerts)",
                d.errors, d.error_alerts
            ));
        }
        line(text);
        if let Some(e) = &d.build_error {
            line(format!(
                "    {} {}: {}",
                style.bold("could not be built:"),
                e.kind.as_deref().unwrap_or("Error"),
                e.message.as_deref().unwrap_or("")
            ));
        }
        for x in &d.first_errors {
            let place = x
                .traceback
                .iter()
                .rev()
                .find(|f| f.user)
                .map(|f| format!(" at {}:{}", f.file, f.line.unwrap_or(0)))
                .unwrap_or_default();
            line(format!(
                "    {}: {}{place}  (event {})",
                x.kind,
                cut(&x.message, 100),
                x.origin
            ));
        }
    }
    if !report.skipped.is_empty() {
        line(format!(
            "{} {} selected detections not run ({})",
            style.bold("Skipped:"),
            report.skipped.len(),
            skipped_summary(report)
        ));
    }
    let sev: Vec<String> = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO"]
        .iter()
        .filter_map(|s| {
            report
                .alerts_by_severity
                .get(*s)
                .map(|n| format!("{n} {s}"))
        })
        .collect();
    line(format!(
        "{} {}{}",
        style.bold("Alerts:"),
        report.alerts_total,
        if sev.is_empty() {
            String::new()
        } else {
            format!(" ({})", sev.join(", "))
        }
    ));
    if !report.alerts.is_empty() && show > 0 {
        line(format!(
            "  {:<8} {:<40} {:<19} {:<19} {:>6}  {}",
            "SEVERITY", "DETECTION", "FIRST EVENT", "LAST EVENT", "EVENTS", "TITLE / DEDUP"
        ));
        for a in report.alerts.iter().take(show) {
            let sev = match a.kind {
                MatchKind::Alert => a.severity.clone(),
                MatchKind::Error => "ERROR".into(),
            };
            let dedup = if a.dedup != a.title {
                format!("  [{}]", cut(&a.dedup, 40))
            } else {
                String::new()
            };
            line(format!(
                "  {:<8} {:<40} {:<19} {:<19} {:>6}  {}{dedup}",
                sev,
                cut(&a.detection, 40),
                seconds(&a.first_event_time),
                seconds(&a.last_event_time),
                a.events,
                cut(&a.title, 80)
            ));
        }
        let more = report
            .alerts_total
            .saturating_sub(show.min(report.alerts.len()) as u64);
        if more > 0 {
            line(format!(
                "  … {more} more (--show N prints more; --out DIR writes every alert with its events)"
            ));
        }
    }
    if report.problem_count > 0 {
        super::replay::print_problems(report.problem_count, &report.problems, style, &mut line);
        line("  (the replay went on without them)".into());
    }
    for lost in &report.lost {
        line(format!(
            "{} {} events from {} were not evaluated: {}",
            style.bold("Lost:"),
            lost.events,
            lost.first,
            cut(&lost.reason, 200)
        ));
    }
    for note in &report.notes {
        line(format!("{} {note}", style.bold("note:")));
    }
    if !report.output.is_empty() {
        line(format!(
            "{} the detections printed {} characters; the first ones:",
            style.bold("Output:"),
            report.printed
        ));
        for l in report.output.lines().take(10) {
            line(format!("  | {}", cut(l, 200)));
        }
    }
}

fn skipped_summary(report: &ReplayReport) -> String {
    let mut by: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for s in &report.skipped {
        let key = s.reason.split(':').next().unwrap_or(&s.reason);
        *by.entry(key).or_default() += 1;
    }
    by.into_iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn brief(a: &AlertBrief) -> String {
    let sev = match a.kind {
        MatchKind::Alert => a.severity.as_str(),
        MatchKind::Error => "ERROR",
    };
    format!(
        "{sev} {} {} event{}  {}",
        seconds(&a.first_event_time),
        a.events,
        if a.events == 1 { "" } else { "s" },
        cut(&a.title, 70)
    )
}

/// `--compare`: the alerts the working tree adds, removes and changes against the revision.
fn print_impact(impact: &Impact, after: &ReplayReport, style: &output::Style) {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut line = |text: String| {
        let _ = writeln!(out, "{text}");
    };
    let short = impact.commit.get(..12).unwrap_or(&impact.commit);
    line(String::new());
    line(format!(
        "{} the same {} events through {} ({short} {}) and through the working tree",
        style.bold("Compared:"),
        after.read.events,
        impact.revision,
        cut(&impact.summary, 60)
    ));
    line(format!(
        "  alerts {} -> {}: {} added, {} removed, {} changed; {} detection{} unchanged",
        impact.alerts_before,
        impact.alerts_after,
        impact.added,
        impact.removed,
        impact.changed,
        impact.unchanged_detections,
        if impact.unchanged_detections == 1 {
            ""
        } else {
            "s"
        }
    ));
    if impact.detections.is_empty() {
        line("  no detection's alerts change".into());
    }
    for d in &impact.detections {
        let presence = match (d.in_revision, d.in_working_tree) {
            (true, false) => "  (not run in the working tree)",
            (false, true) => "  (not run in the revision)",
            _ => "",
        };
        line(format!(
            "  {}  alerts {} -> {}, matches {} -> {}: +{} -{} ~{}{presence}",
            d.id,
            d.alerts_before,
            d.alerts_after,
            d.matches_before,
            d.matches_after,
            d.added,
            d.removed,
            d.changed
        ));
        for c in &d.examples {
            match (&c.before, &c.after) {
                (None, Some(a)) => line(format!("    + added    {}", brief(a))),
                (Some(b), None) => line(format!("    - removed  {}", brief(b))),
                (Some(b), Some(a)) => {
                    let mut what = Vec::new();
                    if b.events != a.events {
                        what.push(format!("events {} -> {}", b.events, a.events));
                    }
                    if b.last_event_time != a.last_event_time {
                        what.push(format!(
                            "last event {} -> {}",
                            seconds(&b.last_event_time),
                            seconds(&a.last_event_time)
                        ));
                    }
                    if b.severity != a.severity {
                        what.push(format!("severity {} -> {}", b.severity, a.severity));
                    }
                    if b.title != a.title {
                        what.push(format!(
                            "title {:?} -> {:?}",
                            cut(&b.title, 40),
                            cut(&a.title, 40)
                        ));
                    }
                    line(format!("    ~ changed  {}: {}", brief(a), what.join(", ")));
                }
                (None, None) => {}
            }
        }
    }
    if !impact.complete {
        line(format!(
            "  {} more than {} alerts on a side: the pairing covers the first ones",
            style.bold("note:"),
            compare::ALERTS_COMPARED
        ));
    }
    if impact.cancelled {
        line(format!(
            "  {} a replay was stopped: the comparison is partial",
            style.bold("note:")
        ));
    }
}

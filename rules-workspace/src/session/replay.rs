//! A replay for an interactive front end (the desktop's Replay view): the `replay::plan` and
//! `replay::run` that `prowl replay` drives, on the session's warm workers, with the matched
//! events of the first alerts kept in memory so the window can show them and turn one into a
//! unit test (`TestEdit::add_event`, as `prowl tests add --from-event` does).
//!
//! Invariants:
//! - memory stays bounded whatever the input: events are kept for the first
//!   [`KeepLimits::alerts`] alerts only (by alert number, the order alerts are raised in), at
//!   most [`KeepLimits::events_per_alert`] each (an alert's first events); the report keeps at
//!   most [`ALERT_LIMIT`] alerts (every one is still counted);
//! - the window names an event by its alert's number and its place among the kept events, so
//!   nothing of the event travels back from the window (its JSON is the one the rule saw);
//! - standard input is not a source here (a window has none to give);
//! - a replay on a Ray cluster ([`replay_on_cluster`]) is the same replay with the detection
//!   step run by `replay::cluster::run_on_cluster`: the same plan, options, kept events and
//!   report (which then says what the cluster did, `report.cluster`). It needs no local
//!   worker, so it runs on a workspace read for it and never holds the session.

use super::{Session, SessionError};
use crate::error::UserError;
use crate::filter::{FilterError, Filters};
use crate::replay::cluster::ClusterOptions;
use crate::replay::{
    self, Alert, AlertSink, EventTime, Match, MatchKind, ReplayError, ReplayOptions, ReplayPlan,
    ReplayProgress, ReplayReport, SourceError,
};
use crate::spec::edit::TestEdit;
use crate::workspace::Workspace;
use serde::Serialize;
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Alerts kept in a front end's report (the rest are counted in `alerts_omitted`).
pub const ALERT_LIMIT: usize = 10_000;

/// Folders of a workspace that conventionally hold logs to replay (the demo's `sample_logs/`).
pub const CONVENTIONAL_LOG_FOLDERS: &[&str] = &["sample_logs"];

/// How many matched events a front end's replay keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct KeepLimits {
    /// Events are kept for the alerts numbered below this (the first ones raised).
    pub alerts: u64,
    /// At most this many events per alert (its first ones).
    pub events_per_alert: usize,
}

impl Default for KeepLimits {
    /// 200 alerts × 20 events: a few megabytes for typical events.
    fn default() -> KeepLimits {
        KeepLimits {
            alerts: 200,
            events_per_alert: 20,
        }
    }
}

/// An event a detection alerted or raised on, as kept for the window.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct KeptEvent {
    /// An alert's event, or one the detection raised on.
    pub kind: MatchKind,
    /// Its `p_event_time`, in Panther's format.
    pub p_event_time: String,
    /// Where it was read (`file:line`).
    pub origin: String,
    /// For a rule error: the exception's message.
    pub error: Option<String>,
    /// The name a unit test made of it gets unless the user gives one:
    /// `Replayed event FILE:LINE` (the file's name only), as `prowl tests add` names it.
    pub test_name: String,
    /// The event as the detection saw it (with its `p_` fields).
    #[ts(type = "unknown")]
    pub event: Option<Box<RawValue>>,
}

/// The kept events of one alert.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct AlertEvents {
    /// The alert's number.
    pub alert: u64,
    /// Its detection's ID.
    pub detection: String,
    /// Its first events (at most [`KeepLimits::events_per_alert`]); empty when the alert is
    /// not among the first [`KeepLimits::alerts`].
    pub events: Vec<KeptEvent>,
    /// Whether its events were kept at all.
    pub kept: bool,
}

/// A unit test made of a replayed event: the edit to apply to its detection's spec.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct EventTest {
    /// The detection whose spec gets the test.
    pub detection: String,
    /// The edit (`TestEdit::add_event`), for the same edit path as every test change.
    pub edit: TestEdit,
}

/// A replay as the window shows it.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ReplayView {
    /// Everything the replay found.
    pub report: ReplayReport,
    /// What of the matched events was kept (for the window to say).
    pub kept: KeepLimits,
    /// The sources, resolved.
    pub sources: Vec<PathBuf>,
}

/// What the working tree's edits do to the alerts of the same logs, against the last commit
/// (the window's "Impact").
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ImpactView {
    /// The comparison (`prowl replay --compare HEAD`).
    pub impact: replay::compare::Impact,
    /// Events read (each side read them all).
    pub events: u64,
    /// The sources, resolved.
    pub sources: Vec<PathBuf>,
}

impl ImpactView {
    /// The view of a comparison of `sources`.
    fn of(c: replay::compare::Comparison, sources: Vec<PathBuf>) -> ImpactView {
        ImpactView {
            impact: c.impact,
            events: c.after.read.events.max(c.before.read.events),
            sources,
        }
    }
}

/// Why a front end's replay could not run, or an event could not be found.
#[derive(Debug, thiserror::Error)]
pub enum SessionReplayError {
    /// A `--filter`-like filter could not be read.
    #[error(transparent)]
    Filter(#[from] FilterError),
    /// A source could not be listed.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// No source was given, or standard input was.
    #[error("{0}")]
    NoSources(&'static str),
    /// The filter selects no rule the replay can run.
    #[error("nothing to replay: {0}")]
    NothingToReplay(String),
    /// An `s3://` source on this machine: only a cluster's nodes read S3.
    #[error("{0} is in S3: only a cluster's nodes read S3")]
    S3NeedsCluster(String),
    /// The workers could not be made (the Python environment included).
    #[error(transparent)]
    Session(#[from] SessionError),
    /// The replay failed.
    #[error(transparent)]
    Run(#[from] ReplayError),
    /// No replay has run in this session.
    #[error("no replay has run yet")]
    NothingReplayed,
    /// The alert or event named is not among the kept ones.
    #[error("alert {alert} has no kept event {index}")]
    NoSuchEvent {
        /// The alert's number.
        alert: u64,
        /// The event's place among its kept events.
        index: usize,
    },
    /// The kept event is not a JSON object (it always is: events are objects).
    #[error("the event of alert {0} is not a JSON object")]
    NotAnObject(u64),
}

impl UserError for SessionReplayError {
    fn family(&self) -> &'static str {
        match self {
            SessionReplayError::Filter(e) => e.family(),
            SessionReplayError::Source(e) => e.family(),
            SessionReplayError::Session(e) => e.family(),
            SessionReplayError::Run(e) => e.family(),
            _ => "replay",
        }
    }

    fn name(&self) -> &'static str {
        match self {
            SessionReplayError::Filter(e) => e.name(),
            SessionReplayError::Source(e) => e.name(),
            SessionReplayError::Session(e) => e.name(),
            SessionReplayError::Run(e) => e.name(),
            SessionReplayError::NoSources(_) => "no_sources",
            SessionReplayError::NothingToReplay(_) => "nothing_to_replay",
            SessionReplayError::S3NeedsCluster(_) => "s3_needs_cluster",
            SessionReplayError::NothingReplayed => "nothing_replayed",
            SessionReplayError::NoSuchEvent { .. } => "no_such_event",
            SessionReplayError::NotAnObject(_) => "not_an_object",
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            SessionReplayError::Filter(e) => e.hint(),
            SessionReplayError::Source(e) => e.hint(),
            SessionReplayError::Session(e) => e.hint(),
            SessionReplayError::Run(e) => e.hint(),
            SessionReplayError::NoSources(_) => {
                Some("name log files or folders (JSON lines, JSON arrays, gzip)".into())
            }
            SessionReplayError::NothingToReplay(_) => {
                Some("replay runs enabled rules with Python code: check the filter".into())
            }
            SessionReplayError::S3NeedsCluster(_) => {
                Some("replay it on a cluster, or download the objects and replay the files".into())
            }
            SessionReplayError::NothingReplayed | SessionReplayError::NoSuchEvent { .. } => {
                Some("replay the logs again".into())
            }
            SessionReplayError::NotAnObject(_) => None,
        }
    }
}

/// The matched events of the first alerts, within [`KeepLimits`]: an [`AlertSink`].
pub struct KeptEvents {
    limits: KeepLimits,
    /// Detection IDs by plan index.
    ids: Vec<String>,
    by_alert: HashMap<u64, (u32, Vec<KeptEvent>)>,
}

impl KeptEvents {
    /// Nothing kept yet, for a replay of the detections `ids` (in plan order).
    pub fn new(ids: Vec<String>, limits: KeepLimits) -> KeptEvents {
        KeptEvents {
            limits,
            ids,
            by_alert: HashMap::new(),
        }
    }

    /// How many events are kept in all.
    pub fn len(&self) -> usize {
        self.by_alert.values().map(|(_, e)| e.len()).sum()
    }

    /// Whether no event is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The kept events of alert `alert` (none when it was not among the first ones).
    pub fn events(&self, alert: u64) -> AlertEvents {
        match self.by_alert.get(&alert) {
            Some((d, events)) => AlertEvents {
                alert,
                detection: self.ids.get(*d as usize).cloned().unwrap_or_default(),
                events: events.clone(),
                kept: true,
            },
            None => AlertEvents {
                alert,
                detection: String::new(),
                events: Vec::new(),
                kept: false,
            },
        }
    }

    /// The unit test made of kept event `index` of alert `alert`, named `name` (its
    /// `test_name` when empty), expecting `expected`. Replay runs rules only
    /// (`replay::plan` skips policies), so the event goes under `Log`.
    pub fn test(
        &self,
        alert: u64,
        index: usize,
        name: &str,
        expected: bool,
    ) -> Result<EventTest, SessionReplayError> {
        let missing = || SessionReplayError::NoSuchEvent { alert, index };
        let (d, events) = self.by_alert.get(&alert).ok_or_else(missing)?;
        let kept = events.get(index).ok_or_else(missing)?;
        let raw = kept.event.as_ref().ok_or_else(missing)?;
        let serde_json::Value::Object(event) =
            serde_json::from_str(raw.get()).map_err(|_| SessionReplayError::NotAnObject(alert))?
        else {
            return Err(SessionReplayError::NotAnObject(alert));
        };
        let name = if name.trim().is_empty() {
            kept.test_name.as_str()
        } else {
            name.trim()
        };
        Ok(EventTest {
            detection: self.ids.get(*d as usize).cloned().unwrap_or_default(),
            edit: TestEdit::add_event(event, name, expected, false),
        })
    }
}

/// `Replayed event FILE:LINE`, with the file's name only.
fn test_name(origin: &str) -> String {
    let short = Path::new(origin)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| origin.to_owned());
    format!("Replayed event {short}")
}

impl AlertSink for KeptEvents {
    fn event(&mut self, alert: u64, m: &Match) -> std::io::Result<()> {
        if alert >= self.limits.alerts {
            return Ok(());
        }
        let (_, events) = self
            .by_alert
            .entry(alert)
            .or_insert_with(|| (m.detection, Vec::new()));
        if events.len() < self.limits.events_per_alert {
            events.push(KeptEvent {
                kind: m.kind,
                p_event_time: EventTime::from_unix_nanos(m.time).to_panther(),
                origin: m.origin.clone(),
                error: m.message.clone(),
                test_name: test_name(&m.origin),
                event: m.event.clone(),
            });
        }
        Ok(())
    }

    fn alert(&mut self, _: Alert) -> std::io::Result<()> {
        Ok(())
    }
}

/// The conventional log folders ([`CONVENTIONAL_LOG_FOLDERS`]) `root` has.
pub fn suggested_sources(root: &Path) -> Vec<PathBuf> {
    CONVENTIONAL_LOG_FOLDERS
        .iter()
        .map(|f| root.join(f))
        .filter(|p| p.is_dir())
        .collect()
}

/// Whether a source is an `s3://bucket/prefix` (read by a cluster's nodes only).
pub fn is_s3(source: &Path) -> bool {
    source.to_str().is_some_and(|s| s.starts_with("s3://"))
}

/// `sources` resolved against `root` (a relative path names a file of the workspace; an
/// `s3://bucket/prefix` stays as it is); standard input (`-`) and an empty list are refused.
pub fn resolve_sources(
    root: &Path,
    sources: &[String],
) -> Result<Vec<PathBuf>, SessionReplayError> {
    let sources: Vec<&str> = sources
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    if sources.is_empty() {
        return Err(SessionReplayError::NoSources(
            "no log file or folder to replay",
        ));
    }
    if sources.contains(&"-") {
        return Err(SessionReplayError::NoSources(
            "standard input cannot be replayed from the window",
        ));
    }
    Ok(sources
        .iter()
        .map(|s| match s.starts_with("s3://") {
            true => PathBuf::from(s),
            false => root.join(s),
        })
        .collect())
}

/// Refuses `s3://` sources on this machine.
fn local_only(paths: &[PathBuf]) -> Result<(), SessionReplayError> {
    match paths.iter().find(|p| is_s3(p)) {
        Some(p) => Err(SessionReplayError::S3NeedsCluster(p.display().to_string())),
        None => Ok(()),
    }
}

/// What a front end's replay runs: the filter, the sources resolved, and the plan of the rules
/// it selects (refused when it selects none).
struct Prepared {
    filters: Filters,
    paths: Vec<PathBuf>,
    plan: ReplayPlan,
}

fn prepare(
    ws: &Workspace,
    sources: &[String],
    filter: &[String],
) -> Result<Prepared, SessionReplayError> {
    let filters = Filters::parse(filter)?;
    let paths = resolve_sources(&ws.root, sources)?;
    let plan = replay::plan(ws, &filters);
    if plan.detections.is_empty() {
        return Err(SessionReplayError::NothingToReplay(
            if plan.skipped.is_empty() {
                "no rule is selected".into()
            } else {
                format!(
                    "none of the {} selected detections is an enabled rule with Python code",
                    plan.skipped.len()
                )
            },
        ));
    }
    Ok(Prepared {
        filters,
        paths,
        plan,
    })
}

/// The options of a front end's replay (on this machine with `workers`, or on a cluster).
fn options(filters: Filters, workers: usize) -> ReplayOptions {
    ReplayOptions {
        filters,
        workers,
        keep_events: true,
        alert_limit: ALERT_LIMIT,
        ..ReplayOptions::default()
    }
}

impl Session {
    /// Replays `sources` (files or folders, relative to the workspace or absolute) through
    /// the enabled rules `filter` selects (`--filter` arguments; none: every rule), on the
    /// session's workers. `observer` sees the progress and returns `false` to stop (the
    /// report then covers what was done, `cancelled`). Returns the report, what was read, and
    /// the events of the first alerts within `keep`.
    pub fn replay(
        &mut self,
        sources: &[String],
        filter: &[String],
        keep: KeepLimits,
        observer: &mut dyn FnMut(&ReplayProgress) -> bool,
    ) -> Result<(ReplayView, KeptEvents), SessionReplayError> {
        let Prepared {
            filters,
            paths,
            plan,
        } = prepare(&self.ws, sources, filter)?;
        local_only(&paths)?;
        let listed = replay::list_sources(&paths)?;
        let pool = self.pool()?;
        pool.prewarm(pool.size());
        let options = options(filters, pool.size());
        let mut kept =
            KeptEvents::new(plan.detections.iter().map(|d| d.id.clone()).collect(), keep);
        let pool = self.pool.as_mut().expect("pool ensured");
        let report = replay::run(&self.ws, pool, &plan, listed, &options, observer, &mut kept)?;
        Ok((
            ReplayView {
                report,
                kept: keep,
                sources: paths,
            },
            kept,
        ))
    }
}

/// [`Session::replay`] on the Ray cluster `cluster` (`replay::cluster::run_on_cluster`): the
/// same plan, options and kept events, no local worker. The workspace must be trusted
/// (`cluster.untrusted` otherwise: its code is never sent) and its environment synced (the
/// nodes install its pins: `cluster.no_environment`). `observer` returning `false` cancels the
/// cluster's tasks; the report then covers the tasks done (`cancelled`). A cluster lost
/// mid-run is not an error: `report.cluster.lost` says why and `report.lost` lists the inputs
/// not covered. `s3://bucket/prefix` sources are listed by the cluster's driver and read by
/// its nodes (`ClusterOptions::s3`).
pub fn replay_on_cluster(
    ws: &Workspace,
    sources: &[String],
    filter: &[String],
    keep: KeepLimits,
    cluster: &ClusterOptions,
    observer: &mut dyn FnMut(&ReplayProgress) -> bool,
) -> Result<(ReplayView, KeptEvents), SessionReplayError> {
    let Prepared {
        filters,
        paths,
        plan,
    } = prepare(ws, sources, filter)?;
    let (s3, local): (Vec<&PathBuf>, Vec<&PathBuf>) = paths.iter().partition(|p| is_s3(p));
    let local: Vec<PathBuf> = local.into_iter().cloned().collect();
    let listed = replay::list_sources(&local)?;
    let mut cluster = cluster.clone();
    cluster
        .s3
        .extend(s3.iter().map(|p| p.display().to_string()));
    let cluster = &cluster;
    let options = options(filters, 1);
    let mut kept = KeptEvents::new(plan.detections.iter().map(|d| d.id.clone()).collect(), keep);
    let report =
        replay::cluster::run_on_cluster(ws, &plan, listed, &options, cluster, observer, &mut kept)?;
    Ok((
        ReplayView {
            report,
            kept: keep,
            sources: paths,
        },
        kept,
    ))
}

/// [`Session::replay_impact`] on the Ray cluster `cluster` (`prowl replay --compare HEAD
/// --cluster`): both sides run there, the last commit's with the working tree's trust and
/// environment (`replay::cluster::compare_on_cluster`). `s3://bucket/prefix` sources are read
/// by the nodes. `observer` sees each side's progress in turn and returns `false` to stop.
pub fn replay_impact_on_cluster(
    ws: &Workspace,
    sources: &[String],
    filter: &[String],
    cluster: &ClusterOptions,
    observer: &mut dyn FnMut(replay::compare::Side, &ReplayProgress) -> bool,
) -> Result<ImpactView, SessionReplayError> {
    let filters = Filters::parse(filter)?;
    let paths = resolve_sources(&ws.root, sources)?;
    let (s3, local): (Vec<&PathBuf>, Vec<&PathBuf>) = paths.iter().partition(|p| is_s3(p));
    let local: Vec<PathBuf> = local.into_iter().cloned().collect();
    replay::list_sources(&local)?;
    let revision = replay::compare::Revision::export(&ws.root, "HEAD")?;
    let mut cluster = cluster.clone();
    cluster
        .s3
        .extend(s3.iter().map(|p| p.display().to_string()));
    let options = ReplayOptions {
        filters,
        workers: 1,
        alert_limit: ALERT_LIMIT,
        ..ReplayOptions::default()
    };
    let c = replay::cluster::compare_on_cluster(
        ws,
        &revision,
        &local,
        &options,
        &cluster,
        observer,
        &mut replay::run::NoSink,
    )?;
    Ok(ImpactView::of(c, paths))
}

impl Session {
    /// Replays `sources` through the rules `filter` selects as they are in the last commit
    /// (HEAD, read with git, no checkout) and as they are in the working tree (read again from
    /// disk first), on the
    /// session's workers (the commit's on a pool of their own), and pairs the alerts
    /// (`prowl replay --compare HEAD`). `observer` sees each side's progress in turn and
    /// returns `false` to stop.
    pub fn replay_impact(
        &mut self,
        sources: &[String],
        filter: &[String],
        observer: &mut dyn FnMut(replay::compare::Side, &ReplayProgress) -> bool,
    ) -> Result<ImpactView, SessionReplayError> {
        let filters = Filters::parse(filter)?;
        let paths = resolve_sources(&self.ws.root, sources)?;
        local_only(&paths)?;
        replay::list_sources(&paths)?;
        // The working tree as it is on disk now, not as the watcher last applied it (a save
        // made a moment ago must count): a re-read through the parse cache.
        self.reload()?;
        let revision = replay::compare::Revision::export(&self.ws.root, "HEAD")?;
        let pool = self.pool()?;
        pool.prewarm(pool.size());
        let options = ReplayOptions {
            filters,
            workers: pool.size(),
            alert_limit: ALERT_LIMIT,
            ..ReplayOptions::default()
        };
        let pool = self.pool.as_mut().expect("pool ensured");
        let c = replay::compare::compare(
            &self.ws,
            &revision,
            pool,
            &paths,
            &options,
            observer,
            &mut replay::run::NoSink,
        )?;
        Ok(ImpactView::of(c, paths))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a_match(detection: u32, line: u64, event: &str) -> Match {
        Match {
            detection,
            kind: MatchKind::Alert,
            time: 1_772_366_400_000_000_000,
            seq: line,
            dedup: "d".into(),
            title: None,
            severity: None,
            unique: None,
            context: None,
            destinations: None,
            runbook: None,
            description: None,
            reference: None,
            message: None,
            origin: format!("/logs/sample_logs/okta.jsonl:{line}"),
            event: Some(RawValue::from_string(event.to_owned()).unwrap()),
        }
    }

    #[test]
    fn only_the_first_alerts_and_their_first_events_are_kept() {
        let limits = KeepLimits {
            alerts: 2,
            events_per_alert: 3,
        };
        let mut kept = KeptEvents::new(vec!["A".into(), "B".into()], limits);
        for alert in 0..5u64 {
            for line in 0..10 {
                kept.event(alert, &a_match((alert % 2) as u32, line, "{\"n\":1}"))
                    .unwrap();
            }
        }
        assert_eq!(kept.len(), 6, "2 alerts × 3 events");
        let first = kept.events(0);
        assert!(first.kept);
        assert_eq!(first.detection, "A");
        assert_eq!(
            first
                .events
                .iter()
                .map(|e| e.origin.as_str())
                .collect::<Vec<_>>(),
            [
                "/logs/sample_logs/okta.jsonl:0",
                "/logs/sample_logs/okta.jsonl:1",
                "/logs/sample_logs/okta.jsonl:2"
            ]
        );
        assert_eq!(first.events[1].test_name, "Replayed event okta.jsonl:1");
        assert_eq!(
            first.events[0].p_event_time,
            "2026-03-01 12:00:00.000000000"
        );
        assert_eq!(kept.events(1).detection, "B");
        let late = kept.events(2);
        assert!(!late.kept && late.events.is_empty());
    }

    #[test]
    fn a_kept_event_becomes_an_add_edit_with_p_fields_trimmed() {
        let mut kept = KeptEvents::new(vec!["Okta.Brute".into()], KeepLimits::default());
        let event = r#"{"actor":{"alternateId":"<img src=x onerror=alert(1)>"},"p_log_type":"Okta.SystemLog","p_event_time":"2026-03-01 12:00:00","p_row_id":"abc","p_any_ip_addresses":["1.2.3.4"]}"#;
        kept.event(0, &a_match(0, 12, event)).unwrap();
        let test = kept.test(0, 0, "  ", true).unwrap();
        assert_eq!(test.detection, "Okta.Brute");
        let TestEdit::Add { test: t } = &test.edit else {
            panic!("{:?}", test.edit)
        };
        assert_eq!(t["Name"], "Replayed event okta.jsonl:12");
        assert_eq!(t["ExpectedResult"], true);
        let log = t["Log"].as_object().unwrap();
        assert_eq!(
            log.keys().map(String::as_str).collect::<Vec<_>>(),
            ["actor", "p_log_type", "p_event_time"]
        );
        assert_eq!(log["actor"]["alternateId"], "<img src=x onerror=alert(1)>");
        let named = kept.test(0, 0, "Brute force j.doe", false).unwrap();
        let TestEdit::Add { test: t } = &named.edit else {
            panic!()
        };
        assert_eq!(t["Name"], "Brute force j.doe");
        assert_eq!(t["ExpectedResult"], false);
        // Events not kept are a clear error.
        let err = crate::error::ErrorInfo::from(kept.test(0, 1, "", true).unwrap_err());
        assert_eq!(err.code, "replay.no_such_event");
        let err = crate::error::ErrorInfo::from(kept.test(9, 0, "", true).unwrap_err());
        assert_eq!(err.code, "replay.no_such_event");
    }

    #[test]
    fn sources_resolve_against_the_workspace_and_refuse_stdin() {
        let root = Path::new("/ws");
        assert_eq!(
            resolve_sources(root, &["sample_logs".into(), "/var/log/x.jsonl".into()]).unwrap(),
            [
                PathBuf::from("/ws/sample_logs"),
                PathBuf::from("/var/log/x.jsonl")
            ]
        );
        let none = crate::error::ErrorInfo::from(resolve_sources(root, &[" ".into()]).unwrap_err());
        assert_eq!(none.code, "replay.no_sources");
        // An S3 prefix stays as it is (a cluster's nodes read it), and only a cluster takes it.
        let s3 = resolve_sources(root, &["s3://acme-logs/AWSLogs/".into(), "logs".into()]).unwrap();
        assert_eq!(
            s3,
            [
                PathBuf::from("s3://acme-logs/AWSLogs/"),
                PathBuf::from("/ws/logs")
            ]
        );
        assert!(is_s3(&s3[0]) && !is_s3(&s3[1]));
        let here = crate::error::ErrorInfo::from(local_only(&s3).unwrap_err());
        assert_eq!(here.code, "replay.s3_needs_cluster");
        assert!(
            here.message.contains("s3://acme-logs/AWSLogs/"),
            "{}",
            here.message
        );
        let stdin =
            crate::error::ErrorInfo::from(resolve_sources(root, &["-".into()]).unwrap_err());
        assert_eq!(stdin.code, "replay.no_sources");
        assert!(
            stdin.message.contains("standard input"),
            "{}",
            stdin.message
        );
    }

    #[test]
    fn the_sample_logs_folder_is_suggested_when_the_workspace_has_one() {
        let dir = tempfile::tempdir().unwrap();
        assert!(suggested_sources(dir.path()).is_empty());
        std::fs::create_dir(dir.path().join("sample_logs")).unwrap();
        assert_eq!(
            suggested_sources(dir.path()),
            [dir.path().join("sample_logs")]
        );
    }
}

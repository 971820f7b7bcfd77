//! A replay run: which detections read which log types ([`plan`]), the detection step on the
//! warm worker pool, and the grouping step over its matches ([`run`]).
//!
//! Threads: the reader (parsing, routing, batching, writing each batch's JSON once) feeds a
//! bounded queue; one thread per worker sends batches and waits for their answers; the
//! caller's thread turns answers into [`Match`]es for the sorter and reports progress. Memory
//! stays bounded whatever the input: at most `2 × workers` batches queued plus one in work per
//! worker, the sorter's budget of matches, and one open window per alert group.

use super::fields::{self, Rows};
use super::group::{Alert, AlertSink, GroupRule, Grouper};
use super::matches::{Match, MatchKind, MatchSorter};
use super::{EventReader, Origin, ProblemCount, ReadOptions, ReadStats, Sources};
use crate::engine::messages::{
    Frame, PyError, ReplayBatch, ReplayBatchAnswer, ReplayDetection, Request,
};
use crate::engine::pool::{Load, Pool};
use crate::engine::EngineError;
use crate::filter::Filters;
use crate::spec::{AnalysisItem, AnalysisType, DetectionForm, Node};
use crate::workspace::Workspace;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

/// How to replay.
#[derive(Debug, Clone)]
pub struct ReplayOptions {
    /// Which detections run (`--filter`, as for `prowl test`).
    pub filters: Filters,
    /// How the logs are read.
    pub read: ReadOptions,
    /// Workers to use (at most the pool's size).
    pub workers: usize,
    /// Events per batch sent to a worker.
    pub batch_events: usize,
    /// Time allowed for one batch before its worker is stopped (a rule that never returns).
    pub batch_timeout: Duration,
    /// Keep each matched event's JSON (for `--out`).
    pub keep_events: bool,
    /// Alerts kept in the report (every alert still reaches the sink).
    pub alert_limit: usize,
    /// Bytes of matches held in memory before a sorted run goes to a temp file.
    pub sorter_budget: usize,
    /// The `--available-destination` names (as for `prowl test`).
    pub available_destinations: Vec<String>,
    /// Rows of scheduled queries' results (`--query-results QUERY=FILE`), for the scheduled
    /// rules running on them; read after the logs.
    pub query_results: Vec<(String, PathBuf)>,
    /// Files of cloud resources (`--resources`), for the policies of their types; read last.
    pub resources: Vec<PathBuf>,
    /// The type of resources without `ResourceType` (`--resource-type`).
    pub resource_type: Option<String>,
}

impl Default for ReplayOptions {
    fn default() -> ReplayOptions {
        ReplayOptions {
            filters: Filters::default(),
            read: ReadOptions::default(),
            workers: Pool::default_size(),
            batch_events: 256,
            batch_timeout: Duration::from_secs(60),
            keep_events: false,
            alert_limit: 10_000,
            sorter_budget: super::matches::DEFAULT_BUDGET,
            available_destinations: Vec::new(),
            query_results: Vec::new(),
            resources: Vec::new(),
            resource_type: None,
        }
    }
}

/// A detection a replay runs.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedDetection {
    /// Its ID.
    pub id: String,
    /// Its spec file, relative to the workspace.
    pub spec_path: String,
    /// What it reads: log types, `query:QUERY` (a scheduled rule's query results) or
    /// `resource:TYPE` (a policy's resources).
    pub log_types: Vec<String>,
    /// `DedupPeriodMinutes`.
    pub dedup_period_minutes: i64,
    /// `Threshold`.
    pub threshold: u64,
    /// It has `InlineFilters` (applied before `rule()`, as at run time).
    pub inline_filters: bool,
    #[serde(skip)]
    request: ReplayDetection,
    #[serde(skip)]
    group: GroupRule,
}

/// A selected detection a replay does not run, and why.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct SkippedDetection {
    /// Its ID.
    pub id: String,
    /// Why.
    pub reason: String,
}

/// Which detections run and which log types go to them.
#[derive(Debug, Clone, Default)]
pub struct ReplayPlan {
    /// The detections, numbered as matches name them.
    pub detections: Vec<PlannedDetection>,
    /// Selected detections left out.
    pub skipped: Vec<SkippedDetection>,
    routes: Vec<Vec<u32>>,
    route_of: HashMap<String, u32>,
}

impl ReplayPlan {
    /// The detections as the workers build them, in plan order.
    pub(super) fn requests(&self) -> Vec<&ReplayDetection> {
        self.detections.iter().map(|d| &d.request).collect()
    }

    /// Per route, its detections that were built (`live`).
    pub(super) fn routes_of_live(&self, live: &[bool]) -> Vec<Vec<u32>> {
        self.routes
            .iter()
            .map(|r| {
                r.iter()
                    .copied()
                    .filter(|&d| live.get(d as usize).copied().unwrap_or(false))
                    .collect()
            })
            .collect()
    }

    /// The detections reading `log_type`, by index.
    pub fn route(&self, log_type: &str) -> Option<&[u32]> {
        self.route_of
            .get(log_type)
            .map(|&r| self.routes[r as usize].as_slice())
    }
}

fn int(item: &AnalysisItem, key: &str) -> Option<i64> {
    item.spec.get(key).and_then(|n| n.to_json().as_i64())
}

/// The enabled rules among the detections `filters` selects, and the log types they read.
/// Scheduled rules, policies, correlation rules and simple detections are listed as skipped.
pub fn plan(ws: &Workspace, filters: &Filters) -> ReplayPlan {
    plan_for(
        ws,
        &ReplayOptions {
            filters: filters.clone(),
            ..ReplayOptions::default()
        },
    )
}

/// The enabled detections among those `options.filters` selects that the inputs feed: rules
/// on the log types they read, scheduled rules on the rows of the queries given with
/// `options.query_results`, policies on the resources of their types when
/// `options.resources` are given. The others are listed as skipped, with why.
pub fn plan_for(ws: &Workspace, options: &ReplayOptions) -> ReplayPlan {
    let filters = &options.filters;
    let queries: std::collections::BTreeSet<&str> = options
        .query_results
        .iter()
        .map(|(q, _)| q.as_str())
        .collect();
    let mut out = ReplayPlan::default();
    let by_rule_id: HashMap<&str, &AnalysisItem> = ws
        .items
        .iter()
        .filter(|i| i.analysis_type == AnalysisType::Rule)
        .map(|i| (i.id.as_str(), i))
        .collect();
    for index in ws.select(filters) {
        let item = &ws.items[index];
        if !item.analysis_type.is_detection() {
            continue;
        }
        let skip = |reason: &str| SkippedDetection {
            id: item.id.clone(),
            reason: reason.to_owned(),
        };
        if item.enabled != Some(true) {
            out.skipped.push(skip("disabled"));
            continue;
        }
        let reads: Vec<String> = match item.analysis_type {
            AnalysisType::Rule => item.log_types.clone(),
            AnalysisType::ScheduledRule => {
                let fed: Vec<String> = item
                    .scheduled_queries
                    .iter()
                    .filter(|q| queries.contains(q.as_str()))
                    .map(|q| fields::query_route(q))
                    .collect();
                if fed.is_empty() {
                    out.skipped.push(skip(&format!(
                        "a scheduled rule: give its query's rows with --query-results {}=FILE",
                        item.scheduled_queries
                            .first()
                            .map_or("QUERY", String::as_str)
                    )));
                    continue;
                }
                fed
            }
            AnalysisType::Policy => {
                if options.resources.is_empty() {
                    out.skipped
                        .push(skip("a policy: give cloud resources with --resources FILE"));
                    continue;
                }
                item.resource_types
                    .iter()
                    .map(|t| fields::resource_route(t))
                    .collect()
            }
            _ => {
                out.skipped.push(skip(
                    "a correlation rule: it reads other detections' signals, not logs (its tests run with `prowl test`)",
                ));
                continue;
            }
        };
        let simple = item.form == Some(DetectionForm::Simple);
        let code_item = match (item.form, item.base_detection.as_deref()) {
            (Some(DetectionForm::Simple), _) => item,
            (_, Some(base)) if !base.is_empty() => match by_rule_id.get(base) {
                Some(b) => *b,
                None => {
                    out.skipped.push(skip(&format!(
                        "its base detection {base} is not in the workspace"
                    )));
                    continue;
                }
            },
            _ => item,
        };
        let (code, body) = if simple {
            let mut compiled = crate::matchlang::simple::compile_simple(&item.spec);
            compiled.join_lookups(&ws.items);
            let body = crate::matchlang::simple::python_body(&item.id, &item.rel_path, &compiled);
            (item.spec_path.clone(), Some(body))
        } else {
            let Some(code) = &code_item.code_path else {
                out.skipped.push(skip("no Python file"));
                continue;
            };
            (code.clone(), None)
        };
        // panther-core applies filters to streaming rules only, as Panther does.
        let filters = item
            .spec
            .get("InlineFilters")
            .filter(|_| item.analysis_type == AnalysisType::Rule)
            .map(|f| crate::matchlang::simple::filters_request(f, &ws.items));
        if reads.is_empty() {
            out.skipped
                .push(skip(if item.analysis_type == AnalysisType::Policy {
                    "no ResourceTypes"
                } else {
                    "no LogTypes"
                }));
            continue;
        }
        let n = out.detections.len() as u32;
        for lt in &reads {
            let next = out.routes.len() as u32;
            let r = *out.route_of.entry(lt.clone()).or_insert(next);
            if r == next {
                out.routes.push(Vec::new());
            }
            out.routes[r as usize].push(n);
        }
        let period = int(item, "DedupPeriodMinutes").unwrap_or(60);
        out.detections.push(PlannedDetection {
            id: item.id.clone(),
            spec_path: item.rel_path.clone(),
            log_types: reads,
            dedup_period_minutes: period,
            threshold: int(item, "Threshold").unwrap_or(1).max(1) as u64,
            inline_filters: item.spec.get("InlineFilters").is_some(),
            request: ReplayDetection {
                id: item.id.clone(),
                analysis_type: item.analysis_type.as_str().to_owned(),
                path: code.display().to_string(),
                body,
                filters,
                severity: item.severity.clone(),
                dedup_period_minutes: Some(period),
                create_alert: item.spec.get("CreateAlert").and_then(Node::as_bool),
                suppressions: if item.analysis_type == AnalysisType::Policy {
                    item.spec
                        .get("Suppressions")
                        .map(|n| n.to_json())
                        .and_then(|j| serde_json::from_value::<Vec<String>>(j).ok())
                        .unwrap_or_default()
                } else {
                    Vec::new()
                },
            },
            group: GroupRule {
                id: item.id.clone(),
                period_minutes: period,
                threshold: int(item, "Threshold").unwrap_or(1).max(1) as u64,
                fallback_title: item.display_name.clone().unwrap_or_else(|| item.id.clone()),
                severity: item.severity.clone(),
            },
        });
    }
    out
}

/// The load request of a replay: the workspace's helpers and models, then its detections.
pub(super) fn load_request(ws: &Workspace, plan: &ReplayPlan, destinations: &[String]) -> Load {
    let mut load = crate::testing::workspace_load(ws, destinations);
    if let Request::LoadWorkspace(l) = &mut load.request {
        l.replay = Some(plan.detections.iter().map(|d| d.request.clone()).collect());
    }
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    load.key.hash(&mut h);
    "replay".hash(&mut h);
    for d in &plan.detections {
        serde_json::to_string(&d.request)
            .unwrap_or_default()
            .hash(&mut h);
        crate::workspace::read_bounded(
            std::path::Path::new(&d.request.path),
            crate::workspace::save::MAX_TEXT_BYTES,
        )
        .ok()
        .hash(&mut h);
    }
    load.key = h.finish();
    load
}

/// Progress of a replay, for an observer.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ReplayProgress {
    /// Events read so far.
    pub events_read: u64,
    /// Bytes read from the sources so far.
    pub bytes_read: u64,
    /// The sources' total size, when known.
    pub total_bytes: Option<u64>,
    /// Events the detections have been through.
    pub events_done: u64,
    /// Matches so far.
    pub matches: u64,
    /// Seconds since the start.
    pub seconds: f64,
    /// On a cluster, its tasks (`None` for a local replay).
    pub tasks: Option<TaskProgress>,
}

/// A cluster replay's tasks so far.
#[derive(Debug, Clone, Copy, Serialize, ts_rs::TS)]
pub struct TaskProgress {
    /// Tasks that ended with results.
    pub done: u64,
    /// Tasks that failed after their retries.
    pub failed: u64,
    /// Tasks in all (0 until the input is split).
    pub total: u64,
}

/// An error a detection raised on an event, kept as an example.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct RaisedExample {
    /// Where the event was read.
    pub origin: String,
    /// The exception's class.
    #[serde(rename = "type")]
    pub kind: String,
    /// `str(exception)`.
    pub message: String,
    /// Its frames (the workspace's files, with lines).
    pub traceback: Vec<Frame>,
}

/// What one detection did in a replay.
#[derive(Debug, Clone, Default, Serialize, ts_rs::TS)]
pub struct DetectionReport {
    /// Its ID.
    pub id: String,
    /// Its spec file.
    pub spec_path: String,
    /// Events it alerted on.
    pub matches: u64,
    /// Events it raised on.
    pub errors: u64,
    /// Alerts raised.
    pub alerts: u64,
    /// Error alerts raised.
    pub error_alerts: u64,
    /// Why it could not be built (it then saw no event).
    pub build_error: Option<PyError>,
    /// The first errors it raised, with their tracebacks.
    pub first_errors: Vec<RaisedExample>,
}

/// A batch whose worker stopped (a crash, a timeout): its events were not evaluated.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct LostBatch {
    /// How many events.
    pub events: u64,
    /// Where its first event was read.
    pub first: String,
    /// Why.
    pub reason: String,
}

/// Everything a replay found.
#[derive(Debug, Clone, Default, Serialize, ts_rs::TS)]
pub struct ReplayReport {
    /// What was read.
    pub read: ReadStats,
    /// Problems met while reading, by kind, with their first places.
    pub problems: Vec<ProblemCount>,
    /// How many problems in all.
    pub problem_count: u64,
    /// Events of log types no selected detection reads, by log type.
    pub unrouted: BTreeMap<String, u64>,
    /// Events sent to the detections.
    pub events_evaluated: u64,
    /// Event × detection runs.
    pub runs: u64,
    /// Matches (events a detection alerted on).
    pub matches: u64,
    /// Events a detection raised on.
    pub rule_errors: u64,
    /// Per detection, in plan order.
    pub detections: Vec<DetectionReport>,
    /// Selected detections not run.
    pub skipped: Vec<SkippedDetection>,
    /// Alerts (not error alerts) by severity.
    pub alerts_by_severity: BTreeMap<String, u64>,
    /// Alerts and error alerts raised.
    pub alerts_total: u64,
    /// The alerts, by first event time (the first `alert_limit`).
    pub alerts: Vec<Alert>,
    /// Alerts raised but not kept in `alerts`.
    pub alerts_omitted: u64,
    /// Batches whose worker stopped.
    pub lost: Vec<LostBatch>,
    /// Events in those batches.
    pub lost_events: u64,
    /// What the detections printed (the start of it).
    pub output: String,
    /// Characters they printed in all.
    pub printed: u64,
    /// Workers used.
    pub workers: usize,
    /// Wall time.
    pub seconds: f64,
    /// Events read per second.
    pub events_per_second: f64,
    /// Source bytes read per second, in MB.
    pub mb_per_second: f64,
    /// The run was stopped early; the report covers what was done.
    pub cancelled: bool,
    /// Things to know about the result (inline filters not applied, …).
    pub notes: Vec<String>,
    /// What the cluster did, for a replay on one (`--cluster`).
    pub cluster: Option<super::cluster::ClusterRun>,
}

/// Why a replay could not run.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The workers could not be started or loaded.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// Loading the workspace's helpers and models failed as it would fail PAT.
    #[error("loading the workspace failed: {0}")]
    Load(String),
    /// A temp file of matches or an output could not be written or read back.
    #[error("replay could not write its results: {0}")]
    Io(#[from] std::io::Error),
    /// A source could not be listed.
    #[error(transparent)]
    Sources(#[from] super::SourceError),
    /// The cluster could not run the replay.
    #[error(transparent)]
    Cluster(#[from] super::cluster::ClusterError),
    /// The revision to compare with could not be read.
    #[error("cannot compare with {revision}: {message}")]
    Revision {
        /// The revision as given.
        revision: String,
        /// Why.
        message: String,
    },
}

impl crate::error::UserError for ReplayError {
    fn family(&self) -> &'static str {
        match self {
            ReplayError::Engine(e) => e.family(),
            ReplayError::Load(_) => "engine",
            ReplayError::Io(_) => "io",
            ReplayError::Revision { .. } => "git",
            ReplayError::Sources(e) => e.family(),
            ReplayError::Cluster(e) => e.family(),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            ReplayError::Engine(e) => e.name(),
            ReplayError::Load(_) => "load_failed",
            ReplayError::Io(_) => "write_failed",
            ReplayError::Revision { .. } => "revision_unreadable",
            ReplayError::Sources(e) => e.name(),
            ReplayError::Cluster(e) => e.name(),
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            ReplayError::Engine(e) => e.hint(),
            ReplayError::Load(_) => {
                Some("`prowl test` shows the same failure with PAT's output".into())
            }
            ReplayError::Io(_) => {
                Some("check the free space of the temp folder and of --out".into())
            }
            ReplayError::Sources(e) => e.hint(),
            ReplayError::Cluster(e) => e.hint(),
            ReplayError::Revision { .. } => Some(
                "--compare takes a revision of the workspace's repository: HEAD, a branch, a tag, HEAD~3, a commit ID".into(),
            ),
        }
    }
}

/// The kept part of an event in flight: enough to place a match.
#[derive(Debug, Clone)]
pub struct InFlight {
    /// Its event time (ns since the epoch).
    pub time: i64,
    /// Its place in the read ([`super::Event::seq`]).
    pub seq: u64,
    /// Where it was read.
    pub origin: Origin,
    /// The event's JSON, when the replay keeps events (`--out`).
    pub value: Option<Box<serde_json::value::RawValue>>,
}

/// A batch of events for the detection step: the events' places, and the batch as the
/// workers read it (`[[route, event], …]`, JSON text written once).
#[derive(Debug)]
pub struct Job {
    /// The events, in the batch's order.
    pub events: Vec<InFlight>,
    /// The batch's JSON.
    pub wire: Box<serde_json::value::RawValue>,
}

/// Which route each log type takes, and whether a route has a detection that runs.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
pub struct RouteTable {
    /// Log type (or `query:…`, `resource:…`) to route.
    pub route_of: HashMap<String, u32>,
    /// Per route: some detection of it was built and runs.
    pub live: Vec<bool>,
}

impl RouteTable {
    /// The routes of `plan`, with the detections marked `live` (built).
    pub fn new(plan: &ReplayPlan, live: &[bool]) -> RouteTable {
        RouteTable {
            route_of: plan.route_of.clone(),
            live: plan
                .routes
                .iter()
                .map(|r| {
                    r.iter()
                        .any(|&d| live.get(d as usize).copied().unwrap_or(false))
                })
                .collect(),
        }
    }
}

/// The reading half of the detection step, the same on a local machine and on a cluster's
/// node: events from `reader`, routed by log type, written as batches of `batch_events`
/// handed to `send` (which returns `false` to stop). Stops too when `stop` is set. Returns the
/// events no route takes, by log type.
pub fn batches(
    reader: &mut EventReader,
    table: &RouteTable,
    batch_events: usize,
    keep_events: bool,
    stop: &AtomicBool,
    events_read: &AtomicU64,
    mut send: impl FnMut(Job) -> bool,
) -> BTreeMap<String, u64> {
    let batch_events = batch_events.max(1);
    let mut unrouted: BTreeMap<String, u64> = BTreeMap::new();
    // The batch is written as JSON text as events come: `[[route, event], …]`, each event as
    // read (a lake export) or serialised from its map (a completed raw log).
    let mut wire = String::with_capacity(batch_events * 512);
    let mut kept: Vec<InFlight> = Vec::with_capacity(batch_events);
    let mut take = |wire: &mut String, kept: &mut Vec<InFlight>| -> bool {
        wire.push(']');
        let text = std::mem::replace(wire, String::with_capacity(batch_events * 512));
        let Ok(wire) = serde_json::value::RawValue::from_string(text) else {
            return false;
        };
        send(Job {
            events: std::mem::replace(kept, Vec::with_capacity(batch_events)),
            wire,
        })
    };
    for event in reader.by_ref() {
        events_read.fetch_add(1, Ordering::Relaxed);
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let route = match table.route_of.get(&*event.log_type) {
            Some(&r) if table.live.get(r as usize).copied().unwrap_or(false) => r,
            _ => {
                *unrouted.entry(event.log_type.to_string()).or_default() += 1;
                continue;
            }
        };
        let text = match event.raw {
            Some(raw) => raw,
            None => match serde_json::value::to_raw_value(&event.value) {
                Ok(raw) => raw,
                Err(_) => continue,
            },
        };
        wire.push(if kept.is_empty() { '[' } else { ',' });
        wire.push('[');
        wire.push_str(&route.to_string());
        wire.push(',');
        wire.push_str(text.get());
        wire.push(']');
        kept.push(InFlight {
            time: event.event_time.unix_nanos(),
            seq: event.seq,
            origin: event.origin,
            value: keep_events.then_some(text),
        });
        if kept.len() >= batch_events && !take(&mut wire, &mut kept) {
            return unrouted;
        }
    }
    if !kept.is_empty() && !stop.load(Ordering::Relaxed) {
        take(&mut wire, &mut kept);
    }
    unrouted
}

const KEPT_ERRORS: usize = 3;
const KEPT_OUTPUT: usize = 64 * 1024;

/// Counts alerts for the report and keeps the first ones, passing everything on.
struct Tally<'a> {
    inner: &'a mut dyn AlertSink,
    report: &'a mut ReplayReport,
    limit: usize,
}

impl AlertSink for Tally<'_> {
    fn event(&mut self, alert: u64, m: &Match) -> std::io::Result<()> {
        self.inner.event(alert, m)
    }

    fn alert(&mut self, alert: Alert) -> std::io::Result<()> {
        self.report.alerts_total += 1;
        if let Some(d) = self
            .report
            .detections
            .iter_mut()
            .find(|d| d.id == alert.detection)
        {
            match alert.kind {
                MatchKind::Alert => d.alerts += 1,
                MatchKind::Error => d.error_alerts += 1,
            }
        }
        if alert.kind == MatchKind::Alert {
            *self
                .report
                .alerts_by_severity
                .entry(alert.severity.clone())
                .or_default() += 1;
        }
        if self.report.alerts.len() < self.limit {
            self.report.alerts.push(alert.clone());
        } else {
            self.report.alerts_omitted += 1;
        }
        self.inner.alert(alert)
    }
}

/// An [`AlertSink`] that keeps nothing (the report still counts and keeps the first alerts).
pub struct NoSink;

impl AlertSink for NoSink {
    fn event(&mut self, _: u64, _: &Match) -> std::io::Result<()> {
        Ok(())
    }
    fn alert(&mut self, _: Alert) -> std::io::Result<()> {
        Ok(())
    }
}

/// An empty report of `plan`'s detections, with the notes about `options`' inputs.
pub(super) fn new_report(plan: &ReplayPlan, options: &ReplayOptions) -> ReplayReport {
    let mut report = ReplayReport {
        skipped: plan.skipped.clone(),
        detections: plan
            .detections
            .iter()
            .map(|d| DetectionReport {
                id: d.id.clone(),
                spec_path: d.spec_path.clone(),
                ..DetectionReport::default()
            })
            .collect(),
        ..ReplayReport::default()
    };
    for (query, _) in &options.query_results {
        let route = fields::query_route(query);
        if !plan.detections.iter().any(|d| d.log_types.contains(&route)) {
            report.notes.push(format!(
                "no selected scheduled rule runs on the query {query}: its rows were read and not evaluated"
            ));
        }
    }
    report
}

/// The groups of files a replay reads, in order, each with how its records are read: the
/// logs, then each query's rows, then the resources.
pub(super) fn input_groups(
    sources: Sources,
    options: &ReplayOptions,
) -> Result<Vec<(Sources, ReadOptions)>, ReplayError> {
    let mut groups = vec![(
        sources,
        ReadOptions {
            raw_exports: true,
            ..options.read.clone()
        },
    )];
    let rows = |rows: Rows, log_type: Option<String>| ReadOptions {
        rows: Some(rows),
        log_type,
        time_field: None,
        source_label: None,
        raw_exports: true,
        ..options.read.clone()
    };
    for (query, path) in &options.query_results {
        groups.push((
            super::list_sources(std::slice::from_ref(path))?,
            rows(Rows::Query(query.clone()), None),
        ));
    }
    if !options.resources.is_empty() {
        groups.push((
            super::list_sources(&options.resources)?,
            rows(Rows::Resources, options.resource_type.clone()),
        ));
    }
    Ok(groups)
}

/// Replays `sources` through the detections of `plan` on `pool`'s workers. `observer` sees
/// the progress after each batch and returns `false` to stop (the report then covers what
/// was done, `cancelled`); `sink` receives every alert and its events.
pub fn run(
    ws: &Workspace,
    pool: &mut Pool,
    plan: &ReplayPlan,
    sources: Sources,
    options: &ReplayOptions,
    observer: &mut dyn FnMut(&ReplayProgress) -> bool,
    sink: &mut dyn AlertSink,
) -> Result<ReplayReport, ReplayError> {
    let started = Instant::now();
    let mut report = new_report(plan, options);

    // Load and build the detections on the first worker: a broken helper ends the replay here.
    let load = load_request(ws, plan, &options.available_destinations);
    let loaded = pool.load_primary(&load)?;
    if let Some(fatal) = &loaded.fatal {
        return Err(ReplayError::Load(format!(
            "{}: {}",
            fatal.kind, fatal.message
        )));
    }
    let mut live = vec![true; plan.detections.len()];
    if let Some(prepared) = &loaded.replay {
        for (i, built) in prepared.detections.iter().enumerate() {
            if let (Some(err), Some(d)) = (&built.error, report.detections.get_mut(i)) {
                d.build_error = Some(err.clone());
                live[i] = false;
            }
        }
        keep_output(&mut report, &prepared.output, prepared.output.len() as u64);
    }
    let routes = plan.routes_of_live(&live);

    let workers = options.workers.clamp(1, pool.size());
    report.workers = workers;
    let cancelled = AtomicBool::new(false);
    let events_read = Arc::new(AtomicU64::new(0));
    let mut groups = input_groups(sources, options)?.into_iter();
    let (first, first_read) = groups.next().expect("the logs' group");
    let mut reader = EventReader::new(first, first_read);
    for (more, read) in groups {
        reader.add(more, read);
    }
    let bytes_read = reader.bytes_counter();
    let total_bytes = reader.stats().total_bytes;
    let mut sorter = MatchSorter::new(options.sorter_budget);
    let mut sort_error: Option<std::io::Error> = None;
    let (job_tx, job_rx) = mpsc::sync_channel::<Job>(workers * 2);
    let batch_events = options.batch_events.max(1);
    let keep_events = options.keep_events;
    let route_table = routes.clone();

    let table = RouteTable::new(plan, &live);
    let (read_stats, tally, unrouted) = std::thread::scope(|scope| {
        let (cancelled, events_read) = (&cancelled, &events_read);
        let table = &table;
        let producer = scope.spawn(move || {
            let unrouted = batches(
                &mut reader,
                table,
                batch_events,
                keep_events,
                cancelled,
                events_read,
                |job| job_tx.send(job).is_ok(),
            );
            drop(job_tx);
            (reader.stats(), reader.problems().clone(), unrouted)
        });

        let make = |job: &Job| {
            Request::ReplayBatch(ReplayBatch {
                routes: route_table.clone(),
                events: job.wire.clone(),
            })
        };
        let mut done = 0u64;
        pool.feed::<Job, ReplayBatchAnswer>(
            &load,
            workers,
            job_rx,
            &make,
            options.batch_timeout,
            &mut |job, answer| {
                done += job.events.len() as u64;
                match answer {
                    Ok(a) => {
                        report.events_evaluated += job.events.len() as u64;
                        if let Err(e) = take_answer(plan, &job.events, a, &mut report, &mut sorter)
                        {
                            sort_error.get_or_insert(e);
                        }
                    }
                    Err(e) => {
                        report.lost_events += job.events.len() as u64;
                        if report.lost.len() < 10 {
                            report.lost.push(LostBatch {
                                events: job.events.len() as u64,
                                first: job
                                    .events
                                    .first()
                                    .map(|e| e.origin.to_string())
                                    .unwrap_or_default(),
                                reason: e.to_string(),
                            });
                        }
                    }
                }
                let go_on = observer(&ReplayProgress {
                    events_read: events_read.load(Ordering::Relaxed),
                    bytes_read: bytes_read.load(Ordering::Relaxed),
                    total_bytes,
                    events_done: done,
                    matches: report.matches,
                    seconds: started.elapsed().as_secs_f64(),
                    tasks: None,
                }) && sort_error.is_none();
                if !go_on {
                    cancelled.store(true, Ordering::Relaxed);
                }
                go_on
            },
        );
        producer.join().expect("the replay reader does not panic")
    });
    if let Some(e) = sort_error {
        return Err(e.into());
    }
    report.cancelled = cancelled.load(Ordering::Relaxed);
    report.unrouted = unrouted;
    report.problem_count = tally.total();
    report.problems = tally.counts();
    report.read = read_stats;
    finish(plan, options, sorter, &mut report, sink, started)?;
    Ok(report)
}

/// The grouping step over every match, in event-time order, then the report's totals.
pub(super) fn finish(
    plan: &ReplayPlan,
    options: &ReplayOptions,
    sorter: MatchSorter,
    report: &mut ReplayReport,
    sink: &mut dyn AlertSink,
    started: Instant,
) -> Result<(), ReplayError> {
    let mut grouper = Grouper::new(plan.detections.iter().map(|d| d.group.clone()).collect());
    let limit = options.alert_limit;
    {
        let mut counted = Tally {
            inner: sink,
            report,
            limit,
        };
        for m in sorter.finish() {
            grouper.add(m?, &mut counted)?;
        }
        grouper.finish_all(&mut counted)?;
    }
    report.alerts.sort_by_key(|a| (a.first_ns, a.id));

    let seconds = started.elapsed().as_secs_f64();
    report.seconds = seconds;
    if seconds > 0.0 {
        report.events_per_second = report.read.events as f64 / seconds;
        report.mb_per_second = report.read.bytes_read as f64 / 1e6 / seconds;
    }
    Ok(())
}

pub(super) fn keep_output(report: &mut ReplayReport, text: &str, printed: u64) {
    report.printed += printed;
    if report.output.len() < KEPT_OUTPUT && !text.is_empty() {
        let room = KEPT_OUTPUT - report.output.len();
        let mut cut = text.len().min(room);
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        report.output.push_str(&text[..cut]);
    }
}

/// An answer's hits and errors as matches, counted in the report; `events` are the events
/// its indexes name.
pub(super) fn take_answer(
    plan: &ReplayPlan,
    events: &[InFlight],
    answer: ReplayBatchAnswer,
    report: &mut ReplayReport,
    sorter: &mut MatchSorter,
) -> std::io::Result<()> {
    report.runs += answer.evaluated;
    keep_output(report, &answer.output, answer.printed);
    let event_json = |e: &InFlight| e.value.clone();
    for hit in answer.matches {
        let (Some(e), Some(d)) = (
            events.get(hit.e as usize),
            plan.detections.get(hit.d as usize),
        ) else {
            continue;
        };
        report.matches += 1;
        report.detections[hit.d as usize].matches += 1;
        let dedup = hit
            .dedup
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| format!("defaultDedupString:{}", d.id));
        sorter.push(Match {
            detection: hit.d,
            kind: MatchKind::Alert,
            time: e.time,
            seq: e.seq,
            dedup,
            title: hit.title,
            severity: hit.severity,
            unique: hit.unique,
            context: hit.context,
            destinations: hit.destinations,
            runbook: hit.runbook,
            description: hit.description,
            reference: hit.reference,
            message: None,
            origin: e.origin.to_string(),
            event: event_json(e),
        })?;
    }
    for err in answer.errors {
        let (Some(e), Some(_)) = (
            events.get(err.e as usize),
            plan.detections.get(err.d as usize),
        ) else {
            continue;
        };
        report.rule_errors += 1;
        let det = &mut report.detections[err.d as usize];
        det.errors += 1;
        if det.first_errors.len() < KEPT_ERRORS {
            det.first_errors.push(RaisedExample {
                origin: e.origin.to_string(),
                kind: err.kind.clone(),
                message: err.message.clone(),
                traceback: err.traceback.clone().unwrap_or_default(),
            });
        }
        sorter.push(Match {
            detection: err.d,
            kind: MatchKind::Error,
            time: e.time,
            seq: e.seq,
            dedup: err.kind,
            title: None,
            severity: None,
            unique: None,
            context: None,
            destinations: None,
            runbook: None,
            description: None,
            reference: None,
            message: Some(err.message),
            origin: e.origin.to_string(),
            event: event_json(e),
        })?;
    }
    Ok(())
}

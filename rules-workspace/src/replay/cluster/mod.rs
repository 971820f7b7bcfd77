//! A replay on a Ray cluster (`prowl replay --cluster ADDRESS`): the same detection step and
//! grouping step as [`super::run()`], with the events read and evaluated on the cluster's nodes.
//!
//! - The driver (this module) lists the inputs and splits them into shares (files, and byte
//!   ranges of large JSON-lines files); it never reads an event.
//! - The run's package goes to the cluster as a Ray runtime environment: the workspace's files
//!   the detections load, Prowl's Python modules and `prowl-read` (the replay's reader, a small
//!   binary without libpython) as the working directory, and the workspace's environment as
//!   pinned requirements. An untrusted workspace is never sent.
//! - `python/prowl_cluster.py`, run with a Python that has Ray, connects, checks every node
//!   (Python, Ray, machine, the inputs it must see), loads the workspace on one node first, then
//!   runs one Ray task per share. Each task reads its share with `prowl-read` and hands each
//!   batch to `prowl_replay.batch`, as a local worker does.
//! - Matches come back with their events' places ([`super::Event::seq`]: file number and
//!   offset), so sorting them by (time, seq) and grouping them gives the local replay's alerts
//!   whatever the split.

mod driver;
mod package;

use super::matches::{MatchSorter, DEFAULT_BUDGET};
use super::run::{
    finish, keep_output, load_request, LostBatch, ReplayOptions, ReplayPlan, ReplayProgress,
    ReplayReport, RouteTable,
};
use super::share::{ShareDone, ShareRead};
use super::{AlertSink, ProblemTally, ReplayError};
use crate::workspace::Workspace;
use driver::{apply_in_order, last_lines, Connected, Driver, DriverLine, ShareResult};
use package::{list, pinned_requirements, stage_prowl, stage_workspace, Share};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

/// How long the driver may be quiet before the observer is asked again whether to go on.
const QUIET_TICK: Duration = Duration::from_millis(200);

/// Where and how to run on a cluster.
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// The Ray address: `auto`, `ray://host:10001`, or a GCS address `host:6379`.
    pub address: String,
    /// A Python with Ray, to drive the cluster (its Ray must be the cluster's).
    pub python: PathBuf,
    /// `prowl-read`, the reader shipped to the nodes.
    pub reader: PathBuf,
    /// Bytes of input per task (large JSON-lines files are cut at this size).
    pub share_bytes: u64,
    /// Retries of a task (a node that died, a task that failed).
    pub max_retries: u32,
    /// `s3://bucket/prefix` sources: the driver lists them, the nodes download their objects
    /// (credentials from each machine's environment, never from the workspace).
    pub s3: Vec<String>,
    /// The workspace whose trust and environment count for this run, when the detections are
    /// another folder's: a git revision of it exported for `--compare`.
    pub as_workspace: Option<PathBuf>,
}

impl ClusterOptions {
    /// The defaults for `address`: Ray from `PROWL_RAY_PYTHON` (else `python3`), `prowl-read`
    /// beside the running program (or `PROWL_READ`), 64 MiB shares, 3 retries.
    pub fn new(address: &str) -> ClusterOptions {
        let python = std::env::var_os("PROWL_RAY_PYTHON")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("python3"));
        let reader = std::env::var_os("PROWL_READ")
            .map(PathBuf::from)
            .or_else(|| {
                std::env::current_exe()
                    .ok()
                    .map(|exe| exe.with_file_name("prowl-read"))
            })
            .unwrap_or_else(|| PathBuf::from("prowl-read"));
        ClusterOptions {
            address: address.to_owned(),
            python,
            reader,
            share_bytes: 64 << 20,
            max_retries: 3,
            s3: Vec::new(),
            as_workspace: None,
        }
    }
}

/// A node of the cluster, as its probe answered.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
pub struct ClusterNode {
    /// Ray's node ID.
    pub id: String,
    /// Its address.
    #[serde(default)]
    pub address: Option<String>,
    /// Its CPUs.
    #[serde(default)]
    pub cpus: f64,
    /// Its Python (`3.11`).
    #[serde(default)]
    pub python: Option<String>,
    /// Its Ray.
    #[serde(default)]
    pub ray: Option<String>,
    /// Its machine (`x86_64`).
    #[serde(default)]
    pub machine: Option<String>,
    /// Input files it cannot see (the first few).
    #[serde(default)]
    pub missing: Vec<String>,
    /// Why it did not answer.
    #[serde(default)]
    pub error: Option<String>,
}

/// What a replay on a cluster did there.
#[derive(Debug, Clone, Default, Serialize, ts_rs::TS)]
pub struct ClusterRun {
    /// The address.
    pub address: String,
    /// Its Ray version.
    pub ray: String,
    /// Its nodes.
    pub nodes: Vec<ClusterNode>,
    /// Tasks (shares of the input).
    pub tasks: u64,
    /// Tasks that ended with results.
    pub tasks_done: u64,
    /// Tasks that failed after their retries; their inputs are in the report's `lost`.
    pub tasks_failed: u64,
    /// The cluster was lost before the end: why. The report covers the tasks done.
    pub lost: Option<String>,
}

/// Why a cluster replay could not start.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// The workspace is not trusted: its code is not sent anywhere.
    #[error("{root} is not trusted: its detections are not sent to a cluster")]
    Untrusted {
        /// The workspace.
        root: PathBuf,
    },
    /// The workspace's Python environment has no record of its packages.
    #[error("the workspace's Python environment is not synced, so there are no pinned requirements to send")]
    NoEnvironment,
    /// An input the cluster cannot read itself.
    #[error("{what}")]
    Input {
        /// Why.
        what: String,
    },
    /// `prowl-read`, the reader sent to the nodes, is not where it was looked for.
    #[error("cannot find prowl-read at {path}: {message}")]
    NoReader {
        /// Where it was looked for.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// The driver's Python cannot be started.
    #[error("cannot start {what}: {message}")]
    Start {
        /// What.
        what: String,
        /// Why.
        message: String,
    },
    /// The cluster did not answer.
    #[error("cannot reach the Ray cluster at {address}: {message}")]
    Unreachable {
        /// The address.
        address: String,
        /// Ray's message.
        message: String,
    },
    /// Nodes that cannot run the workspace.
    #[error("the cluster cannot run this workspace: {}", reasons.join("; "))]
    Incompatible {
        /// Why, per node.
        reasons: Vec<String>,
    },
    /// The nodes could not build the run's environment.
    #[error("the cluster could not set up the run's environment: {message}")]
    Environment {
        /// Ray's message.
        message: String,
    },
    /// The driver stopped without saying why.
    #[error("the cluster driver stopped: {message}")]
    Driver {
        /// What it printed last.
        message: String,
    },
}

impl crate::error::UserError for ClusterError {
    fn family(&self) -> &'static str {
        "cluster"
    }

    fn name(&self) -> &'static str {
        match self {
            ClusterError::Untrusted { .. } => "untrusted",
            ClusterError::NoEnvironment => "no_environment",
            ClusterError::Input { .. } => "input",
            ClusterError::NoReader { .. } => "no_reader",
            ClusterError::Start { .. } => "start_failed",
            ClusterError::Unreachable { .. } => "unreachable",
            ClusterError::Incompatible { .. } => "incompatible",
            ClusterError::Environment { .. } => "environment",
            ClusterError::Driver { .. } => "driver",
        }
    }

    fn hint(&self) -> Option<String> {
        Some(match self {
            ClusterError::Untrusted { root } => format!(
                "review the workspace (`prowl audit`), then `prowl trust {}`",
                root.display()
            ),
            ClusterError::NoEnvironment => "run `prowl env sync` first".into(),
            ClusterError::Input { .. } => {
                "a cluster reads files on storage every node sees, by the same path".into()
            }
            ClusterError::NoReader { .. } => {
                "prowl-read is built and installed beside prowl (`cargo build -p rules-workspace --bins`, or the package); PROWL_READ names another".into()
            }
            ClusterError::Start { .. } => {
                "set PROWL_RAY_PYTHON, or the Python saved with the cluster (Settings, `cluster.toml`), to a Python with Ray installed (the cluster's Ray version)".into()
            }
            ClusterError::Unreachable { .. } => {
                "check the address (`ray status` on the head node prints it) and that this machine can reach it".into()
            }
            ClusterError::Incompatible { .. } => {
                "every node needs the Python the workspace's environment was made for, the driver's Ray, and the inputs at the same paths".into()
            }
            ClusterError::Environment { .. } => {
                "the nodes install the workspace's pinned requirements from the package index: check that they can reach it".into()
            }
            ClusterError::Driver { .. } => return None,
        })
    }
}

/// What a connection check found: the cluster's Ray and its nodes.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ClusterCheck {
    /// The address checked.
    pub address: String,
    /// The driver's (and so the cluster's) Ray version.
    pub ray: String,
    /// The live nodes, as their probes answered.
    pub nodes: Vec<ClusterNode>,
    /// Their CPUs in all.
    pub cpus: f64,
}

/// Connects to the cluster and probes every live node (Python, Ray, machine), without sending
/// any workspace: the window's connection check, and `prowl replay --cluster … --check`.
pub fn check_cluster(cluster: &ClusterOptions) -> Result<ClusterCheck, ClusterError> {
    let dir = tempfile::Builder::new()
        .prefix("prowl-cluster-check-")
        .tempdir()
        .map_err(|e| ClusterError::Start {
            what: "a temp folder".into(),
            message: e.to_string(),
        })?;
    stage_prowl(dir.path(), None)?;
    let job = serde_json::json!({
        "address": cluster.address,
        "probe_only": true,
        "paths": [],
    });
    let driver = Driver::start(&cluster.python, dir.path(), &job)?;
    let mut found: Option<Connected> = None;
    let mut failure: Option<ClusterError> = None;
    while let Ok(line) = driver.lines.recv() {
        match serde_json::from_str::<DriverLine>(&line) {
            Ok(DriverLine::Connected { connected }) => found = Some(connected),
            Ok(DriverLine::Fatal { fatal, .. }) => {
                failure = Some(ClusterError::Unreachable {
                    address: cluster.address.clone(),
                    message: fatal,
                });
                break;
            }
            Ok(DriverLine::Finished { .. }) => break,
            _ => {}
        }
    }
    let stderr = driver.end();
    if let Some(f) = failure {
        return Err(f);
    }
    let connected = found.ok_or_else(|| ClusterError::Driver {
        message: last_lines(&stderr),
    })?;
    Ok(ClusterCheck {
        address: cluster.address.clone(),
        cpus: connected.nodes.iter().map(|n| n.cpus).sum(),
        ray: connected.ray,
        nodes: connected.nodes,
    })
}

/// `--compare REV` on a cluster: the revision's detections, then the working tree's, each
/// replayed on the cluster (the revision with the working tree's trust and environment, as a
/// local comparison runs it with the working tree's workers), and their alerts compared.
pub fn compare_on_cluster(
    ws: &Workspace,
    revision: &super::compare::Revision,
    sources: &[PathBuf],
    options: &ReplayOptions,
    cluster: &ClusterOptions,
    observer: &mut dyn FnMut(super::compare::Side, &ReplayProgress) -> bool,
    sink: &mut dyn AlertSink,
) -> Result<super::compare::Comparison, ReplayError> {
    let mut on_cluster = |side: super::compare::Side,
                          side_ws: &Workspace,
                          plan: &ReplayPlan,
                          listed: super::Sources,
                          options: &ReplayOptions,
                          observer: &mut dyn FnMut(&ReplayProgress) -> bool,
                          sink: &mut dyn AlertSink| {
        let options_here = ClusterOptions {
            as_workspace: match side {
                super::compare::Side::Revision => Some(ws.root.clone()),
                super::compare::Side::WorkingTree => None,
            },
            ..cluster.clone()
        };
        run_on_cluster(
            side_ws,
            plan,
            listed,
            options,
            &options_here,
            observer,
            sink,
        )
    };
    super::compare::compare_with(
        ws,
        revision,
        sources,
        options,
        observer,
        sink,
        &mut on_cluster,
    )
}

/// Replays `sources` through `plan`'s detections on a Ray cluster; the report equals the local
/// replay's of the same events (and says what the cluster did in `cluster`). `observer` sees
/// progress after each task and returns `false` to cancel the cluster's tasks; `sink` gets
/// every alert. When the cluster is lost mid-run, the report covers the tasks done and
/// `cluster.lost` says why.
pub fn run_on_cluster(
    ws: &Workspace,
    plan: &ReplayPlan,
    sources: super::Sources,
    options: &ReplayOptions,
    cluster: &ClusterOptions,
    observer: &mut dyn FnMut(&ReplayProgress) -> bool,
    sink: &mut dyn AlertSink,
) -> Result<ReplayReport, ReplayError> {
    let started = Instant::now();
    let owner = cluster.as_workspace.as_deref().unwrap_or(&ws.root);
    if !crate::trust::is_trusted(owner) {
        return Err(ClusterError::Untrusted {
            root: owner.to_path_buf(),
        }
        .into());
    }
    let (python, pins) = pinned_requirements(owner)?;
    let mut report = super::run::new_report(plan, options);

    // The inputs, listed and cut into shares; the events' parse time is fixed here, for all.
    let listed = list(sources, options)?;
    let parse_time = super::EventTime::now();
    let reads: Vec<ShareRead> = listed
        .reads
        .iter()
        .map(|r| ShareRead::of(r, parse_time))
        .collect();
    let mut listed = listed;
    if listed
        .files
        .iter()
        .any(|(f, _)| f.input == super::Input::Stdin)
    {
        return Err(ClusterError::Input {
            what: "standard input cannot be replayed on a cluster: the nodes read the inputs themselves".into(),
        }
        .into());
    }
    let mut names: Vec<Arc<str>> = listed.files.iter().map(|(f, _)| f.name.clone()).collect();
    let mut total_bytes: Option<u64> = listed.files.iter().map(|(f, _)| f.size).sum();
    let paths: Vec<String> = listed
        .files
        .iter()
        .filter_map(|(f, _)| match &f.input {
            super::Input::File(p) => Some(
                std::path::absolute(p)
                    .unwrap_or_else(|_| p.clone())
                    .display()
                    .to_string(),
            ),
            super::Input::Stdin => None,
        })
        .collect();
    let mut shares: Vec<Share> = Vec::new();

    // The package: workspace files, Prowl's modules, prowl-read.
    let dir = tempfile::Builder::new()
        .prefix("prowl-cluster-")
        .tempdir()?;
    let load = load_request(ws, plan, &options.available_destinations);
    let (load_json, specs_json) = stage_workspace(&ws.root, dir.path(), &load.request, plan)?;
    stage_prowl(dir.path(), Some(&cluster.reader))?;
    let key = format!("{:016x}", load.key);
    let job = serde_json::json!({
        "address": cluster.address,
        "runtime_env": {
            "working_dir": dir.path().display().to_string(),
            "uv": {"packages": pins, "uv_check": false},
            // The local workers' string-hash seed, so that set orders (and so titles and dedup
            // strings built from sets) are theirs on every node.
            "env_vars": {
                "PYTHONDONTWRITEBYTECODE": "1",
                "PYTHONHASHSEED": std::env::var("PYTHONHASHSEED").unwrap_or_else(|_| "0".into()),
            },
        },
        "python": python,
        "paths": paths,
        "s3": cluster.s3,
        "key": key,
        "load": load_json,
        "specs": specs_json,
        "max_retries": cluster.max_retries,
        "batch_timeout": options.batch_timeout.as_secs_f64(),
        "driver_root": ws.root.display().to_string(),
    });
    let mut driver = Driver::start(&cluster.python, dir.path(), &job)?;

    let mut run = ClusterRun {
        address: cluster.address.clone(),
        ..ClusterRun::default()
    };
    report.workers = 0;
    let mut sorter = MatchSorter::new(if options.sorter_budget == 0 {
        DEFAULT_BUDGET
    } else {
        options.sorter_budget
    });
    let mut done: BTreeMap<usize, ShareDone> = BTreeMap::new();
    let mut events_done = 0u64;
    let mut bytes_done = 0u64;
    // Results are taken in the order of the shares (the order of a local read), whatever the
    // order tasks end in: the first errors kept and the detections' output are then a local
    // replay's.
    let mut arrived: BTreeMap<usize, Option<ShareResult>> = BTreeMap::new();
    let mut next_share = 0usize;
    let mut prepared_seen = false;
    let mut cancelled = false;
    let mut problem: Option<ReplayError> = None;
    let mut finished = false;
    let progress = |run: &ClusterRun,
                    report: &ReplayReport,
                    events_done,
                    bytes_done,
                    total_bytes: Option<u64>| {
        ReplayProgress {
            events_read: events_done,
            bytes_read: bytes_done,
            total_bytes,
            events_done,
            matches: report.matches,
            seconds: started.elapsed().as_secs_f64(),
            tasks: Some(super::run::TaskProgress {
                done: run.tasks_done,
                failed: run.tasks_failed,
                total: run.tasks,
            }),
        }
    };
    loop {
        // The observer is asked again while the driver is quiet (connecting, the nodes setting
        // up the environment, long tasks), so a cancel does not wait for its next line. Before
        // the shares are sent nothing runs on the cluster: the driver is stopped at once.
        let line = match driver.lines.recv_timeout(QUIET_TICK) {
            Ok(line) => line,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if !cancelled
                    && !observer(&progress(
                        &run,
                        &report,
                        events_done,
                        bytes_done,
                        total_bytes,
                    ))
                {
                    cancelled = true;
                    if run.tasks == 0 {
                        driver.stop();
                        break;
                    }
                    driver.cancel();
                }
                continue;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        let Ok(msg) = serde_json::from_str::<DriverLine>(&line) else {
            continue;
        };
        match msg {
            DriverLine::Connected { connected } => {
                run.ray = connected.ray;
                report.workers = connected.nodes.iter().map(|n| n.cpus as usize).sum();
                run.nodes = connected.nodes;
            }
            DriverLine::Incompatible { incompatible } => {
                problem = Some(
                    ClusterError::Incompatible {
                        reasons: incompatible,
                    }
                    .into(),
                );
                break;
            }
            DriverLine::Listed { listed: objects } => {
                for o in objects {
                    let name: Arc<str> = Arc::from(o.name.as_str());
                    names.push(name.clone());
                    total_bytes = total_bytes.map(|t| t + o.size);
                    listed.files.push((
                        super::SourceFile::new(
                            super::Input::File(PathBuf::from(&o.name)),
                            name,
                            Some(o.size),
                        ),
                        0,
                    ));
                }
            }
            DriverLine::Prepared { prepared } => {
                prepared_seen = true;
                if let Some(fatal) = prepared.fatal {
                    problem = Some(ReplayError::Load(format!(
                        "{}: {}",
                        fatal.kind, fatal.message
                    )));
                    break;
                }
                let mut live = vec![true; plan.detections.len()];
                if let Some(p) = prepared.replay {
                    for (i, built) in p.detections.iter().enumerate() {
                        if let (Some(err), Some(d)) = (&built.error, report.detections.get_mut(i)) {
                            d.build_error = Some(err.clone());
                            live[i] = false;
                        }
                    }
                    keep_output(&mut report, &p.output, p.output.len() as u64);
                }
                // The shares go now: events of routes whose detections were not built are
                // counted as unrouted on the nodes, as in a local replay.
                let routes = RouteTable::new(plan, &live);
                shares =
                    match package::shares(&listed, &reads, &routes, options, cluster.share_bytes) {
                        Ok(s) => s,
                        Err(e) => {
                            problem = Some(e.into());
                            break;
                        }
                    };
                run.tasks = shares.len() as u64;
                let line = serde_json::json!({
                    "routes": plan.routes_of_live(&live),
                    "shares": shares.iter().map(|s| &s.job).collect::<Vec<_>>(),
                });
                driver.send(&line);
            }
            DriverLine::Result { share, result } => {
                let mut r = *result;
                run.tasks_done += 1;
                events_done += r.events;
                bytes_done += shares.get(share).map_or(0, |s| s.bytes);
                done.insert(share, std::mem::take(&mut r.read));
                arrived.insert(share, Some(r));
            }
            DriverLine::Failed { share, failed } => {
                run.tasks_failed += 1;
                if let Some(s) = shares.get_mut(share) {
                    report.lost.push(LostBatch {
                        events: 0,
                        first: s.place.clone(),
                        reason: failed,
                    });
                    s.job.files.clear();
                }
                arrived.insert(share, None);
            }
            DriverLine::Fatal { fatal, kind } => {
                match kind.as_str() {
                    "connect" => {
                        problem = Some(
                            ClusterError::Unreachable {
                                address: cluster.address.clone(),
                                message: fatal,
                            }
                            .into(),
                        )
                    }
                    "environment" => {
                        problem = Some(ClusterError::Environment { message: fatal }.into())
                    }
                    "s3" => {
                        problem = Some(
                            ClusterError::Input {
                                what: format!("cannot list the S3 sources: {fatal}"),
                            }
                            .into(),
                        )
                    }
                    _ if !prepared_seen => {
                        problem = Some(ClusterError::Driver { message: fatal }.into())
                    }
                    _ => run.lost = Some(fatal),
                }
                break;
            }
            DriverLine::Cancelled { .. } => {
                cancelled = true;
                break;
            }
            DriverLine::Finished { .. } => {
                finished = true;
                break;
            }
        }
        if let Err(e) = apply_in_order(
            &mut arrived,
            &mut next_share,
            &names,
            plan,
            &mut report,
            &mut sorter,
            false,
        ) {
            problem = Some(e.into());
            driver.cancel();
            break;
        }
        let go_on = observer(&progress(
            &run,
            &report,
            events_done,
            bytes_done,
            total_bytes,
        ));
        if !go_on && !cancelled {
            cancelled = true;
            driver.cancel();
        }
    }
    let stderr = driver.end();
    if let Some(p) = problem {
        return Err(p);
    }
    // A run that ended early: the results that came, in order, over the gaps.
    apply_in_order(
        &mut arrived,
        &mut next_share,
        &names,
        plan,
        &mut report,
        &mut sorter,
        true,
    )?;
    if !finished && !cancelled && run.lost.is_none() {
        if !prepared_seen {
            return Err(ClusterError::Driver {
                message: last_lines(&stderr),
            }
            .into());
        }
        // Mid-run: the results so far are kept, and the report says the cluster was lost.
        run.lost = Some(format!(
            "the cluster driver stopped: {}",
            last_lines(&stderr)
        ));
    }
    // What was not covered, when the run ended early.
    if run.lost.is_some() || cancelled {
        for (i, s) in shares.iter().enumerate() {
            if !done.contains_key(&i) && !s.job.files.is_empty() && run.lost.is_some() {
                report.lost.push(LostBatch {
                    events: 0,
                    first: s.place.clone(),
                    reason: "not run: the cluster was lost".into(),
                });
            }
        }
    }
    report.cancelled = cancelled;

    // The read counts, merged in the order of the files (so the first problems are a local
    // read's).
    let mut tally = ProblemTally::new(options.read.kept_problems);
    for p in listed.problems {
        tally.add(p);
    }
    let mut files_opened: BTreeSet<u64> = BTreeSet::new();
    for (i, d) in &done {
        tally.merge(d.problems.clone());
        for f in &shares[*i].job.files {
            files_opened.insert(f.number);
        }
        let s = &d.stats;
        report.read.events += s.events;
        report.read.bytes_read += s.bytes_read;
        report.read.bytes_decoded += s.bytes_decoded;
        for (lt, n) in &s.events_by_log_type {
            *report
                .read
                .events_by_log_type
                .entry(lt.clone())
                .or_default() += n;
        }
        for (lt, n) in &d.unrouted {
            *report.unrouted.entry(lt.clone()).or_default() += n;
        }
    }
    report.read.files = files_opened.len() as u64;
    report.read.files_total = names.len() as u64;
    report.read.total_bytes = total_bytes;
    report.problem_count = tally.total();
    report.problems = tally.counts();
    report.cluster = Some(run);
    finish(plan, options, sorter, &mut report, sink, started)?;
    Ok(report)
}

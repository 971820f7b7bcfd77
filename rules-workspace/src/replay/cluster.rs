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

use super::matches::{MatchSorter, DEFAULT_BUDGET};
use super::run::{
    finish, keep_output, load_request, take_answer, InFlight, LostBatch, ReplayOptions, ReplayPlan,
    ReplayProgress, ReplayReport, RouteTable,
};
use super::share::{ShareDone, ShareFile, ShareJob, ShareRead};
use super::{AlertSink, Origin, ProblemTally, ReadOptions, ReplayError};
use crate::engine::messages::{
    ReplayBatchAnswer, ReplayHit, ReplayPrepared, ReplayRaised, Request,
};
use crate::workspace::Workspace;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Instant;

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
                "set PROWL_RAY_PYTHON to a Python with Ray installed (the cluster's Ray version)".into()
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

/// One share and what it covers, for the report when it fails.
struct Share {
    job: ShareJob,
    place: String,
    bytes: u64,
}

/// The files of a replay's inputs, in the order a local replay reads them, with their groups.
struct Listed {
    files: Vec<(super::SourceFile, usize)>,
    reads: Vec<ReadOptions>,
    problems: Vec<super::Problem>,
}

fn list(sources: super::Sources, options: &ReplayOptions) -> Result<Listed, ReplayError> {
    let groups = super::run::input_groups(sources, options)?;
    let mut listed = Listed {
        files: Vec::new(),
        reads: Vec::new(),
        problems: Vec::new(),
    };
    for (i, (sources, read)) in groups.into_iter().enumerate() {
        listed.problems.extend(sources.problems);
        listed
            .files
            .extend(sources.files.into_iter().map(|f| (f, i)));
        listed.reads.push(read);
    }
    Ok(listed)
}

/// Cuts the inputs into shares of about `share_bytes`: a large JSON-lines file into byte
/// ranges, small files packed together in order.
fn shares(
    listed: &Listed,
    reads: &[ShareRead],
    routes: &RouteTable,
    options: &ReplayOptions,
    share_bytes: u64,
) -> Result<Vec<Share>, ClusterError> {
    let share_bytes = share_bytes.max(1);
    let mut out: Vec<Share> = Vec::new();
    let job = |files: Vec<ShareFile>| ShareJob {
        files,
        reads: reads.to_vec(),
        routes: routes.clone(),
        batch_events: options.batch_events.max(1),
        keep_events: options.keep_events,
    };
    let mut pack: Vec<ShareFile> = Vec::new();
    let mut pack_bytes = 0u64;
    let flush = |pack: &mut Vec<ShareFile>, pack_bytes: &mut u64, out: &mut Vec<Share>| {
        if pack.is_empty() {
            return;
        }
        let first = pack.first().map(|f| f.name.clone()).unwrap_or_default();
        let place = if pack.len() == 1 {
            first
        } else {
            format!("{first} and {} more files", pack.len() - 1)
        };
        out.push(Share {
            job: job(std::mem::take(pack)),
            place,
            bytes: std::mem::take(pack_bytes),
        });
    };
    for (number, (file, group)) in listed.files.iter().enumerate() {
        let path = match &file.input {
            super::Input::File(p) => p,
            super::Input::Stdin => {
                return Err(ClusterError::Input {
                    what: "standard input cannot be replayed on a cluster: the nodes read the inputs themselves".into(),
                })
            }
        };
        // An object in S3 is downloaded whole by its task.
        let remote = path.to_str().is_some_and(|p| p.starts_with("s3://"));
        let absolute = if remote {
            path.clone()
        } else {
            std::path::absolute(path).unwrap_or_else(|_| path.clone())
        };
        let size = file.size.unwrap_or(0);
        let base = ShareFile {
            path: absolute.display().to_string(),
            name: file.name.to_string(),
            number: number as u64,
            size: file.size,
            range: None,
            group: *group,
        };
        let split = !remote && size > share_bytes && super::splittable(path).unwrap_or(false);
        if split {
            flush(&mut pack, &mut pack_bytes, &mut out);
            let mut start = 0;
            while start < size {
                let end = (start + share_bytes).min(size);
                out.push(Share {
                    job: job(vec![ShareFile {
                        range: Some((start, end)),
                        ..base.clone()
                    }]),
                    place: format!("{} (bytes {start}–{end})", file.name),
                    bytes: end - start,
                });
                start = end;
            }
            continue;
        }
        if pack_bytes + size > share_bytes && !pack.is_empty() {
            flush(&mut pack, &mut pack_bytes, &mut out);
        }
        pack_bytes += size;
        pack.push(base);
    }
    flush(&mut pack, &mut pack_bytes, &mut out);
    Ok(out)
}

/// The files a replay's detections load, copied under `dir/ws`, and the load request and
/// detections with paths relative to it.
fn stage_workspace(
    root: &Path,
    dir: &Path,
    load: &Request,
    plan: &ReplayPlan,
) -> std::io::Result<(serde_json::Value, serde_json::Value)> {
    let mut load = serde_json::to_value(load)?;
    if let Some(obj) = load.as_object_mut() {
        obj.remove("op");
        obj.remove("replay");
        obj.insert("root".into(), serde_json::Value::String("ws".into()));
    }
    let mut specs = serde_json::to_value(plan.requests())?;
    let prefix = format!("{}/", root.display());
    let mut files: BTreeSet<String> = BTreeSet::new();
    fn walk(v: &mut serde_json::Value, prefix: &str, files: &mut BTreeSet<String>) {
        match v {
            serde_json::Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    if matches!(k.as_str(), "path" | "spec_path") {
                        if let serde_json::Value::String(s) = v {
                            if let Some(rel) = s.strip_prefix(prefix) {
                                files.insert(rel.to_owned());
                                *s = rel.to_owned();
                            } else if Path::new(s.as_str()).is_relative() {
                                // Relative to the workspace, as PAT names them (`./rules/…`).
                                files.insert(s.trim_start_matches("./").to_owned());
                            }
                        }
                    } else {
                        walk(v, prefix, files);
                    }
                }
            }
            serde_json::Value::Array(items) => {
                for v in items {
                    walk(v, prefix, files);
                }
            }
            _ => {}
        }
    }
    walk(&mut load, &prefix, &mut files);
    walk(&mut specs, &prefix, &mut files);
    let ws = dir.join("ws");
    for rel in &files {
        let from = root.join(rel);
        if !from.is_file() {
            continue;
        }
        let to = ws.join(rel);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::copy(&from, &to)?;
    }
    std::fs::create_dir_all(&ws)?;
    Ok((load, specs))
}

/// Prowl's modules and `prowl-read` (when given), beside the workspace in the package.
fn stage_prowl(dir: &Path, reader: Option<&Path>) -> Result<(), ClusterError> {
    let io = |what: &str, e: std::io::Error| ClusterError::Start {
        what: what.to_owned(),
        message: e.to_string(),
    };
    for (name, text) in crate::engine::python_modules() {
        std::fs::write(dir.join(name), text).map_err(|e| io("the run's package", e))?;
    }
    if let Some(reader) = reader {
        std::fs::copy(reader, dir.join("prowl-read")).map_err(|e| ClusterError::NoReader {
            path: reader.to_path_buf(),
            message: e.to_string(),
        })?;
    }
    Ok(())
}

/// The workspace environment's packages, pinned, for the nodes (not Ray and the installers).
fn pinned_requirements(root: &Path) -> Result<(String, Vec<String>), ClusterError> {
    let env = crate::env::PythonEnv::for_workspace(root);
    let manifest = env.manifest().ok_or(ClusterError::NoEnvironment)?;
    // The Python the pins are for; `PROWL_CLUSTER_EXPECT_PYTHON` asks for another (the tests
    // check the refusal of nodes on the wrong Python with it: these machines have only 3.11).
    let python = std::env::var("PROWL_CLUSTER_EXPECT_PYTHON")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or(manifest.python);
    let skip = ["ray", "pip", "setuptools", "wheel", "uv"];
    let pins = manifest
        .packages
        .iter()
        .filter(|p| !skip.contains(&p.name.as_str()))
        .map(|p| format!("{}=={}", p.name, p.version))
        .collect();
    Ok((python, pins))
}

#[derive(Deserialize)]
struct Connected {
    nodes: Vec<ClusterNode>,
    ray: String,
}

/// A match or error as a task returns it: the batch answer's fields, with its event's place.
#[derive(Deserialize)]
struct Placed<T> {
    #[serde(flatten)]
    inner: T,
    at: (i64, u64, u64, Option<u64>, u64),
    #[serde(default)]
    event: Option<String>,
}

#[derive(Deserialize)]
struct ShareResult {
    matches: Vec<Placed<HitFields>>,
    errors: Vec<Placed<RaisedFields>>,
    output: String,
    printed: u64,
    evaluated: u64,
    events: u64,
    read: ShareDone,
}

/// [`ReplayHit`] without its batch index.
#[derive(Deserialize)]
struct HitFields {
    d: u32,
    title: Option<String>,
    dedup: Option<String>,
    severity: Option<String>,
    context: Option<String>,
    destinations: Option<Vec<serde_json::Value>>,
    runbook: Option<String>,
    description: Option<String>,
    reference: Option<String>,
    unique: Option<String>,
}

/// [`ReplayRaised`] without its batch index.
#[derive(Deserialize)]
struct RaisedFields {
    d: u32,
    #[serde(rename = "type")]
    kind: String,
    message: String,
    traceback: Option<Vec<crate::engine::messages::Frame>>,
}

/// What the driver says, line by line.
#[derive(Deserialize)]
#[serde(untagged)]
enum DriverLine {
    Connected {
        connected: Connected,
    },
    Incompatible {
        incompatible: Vec<String>,
    },
    Listed {
        listed: Vec<RemoteObject>,
    },
    Prepared {
        prepared: PreparedAnswer,
    },
    Failed {
        share: usize,
        failed: String,
    },
    Result {
        share: usize,
        result: Box<ShareResult>,
    },
    Fatal {
        fatal: String,
        kind: String,
    },
    Cancelled {
        #[serde(rename = "cancelled")]
        _cancelled: bool,
    },
    Finished {
        #[serde(rename = "finished")]
        _finished: bool,
    },
}

/// An object a source in S3 names.
#[derive(Deserialize)]
struct RemoteObject {
    name: String,
    size: u64,
}

#[derive(Deserialize)]
struct PreparedAnswer {
    fatal: Option<crate::engine::messages::Fatal>,
    #[serde(default)]
    replay: Option<ReplayPrepared>,
}

/// Takes the results that arrived, in the order of the shares, from `next` on while there is
/// no gap (`None`: a share that failed); with `over_gaps`, all of them.
fn apply_in_order(
    arrived: &mut BTreeMap<usize, Option<ShareResult>>,
    next: &mut usize,
    names: &[Arc<str>],
    plan: &ReplayPlan,
    report: &mut ReplayReport,
    sorter: &mut MatchSorter,
    over_gaps: bool,
) -> std::io::Result<()> {
    loop {
        let entry = match arrived.remove(next) {
            Some(entry) => entry,
            None if over_gaps => match arrived.pop_first() {
                Some((i, entry)) => {
                    *next = i;
                    entry
                }
                None => return Ok(()),
            },
            None => return Ok(()),
        };
        *next += 1;
        if let Some(r) = entry {
            report.events_evaluated += r.events;
            let (events, answer) = as_answer(names, r);
            take_answer(plan, &events, answer, report, sorter)?;
        }
    }
}

/// A share's matches as the local path takes them: its events' places, and the answer with
/// indexes into them.
fn as_answer(names: &[Arc<str>], r: ShareResult) -> (Vec<InFlight>, ReplayBatchAnswer) {
    let mut events = Vec::with_capacity(r.matches.len() + r.errors.len());
    let mut place = |at: (i64, u64, u64, Option<u64>, u64), event: Option<String>| -> u32 {
        let (time, seq, line, record, offset) = at;
        let file = names
            .get((seq >> 40) as usize)
            .cloned()
            .unwrap_or_else(|| Arc::from("?"));
        events.push(InFlight {
            time,
            seq,
            origin: Origin {
                file,
                line,
                record,
                offset,
            },
            value: event.and_then(|t| serde_json::value::RawValue::from_string(t).ok()),
        });
        (events.len() - 1) as u32
    };
    let mut matches = Vec::with_capacity(r.matches.len());
    for m in r.matches {
        let e = place(m.at, m.event);
        let h = m.inner;
        matches.push(ReplayHit {
            e,
            d: h.d,
            title: h.title,
            dedup: h.dedup,
            severity: h.severity,
            context: h.context,
            destinations: h.destinations,
            runbook: h.runbook,
            description: h.description,
            reference: h.reference,
            unique: h.unique,
        });
    }
    let mut errors = Vec::with_capacity(r.errors.len());
    for x in r.errors {
        let e = place(x.at, x.event);
        let f = x.inner;
        errors.push(ReplayRaised {
            e,
            d: f.d,
            kind: f.kind,
            message: f.message,
            traceback: f.traceback,
        });
    }
    (
        events,
        ReplayBatchAnswer {
            matches,
            errors,
            output: r.output,
            printed: r.printed,
            evaluated: r.evaluated,
        },
    )
}

struct Driver {
    child: Child,
    lines: mpsc::Receiver<String>,
    stderr: std::thread::JoinHandle<String>,
}

impl Driver {
    fn start(python: &Path, dir: &Path, job: &serde_json::Value) -> Result<Driver, ClusterError> {
        let mut child = Command::new(python)
            .arg(dir.join("prowl_cluster.py"))
            .current_dir(dir)
            .env("RAY_USAGE_STATS_ENABLED", "0")
            .env("PYTHONUNBUFFERED", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| ClusterError::Start {
                what: format!("{} (the Python driving the cluster)", python.display()),
                message: e.to_string(),
            })?;
        let mut stdin = child.stdin.take().expect("piped");
        let mut text = serde_json::to_string(job).expect("a job serialises");
        text.push('\n');
        // The driver reads its job first; a driver that died at once is seen on its output.
        let _ = stdin.write_all(text.as_bytes());
        child.stdin = Some(stdin);
        let stdout = child.stdout.take().expect("piped");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut err = child.stderr.take().expect("piped");
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = std::io::Read::read_to_string(&mut err, &mut text);
            text
        });
        Ok(Driver {
            child,
            lines,
            stderr,
        })
    }

    fn send(&mut self, value: &serde_json::Value) {
        if let Some(stdin) = self.child.stdin.as_mut() {
            let mut text = serde_json::to_string(value).expect("a line serialises");
            text.push('\n');
            let _ = stdin.write_all(text.as_bytes());
            let _ = stdin.flush();
        }
    }

    fn cancel(&mut self) {
        if let Some(stdin) = self.child.stdin.as_mut() {
            let _ = stdin.write_all(b"cancel\n");
            let _ = stdin.flush();
        }
    }

    fn end(mut self) -> String {
        drop(self.child.stdin.take());
        let deadline = Instant::now() + std::time::Duration::from_secs(20);
        loop {
            match self.child.try_wait() {
                Ok(Some(_)) | Err(_) => break,
                Ok(None) if Instant::now() >= deadline => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    break;
                }
                Ok(None) => std::thread::sleep(std::time::Duration::from_millis(50)),
            }
        }
        self.stderr.join().unwrap_or_default()
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

fn last_lines(text: &str) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(6)..].join("\n")
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
            "env_vars": {"PYTHONDONTWRITEBYTECODE": "1"},
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
    while let Ok(line) = driver.lines.recv() {
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
                shares = match super::cluster::shares(
                    &listed,
                    &reads,
                    &routes,
                    options,
                    cluster.share_bytes,
                ) {
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
        let go_on = observer(&ReplayProgress {
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
        });
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

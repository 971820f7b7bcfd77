//! The driver process (`python/prowl_cluster.py`) and what it says: its lines, the tasks'
//! results, and their matches taken in the order of the shares.

use super::{ClusterError, ClusterNode};
use crate::engine::messages::{ReplayBatchAnswer, ReplayHit, ReplayPrepared, ReplayRaised};
use crate::replay::matches::MatchSorter;
use crate::replay::run::{take_answer, InFlight, ReplayPlan, ReplayReport};
use crate::replay::share::ShareDone;
use crate::replay::Origin;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Instant;

#[derive(Deserialize)]
pub(super) struct Connected {
    pub(super) nodes: Vec<ClusterNode>,
    pub(super) ray: String,
}

/// Where an event a task matched or raised on was read: (time, seq, line, record, offset,
/// its JSON text when events are kept).
pub(super) type Place = (i64, u64, u64, Option<u64>, u64, Option<String>);

/// What a task returns: the batch answers' matches and errors, their `e` indexing `places`.
#[derive(Deserialize)]
pub(super) struct ShareResult {
    pub(super) matches: Vec<ReplayHit>,
    pub(super) errors: Vec<ReplayRaised>,
    pub(super) places: Vec<Place>,
    pub(super) output: String,
    pub(super) printed: u64,
    pub(super) evaluated: u64,
    pub(super) events: u64,
    pub(super) read: ShareDone,
}

/// What the driver says, line by line.
#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum DriverLine {
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
pub(super) struct RemoteObject {
    pub(super) name: String,
    pub(super) size: u64,
}

#[derive(Deserialize)]
pub(super) struct PreparedAnswer {
    pub(super) fatal: Option<crate::engine::messages::Fatal>,
    #[serde(default)]
    pub(super) replay: Option<ReplayPrepared>,
}

/// Takes the results that arrived, in the order of the shares, from `next` on while there is
/// no gap (`None`: a share that failed); with `over_gaps`, all of them.
pub(super) fn apply_in_order(
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
pub(super) fn as_answer(names: &[Arc<str>], r: ShareResult) -> (Vec<InFlight>, ReplayBatchAnswer) {
    let events = r
        .places
        .into_iter()
        .map(|(time, seq, line, record, offset, event)| InFlight {
            time,
            seq,
            origin: Origin {
                file: names
                    .get(crate::replay::source::file_of_seq(seq) as usize)
                    .cloned()
                    .unwrap_or_else(|| Arc::from("?")),
                line,
                record,
                offset,
            },
            value: event.and_then(|t| serde_json::value::RawValue::from_string(t).ok()),
        })
        .collect();
    (
        events,
        ReplayBatchAnswer {
            matches: r.matches,
            errors: r.errors,
            output: r.output,
            printed: r.printed,
            evaluated: r.evaluated,
        },
    )
}

pub(super) struct Driver {
    pub(super) child: Child,
    pub(super) lines: mpsc::Receiver<String>,
    pub(super) stderr: std::thread::JoinHandle<String>,
}

impl Driver {
    pub(super) fn start(
        python: &Path,
        dir: &Path,
        job: &serde_json::Value,
    ) -> Result<Driver, ClusterError> {
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

    pub(super) fn send(&mut self, value: &serde_json::Value) {
        if let Some(stdin) = self.child.stdin.as_mut() {
            let mut text = serde_json::to_string(value).expect("a line serialises");
            text.push('\n');
            let _ = stdin.write_all(text.as_bytes());
            let _ = stdin.flush();
        }
    }

    pub(super) fn cancel(&mut self) {
        if let Some(stdin) = self.child.stdin.as_mut() {
            let _ = stdin.write_all(b"cancel\n");
            let _ = stdin.flush();
        }
    }

    /// Stops the driver now (a cancel before any task was sent: it may be blocked connecting,
    /// where it reads no line).
    pub(super) fn stop(&mut self) {
        let _ = self.child.kill();
    }

    pub(super) fn end(mut self) -> String {
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

pub(super) fn last_lines(text: &str) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(6)..].join("\n")
}

//! Tuning impact (`prowl replay --compare REV`, the window's "Impact"): the same events replayed
//! through the detections as they are in a git revision and as they are in the working tree,
//! and the alerts each detection gains, loses and changes.
//!
//! The revision is read from the object database with git2 ([`Repo::export_tree`]) into a
//! folder of Prowl's: the working tree, the index and HEAD are never touched. Both sides run
//! in the working tree's Python environment (a revision's requirements are not installed on
//! the side), with the same filters, reading options and worker count; the revision's workers
//! see its folder instead of the working tree (in the sandbox when the workspace is untrusted).
//!
//! Alerts are paired by what identifies an alert in Panther: the detection's ID, alert or error
//! alert, the dedup string and the time of the first event. A pair whose event count, last
//! event, title or severity differ is *changed*; an alert of the working tree without a pair
//! is *added*, one of the revision without a pair *removed*.

use super::run::{plan_for, run, NoSink, ReplayError, ReplayOptions, ReplayProgress, ReplayReport};
use super::{Alert, AlertSink, MatchKind};
use crate::engine::pool::Pool;
use crate::engine::worker::WorkerOptions;
use crate::fork::{Repo, TreeLimits};
use crate::workspace::{OpenOptions, Workspace};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// Examples of each kind kept per detection.
pub const EXAMPLES: usize = 3;

/// Alerts kept per side to pair them (beyond it the comparison says it is incomplete).
pub const ALERTS_COMPARED: usize = 1_000_000;

/// A revision of the workspace written out to a temporary folder.
#[derive(Debug)]
pub struct Revision {
    /// The revision as given (`HEAD`, `main~3`, a tag, an ID).
    pub name: String,
    /// Its commit ID.
    pub commit: String,
    /// The commit's summary line.
    pub summary: String,
    /// The workspace's folder in the exported tree.
    pub root: PathBuf,
    /// Bytecode of the revision's workers (inside the temporary folder).
    pycache: PathBuf,
    _dir: tempfile::TempDir,
}

/// The most a revision may write out (a fork of panther-analysis is about 60 MB, 5,000 files).
const LIMITS: TreeLimits = TreeLimits {
    max_bytes: 2 << 30,
    max_files: 200_000,
};

impl Revision {
    /// Writes the tree of `name` in the repository holding `workspace` to a temporary folder.
    pub fn export(workspace: &Path, name: &str) -> Result<Revision, ReplayError> {
        let git = Repo::discover(workspace).map_err(|e| ReplayError::Revision {
            revision: name.to_owned(),
            message: e.to_string(),
        })?;
        let fail = |e: crate::fork::ForkError| ReplayError::Revision {
            revision: name.to_owned(),
            message: e.to_string(),
        };
        let (commit, summary) = git.resolve_commit(name).map_err(fail)?;
        let dir = tempfile::Builder::new()
            .prefix("prowl-compare-")
            .tempdir()?;
        let tree = dir.path().join("tree");
        let pycache = dir.path().join("pycache");
        std::fs::create_dir_all(&tree)?;
        std::fs::create_dir_all(&pycache)?;
        git.export_tree(&commit, &tree, LIMITS).map_err(fail)?;
        let canonical = std::fs::canonicalize(workspace).unwrap_or_else(|_| workspace.into());
        let rel = canonical
            .strip_prefix(git.workdir())
            .unwrap_or(Path::new(""));
        let root = tree.join(rel);
        if !root.is_dir() {
            return Err(ReplayError::Revision {
                revision: name.to_owned(),
                message: format!(
                    "the workspace's folder {} is not in commit {}",
                    if rel.as_os_str().is_empty() {
                        ".".into()
                    } else {
                        rel.display().to_string()
                    },
                    &commit[..12]
                ),
            });
        }
        Ok(Revision {
            name: name.to_owned(),
            commit,
            summary,
            root,
            pycache,
            _dir: dir,
        })
    }

    /// How to start workers for the revision: the working tree's `options` (its environment,
    /// its limits, its sandbox) seeing the revision's folder and a bytecode cache of its own.
    pub fn worker_options(&self, options: &WorkerOptions) -> WorkerOptions {
        let mut options = options.clone();
        options.pycache = Some(self.pycache.clone());
        if let Some(sandbox) = &mut options.sandbox {
            let root = std::fs::canonicalize(&self.root).unwrap_or_else(|_| self.root.clone());
            sandbox.read_only.push(root);
            sandbox.writable.push(self.pycache.clone());
        }
        options
    }
}

/// Which replay of a comparison is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// The detections as they are in the revision.
    Revision,
    /// The detections as they are in the working tree.
    WorkingTree,
}

/// The part of an alert a comparison shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct AlertBrief {
    /// An alert or an error alert.
    pub kind: MatchKind,
    /// Its title.
    pub title: String,
    /// Its severity.
    pub severity: String,
    /// Its dedup string.
    pub dedup: String,
    /// Its first event's time.
    pub first_event_time: String,
    /// Its last event's time.
    pub last_event_time: String,
    /// Its events.
    pub events: u64,
    /// Where its first event was read.
    pub origin: String,
}

impl AlertBrief {
    fn of(a: &Alert) -> AlertBrief {
        AlertBrief {
            kind: a.kind,
            title: a.title.clone(),
            severity: a.severity.clone(),
            dedup: a.dedup.clone(),
            first_event_time: a.first_event_time.clone(),
            last_event_time: a.last_event_time.clone(),
            events: a.events,
            origin: a.origin.clone(),
        }
    }
}

/// An alert of one side, or a pair that differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct AlertChange {
    /// The alert in the revision (none: added).
    pub before: Option<AlertBrief>,
    /// The alert in the working tree (none: removed).
    pub after: Option<AlertBrief>,
}

/// What an edit does to one detection's alerts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct DetectionImpact {
    /// Its ID.
    pub id: String,
    /// The detection ran in the revision.
    pub in_revision: bool,
    /// The detection ran in the working tree.
    pub in_working_tree: bool,
    /// Its matches in the revision.
    pub matches_before: u64,
    /// Its matches in the working tree.
    pub matches_after: u64,
    /// Its alerts (and error alerts) in the revision.
    pub alerts_before: u64,
    /// Its alerts (and error alerts) in the working tree.
    pub alerts_after: u64,
    /// Alerts only the working tree raises.
    pub added: u64,
    /// Alerts only the revision raises.
    pub removed: u64,
    /// Alerts both raise, differently (events, last event, title, severity).
    pub changed: u64,
    /// Alerts both raise alike.
    pub unchanged: u64,
    /// The first few added, removed and changed alerts.
    pub examples: Vec<AlertChange>,
}

impl DetectionImpact {
    /// Whether the edit changes anything about this detection's alerts.
    pub fn differs(&self) -> bool {
        self.added + self.removed + self.changed > 0
            || self.matches_before != self.matches_after
            || self.in_revision != self.in_working_tree
    }
}

/// The comparison of two replays of the same events.
#[derive(Debug, Clone, Default, Serialize, ts_rs::TS)]
pub struct Impact {
    /// The revision as given.
    pub revision: String,
    /// Its commit ID.
    pub commit: String,
    /// Its summary line.
    pub summary: String,
    /// Alerts (and error alerts) raised by the revision.
    pub alerts_before: u64,
    /// Alerts (and error alerts) raised by the working tree.
    pub alerts_after: u64,
    /// Alerts added, over all detections.
    pub added: u64,
    /// Alerts removed.
    pub removed: u64,
    /// Alerts changed.
    pub changed: u64,
    /// The detections whose alerts differ, the largest change first.
    pub detections: Vec<DetectionImpact>,
    /// Detections that ran on either side with the same alerts.
    pub unchanged_detections: u64,
    /// Every alert was paired (false when a side raised more than [`ALERTS_COMPARED`]).
    pub complete: bool,
    /// Either replay was stopped early.
    pub cancelled: bool,
}

type AlertKey = (String, MatchKind, String, i64);

fn key(a: &Alert) -> AlertKey {
    (a.detection.clone(), a.kind, a.dedup.clone(), a.first_ns)
}

/// Pairs the alerts of two replays of the same events (`before`: the revision's).
pub fn impact(before: &ReplayReport, after: &ReplayReport) -> Impact {
    let mut by: BTreeMap<String, DetectionImpact> = BTreeMap::new();
    for (side, report) in [(false, before), (true, after)] {
        for d in &report.detections {
            let e = by.entry(d.id.clone()).or_insert_with(|| DetectionImpact {
                id: d.id.clone(),
                ..DetectionImpact::default()
            });
            if side {
                e.in_working_tree = true;
                e.matches_after = d.matches;
                e.alerts_after = d.alerts + d.error_alerts;
            } else {
                e.in_revision = true;
                e.matches_before = d.matches;
                e.alerts_before = d.alerts + d.error_alerts;
            }
        }
    }
    let mut old: HashMap<AlertKey, &Alert> = before.alerts.iter().map(|a| (key(a), a)).collect();
    let example = |d: &mut DetectionImpact, change: AlertChange| {
        if d.examples.len() < EXAMPLES * 3 {
            d.examples.push(change);
        }
    };
    for a in &after.alerts {
        let Some(d) = by.get_mut(&a.detection) else {
            continue;
        };
        match old.remove(&key(a)) {
            Some(b) => {
                let (x, y) = (AlertBrief::of(b), AlertBrief::of(a));
                if x == y {
                    d.unchanged += 1;
                } else {
                    d.changed += 1;
                    example(
                        d,
                        AlertChange {
                            before: Some(x),
                            after: Some(y),
                        },
                    );
                }
            }
            None => {
                d.added += 1;
                example(
                    d,
                    AlertChange {
                        before: None,
                        after: Some(AlertBrief::of(a)),
                    },
                );
            }
        }
    }
    let mut gone: Vec<&Alert> = old.into_values().collect();
    gone.sort_by_key(|a| (a.first_ns, a.id));
    for b in gone {
        if let Some(d) = by.get_mut(&b.detection) {
            d.removed += 1;
            example(
                d,
                AlertChange {
                    before: Some(AlertBrief::of(b)),
                    after: None,
                },
            );
        }
    }
    let mut out = Impact {
        alerts_before: before.alerts_total,
        alerts_after: after.alerts_total,
        complete: before.alerts_omitted == 0 && after.alerts_omitted == 0,
        cancelled: before.cancelled || after.cancelled,
        ..Impact::default()
    };
    for d in by.into_values() {
        out.added += d.added;
        out.removed += d.removed;
        out.changed += d.changed;
        if d.differs() {
            out.detections.push(d);
        } else {
            out.unchanged_detections += 1;
        }
    }
    // Examples: added first, then removed, then changed, each in event-time order (kept as
    // found, which is already that order), at most EXAMPLES of each.
    for d in &mut out.detections {
        let rank = |c: &AlertChange| match (&c.before, &c.after) {
            (None, _) => 0,
            (_, None) => 1,
            _ => 2,
        };
        d.examples.sort_by_key(rank);
        let mut seen = [0usize; 3];
        d.examples.retain(|c| {
            let r = rank(c);
            seen[r] += 1;
            seen[r] <= EXAMPLES
        });
    }
    out.detections.sort_by(|a, b| {
        let size = |d: &DetectionImpact| d.added + d.removed + d.changed;
        size(b)
            .cmp(&size(a))
            .then(
                b.alerts_after
                    .abs_diff(b.alerts_before)
                    .cmp(&a.alerts_after.abs_diff(a.alerts_before)),
            )
            .then(a.id.cmp(&b.id))
    });
    out
}

/// Both replays and their comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// The comparison.
    pub impact: Impact,
    /// The revision's replay.
    pub before: ReplayReport,
    /// The working tree's replay.
    pub after: ReplayReport,
}

/// One side's replay for a comparison: (side, workspace, plan, sources, options, observer,
/// sink) → report.
pub type SideRunner<'a> = dyn FnMut(
        Side,
        &Workspace,
        &super::ReplayPlan,
        super::Sources,
        &ReplayOptions,
        &mut dyn FnMut(&ReplayProgress) -> bool,
        &mut dyn AlertSink,
    ) -> Result<ReplayReport, ReplayError>
    + 'a;

/// Replays `sources` (listed anew for each side: files and folders, never standard input)
/// through the detections of `revision` on a pool of its own, then through those of `ws` (the
/// working tree) on `pool`, and compares the alerts. `observer` sees each side's progress and
/// returns `false` to stop; `sink` receives the working tree's alerts and events.
pub fn compare(
    ws: &Workspace,
    revision: &Revision,
    pool: &mut Pool,
    sources: &[PathBuf],
    options: &ReplayOptions,
    observer: &mut dyn FnMut(Side, &ReplayProgress) -> bool,
    sink: &mut dyn AlertSink,
) -> Result<Comparison, ReplayError> {
    let old_options = revision.worker_options(pool.options());
    let size = pool.size();
    let mut local = |side: Side,
                     ws: &Workspace,
                     plan: &super::ReplayPlan,
                     listed: super::Sources,
                     options: &ReplayOptions,
                     observer: &mut dyn FnMut(&ReplayProgress) -> bool,
                     sink: &mut dyn AlertSink| match side {
        Side::Revision => {
            let mut old_pool = Pool::new(old_options.clone(), size);
            old_pool.prewarm(options.workers.min(size));
            let result = run(ws, &mut old_pool, plan, listed, options, observer, sink);
            old_pool.shutdown();
            result
        }
        Side::WorkingTree => run(ws, pool, plan, listed, options, observer, sink),
    };
    compare_with(ws, revision, sources, options, observer, sink, &mut local)
}

/// [`compare`] with each side's replay run by `run_side` (the local pools, or a cluster).
pub fn compare_with(
    ws: &Workspace,
    revision: &Revision,
    sources: &[PathBuf],
    options: &ReplayOptions,
    observer: &mut dyn FnMut(Side, &ReplayProgress) -> bool,
    sink: &mut dyn AlertSink,
    run_side: &mut SideRunner<'_>,
) -> Result<Comparison, ReplayError> {
    let options = ReplayOptions {
        alert_limit: options.alert_limit.max(ALERTS_COMPARED),
        ..options.clone()
    };
    let old = Workspace::open(&revision.root, &OpenOptions::default()).map_err(|e| {
        ReplayError::Revision {
            revision: revision.name.clone(),
            message: e.to_string(),
        }
    })?;
    let before_plan = plan_for(&old, &options);
    let after_plan = plan_for(ws, &options);
    let mut stopped = false;
    let before = if before_plan.detections.is_empty() {
        ReplayReport::default()
    } else {
        run_side(
            Side::Revision,
            &old,
            &before_plan,
            super::list_sources(sources)?,
            &options,
            &mut |p| {
                let go_on = observer(Side::Revision, p);
                stopped |= !go_on;
                go_on
            },
            &mut NoSink,
        )?
    };
    let after = if after_plan.detections.is_empty() || stopped {
        ReplayReport {
            cancelled: stopped,
            ..ReplayReport::default()
        }
    } else {
        run_side(
            Side::WorkingTree,
            ws,
            &after_plan,
            super::list_sources(sources)?,
            &options,
            &mut |p| observer(Side::WorkingTree, p),
            sink,
        )?
    };
    let mut impact = impact(&before, &after);
    impact.revision = revision.name.clone();
    impact.commit = revision.commit.clone();
    impact.summary = revision.summary.clone();
    Ok(Comparison {
        impact,
        before,
        after,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::run::DetectionReport;

    fn alert(id: u64, detection: &str, dedup: &str, first_ns: i64, events: u64) -> Alert {
        Alert {
            id,
            detection: detection.into(),
            kind: MatchKind::Alert,
            title: format!("{detection} {dedup}"),
            severity: "HIGH".into(),
            dedup: dedup.into(),
            first_event_time: format!("t{first_ns}"),
            last_event_time: format!("t{first_ns}"),
            first_ns,
            last_ns: first_ns,
            events,
            context: None,
            destinations: None,
            runbook: None,
            description: None,
            reference: None,
            error: None,
            origin: format!("logs.jsonl:{id}"),
        }
    }

    fn report(ids: &[&str], alerts: Vec<Alert>) -> ReplayReport {
        let detections = ids
            .iter()
            .map(|id| DetectionReport {
                id: (*id).into(),
                matches: alerts
                    .iter()
                    .filter(|a| a.detection == *id)
                    .map(|a| a.events)
                    .sum(),
                alerts: alerts.iter().filter(|a| a.detection == *id).count() as u64,
                ..DetectionReport::default()
            })
            .collect();
        ReplayReport {
            alerts_total: alerts.len() as u64,
            detections,
            alerts,
            ..ReplayReport::default()
        }
    }

    #[test]
    fn alerts_pair_by_detection_dedup_and_first_event() {
        let before = report(
            &["A", "B", "Gone"],
            vec![
                alert(1, "A", "x", 10, 1),
                alert(2, "A", "y", 20, 1),
                alert(3, "B", "z", 30, 2),
                alert(4, "Gone", "g", 40, 1),
            ],
        );
        let after = report(
            &["A", "B", "New"],
            vec![
                alert(1, "A", "x", 10, 1),
                alert(2, "B", "z", 30, 5),
                alert(3, "A", "w", 50, 1),
                alert(4, "New", "n", 60, 1),
            ],
        );
        let i = impact(&before, &after);
        assert_eq!((i.added, i.removed, i.changed), (2, 2, 1));
        assert_eq!((i.alerts_before, i.alerts_after), (4, 4));
        assert!(i.complete);
        let by: HashMap<&str, &DetectionImpact> =
            i.detections.iter().map(|d| (d.id.as_str(), d)).collect();
        let a = by["A"];
        assert_eq!((a.added, a.removed, a.changed, a.unchanged), (1, 1, 0, 1));
        assert_eq!(a.examples.len(), 2);
        assert!(a.examples[0].before.is_none(), "added first");
        assert_eq!(a.examples[0].after.as_ref().unwrap().dedup, "w");
        assert_eq!(a.examples[1].before.as_ref().unwrap().dedup, "y");
        let b = by["B"];
        assert_eq!((b.changed, b.matches_before, b.matches_after), (1, 2, 5));
        assert_eq!(b.examples[0].before.as_ref().unwrap().events, 2);
        assert_eq!(b.examples[0].after.as_ref().unwrap().events, 5);
        assert!(by["Gone"].in_revision && !by["Gone"].in_working_tree);
        assert!(by["New"].in_working_tree && !by["New"].in_revision);
        assert_eq!(i.unchanged_detections, 0);
    }

    #[test]
    fn identical_replays_change_nothing_and_examples_are_bounded() {
        let many: Vec<Alert> = (0..20).map(|n| alert(n, "A", "d", n as i64, 1)).collect();
        let same = impact(&report(&["A"], many.clone()), &report(&["A"], many.clone()));
        assert!(same.detections.is_empty());
        assert_eq!(same.unchanged_detections, 1);
        let none = impact(&report(&["A"], Vec::new()), &report(&["A"], many));
        assert_eq!(none.added, 20);
        assert_eq!(none.detections[0].examples.len(), EXAMPLES);
    }
}

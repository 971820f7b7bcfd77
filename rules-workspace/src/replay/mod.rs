//! Replay: log files run through the detections locally, giving the alerts Panther would raise.
//!
//! Reading: [`source`] (with its private `file` and `split`) turns files,
//! folders and standard input (JSON lines, JSON arrays, CloudTrail `Records` documents, gzip)
//! into a stream of [`Event`]s with their origin, counting the problems it meets
//! ([`problem`]); [`fields`] gives raw events the standard `p_` fields (`p_event_time` from a
//! table of log types, `p_any_*` indicators, `p_row_id`, …); [`time`] reads and writes event
//! times.
//!
//! Running: [`run()`] routes events by log type to the selected rules, runs them in batches on
//! the warm worker pool (panther-core in batch mode, `python/prowl_replay.py`), and hands the
//! [`mod@matches`] (a serialisable boundary) in event-time order to the grouping step
//! ([`group`]), which forms the alerts Panther would raise.
//!
//! Comparing: [`compare`] replays the same events through a git revision's detections and the
//! working tree's, and pairs their alerts (`prowl replay --compare REV`).

pub mod cluster;
pub mod compare;
pub mod expect;
pub mod fields;
mod file;
pub mod group;
pub mod matches;
pub mod problem;
pub mod run;
pub mod share;
pub mod source;
mod split;
pub mod time;

pub use group::{Alert, AlertSink};
pub use matches::{Match, MatchKind};
pub use problem::{Problem, ProblemCount, ProblemKind, ProblemTally};
pub use run::{
    plan, plan_for, run, ReplayError, ReplayOptions, ReplayPlan, ReplayProgress, ReplayReport,
};
pub use source::{
    list_sources, read_only, splittable, Event, EventReader, Input, Origin, ReadOptions, ReadStats,
    SourceError, SourceFile, Sources,
};
pub use time::EventTime;

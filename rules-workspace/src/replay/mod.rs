//! Replay: log files run through the detections locally, giving the alerts Panther would raise.
//!
//! This first piece reads. [`source`] (with its private `file` and `split`) turns files,
//! folders and standard input (JSON lines, JSON arrays, CloudTrail `Records` documents, gzip)
//! into a stream of [`Event`]s with their origin, counting the problems it meets
//! ([`problem`]); [`fields`] gives raw events the standard `p_` fields (`p_event_time` from a
//! table of log types, `p_any_*` indicators, `p_row_id`, …); [`time`] reads and writes event
//! times. Routing by log type, batch runs on the worker pool and alert grouping build on the
//! `Event` stream.

pub mod fields;
mod file;
pub mod problem;
pub mod source;
mod split;
pub mod time;

pub use problem::{Problem, ProblemCount, ProblemKind, ProblemTally};
pub use source::{
    list_sources, read_only, Event, EventReader, Origin, ReadOptions, ReadStats, SourceError,
    SourceFile, Sources,
};
pub use time::EventTime;

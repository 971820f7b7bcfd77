//! The boundary between replay's two steps: the detection step turns events into [`Match`]es
//! (an event a detection alerted or raised on, with what the alert functions returned), and the
//! grouping step ([`super::group`]) turns matches, in event-time order, into alerts.
//!
//! A match is plain serialisable data (one JSON line), so the detection step can run anywhere
//! (another process, another machine) and hand its matches back. [`MatchSorter`] puts matches
//! that arrive in any order (workers answer batches as they finish; files interleave in time)
//! into event-time order with bounded memory: it keeps up to a budget of matches, sorts them,
//! writes them out as a run (a temp file of JSON lines) when the budget is used up, and merges
//! the runs at the end. Partial results from several machines are runs of the same kind.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};

/// Whether a match is an alert's event or a rule error.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    /// The detection alerted (`rule()` returned True, `policy()` False).
    Alert,
    /// The detection's matcher raised.
    Error,
}

/// One event a detection alerted or raised on.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Match {
    /// The detection's index in the replay's plan.
    pub detection: u32,
    /// Alert or error.
    pub kind: MatchKind,
    /// `p_event_time`, nanoseconds since the epoch.
    pub time: i64,
    /// The event's place in the read order (ties in time keep it).
    pub seq: u64,
    /// The dedup string (for errors: the exception's class).
    pub dedup: String,
    /// `title()` when defined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// `severity()` or the spec's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    /// `unique()`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unique: Option<String>,
    /// `alert_context()` as JSON text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// `destinations()`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destinations: Option<Vec<serde_json::Value>>,
    /// `runbook()`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runbook: Option<String>,
    /// `description()`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `reference()`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// For errors: `str(exception)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Where the event was read (`file:line`).
    pub origin: String,
    /// The event itself, when the replay keeps events (`--out`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<Box<RawValue>>,
}

impl Match {
    /// The order of the grouping step: event time, then read order, then detection.
    pub fn key(&self) -> (i64, u64, u32, MatchKind) {
        (self.time, self.seq, self.detection, self.kind)
    }

    /// Roughly the bytes the match holds (for the sorter's budget).
    fn weight(&self) -> usize {
        let s = |o: &Option<String>| o.as_ref().map_or(0, String::len);
        160 + self.dedup.len()
            + s(&self.title)
            + s(&self.severity)
            + s(&self.unique)
            + s(&self.context)
            + s(&self.runbook)
            + s(&self.description)
            + s(&self.reference)
            + s(&self.message)
            + self.origin.len()
            + self.event.as_ref().map_or(0, |e| e.get().len())
            + self.destinations.as_ref().map_or(0, |d| d.len() * 32)
    }
}

/// Matches in, event-time order out, with at most `budget` bytes of them in memory.
pub struct MatchSorter {
    buf: Vec<Match>,
    held: usize,
    budget: usize,
    runs: Vec<File>,
    spilled: u64,
}

/// The default budget: 64 MB of matches in memory before a run is written out.
pub const DEFAULT_BUDGET: usize = 64 << 20;

impl MatchSorter {
    /// A sorter keeping up to `budget` bytes of matches in memory.
    pub fn new(budget: usize) -> MatchSorter {
        MatchSorter {
            buf: Vec::new(),
            held: 0,
            budget: budget.max(1),
            runs: Vec::new(),
            spilled: 0,
        }
    }

    /// Adds a match.
    pub fn push(&mut self, m: Match) -> std::io::Result<()> {
        self.held += m.weight();
        self.buf.push(m);
        if self.held >= self.budget {
            self.spill()?;
        }
        Ok(())
    }

    /// How many matches were written out to runs so far.
    pub fn spilled(&self) -> u64 {
        self.spilled
    }

    fn spill(&mut self) -> std::io::Result<()> {
        self.buf.sort_unstable_by_key(Match::key);
        let file = tempfile::tempfile()?;
        let mut w = BufWriter::with_capacity(1 << 16, file);
        for m in self.buf.drain(..) {
            serde_json::to_writer(&mut w, &m)?;
            w.write_all(b"\n")?;
            self.spilled += 1;
        }
        let mut file = w.into_inner().map_err(|e| e.into_error())?;
        use std::io::Seek;
        file.rewind()?;
        self.runs.push(file);
        self.held = 0;
        Ok(())
    }

    /// Every match pushed, in [`Match::key`] order.
    pub fn finish(mut self) -> Sorted {
        self.buf.sort_unstable_by_key(Match::key);
        let mut sources: Vec<RunReader> = self
            .runs
            .into_iter()
            .map(|f| RunReader::File(BufReader::with_capacity(1 << 16, f), String::new()))
            .collect();
        sources.push(RunReader::Memory(self.buf.into_iter()));
        let mut heap = BinaryHeap::new();
        let mut heads = Vec::with_capacity(sources.len());
        for (i, s) in sources.iter_mut().enumerate() {
            let head = s.next_match();
            if let Some(Ok(m)) = &head {
                heap.push(Reverse((m.key(), i)));
            }
            heads.push(head);
        }
        Sorted {
            sources,
            heads,
            heap,
        }
    }
}

enum RunReader {
    File(BufReader<File>, String),
    Memory(std::vec::IntoIter<Match>),
}

impl RunReader {
    fn next_match(&mut self) -> Option<std::io::Result<Match>> {
        match self {
            RunReader::Memory(it) => it.next().map(Ok),
            RunReader::File(r, line) => {
                line.clear();
                match r.read_line(line) {
                    Ok(0) => None,
                    Ok(_) => Some(serde_json::from_str(line).map_err(std::io::Error::other)),
                    Err(e) => Some(Err(e)),
                }
            }
        }
    }
}

type HeapKey = (i64, u64, u32, MatchKind);

/// The merged runs of a [`MatchSorter`], in order. A run that cannot be read back ends with an
/// error item.
pub struct Sorted {
    sources: Vec<RunReader>,
    heads: Vec<Option<std::io::Result<Match>>>,
    heap: BinaryHeap<Reverse<(HeapKey, usize)>>,
}

impl Iterator for Sorted {
    type Item = std::io::Result<Match>;

    fn next(&mut self) -> Option<Self::Item> {
        // A run whose next line failed to read reports it first.
        if let Some(i) = self.heads.iter().position(|h| matches!(h, Some(Err(_)))) {
            return self.heads[i].take();
        }
        let Reverse((_, i)) = self.heap.pop()?;
        let out = self.heads[i].take();
        let next = self.sources[i].next_match();
        if let Some(Ok(m)) = &next {
            self.heap.push(Reverse((m.key(), i)));
        }
        self.heads[i] = next;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(time: i64, seq: u64) -> Match {
        Match {
            detection: 0,
            kind: MatchKind::Alert,
            time,
            seq,
            dedup: format!("d{seq}"),
            title: None,
            severity: None,
            unique: None,
            context: None,
            destinations: None,
            runbook: None,
            description: None,
            reference: None,
            message: None,
            origin: "f:1".into(),
            event: Some(RawValue::from_string(format!("{{\"n\":{seq}}}")).unwrap()),
        }
    }

    #[test]
    fn matches_come_out_in_time_order_across_spilled_runs() {
        let mut sorter = MatchSorter::new(1000); // a run every few matches
        let times: Vec<i64> = (0..500).map(|i| (i * 7919) % 503).collect();
        for (seq, t) in times.iter().enumerate() {
            sorter.push(m(*t, seq as u64)).unwrap();
        }
        assert!(sorter.spilled() > 400, "{}", sorter.spilled());
        let out: Vec<Match> = sorter.finish().map(Result::unwrap).collect();
        assert_eq!(out.len(), 500);
        assert!(out.windows(2).all(|w| w[0].key() <= w[1].key()));
        // Events survive the trip through a run file.
        let first = &out[0];
        assert_eq!(
            first.event.as_ref().unwrap().get(),
            format!("{{\"n\":{}}}", first.seq)
        );
    }

    #[test]
    fn equal_times_keep_the_read_order() {
        let mut sorter = MatchSorter::new(1 << 20);
        for seq in (0..10).rev() {
            sorter.push(m(5, seq)).unwrap();
        }
        let seqs: Vec<u64> = sorter.finish().map(|r| r.unwrap().seq).collect();
        assert_eq!(seqs, (0..10).collect::<Vec<_>>());
    }
}

//! Replay's grouping step: matches, in event-time order, into the alerts Panther would raise.
//!
//! Matches are grouped by detection and dedup string (rule errors by detection and exception
//! class). The first match of a group opens a window of `DedupPeriodMinutes` from its event
//! time; later matches before the window ends join it, the first one at or after its end opens
//! a new window. A window becomes an alert once `Threshold` matches are in it, counting
//! distinct `unique()` values instead when the detection returned them; the matches before that
//! belong to the alert too. Title, severity, context, destinations, runbook, description and
//! reference are those of the window's first match (the event that opened the alert); a
//! detection without `title()` is titled by its `DisplayName`, else its ID, as Panther's alert
//! does. Rule errors make error alerts the same way, with a threshold of 1.
//!
//! Memory: one open window per group whose period has not ended (closed windows are handed to
//! the [`AlertSink`] as soon as a later event time passes their end), and at most
//! [`PENDING_EVENTS`] matches kept per window still below its threshold.

use super::matches::{Match, MatchKind};
use super::time::EventTime;
use serde::{Deserialize, Serialize};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};

/// Matches kept per window still below its threshold (the alert's first events, when it is
/// raised; later ones are counted).
pub const PENDING_EVENTS: usize = 1000;

const NANOS_PER_MINUTE: i64 = 60_000_000_000;

/// How one detection's matches group.
#[derive(Debug, Clone)]
pub struct GroupRule {
    /// The detection's ID.
    pub id: String,
    /// `DedupPeriodMinutes` (Panther's default 60).
    pub period_minutes: i64,
    /// `Threshold` (default 1).
    pub threshold: u64,
    /// The title of alerts when `title()` is not defined: `DisplayName`, else the ID.
    pub fallback_title: String,
    /// The spec's `Severity`.
    pub severity: Option<String>,
}

/// An alert as the grouping step raised it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Alert {
    /// Its number in this replay (in the order alerts were raised).
    pub id: u64,
    /// The detection's ID.
    pub detection: String,
    /// An alert, or an error alert (the detection raised).
    pub kind: MatchKind,
    /// Its title.
    pub title: String,
    /// Its severity.
    pub severity: String,
    /// The dedup string its events share.
    pub dedup: String,
    /// `p_event_time` of its first event.
    pub first_event_time: String,
    /// `p_event_time` of its last event.
    pub last_event_time: String,
    /// The same, in nanoseconds since the epoch.
    pub first_ns: i64,
    /// The same, in nanoseconds since the epoch.
    pub last_ns: i64,
    /// How many events it holds.
    pub events: u64,
    /// `alert_context()` of the first event (JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(type = "unknown")]
    pub context: Option<serde_json::Value>,
    /// `destinations()` of the first event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(type = "Array<unknown> | null")]
    pub destinations: Option<Vec<serde_json::Value>>,
    /// `runbook()` of the first event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runbook: Option<String>,
    /// `description()` of the first event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `reference()` of the first event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// For error alerts: the first error's message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Where its first event was read (`file:line`).
    pub origin: String,
}

/// Where the grouping step's results go, as they are final.
pub trait AlertSink {
    /// A match belongs to alert `alert` (called in event-time order per alert; an alert's
    /// first events come when it is raised).
    fn event(&mut self, alert: u64, m: &Match) -> std::io::Result<()>;
    /// An alert is complete (its window has ended, or the replay has).
    fn alert(&mut self, alert: Alert) -> std::io::Result<()>;
}

type GroupKey = (u32, MatchKind, String);

struct Window {
    serial: u64,
    end: i64,
    count: u64,
    uniques: HashSet<String>,
    first: Match,
    last: i64,
    pending: Vec<Match>,
    alert: Option<u64>,
}

/// The grouping state machine; feed it matches in [`Match::key`] order.
pub struct Grouper {
    rules: Vec<GroupRule>,
    open: HashMap<GroupKey, Window>,
    ends: BinaryHeap<Reverse<(i64, u64, GroupKey)>>,
    serial: u64,
    next_alert: u64,
}

impl Grouper {
    /// A grouper for the detections of a plan (`rules[i]` for detection index `i`).
    pub fn new(rules: Vec<GroupRule>) -> Grouper {
        Grouper {
            rules,
            open: HashMap::new(),
            ends: BinaryHeap::new(),
            serial: 0,
            next_alert: 0,
        }
    }

    /// How many alerts were raised so far.
    pub fn raised(&self) -> u64 {
        self.next_alert
    }

    /// Adds the next match (in time order).
    pub fn add(&mut self, m: Match, sink: &mut dyn AlertSink) -> std::io::Result<()> {
        self.close_until(m.time, sink)?;
        let rule = &self.rules[m.detection as usize];
        let threshold = match m.kind {
            MatchKind::Alert => rule.threshold.max(1),
            MatchKind::Error => 1,
        };
        let period = rule.period_minutes.max(0);
        let key: GroupKey = (m.detection, m.kind, m.dedup.clone());
        let joins = self.open.get(&key).is_some_and(|w| m.time < w.end);
        if !joins {
            if let Some(old) = self.open.remove(&key) {
                self.finish(old, sink)?;
            }
            self.serial += 1;
            let end = m
                .time
                .saturating_add(period.saturating_mul(NANOS_PER_MINUTE));
            self.ends.push(Reverse((end, self.serial, key.clone())));
            let window = Window {
                serial: self.serial,
                end,
                count: 0,
                uniques: HashSet::new(),
                first: m.clone(),
                last: m.time,
                pending: Vec::new(),
                alert: None,
            };
            self.open.insert(key.clone(), window);
        }
        let w = self.open.get_mut(&key).expect("window just ensured");
        w.count += 1;
        w.last = m.time;
        if let Some(u) = &m.unique {
            if (w.uniques.len() as u64) < threshold {
                w.uniques.insert(u.clone());
            }
        }
        match w.alert {
            Some(id) => sink.event(id, &m)?,
            None => {
                let counted = if w.uniques.is_empty() {
                    w.count
                } else {
                    w.uniques.len() as u64
                };
                if counted >= threshold {
                    let id = self.next_alert;
                    self.next_alert += 1;
                    w.alert = Some(id);
                    for p in w.pending.drain(..) {
                        sink.event(id, &p)?;
                    }
                    sink.event(id, &m)?;
                } else if w.pending.len() < PENDING_EVENTS {
                    w.pending.push(m);
                }
            }
        }
        Ok(())
    }

    /// Closes every window whose period ended at or before `time`.
    fn close_until(&mut self, time: i64, sink: &mut dyn AlertSink) -> std::io::Result<()> {
        while self
            .ends
            .peek()
            .is_some_and(|Reverse((end, _, _))| *end <= time)
        {
            let Reverse((_, serial, key)) = self.ends.pop().expect("peeked");
            if self.open.get(&key).is_some_and(|w| w.serial == serial) {
                let w = self.open.remove(&key).expect("checked");
                self.finish(w, sink)?;
            }
        }
        Ok(())
    }

    fn finish(&mut self, w: Window, sink: &mut dyn AlertSink) -> std::io::Result<()> {
        let Some(id) = w.alert else {
            return Ok(()); // below its threshold: no alert
        };
        let rule = &self.rules[w.first.detection as usize];
        let f = w.first;
        let title = match f.kind {
            MatchKind::Alert => f
                .title
                .clone()
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| rule.fallback_title.clone()),
            MatchKind::Error => format!(
                "{} raised {}: {}",
                rule.id,
                f.dedup,
                f.message.as_deref().unwrap_or("")
            ),
        };
        let severity = f
            .severity
            .clone()
            .or_else(|| rule.severity.clone())
            .unwrap_or_else(|| "INFO".into())
            .to_uppercase();
        sink.alert(Alert {
            id,
            detection: rule.id.clone(),
            kind: f.kind,
            title,
            severity,
            dedup: f.dedup.clone(),
            first_event_time: EventTime::from_unix_nanos(f.time).to_panther(),
            last_event_time: EventTime::from_unix_nanos(w.last).to_panther(),
            first_ns: f.time,
            last_ns: w.last,
            events: w.count,
            context: f
                .context
                .as_deref()
                .map(|c| serde_json::from_str(c).unwrap_or(serde_json::Value::String(c.into()))),
            destinations: f.destinations.clone(),
            runbook: f.runbook.clone(),
            description: f.description.clone(),
            reference: f.reference.clone(),
            error: f.message.clone(),
            origin: f.origin.clone(),
        })
    }

    /// Closes every window still open (the end of the replay).
    pub fn finish_all(mut self, sink: &mut dyn AlertSink) -> std::io::Result<u64> {
        self.close_until(i64::MAX, sink)?;
        let mut rest: Vec<Window> = self.open.drain().map(|(_, w)| w).collect();
        rest.sort_by_key(|w| w.first.key());
        for w in rest {
            self.finish(w, sink)?;
        }
        Ok(self.next_alert)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = NANOS_PER_MINUTE;

    #[derive(Default)]
    struct Collect {
        alerts: Vec<Alert>,
        events: Vec<(u64, u64)>,
    }

    impl AlertSink for Collect {
        fn event(&mut self, alert: u64, m: &Match) -> std::io::Result<()> {
            self.events.push((alert, m.seq));
            Ok(())
        }
        fn alert(&mut self, alert: Alert) -> std::io::Result<()> {
            self.alerts.push(alert);
            Ok(())
        }
    }

    fn rule(period: i64, threshold: u64) -> GroupRule {
        GroupRule {
            id: "R".into(),
            period_minutes: period,
            threshold,
            fallback_title: "Display".into(),
            severity: Some("low".into()),
        }
    }

    fn hit(seq: u64, minute: i64, dedup: &str, unique: Option<&str>) -> Match {
        Match {
            detection: 0,
            kind: MatchKind::Alert,
            time: minute * MIN,
            seq,
            dedup: dedup.into(),
            title: (seq == 0).then(|| "first title".to_string()),
            severity: None,
            unique: unique.map(str::to_string),
            context: None,
            destinations: None,
            runbook: None,
            description: None,
            reference: None,
            message: None,
            origin: format!("f:{seq}"),
            event: None,
        }
    }

    fn group(rules: Vec<GroupRule>, matches: Vec<Match>) -> Collect {
        let mut g = Grouper::new(rules);
        let mut sink = Collect::default();
        for m in matches {
            g.add(m, &mut sink).unwrap();
        }
        g.finish_all(&mut sink).unwrap();
        sink.alerts.sort_by_key(|a| a.id);
        sink
    }

    #[test]
    fn a_match_at_the_end_of_the_period_opens_a_new_alert() {
        let out = group(
            vec![rule(60, 1)],
            vec![
                hit(0, 0, "a", None),
                hit(1, 59, "a", None),
                hit(2, 60, "a", None),
                hit(3, 61, "b", None),
            ],
        );
        let counts: Vec<(String, u64)> = out
            .alerts
            .iter()
            .map(|a| (a.dedup.clone(), a.events))
            .collect();
        assert_eq!(
            counts,
            vec![("a".into(), 2), ("a".into(), 1), ("b".into(), 1)]
        );
        // The opener's title; a later window without title() falls back to the display name;
        // the spec's severity, upper-cased.
        assert_eq!(out.alerts[0].title, "first title");
        assert_eq!(out.alerts[1].title, "Display");
        assert_eq!(out.alerts[0].severity, "LOW");
        assert_eq!(out.events, vec![(0, 0), (0, 1), (1, 2), (2, 3)]);
    }

    #[test]
    fn a_threshold_raises_once_enough_matches_share_a_period() {
        let out = group(
            vec![rule(10, 3)],
            vec![
                hit(0, 0, "a", None),
                hit(1, 5, "a", None),
                // the window [0, 10) ended with 2 matches: no alert
                hit(2, 12, "a", None),
                hit(3, 13, "a", None),
                hit(4, 14, "a", None),
                hit(5, 15, "a", None),
            ],
        );
        assert_eq!(out.alerts.len(), 1);
        assert_eq!(out.alerts[0].events, 4);
        assert_eq!(out.alerts[0].first_ns, 12 * MIN);
        assert_eq!(out.events, vec![(0, 2), (0, 3), (0, 4), (0, 5)]);
    }

    #[test]
    fn with_unique_the_threshold_counts_distinct_values() {
        let out = group(
            vec![rule(60, 2)],
            vec![
                hit(0, 0, "a", Some("x")),
                hit(1, 1, "a", Some("x")),
                hit(2, 2, "a", Some("x")),
                hit(3, 70, "a", Some("x")),
                hit(4, 71, "a", Some("y")),
            ],
        );
        assert_eq!(out.alerts.len(), 1);
        assert_eq!(out.alerts[0].first_ns, 70 * MIN);
        assert_eq!(out.alerts[0].events, 2);
    }

    #[test]
    fn errors_group_by_exception_class_with_no_threshold() {
        let mut e = hit(0, 0, "KeyError", None);
        e.kind = MatchKind::Error;
        e.message = Some("'x'".into());
        let mut e2 = e.clone();
        e2.seq = 1;
        let out = group(vec![rule(60, 5)], vec![e, e2]);
        assert_eq!(out.alerts.len(), 1);
        assert_eq!(out.alerts[0].kind, MatchKind::Error);
        assert_eq!(out.alerts[0].events, 2);
        assert_eq!(out.alerts[0].title, "R raised KeyError: 'x'");
    }
}

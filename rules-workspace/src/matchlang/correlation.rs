//! Correlation rules, evaluated locally on their tests' `RuleOutputs`.
//!
//! A correlation rule watches the *signals* other detections emit (a signal is a match, with
//! the event and its alert context) and fires when a `Group` of them, or a `Sequence`, happens
//! within its lookback window. Its tests give those signals directly, no events:
//! `RuleOutputs: [{ID: <member ID>, Matches: {<field path>: {<value>: [times]}}}]`, a time
//! being minutes (an integer offset; only differences matter) or an RFC 3339 timestamp.
//!
//! Panther documents the format but not every rule of the evaluation; the reading here is
//! the one under which every correlation-rule test panther-analysis ships (91 at the time of
//! writing, and those of the releases since v3.81.0) gives its `ExpectedResult`, and
//! `docs/match-language.md` lists each choice:
//! - the evaluation instant is the latest signal of the test; only signals within
//!   `LookbackWindowMinutes` (default 15) of it count;
//! - members join on one value: each member's signals count when their value at the member's
//!   match path (`MatchCriteria`, or the transitions' `On` / `From` / `To`) equals it, values
//!   compared as text; a member without a match path counts all its signals;
//! - `Group`: every present member has at least `MinMatchCount` (default 1) signals, at most
//!   `MaxMatchCount`, and every `Absence: true` member none, in the window, in any order;
//! - `Sequence`: each present step completes at one of its signals once `MinMatchCount` have
//!   come; along each transition From → To the later step completes 0 to
//!   `WithinTimeFrameMinutes` (default: the lookback) after the earlier, ends included; an
//!   absent `To` means no such signal within that time after `From`, an absent `From` none
//!   within that time before `To`. Without `Transitions`, the steps follow in list order.

use super::parse_key_path;
use crate::spec::{Node, Span, Value};
use std::collections::{BTreeMap, BTreeSet};

/// A member of a `Group` or a step of a `Sequence`.
#[derive(Debug, Clone)]
struct Member {
    id: String,
    min: usize,
    max: Option<usize>,
    absence: bool,
    /// Match paths the member joins on (empty: any signal of the member counts).
    paths: BTreeSet<String>,
}

#[derive(Debug, Clone)]
struct Transition {
    from: usize,
    to: usize,
    within_ms: i64,
}

/// A correlation rule's `Detection`, read.
#[derive(Debug, Clone)]
pub struct Correlation {
    sequence: bool,
    members: Vec<Member>,
    transitions: Vec<Transition>,
    lookback_ms: i64,
    /// Whether any member joins on a value.
    joined: bool,
}

/// A problem in a correlation rule or one of its tests.
pub type Problem = super::Problem;

/// One test's verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// `Name`.
    pub name: String,
    /// `ExpectedResult`.
    pub expected: bool,
    /// Whether the rule fires on the test's signals (`None`: the test could not be read).
    pub fired: Option<bool>,
    /// Why the test could not be read.
    pub error: Option<String>,
}

impl Verdict {
    /// PASS: the rule did what the test expects.
    pub fn passed(&self) -> bool {
        self.fired == Some(self.expected)
    }
}

const MINUTE_MS: i64 = 60_000;

/// Choices of step times tried per join value before a test is refused (a few hundred
/// thousand take milliseconds; real tests need tens).
const SEARCH_BUDGET: u64 = 500_000;

fn int(node: Option<&Node>) -> Option<i64> {
    match node.map(|n| &n.value) {
        Some(Value::Int(i)) => i64::try_from(*i).ok(),
        _ => None,
    }
}

/// Reads a correlation rule's `Detection`.
pub fn read(spec: &Node) -> Result<Correlation, Vec<Problem>> {
    let problem = |span: Span, message: &str| {
        vec![Problem {
            span,
            message: message.to_owned(),
        }]
    };
    let detection = spec
        .get("Detection")
        .ok_or_else(|| problem(spec.span, "no `Detection`"))?;
    let block = detection.as_list().and_then(|l| l.first()).ok_or_else(|| {
        problem(
            detection.span,
            "`Detection` is a list with a Sequence or a Group",
        )
    })?;
    let (sequence, list) = match (block.get("Sequence"), block.get("Group")) {
        (Some(s), None) => (true, s),
        (None, Some(g)) => (false, g),
        _ => {
            return Err(problem(
                block.span,
                "the block has a `Sequence` or a `Group`",
            ))
        }
    };
    let mut members = Vec::new();
    for m in list.as_list().unwrap_or_default() {
        let rule_id = m.get("RuleID").and_then(Node::as_str);
        let id = m.get("ID").and_then(Node::as_str).or(rule_id);
        let Some(id) = id else {
            return Err(problem(m.span, "a member needs a `RuleID`"));
        };
        members.push(Member {
            id: id.to_owned(),
            min: int(m.get("MinMatchCount")).map_or(1, |n| n.max(1) as usize),
            max: int(m.get("MaxMatchCount")).map(|n| n.max(0) as usize),
            absence: m.get("Absence").and_then(Node::as_bool).unwrap_or(false),
            paths: BTreeSet::new(),
        });
    }
    if members.is_empty() {
        return Err(problem(list.span, "no members"));
    }
    let lookback_ms = int(block.get("LookbackWindowMinutes")).unwrap_or(15).max(0) * MINUTE_MS;
    let index = |id: &str, span: Span| -> Result<usize, Vec<Problem>> {
        members
            .iter()
            .position(|m| m.id == id)
            .ok_or_else(|| problem(span, &format!("`{id}` is not the ID of a member")))
    };
    let mut transitions = Vec::new();
    let mut paths: Vec<(usize, String)> = Vec::new();
    if sequence {
        match block.get("Transitions").and_then(Node::as_list) {
            Some(list) if !list.is_empty() => {
                for t in list {
                    let end = |key: &str| {
                        t.get(key)
                            .and_then(Node::as_str)
                            .ok_or_else(|| problem(t.span, &format!("a transition needs `{key}`")))
                    };
                    let from = index(end("From")?, t.span)?;
                    let to = index(end("To")?, t.span)?;
                    let within_ms = int(t.get("WithinTimeFrameMinutes"))
                        .map_or(lookback_ms, |m| m.max(0) * MINUTE_MS);
                    let matched = t
                        .get("Match")
                        .and_then(Node::as_list)
                        .and_then(|l| l.first());
                    if let Some(m) = matched {
                        let on = m.get("On").and_then(Node::as_str);
                        let pf = m.get("From").and_then(Node::as_str).or(on);
                        let pt = m.get("To").and_then(Node::as_str).or(on);
                        if let (Some(pf), Some(pt)) = (pf, pt) {
                            paths.push((from, pf.to_owned()));
                            paths.push((to, pt.to_owned()));
                        }
                    }
                    transitions.push(Transition {
                        from,
                        to,
                        within_ms,
                    });
                }
            }
            // No transitions: the steps follow in list order.
            _ => {
                for i in 1..members.len() {
                    transitions.push(Transition {
                        from: i - 1,
                        to: i,
                        within_ms: lookback_ms,
                    });
                }
            }
        }
    } else if let Some(criteria) = block.get("MatchCriteria").and_then(Node::as_map) {
        for criterion in criteria {
            for entry in criterion.value.as_list().unwrap_or_default() {
                let (Some(group), Some(path)) = (
                    entry.get("GroupID").and_then(Node::as_str),
                    entry.get("Match").and_then(Node::as_str),
                ) else {
                    return Err(problem(
                        entry.span,
                        "a match criterion has GroupID and Match",
                    ));
                };
                paths.push((index(group, entry.span)?, path.to_owned()));
            }
        }
    }
    for (m, path) in &paths {
        if let Err(message) = parse_key_path(path) {
            return Err(problem(block.span, &message));
        }
        members[*m].paths.insert(path.clone());
    }
    let joined = !paths.is_empty();
    Ok(Correlation {
        sequence,
        members,
        transitions,
        lookback_ms,
        joined,
    })
}

/// A signal of a test: which member, at which path, with which value, when (ms).
#[derive(Debug, Clone)]
struct Signal {
    member: String,
    path: String,
    value: String,
    at: i64,
}

/// A `Matches` value key as text (values are compared as text).
fn key_text(node: &Node) -> String {
    match &node.value {
        Value::Str(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".into(),
        _ => node.to_json().to_string(),
    }
}

fn time_ms(node: &Node) -> Result<i64, String> {
    match &node.value {
        Value::Int(i) => i64::try_from(*i)
            .ok()
            .and_then(|m| m.checked_mul(MINUTE_MS))
            .ok_or_else(|| format!("{i} minutes is out of range")),
        Value::Float(f) if f.is_finite() => Ok((f * MINUTE_MS as f64) as i64),
        Value::Str(s) => crate::replay::time::EventTime::parse(s)
            .map(|t| t.unix_nanos() / 1_000_000)
            .ok_or_else(|| format!("`{s}` is neither minutes nor an RFC 3339 time")),
        _ => Err(format!(
            "a time is minutes or an RFC 3339 time, not {}",
            node.value.type_name()
        )),
    }
}

fn signals(test: &Node) -> Result<Vec<Signal>, String> {
    let mut out = Vec::new();
    let mut kinds = BTreeSet::new();
    for output in test
        .get("RuleOutputs")
        .and_then(Node::as_list)
        .unwrap_or_default()
    {
        let member = output
            .get("ID")
            .and_then(Node::as_str)
            .ok_or("a RuleOutputs entry needs an `ID`")?;
        for path in output
            .get("Matches")
            .and_then(Node::as_map)
            .unwrap_or_default()
        {
            let path_text = key_text(&path.key);
            for value in path.value.as_map().unwrap_or_default() {
                for time in value.value.as_list().unwrap_or_default() {
                    kinds.insert(matches!(time.value, Value::Str(_)));
                    out.push(Signal {
                        member: member.to_owned(),
                        path: path_text.clone(),
                        value: key_text(&value.key),
                        at: time_ms(time)?,
                    });
                }
            }
        }
    }
    if kinds.len() > 1 {
        return Err("a test mixes minute offsets and timestamps".into());
    }
    Ok(out)
}

impl Correlation {
    /// Whether the rule fires on these signals; an error when a sequence has so many
    /// signals that choosing the steps' times would take too long (a test, not a log).
    fn fires(&self, signals: &[Signal]) -> Result<bool, String> {
        let Some(now) = signals.iter().map(|s| s.at).max() else {
            return Ok(false);
        };
        let budget = std::cell::Cell::new(SEARCH_BUDGET);
        let start = now.saturating_sub(self.lookback_ms);
        let in_window: Vec<&Signal> = signals.iter().filter(|s| s.at >= start).collect();
        let values: BTreeSet<Option<&str>> = if self.joined {
            in_window.iter().map(|s| Some(s.value.as_str())).collect()
        } else {
            [None].into()
        };
        for v in values {
            // Per member: the times of its signals that count for value `v`, in order.
            let times: Vec<Vec<i64>> = self
                .members
                .iter()
                .map(|m| {
                    let mut t: Vec<i64> = in_window
                        .iter()
                        .filter(|s| s.member == m.id)
                        .filter(|s| match v {
                            Some(v) if !m.paths.is_empty() => {
                                m.paths.contains(&s.path) && s.value == v
                            }
                            _ => true,
                        })
                        .map(|s| s.at)
                        .collect();
                    t.sort_unstable();
                    t
                })
                .collect();
            let holds = if self.sequence {
                self.sequence_holds(&times, &budget)
            } else {
                self.members.iter().zip(&times).all(|(m, t)| {
                    if m.absence {
                        t.is_empty()
                    } else {
                        t.len() >= m.min && m.max.is_none_or(|max| t.len() <= max)
                    }
                })
            };
            if budget.get() == 0 {
                return Err(format!(
                    "too many signals to order ({} steps tried): a test this large is not evaluated",
                    SEARCH_BUDGET
                ));
            }
            if holds {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn sequence_holds(&self, times: &[Vec<i64>], budget: &std::cell::Cell<u64>) -> bool {
        // Present steps whose count allows them, and their possible completion times.
        let mut candidates: Vec<Vec<i64>> = Vec::with_capacity(self.members.len());
        for (m, t) in self.members.iter().zip(times) {
            if m.absence {
                candidates.push(Vec::new());
                continue;
            }
            if t.len() < m.min || m.max.is_some_and(|max| t.len() > max) {
                return false;
            }
            // Equal times are one choice.
            let mut c = t[m.min - 1..].to_vec();
            c.dedup();
            candidates.push(c);
        }
        let present: Vec<usize> = (0..self.members.len())
            .filter(|&i| !self.members[i].absence)
            .collect();
        let mut chosen: Vec<Option<i64>> = vec![None; self.members.len()];
        self.assign(&present, 0, &candidates, times, &mut chosen, budget)
    }

    /// Depth-first choice of a completion time per present step.
    fn assign(
        &self,
        present: &[usize],
        next: usize,
        candidates: &[Vec<i64>],
        times: &[Vec<i64>],
        chosen: &mut Vec<Option<i64>>,
        budget: &std::cell::Cell<u64>,
    ) -> bool {
        if budget.get() == 0 {
            return false;
        }
        budget.set(budget.get() - 1);
        if next == present.len() {
            return self.absences_hold(times, chosen);
        }
        let step = present[next];
        for &t in &candidates[step] {
            chosen[step] = Some(t);
            let consistent =
                self.transitions
                    .iter()
                    .all(|tr| match (chosen[tr.from], chosen[tr.to]) {
                        (Some(a), Some(b)) => b >= a && b - a <= tr.within_ms,
                        _ => true,
                    });
            if consistent && self.assign(present, next + 1, candidates, times, chosen, budget) {
                return true;
            }
        }
        chosen[step] = None;
        false
    }

    fn absences_hold(&self, times: &[Vec<i64>], chosen: &[Option<i64>]) -> bool {
        self.transitions.iter().all(|tr| {
            let (from_absent, to_absent) =
                (self.members[tr.from].absence, self.members[tr.to].absence);
            match (from_absent, to_absent, chosen[tr.from], chosen[tr.to]) {
                // A NOT FOLLOWED BY B within the time frame.
                (false, true, Some(a), _) => !times[tr.to]
                    .iter()
                    .any(|&b| b >= a && b - a <= tr.within_ms),
                // B NOT PRECEDED BY A within the time frame.
                (true, false, _, Some(b)) => !times[tr.from]
                    .iter()
                    .any(|&a| b >= a && b - a <= tr.within_ms),
                _ => true,
            }
        })
    }
}

/// Runs a correlation rule's tests (those `wanted` selects), in spec order.
pub fn run_tests(
    spec: &Node,
    wanted: &dyn Fn(&Node) -> bool,
) -> Result<Vec<Verdict>, Vec<Problem>> {
    let rule = read(spec)?;
    let mut verdicts = Vec::new();
    for test in spec
        .get("Tests")
        .and_then(Node::as_list)
        .unwrap_or_default()
    {
        if !wanted(test) {
            continue;
        }
        let name = test
            .get("Name")
            .map(|n| n.value.py_str())
            .unwrap_or_default();
        let expected = test.get("ExpectedResult").is_some_and(Node::is_truthy);
        let verdict = match signals(test) {
            Ok(signals) => match rule.fires(&signals) {
                Ok(fired) => Verdict {
                    name,
                    expected,
                    fired: Some(fired),
                    error: None,
                },
                Err(error) => Verdict {
                    name,
                    expected,
                    fired: None,
                    error: Some(error),
                },
            },
            Err(error) => Verdict {
                name,
                expected,
                fired: None,
                error: Some(error),
            },
        };
        verdicts.push(verdict);
    }
    Ok(verdicts)
}

/// The `RuleID` of every member, with its place.
pub fn member_rule_ids(spec: &Node) -> Vec<(String, Span)> {
    let block = spec
        .get("Detection")
        .and_then(Node::as_list)
        .and_then(|l| l.first());
    let members = block.and_then(|b| b.get("Sequence").or_else(|| b.get("Group")));
    members
        .and_then(Node::as_list)
        .unwrap_or_default()
        .iter()
        .filter_map(|m| {
            let n = m.get("RuleID")?;
            Some((n.as_str()?.to_owned(), n.span))
        })
        .collect()
}

/// The member IDs a correlation rule's tests may name, per member (for the editor).
pub fn member_ids(spec: &Node) -> BTreeMap<String, BTreeSet<String>> {
    read(spec)
        .map(|c| c.members.into_iter().map(|m| (m.id, m.paths)).collect())
        .unwrap_or_default()
}

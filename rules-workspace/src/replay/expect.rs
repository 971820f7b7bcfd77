//! Replays as regression tests: an expectations file records the alerts a log corpus raises
//! per detection (and, optionally, per title); a later replay is compared with it.
//!
//! The file is JSON, written with sorted keys so it diffs well in review:
//! `{"alerts": {"ID": 3, …}, "error_alerts": {"ID": 1}, "titles": {"ID": {"title": 2}}}`.
//! Every detection the replay ran is listed in `alerts`, with 0 when it raised nothing (a
//! detection that stops alerting is a difference too). `error_alerts` lists detections with
//! error alerts. `titles` is optional: when present, titles are compared too.

use super::group::Alert;
use super::matches::MatchKind;
use super::run::ReplayReport;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a replay is expected to raise.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectations {
    /// Alerts per detection.
    pub alerts: BTreeMap<String, u64>,
    /// Error alerts per detection (detections without any are left out).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub error_alerts: BTreeMap<String, u64>,
    /// Alerts per detection and title (compared only when present).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub titles: Option<BTreeMap<String, BTreeMap<String, u64>>>,
}

impl Expectations {
    /// What `report` raised; with `titles`, per title too. Needs every alert in the report
    /// (`alerts_omitted == 0`) for titles.
    pub fn of(report: &ReplayReport, titles: bool) -> Expectations {
        let mut out = Expectations::default();
        for d in &report.detections {
            out.alerts.insert(d.id.clone(), d.alerts);
            if d.error_alerts > 0 {
                out.error_alerts.insert(d.id.clone(), d.error_alerts);
            }
        }
        if titles {
            out.titles = Some(title_counts(&report.alerts));
        }
        out
    }

    /// The differences from `actual`, one line each (empty when they agree).
    pub fn compare(&self, actual: &Expectations) -> Vec<String> {
        let mut diff = Vec::new();
        count_diff(&mut diff, "alerts", &self.alerts, &actual.alerts);
        count_diff(
            &mut diff,
            "error alerts",
            &self.error_alerts,
            &actual.error_alerts,
        );
        if let (Some(want), Some(got)) = (&self.titles, &actual.titles) {
            let ids: std::collections::BTreeSet<&String> = want.keys().chain(got.keys()).collect();
            let empty = BTreeMap::new();
            for id in ids {
                let (w, g) = (
                    want.get(id).unwrap_or(&empty),
                    got.get(id).unwrap_or(&empty),
                );
                let titles: std::collections::BTreeSet<&String> =
                    w.keys().chain(g.keys()).collect();
                for t in titles {
                    let (a, b) = (
                        w.get(t).copied().unwrap_or(0),
                        g.get(t).copied().unwrap_or(0),
                    );
                    if a != b {
                        diff.push(format!("{id}: title {t:?}: expected {a}, got {b}"));
                    }
                }
            }
        }
        diff
    }

    /// The file's text.
    pub fn to_text(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("plain data");
        text.push('\n');
        text
    }
}

fn count_diff(
    diff: &mut Vec<String>,
    what: &str,
    want: &BTreeMap<String, u64>,
    got: &BTreeMap<String, u64>,
) {
    let ids: std::collections::BTreeSet<&String> = want.keys().chain(got.keys()).collect();
    for id in ids {
        match (want.get(id), got.get(id)) {
            (Some(a), Some(b)) if a != b => {
                diff.push(format!("{id}: expected {a} {what}, got {b}"))
            }
            (Some(a), None) if *a > 0 || what == "alerts" => diff.push(format!(
                "{id}: expected {a} {what}, but it did not run (not selected, disabled or removed)"
            )),
            (None, Some(b)) if *b > 0 || what == "alerts" => {
                diff.push(format!("{id}: not in the expectations, got {b} {what}"))
            }
            _ => {}
        }
    }
}

fn title_counts(alerts: &[Alert]) -> BTreeMap<String, BTreeMap<String, u64>> {
    let mut out: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for a in alerts.iter().filter(|a| a.kind == MatchKind::Alert) {
        *out.entry(a.detection.clone())
            .or_default()
            .entry(a.title.clone())
            .or_default() += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
    }

    #[test]
    fn differences_name_the_detection_and_both_counts() {
        let want = Expectations {
            alerts: counts(&[("A", 3), ("B", 0), ("Gone", 1)]),
            ..Expectations::default()
        };
        let got = Expectations {
            alerts: counts(&[("A", 5), ("B", 0), ("New", 2)]),
            error_alerts: counts(&[("B", 1)]),
            ..Expectations::default()
        };
        assert_eq!(
            want.compare(&got),
            vec![
                "A: expected 3 alerts, got 5",
                "Gone: expected 1 alerts, but it did not run (not selected, disabled or removed)",
                "New: not in the expectations, got 2 alerts",
                "B: not in the expectations, got 1 error alerts",
            ]
        );
        assert!(want.compare(&want).is_empty());
    }

    #[test]
    fn titles_are_compared_only_when_the_file_has_them() {
        let mut want = Expectations {
            alerts: counts(&[("A", 1)]),
            ..Expectations::default()
        };
        let mut got = want.clone();
        got.titles = Some(BTreeMap::from([("A".into(), counts(&[("x", 1)]))]));
        assert!(want.compare(&got).is_empty());
        want.titles = Some(BTreeMap::from([("A".into(), counts(&[("y", 1)]))]));
        assert_eq!(
            want.compare(&got),
            vec![
                "A: title \"x\": expected 0, got 1",
                "A: title \"y\": expected 1, got 0"
            ]
        );
        let text = want.to_text();
        assert_eq!(serde_json::from_str::<Expectations>(&text).unwrap(), want);
    }
}

//! The merged result checked before it is committed: PAT's validation of every item the merge
//! touched (and of what depends on them: a helper's or a data model's detections), and their
//! unit tests, with the reason each failing test fails. `touched_files` are the files the merge
//! wrote: a spec among them that no longer loads (conflict markers, broken YAML) is reported
//! by path.

use crate::engine::pool::Pool;
use crate::spec::AnalysisType;
use crate::testing::{TestError, TestOptions};
use crate::workspace::Workspace;
use std::collections::{BTreeMap, BTreeSet};

/// One item's problems after the merge.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
#[ts(rename = "UpstreamItemCheck")]
pub struct ItemCheck {
    /// The item's ID.
    pub id: String,
    /// Its spec.
    pub path: String,
    /// Validation errors (PAT's), with their line.
    pub invalid: Vec<String>,
    /// Tests that fail: `name: why`.
    pub failing: Vec<String>,
    /// Tests that ran.
    pub tests: usize,
}

impl ItemCheck {
    fn new(id: String, path: String) -> ItemCheck {
        ItemCheck {
            id,
            path,
            invalid: Vec::new(),
            failing: Vec::new(),
            tests: 0,
        }
    }

    /// Whether the item is valid and its tests pass.
    pub fn ok(&self) -> bool {
        self.invalid.is_empty() && self.failing.is_empty()
    }
}

/// The check of a merged tree.
#[derive(Debug, Clone, Default, serde::Serialize, ts_rs::TS)]
#[ts(rename = "UpstreamCheck")]
pub struct CheckReport {
    /// Every item checked (touched or depending on something touched), problems first.
    pub items: Vec<ItemCheck>,
    /// Items that failed validation or tests.
    pub failed: usize,
}

/// The indexes of the items touched by the merge and of everything that depends on them.
pub fn affected(ws: &Workspace, touched: &[String]) -> Vec<usize> {
    let mut out: BTreeSet<usize> = BTreeSet::new();
    for id in touched {
        if let Some(i) = ws.index.get(id) {
            out.extend(ws.index.affected_by(i, &ws.items));
        }
    }
    out.into_iter().collect()
}

/// Validates the affected items and runs their tests.
pub fn verify(
    ws: &Workspace,
    pool: &mut Pool,
    touched: &[String],
    touched_files: &[String],
    timeout: std::time::Duration,
) -> Result<CheckReport, TestError> {
    let selection = affected(ws, touched);
    let mut by_id: BTreeMap<String, ItemCheck> = BTreeMap::new();
    for &i in &selection {
        let item = &ws.items[i];
        by_id.insert(
            item.id.clone(),
            ItemCheck::new(item.id.clone(), item.rel_path.clone()),
        );
    }
    let rel_to_id: BTreeMap<&str, &str> = selection
        .iter()
        .map(|&i| (ws.items[i].rel_path.as_str(), ws.items[i].id.as_str()))
        .collect();
    // Cross-item checks (packs, duplicate IDs) need the whole workspace; only the affected
    // items' problems are reported.
    let everything: Vec<usize> = (0..ws.items.len()).collect();
    let affected_paths: BTreeSet<&str> = selection
        .iter()
        .map(|&i| ws.items[i].rel_path.as_str())
        .chain(touched_files.iter().map(String::as_str))
        .collect();
    for d in ws.check(&everything) {
        if !d.is_error() || !affected_paths.contains(d.rel_path.as_str()) {
            continue;
        }
        if d.file.exists()
            && std::fs::read_to_string(&d.file).is_ok_and(|t| super::text::has_conflict_markers(&t))
        {
            let line = format!("{}: conflict markers: resolve them first", d.rel_path);
            let entry = by_id
                .entry(d.rel_path.clone())
                .or_insert_with(|| ItemCheck::new(d.rel_path.clone(), d.rel_path.clone()));
            if !entry.invalid.contains(&line) {
                entry.invalid.push(line);
            }
            continue;
        }
        let place = match d.span {
            Some(s) => format!("{}:{}", d.rel_path, s.line),
            None => d.rel_path.clone(),
        };
        let line = format!("{place}: {}", d.summary);
        match rel_to_id
            .get(d.rel_path.as_str())
            .and_then(|id| by_id.get_mut(*id))
        {
            Some(c) => c.invalid.push(line),
            None => {
                by_id
                    .entry(d.rel_path.clone())
                    .or_insert_with(|| ItemCheck::new(d.rel_path.clone(), d.rel_path.clone()))
                    .invalid
                    .push(line);
            }
        }
    }
    let detections: BTreeSet<String> = selection
        .iter()
        .filter(|&&i| {
            ws.items[i].analysis_type.is_detection()
                || ws.items[i].analysis_type == AnalysisType::CorrelationRule
        })
        .map(|&i| ws.items[i].id.clone())
        .collect();
    if !detections.is_empty() {
        let options = TestOptions {
            only: Some(detections),
            timeout,
            path_label: ws.root.display().to_string(),
            local: true,
            ..TestOptions::default()
        };
        let run = crate::testing::run(ws, pool, &options)?;
        let all = run
            .detections
            .iter()
            .chain(run.local.iter().flat_map(|l| l.detections.iter()));
        for det in all {
            let Some(c) = by_id.get_mut(&det.id) else {
                continue;
            };
            c.tests += det.results.len();
            let code_marked = ws
                .index
                .get(&det.id)
                .and_then(|i| ws.items[i].code_path.as_ref())
                .and_then(|p| std::fs::read_to_string(p).ok())
                .is_some_and(|t| super::text::has_conflict_markers(&t));
            if code_marked {
                c.failing
                    .push("(loading) conflict markers in the code: resolve them first".into());
                continue;
            }
            if let Some(e) = &det.setup_error {
                c.failing.push(format!(
                    "(loading) {}: {}",
                    e.kind.as_deref().unwrap_or("Error"),
                    e.message.as_deref().unwrap_or("")
                ));
            }
            for t in &det.results {
                if t.clean_pass() {
                    continue;
                }
                let why = if let Some(o) = &t.out_of_band {
                    o.message.clone()
                } else if t.errored == Some(true) {
                    "a function raised an exception".to_owned()
                } else {
                    match t.trigger_alert {
                        Some(true) => "the detection matched; the test expects no alert".to_owned(),
                        Some(false) => {
                            "the detection did not match; the test expects an alert".to_owned()
                        }
                        None => "failed".to_owned(),
                    }
                };
                c.failing.push(format!("{}: {why}", t.name));
            }
        }
    }
    let mut items: Vec<ItemCheck> = by_id.into_values().collect();
    items.sort_by_key(|c| (c.ok(), c.id.clone()));
    let failed = items.iter().filter(|c| !c.ok()).count();
    Ok(CheckReport { items, failed })
}

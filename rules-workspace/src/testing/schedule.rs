//! Which requests share a worker, and in which order jobs are handed out.
//!
//! Detections that import (directly or through other helpers) a global the harness found
//! sticky (it prints when imported, or keeps state its functions change) share one job, run in
//! PAT's order on one worker, so they see that helper exactly as in one PAT run; every other
//! detection is a job of its own. A data model importing a sticky helper makes the whole run
//! one job. Jobs are then ordered slowest first by the last run's timings, so no worker is left
//! with a long detection at the end while the others idle. Output order is unaffected: the
//! collector prints in PAT's order whatever the schedule.

use super::plan::DetectionRequest;
use super::timings::Timings;
use crate::engine::messages::{GlobalTraits, Request};
use crate::engine::pool::Step;
use crate::spec::{AnalysisItem, AnalysisType};
use crate::workspace::Workspace;
use std::collections::{BTreeSet, HashMap};

/// Every request in one job, in PAT's order (one worker, or no global helper to share).
pub(super) fn sequential(requests: &[DetectionRequest]) -> Vec<Vec<Step>> {
    vec![steps(requests).collect()]
}

fn steps<'r>(requests: &'r [DetectionRequest]) -> impl Iterator<Item = Step> + 'r {
    requests
        .iter()
        .enumerate()
        .map(|(i, r)| (i, Request::RunDetection(r.body.clone())))
}

/// Jobs for parallel workers: grouped by the sticky helpers they reach, slowest first.
pub(super) fn parallel(
    ws: &Workspace,
    selected: &[&AnalysisItem],
    requests: &[DetectionRequest],
    traits: &GlobalTraits,
    timings: &Timings,
) -> Vec<Vec<Step>> {
    let jobs = group_by_sticky_helpers(ws, selected, requests, traits);
    let cost = |job: &Vec<Step>| -> f64 {
        job.iter()
            .map(|(i, _)| timings.estimate(&requests[*i].body.id))
            .sum()
    };
    let mut costed: Vec<(f64, Vec<Step>)> = jobs.into_iter().map(|j| (cost(&j), j)).collect();
    costed.sort_by(|a, b| b.0.total_cmp(&a.0));
    costed.into_iter().map(|(_, j)| j).collect()
}

/// The global helpers `item` reaches through its imports and theirs (among `selected`).
fn reach(ws: &Workspace, selected: &[&AnalysisItem], item: &AnalysisItem) -> BTreeSet<String> {
    let globals: HashMap<&str, &AnalysisItem> = selected
        .iter()
        .filter(|i| i.analysis_type == AnalysisType::Global)
        .map(|i| (i.id.as_str(), *i))
        .collect();
    let imports = |item: &AnalysisItem| -> Vec<String> {
        ws.index
            .get(&item.id)
            .filter(|&k| std::ptr::eq(&ws.items[k], item))
            .map(|k| ws.index.imports(k).to_vec())
            .unwrap_or_default()
    };
    let mut seen = BTreeSet::new();
    let mut stack = imports(item);
    while let Some(m) = stack.pop() {
        if let Some(g) = globals.get(m.as_str()) {
            if seen.insert(m.clone()) {
                stack.extend(imports(g));
            }
        }
    }
    seen
}

/// Whether a run of these items can change a sticky helper's state: one of them, or a data
/// model, reaches a helper the harness found sticky. When none does, the workers' modules are
/// as a fresh load left them, and the next run may reuse them.
pub(super) fn touches_sticky(
    ws: &Workspace,
    selected: &[&AnalysisItem],
    ran: &[&AnalysisItem],
    traits: &GlobalTraits,
) -> bool {
    let sticky: BTreeSet<&str> = traits.sticky().collect();
    if sticky.is_empty() {
        return false;
    }
    selected
        .iter()
        .filter(|i| i.analysis_type == AnalysisType::DataModel)
        .chain(ran.iter())
        .any(|i| {
            reach(ws, selected, i)
                .iter()
                .any(|g| sticky.contains(g.as_str()))
        })
}

fn group_by_sticky_helpers(
    ws: &Workspace,
    selected: &[&AnalysisItem],
    requests: &[DetectionRequest],
    traits: &GlobalTraits,
) -> Vec<Vec<Step>> {
    let sticky: BTreeSet<&str> = traits.sticky().collect();
    if sticky.is_empty() {
        return steps(requests).map(|s| vec![s]).collect();
    }
    let reach = |item: &AnalysisItem| reach(ws, selected, item);
    let models_sticky = selected
        .iter()
        .filter(|i| i.analysis_type == AnalysisType::DataModel)
        .any(|m| reach(m).iter().any(|g| sticky.contains(g.as_str())));
    if models_sticky {
        return sequential(requests);
    }
    // Union-find over sticky globals: a detection links every sticky global it reaches.
    let names: Vec<&str> = sticky.iter().copied().collect();
    let mut parent: Vec<usize> = (0..names.len()).collect();
    fn find(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    let reached: Vec<Vec<usize>> = requests
        .iter()
        .map(|r| {
            reach(r.code_item)
                .iter()
                .filter_map(|g| names.iter().position(|n| n == g))
                .collect()
        })
        .collect();
    for r in &reached {
        for w in r.windows(2) {
            let (a, b) = (find(&mut parent, w[0]), find(&mut parent, w[1]));
            parent[a] = b;
        }
    }
    let mut jobs: Vec<Vec<Step>> = Vec::new();
    let mut job_of_group: HashMap<usize, usize> = HashMap::new();
    for (step, r) in steps(requests).zip(&reached) {
        match r.first() {
            None => jobs.push(vec![step]),
            Some(&g) => {
                let root = find(&mut parent, g);
                match job_of_group.get(&root) {
                    Some(&j) => jobs[j].push(step),
                    None => {
                        job_of_group.insert(root, jobs.len());
                        jobs.push(vec![step]);
                    }
                }
            }
        }
    }
    jobs
}

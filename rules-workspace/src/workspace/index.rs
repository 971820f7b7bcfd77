//! The workspace index: items by ID and by file, and the dependency graph between them.
//!
//! Edges (item → what it needs): a detection or helper imports global helpers (parsed from its
//! Python imports, matched by `GlobalID`, which is the module name PAT gives a helper); a rule
//! uses the data models of its log types; a scheduled rule reads its scheduled queries; a
//! derived detection runs its base's code; a correlation rule correlates rules; a pack contains
//! its members. `affected_by` answers "which items must be re-checked when this file changes",
//! following the edges backwards and transitively (a helper imported by a helper).

use crate::spec::{AnalysisItem, AnalysisType};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// Why one item depends on another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DependencyKind {
    /// The item's Python file imports a global helper (by its `GlobalID`, the module name).
    ImportsGlobal,
    /// A rule's `LogTypes` include a log type this data model maps.
    UsesDataModel,
    /// A scheduled rule lists the scheduled query in `ScheduledQueries`.
    ReadsScheduledQuery,
    /// A derived detection names its base in `BaseDetection` and runs the base's code.
    DerivedFrom,
    /// A correlation rule's detection names the rule.
    Correlates,
    /// A pack lists the item in `PackDefinition.IDs`; only for listing, not behaviour.
    ContainsMember,
}

/// An edge of the dependency graph.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Dependency {
    /// How the item uses the other.
    pub kind: DependencyKind,
    /// The ID of the item depended on.
    pub id: String,
    /// Whether that ID exists in the workspace.
    pub resolved: bool,
}

/// Lookups over a set of items.
#[derive(Debug, Default)]
pub struct Index {
    by_id: HashMap<String, usize>,
    by_path: HashMap<PathBuf, Vec<usize>>,
    /// Per item, what it depends on.
    deps: Vec<Vec<Dependency>>,
    /// Per item, the items that depend on it directly.
    dependents: Vec<Vec<usize>>,
    /// Per item, the modules its Python file imports (top-level names).
    imports: Vec<Vec<String>>,
}

impl Index {
    /// Builds the index; reads each item's Python file to find its imports.
    pub fn build(items: &[AnalysisItem]) -> Index {
        let imports: Vec<Vec<String>> =
            crate::parallel::parallel_map(items.iter().collect(), |i| {
                i.code_path
                    .as_ref()
                    .filter(|p| p.extension().is_some_and(|e| e == "py"))
                    // Bounded, regular files only: a FIFO named as code must not hang the open.
                    .and_then(|p| super::read_bounded(p, super::save::MAX_TEXT_BYTES).ok())
                    .map(|src| python_imports(&String::from_utf8_lossy(&src)))
                    .unwrap_or_default()
            });
        Self::build_with_imports(items, imports)
    }

    /// Builds the index from already-known imports (for tests and incremental updates).
    pub fn build_with_imports(items: &[AnalysisItem], imports: Vec<Vec<String>>) -> Index {
        let mut by_id = HashMap::new();
        let mut by_path: HashMap<PathBuf, Vec<usize>> = HashMap::new();
        let mut log_type_models: HashMap<&str, Vec<&str>> = HashMap::new();
        for (i, item) in items.iter().enumerate() {
            by_id.insert(item.id.clone(), i);
            by_path.entry(item.spec_path.clone()).or_default().push(i);
            if let Some(code) = &item.code_path {
                by_path.entry(normalize(code)).or_default().push(i);
            }
            if item.analysis_type == AnalysisType::DataModel {
                for lt in &item.log_types {
                    log_type_models.entry(lt).or_default().push(&item.id);
                }
            }
        }
        let globals: BTreeSet<&str> = items
            .iter()
            .filter(|i| i.analysis_type == AnalysisType::Global)
            .map(|i| i.id.as_str())
            .collect();
        let mut deps = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let mut d: BTreeSet<Dependency> = BTreeSet::new();
            let mut add = |kind, id: &str| {
                d.insert(Dependency {
                    kind,
                    id: id.to_owned(),
                    resolved: by_id.contains_key(id),
                });
            };
            for module in &imports[i] {
                if globals.contains(module.as_str()) && *module != item.id {
                    add(DependencyKind::ImportsGlobal, module);
                }
            }
            if matches!(item.analysis_type, AnalysisType::Rule) {
                for lt in &item.log_types {
                    for model in log_type_models.get(lt.as_str()).into_iter().flatten() {
                        add(DependencyKind::UsesDataModel, model);
                    }
                }
            }
            for q in &item.scheduled_queries {
                add(DependencyKind::ReadsScheduledQuery, q);
            }
            if let Some(base) = &item.base_detection {
                add(DependencyKind::DerivedFrom, base);
            }
            for r in &item.correlated_rules {
                add(DependencyKind::Correlates, r);
            }
            for m in &item.pack_members {
                add(DependencyKind::ContainsMember, m);
            }
            deps.push(d.into_iter().collect::<Vec<_>>());
        }
        let mut dependents = vec![Vec::new(); items.len()];
        for (i, ds) in deps.iter().enumerate() {
            for dep in ds {
                // A pack does not change what its members do; it is a dependent only for listing.
                if let Some(&target) = by_id.get(&dep.id) {
                    dependents[target].push(i);
                }
            }
        }
        Index {
            by_id,
            by_path,
            deps,
            dependents,
            imports,
        }
    }

    /// The position in the items of the item with this ID (`RuleID`, `GlobalID`, …).
    pub fn get(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// Items whose spec or code is this file.
    pub fn by_path(&self, path: &Path) -> &[usize] {
        self.by_path
            .get(&normalize(path))
            .map_or(&[], Vec::as_slice)
    }

    /// What `item` depends on directly, sorted by kind then ID, unresolved IDs included.
    pub fn dependencies(&self, item: usize) -> &[Dependency] {
        &self.deps[item]
    }

    /// The top-level module names `item`'s Python file imports, helpers or not.
    pub fn imports(&self, item: usize) -> &[String] {
        &self.imports[item]
    }

    /// Items that depend on `item` directly.
    pub fn dependents(&self, item: usize) -> &[usize] {
        &self.dependents[item]
    }

    /// Every item whose behaviour a change to `item` can alter: itself and its transitive
    /// dependents, except packs (listing is not behaviour), in index order.
    pub fn affected_by(&self, item: usize, items: &[AnalysisItem]) -> Vec<usize> {
        let mut seen = vec![false; self.deps.len()];
        let mut stack = vec![item];
        while let Some(i) = stack.pop() {
            if std::mem::replace(&mut seen[i], true) {
                continue;
            }
            for &d in &self.dependents[i] {
                if items[d].analysis_type != AnalysisType::Pack {
                    stack.push(d);
                }
            }
        }
        seen.iter()
            .enumerate()
            .filter(|(_, s)| **s)
            .map(|(i, _)| i)
            .collect()
    }

    /// Items affected by a change to a file (spec or code).
    pub fn affected_by_path(&self, path: &Path, items: &[AnalysisItem]) -> Vec<usize> {
        let mut out = BTreeSet::new();
        for &i in self.by_path(path) {
            out.extend(self.affected_by(i, items));
        }
        out.into_iter().collect()
    }
}

fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The top-level module names a Python source imports (`import a.b as c, d` → a, d;
/// `from a.b import x` → a). Relative imports are skipped; imports anywhere in the file count
/// (a function-local import still makes the dependency). Text inside triple-quoted strings is
/// ignored.
pub fn python_imports(source: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut in_triple: Option<&str> = None;
    let mut continuation = false;
    for raw in source.lines() {
        let mut line = raw;
        if let Some(q) = in_triple {
            match line.find(q) {
                Some(end) => {
                    line = &line[end + 3..];
                    in_triple = None;
                }
                None => continue,
            }
        }
        for q in ["\"\"\"", "'''"] {
            if let Some(start) = line.find(q) {
                let rest = &line[start + 3..];
                if !rest.contains(q) {
                    in_triple = Some(q);
                }
                line = &line[..start];
            }
        }
        let line = line.split('#').next().unwrap_or("").trim();
        if continuation {
            continuation = line.ends_with('\\');
            continue;
        }
        let mut push = |name: &str| {
            let top = name.trim().split('.').next().unwrap_or("").trim();
            if !top.is_empty()
                && top.chars().all(|c| c.is_alphanumeric() || c == '_')
                && !out.iter().any(|o| o == top)
            {
                out.push(top.to_owned());
            }
        };
        for stmt in line.split(';') {
            let stmt = stmt.trim();
            if let Some(rest) = stmt.strip_prefix("import ") {
                for part in rest.trim_end_matches('\\').split(',') {
                    push(part.split(" as ").next().unwrap_or(""));
                }
            } else if let Some(rest) = stmt.strip_prefix("from ") {
                let module = rest.split_whitespace().next().unwrap_or("");
                if !module.starts_with('.') {
                    push(module);
                }
            }
        }
        continuation = line.ends_with('\\');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_are_top_level_names_without_relative_or_quoted_ones() {
        let src = r#"
import json, re as regex
from demo_base_helpers import deep_get, is_admin  # helper
from panther_core.immutable import ImmutableList
from . import sibling
def rule(event):
    import demo_aws_helpers
    return True
"""
import not_this
"""
x = 1; import os.path
"#;
        assert_eq!(
            python_imports(src),
            vec![
                "json",
                "re",
                "demo_base_helpers",
                "panther_core",
                "demo_aws_helpers",
                "os"
            ]
        );
    }
}

//! The pack as a whole against the user's fork: the items it would replace (same ID, other
//! content) and the Python packages it asks for that the fork does not. Requirement files are
//! only read (`env::requirements`), never installed.

use super::{Code, Finding, Replacement, Scope};
use crate::env::requirements;
use crate::workspace::Workspace;
use std::collections::BTreeSet;
use std::path::Path;

/// Items of the pack whose ID the fork has with other content (spec or code bytes differ).
pub fn replacements(
    ws: &Workspace,
    scope: &Scope,
    against: &Workspace,
) -> (Vec<Finding>, Vec<Replacement>) {
    let mut findings = Vec::new();
    let mut replaces = Vec::new();
    for &i in &scope.items {
        let item = &ws.items[i];
        let Some(j) = against.index.get(&item.id) else {
            continue;
        };
        let theirs = &against.items[j];
        let same = |a: Option<&Path>, b: Option<&Path>| match (a, b) {
            (None, None) => true,
            (Some(a), Some(b)) => std::fs::read(a).ok() == std::fs::read(b).ok(),
            _ => false,
        };
        if same(Some(&item.spec_path), Some(&theirs.spec_path))
            && same(item.code_path.as_deref(), theirs.code_path.as_deref())
        {
            continue;
        }
        findings.push(
            Finding::new(
                Code::ReplacesDetection,
                format!(
                    "`{}` would replace your {} of that ID (your {}): its content differs",
                    item.id, item.analysis_type, theirs.rel_path
                ),
            )
            .at(
                &item.rel_path,
                item.spec
                    .entry(item.analysis_type.id_field())
                    .map(|e| e.key.span.line),
                None,
            )
            .item(Some(&item.id)),
        );
        replaces.push(Replacement {
            id: item.id.clone(),
            analysis_type: item.analysis_type,
            file: item.rel_path.clone(),
            against_file: theirs.rel_path.clone(),
        });
    }
    replaces.sort_by(|a, b| a.file.cmp(&b.file));
    (findings, replaces)
}

/// Packages the pack's requirement files ask for that `against`'s do not (all of them when
/// there is no `against`), and requirement forms Prowl refuses to install.
pub fn new_requirements(root: &Path, against: Option<&Path>) -> Vec<Finding> {
    let ours = requirements::read(root);
    let theirs: BTreeSet<String> = against
        .map(|a| {
            requirements::read(a)
                .asked
                .iter()
                .map(|r| r.name())
                .collect()
        })
        .unwrap_or_default();
    let mut out = Vec::new();
    for asked in ours.asked.iter().filter(|r| !theirs.contains(&r.name())) {
        let whose = if against.is_some() {
            "your workspace does not ask for it"
        } else {
            "no workspace to compare with"
        };
        out.push(
            Finding::new(
                Code::NewRequirement,
                format!(
                    "asks for the package `{}` ({}); {whose}",
                    asked.name(),
                    asked.requirement
                ),
            )
            .at(&asked.origin.file, Some(asked.origin.line), None),
        );
    }
    for refused in &ours.refused {
        out.push(
            Finding::new(
                Code::NewRequirement,
                format!(
                    "asks for `{}`, a form Prowl never installs: {}",
                    refused.text, refused.why
                ),
            )
            .at(&refused.origin.file, Some(refused.origin.line), None),
        );
    }
    out
}

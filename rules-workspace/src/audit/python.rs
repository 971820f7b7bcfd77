//! The Python half of the static audit: the pack's files are read by CPython's `ast` in
//! sandboxed workers (`audit_static`, `engine/python/prowl_audit.py`), the files shared out
//! over a few of them, and the answers turned into findings with the item each file belongs
//! to. Parsing runs nothing of the pack; the sandbox only lets the worker read the pack.

use super::{AuditError, Code, Finding, Scope, Severity};
use crate::engine::messages::{AuditStatic, Request, StaticAudit, StaticFile};
use crate::engine::worker::Worker;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// String and bytes literals longer than this are large embedded data (PA303).
pub const LARGE_LITERAL_CHARS: usize = 64 * 1024;
/// Python files larger than this are not parsed (PA100).
pub const MAX_PARSE_BYTES: u64 = 8 * 1024 * 1024;
/// Files per worker below which one more worker is not worth starting.
const FILES_PER_WORKER: usize = 300;

/// What the syntax trees showed, by file.
#[derive(Debug, Default)]
pub struct StaticResults {
    /// Per Python file (relative path).
    pub files: BTreeMap<String, StaticFile>,
    /// Helper ID → what it shadows.
    pub shadowing: BTreeMap<String, String>,
}

/// Reads `files` (relative to `root`) on up to `workers` sandboxed workers.
pub fn analyse(
    root: &Path,
    files: &[String],
    helpers: &[String],
    workers: usize,
) -> Result<StaticResults, AuditError> {
    let mut results = StaticResults::default();
    if files.is_empty() && helpers.is_empty() {
        return Ok(results);
    }
    let n = workers
        .max(1)
        .min(files.len().div_ceil(FILES_PER_WORKER).max(1));
    // Round-robin over files sorted by path, so every worker gets a similar mix.
    let mut shares: Vec<Vec<String>> = vec![Vec::new(); n];
    for (i, f) in files.iter().enumerate() {
        shares[i % n].push(f.clone());
    }
    let options = crate::engine::reading_worker_options(root);
    let answers: Vec<Result<StaticAudit, crate::engine::EngineError>> = std::thread::scope(|s| {
        let handles: Vec<_> = shares
            .into_iter()
            .enumerate()
            .map(|(i, share)| {
                let options = options.clone();
                let modules = if i == 0 { helpers.to_vec() } else { Vec::new() };
                s.spawn(move || {
                    let mut worker = Worker::spawn(&options)?;
                    let request = Request::AuditStatic(AuditStatic {
                        root: root.to_path_buf(),
                        files: share,
                        modules,
                        max_literal: LARGE_LITERAL_CHARS,
                        max_bytes: MAX_PARSE_BYTES,
                    });
                    let answer = worker.request::<StaticAudit>(&request, Duration::from_secs(120));
                    worker.shutdown();
                    answer
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(crate::engine::EngineError::Protocol(
                        "a static audit thread panicked".into(),
                    ))
                })
            })
            .collect()
    });
    for answer in answers {
        let answer = answer?;
        results.shadowing.extend(answer.shadowing);
        for file in answer.files {
            results.files.insert(file.path.clone(), file);
        }
    }
    Ok(results)
}

/// The syntax-tree findings, each with its item. Findings in a file no item uses are lowered
/// to notes: Panther and PAT never run such a file.
pub fn findings(results: &StaticResults, scope: &Scope) -> Vec<Finding> {
    let mut out = Vec::new();
    for (rel, file) in &results.files {
        let owner = scope.owner(rel);
        if let Some(problem) = &file.error {
            out.push(
                Finding::new(Code::Unparsable, problem.message.clone())
                    .at(rel, Some(problem.line), Some(problem.col))
                    .item(owner),
            );
        }
        for f in &file.findings {
            let Some(code) = Code::parse(&f.code) else {
                continue;
            };
            let mut finding = Finding::new(code, f.message.clone())
                .at(rel, Some(f.line), Some(f.col))
                .item(owner);
            if owner.is_none() && finding.severity > Severity::Note {
                finding.severity = Severity::Note;
                finding
                    .message
                    .push_str(" (in a file no detection, helper or data model uses)");
            }
            out.push(finding);
        }
    }
    out
}

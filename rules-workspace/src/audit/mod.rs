//! `prowl audit`: what a third-party pack's code can do, before anyone trusts it.
//!
//! [`run`] takes a source (a folder, a git URL, a zip or tar archive, or a branch against its
//! merge base) and answers an [`AuditReport`]:
//! 1. `source`: the pack is brought into quarantine under Prowl's cache (a folder is read where
//!    it is), never with anything of it run;
//! 2. static findings, without executing pack code: the Python files' syntax trees, read by
//!    CPython's `ast` in a sandboxed worker (`engine/python/prowl_audit.py`, see [`python`]),
//!    the specs ([`specs`]) and the pack as a whole against the user's fork ([`pack`]);
//! 3. dynamic findings ([`dynamic`]): the pack's unit tests run in the sandbox (always, whatever
//!    `PROWL_SANDBOX` says; skipped, with a finding, when the kernel refuses it), in an
//!    environment that already exists (the pack's requirements are never installed), and what
//!    the code tried becomes findings;
//! 4. a verdict from the worst severity, and reports ([`report`]: text, JSON, SARIF 2.1.0,
//!    HTML).
//!
//! Every finding has a stable code ([`codes`], `docs/AUDIT.md`), a severity, a place relative
//! to the pack's root, one line of why, and the item it belongs to. Invariants: an audited
//! source is untrusted (its code runs only in the sandbox, never with the user's environment
//! variables or files); every piece of pack-derived text is data (reports escape it).

pub mod archive;
pub mod codes;
pub mod dynamic;
mod files;
pub mod pack;
pub mod python;
pub mod report;
pub mod source;
pub mod specs;
pub mod viewer;

pub use codes::{Code, Severity};
pub use source::{Source, SourceInfo, SourceKind, SourceLimits};

use crate::engine::messages::Attempt;
use crate::spec::AnalysisType;
use crate::workspace::{OpenOptions, Workspace};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;
use ts_rs::TS;

/// How to audit.
#[derive(Debug, Clone)]
pub struct AuditOptions {
    /// What to audit.
    pub source: Source,
    /// The user's own fork: items the pack would replace and requirements it would add are
    /// found against it. In branch mode the merge base is used when this is `None`. Ignored
    /// when it is the source itself.
    pub against: Option<PathBuf>,
    /// Run the pack's unit tests in the sandbox (`--no-dynamic` turns it off).
    pub dynamic: bool,
    /// The Python environment the tests run in; `None`: the `against` workspace's, else
    /// the environment of Prowl's baseline workspace ([`baseline_workspace`]). Never one made for the pack.
    pub environment: Option<crate::env::PythonEnv>,
    /// Time one detection's tests may take.
    pub timeout: Duration,
    /// Workers for the static and the dynamic part.
    pub workers: usize,
    /// What a cloned, extracted or exported source may bring into quarantine.
    pub limits: SourceLimits,
    /// Keep the quarantine folder after the audit (a viewer opens the files at the places
    /// the findings name); its path is [`AuditReport::kept_at`].
    pub keep_sources: bool,
}

impl AuditOptions {
    /// An audit of `source` with the defaults: dynamic, 10 s per detection, one worker per
    /// core, the default limits.
    pub fn new(source: Source) -> AuditOptions {
        AuditOptions {
            source,
            against: None,
            dynamic: true,
            environment: None,
            timeout: Duration::from_secs(10),
            workers: crate::engine::pool::Pool::default_size(),
            limits: SourceLimits::default(),
            keep_sources: false,
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct Finding {
    /// The stable code (`PA101`).
    pub code: Code,
    /// How much it matters.
    pub severity: Severity,
    /// Why, in one line.
    pub message: String,
    /// The file, relative to the pack's root with `/` separators.
    pub file: Option<String>,
    /// 1-based line.
    pub line: Option<u32>,
    /// 1-based column.
    pub column: Option<u32>,
    /// The ID of the item the file belongs to (a detection's RuleID or PolicyID, a helper's
    /// GlobalID, a data model's DataModelID).
    pub item: Option<String>,
    /// The unit test during which it happened (dynamic findings).
    pub test: Option<String>,
}

impl Finding {
    /// A finding with its code's severity.
    pub fn new(code: Code, message: impl Into<String>) -> Finding {
        Finding {
            code,
            severity: code.severity(),
            message: message.into(),
            file: None,
            line: None,
            column: None,
            item: None,
            test: None,
        }
    }

    /// At a place in a file.
    pub fn at(mut self, file: &str, line: Option<u32>, column: Option<u32>) -> Finding {
        self.file = Some(file.to_owned());
        self.line = line;
        self.column = column;
        self
    }

    /// Belonging to an item.
    pub fn item(mut self, id: Option<&str>) -> Finding {
        self.item = id.map(str::to_owned);
        self
    }

    /// `file:line:column`, as far as known.
    pub fn place(&self) -> Option<String> {
        let file = self.file.as_deref()?;
        Some(match (self.line, self.column) {
            (Some(l), Some(c)) => format!("{file}:{l}:{c}"),
            (Some(l), None) => format!("{file}:{l}"),
            _ => file.to_owned(),
        })
    }
}

/// What the code tried while the pack's tests ran, recorded by the sandbox's audit hook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct RecordedAttempt {
    /// The detection whose tests ran (`None`: while helpers and data models were loaded).
    pub item: Option<String>,
    /// The test (`None`: when the detection's module was loaded).
    pub test: Option<String>,
    /// What was tried, and where (the file relative to the pack's root).
    pub attempt: Attempt,
}

/// An item of the user's fork the pack would replace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct Replacement {
    /// The ID both have.
    pub id: String,
    /// Its AnalysisType.
    pub analysis_type: AnalysisType,
    /// The pack's spec, relative to the pack's root.
    pub file: String,
    /// The fork's spec, relative to the fork's root.
    pub against_file: String,
}

/// Whether and how the pack's tests ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct DynamicStatus {
    /// The tests ran in the sandbox.
    pub ran: bool,
    /// Why they did not, when they did not.
    pub skipped: Option<String>,
    /// The sandbox layers in force (`namespaces=1 view=1 landlock=6 seccomp=1`).
    pub sandbox: Option<String>,
    /// Which environment the tests ran in (`the --against workspace's`, `Prowl's baseline`).
    pub environment: Option<String>,
    /// Detections whose tests ran.
    pub detections: usize,
    /// Unit tests run.
    pub tests: usize,
}

/// The overall judgement, from the worst severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Nothing above a note.
    Clean,
    /// Warnings: read them before trusting the pack.
    Review,
    /// Errors: the pack can harm you or hides what it does.
    Dangerous,
}

impl Verdict {
    /// The word reports print.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Clean => "clean",
            Verdict::Review => "review",
            Verdict::Dangerous => "dangerous",
        }
    }
}

/// The verdict and the counts behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct AuditSummary {
    /// The verdict.
    pub verdict: Verdict,
    /// Findings that are errors.
    pub errors: usize,
    /// Findings that are warnings.
    pub warnings: usize,
    /// Findings that are notes.
    pub notes: usize,
    /// Items audited (detections, helpers, data models, packs, queries…).
    pub items: usize,
    /// Python files analysed.
    pub python_files: usize,
}

/// An item the audit covered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct AuditedItem {
    /// Its ID.
    pub id: String,
    /// Its AnalysisType.
    pub analysis_type: AnalysisType,
    /// Its spec, relative to the pack's root.
    pub file: String,
    /// Its Python file, relative to the pack's root.
    pub code_file: Option<String>,
}

/// What an audit found: everything a report or a viewer shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct AuditReport {
    /// Where the pack came from.
    pub source: SourceInfo,
    /// The fork compared with, as given (or `merge base` in branch mode).
    pub against: Option<String>,
    /// The items audited.
    pub items: Vec<AuditedItem>,
    /// Every finding, by file, line and code.
    pub findings: Vec<Finding>,
    /// What the code tried while its tests ran, per detection and test.
    pub attempts: Vec<RecordedAttempt>,
    /// The user's items the pack would replace.
    pub replaces: Vec<Replacement>,
    /// Whether the tests ran.
    pub dynamic: DynamicStatus,
    /// The verdict and counts.
    pub summary: AuditSummary,
    /// Where the quarantined copy was kept ([`AuditOptions::keep_sources`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub kept_at: Option<String>,
}

impl AuditReport {
    /// Whether any finding is at or above `severity` (the command line's `--fail-on`).
    pub fn fails_at(&self, severity: Severity) -> bool {
        self.findings.iter().any(|f| f.severity >= severity)
    }
}

/// Where an audit has got, for an observer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum AuditProgress {
    /// Bringing the source into quarantine.
    Preparing,
    /// Reading specs and syntax trees.
    Static {
        /// Python files to read.
        files: usize,
    },
    /// A detection's tests ran in the sandbox.
    Dynamic {
        /// Detections answered so far.
        done: usize,
        /// Detections to run.
        total: usize,
        /// The detection that just finished.
        id: String,
    },
}

/// Why an audit could not be made.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// A file or folder cannot be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// SOURCE is none of the kinds Prowl audits.
    #[error("`{source_text}` is not a folder, a git URL or a zip/tar archive")]
    UnknownSource {
        /// As given.
        source_text: String,
    },
    /// The archive could not be extracted.
    #[error(transparent)]
    Archive(#[from] archive::ArchiveError),
    /// Cloning, or reading the branch, failed.
    #[error(transparent)]
    Git(#[from] crate::fork::ForkError),
    /// The pack or the fork could not be opened.
    #[error(transparent)]
    Workspace(#[from] crate::workspace::WorkspaceError),
    /// The static audit's worker failed.
    #[error("the static audit could not run: {0}")]
    Engine(#[from] crate::engine::EngineError),
    /// The source is over a limit.
    #[error("the source is too large to audit: {what}")]
    TooLarge {
        /// Which limit.
        what: String,
    },
    /// The observer asked to stop: no report, since a verdict on part of the pack could call
    /// a dangerous pack clean.
    #[error("the audit was cancelled")]
    Cancelled,
    /// Another audit is going on in this viewer ([`viewer::AuditViewer`]).
    #[error("an audit is already going on")]
    Busy,
    /// A file of the last audited pack was asked for, and no pack has been audited.
    #[error("no pack has been audited yet")]
    NothingAudited,
}

impl crate::error::UserError for AuditError {
    fn family(&self) -> &'static str {
        match self {
            AuditError::Git(e) => e.family(),
            AuditError::Workspace(e) => e.family(),
            _ => "audit",
        }
    }

    fn name(&self) -> &'static str {
        match self {
            AuditError::Io { .. } => "io",
            AuditError::UnknownSource { .. } => "unknown_source",
            AuditError::Archive(archive::ArchiveError::Io { .. }) => "archive_io",
            AuditError::Archive(archive::ArchiveError::Corrupt { .. }) => "archive_corrupt",
            AuditError::Archive(archive::ArchiveError::TooLarge { .. }) => "archive_too_large",
            AuditError::Git(e) => e.name(),
            AuditError::Workspace(e) => e.name(),
            AuditError::Engine(_) => "engine",
            AuditError::TooLarge { .. } => "too_large",
            AuditError::Cancelled => "cancelled",
            AuditError::Busy => "busy",
            AuditError::NothingAudited => "nothing_audited",
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            AuditError::UnknownSource { .. } => Some(
                "pass a pack's folder, an https:// or file:// git URL, a .zip/.tar/.tar.gz file, or --branch NAME inside a repository".into(),
            ),
            AuditError::Archive(archive::ArchiveError::TooLarge { .. })
            | AuditError::TooLarge { .. } => {
                Some("raise the limits with --max-size and --max-files if the pack is really that large".into())
            }
            AuditError::Git(e) => e.hint(),
            AuditError::Workspace(e) => e.hint(),
            AuditError::Engine(e) => e.hint(),
            AuditError::Busy => Some("wait for it to finish, or cancel it".into()),
            AuditError::NothingAudited => Some("audit a pack first".into()),
            _ => None,
        }
    }

    fn location(&self) -> Option<crate::error::Location> {
        match self {
            AuditError::Io { path, .. } => Some(crate::error::Location::file(path)),
            AuditError::Git(e) => e.location(),
            AuditError::Workspace(e) => e.location(),
            _ => None,
        }
    }
}

/// The folder whose environment is Prowl's baseline for audits: an empty workspace, so its
/// environment holds Prowl's runtime and nothing a pack asked for
/// (`PythonEnv::for_workspace(baseline_workspace())`).
pub fn baseline_workspace() -> PathBuf {
    let dir = crate::env::cache_dir()
        .join("audit")
        .join("baseline-workspace");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// The environment the pack's tests run in when the options name none, and how reports
/// name it: the `against` workspace's when it is usable, else the baseline's.
pub fn default_environment(against: Option<&Path>) -> (crate::env::PythonEnv, &'static str) {
    if let Some(against) = against {
        let env = crate::env::PythonEnv::for_workspace(against);
        if env.usable() {
            return (env, "the --against workspace's environment");
        }
    }
    (
        crate::env::PythonEnv::for_workspace(&baseline_workspace()),
        "Prowl's baseline environment (no packages of the pack's)",
    )
}

/// Audits a pack. `observer` sees progress and may return `false` to stop: the audit then
/// ends at the next stage (the tests stop at the next detection) with
/// [`AuditError::Cancelled`], and what was brought into quarantine is removed.
pub fn run(
    options: &AuditOptions,
    observer: Option<&mut dyn FnMut(&AuditProgress) -> bool>,
) -> Result<AuditReport, AuditError> {
    run_prepared(options, observer).map(|(report, _)| report)
}

/// [`run`], keeping the audited files for a viewer: the returned [`viewer::AuditedPack`] reads
/// the files the findings name, and removes the quarantine copy when it is dropped.
pub fn run_keeping(
    options: &AuditOptions,
    observer: Option<&mut dyn FnMut(&AuditProgress) -> bool>,
) -> Result<(AuditReport, viewer::AuditedPack), AuditError> {
    let (report, prepared) = run_prepared(options, observer)?;
    Ok((report, viewer::AuditedPack::new(prepared)))
}

fn run_prepared(
    options: &AuditOptions,
    observer: Option<&mut dyn FnMut(&AuditProgress) -> bool>,
) -> Result<(AuditReport, source::Prepared), AuditError> {
    let mut ignore = |_: &AuditProgress| true;
    let inner: &mut dyn FnMut(&AuditProgress) -> bool = match observer {
        Some(o) => o,
        None => &mut ignore,
    };
    // Once the observer said stop, it is not asked again and the audit ends at the next stage.
    let mut stopped = false;
    let observer = &mut |p: &AuditProgress| {
        stopped = stopped || !inner(p);
        !stopped
    };
    if !observer(&AuditProgress::Preparing) {
        return Err(AuditError::Cancelled);
    }
    let mut prepared = source::prepare(&options.source, options.limits)?;
    let root = prepared.root.clone();
    let ws = Workspace::open(&root, &OpenOptions::default())?;

    // The fork compared with: as given (unless it is the pack itself), else the merge base.
    let against_root: Option<PathBuf> = match &options.against {
        Some(a) => {
            let canonical = std::fs::canonicalize(a).map_err(|source| AuditError::Io {
                path: a.clone(),
                source,
            })?;
            (canonical != root).then_some(canonical)
        }
        None => prepared.base_root.clone(),
    };
    let against_label = match (&options.against, &against_root) {
        (Some(a), Some(_)) => Some(a.display().to_string()),
        (None, Some(_)) => Some("merge base".to_owned()),
        _ => None,
    };
    let against_ws = match &against_root {
        Some(a) => Some(Workspace::open(a, &OpenOptions::default())?),
        None => None,
    };

    // Branch mode: the items the branch changed; otherwise every item.
    let changed: Option<BTreeSet<String>> = (prepared.info.kind == SourceKind::Branch)
        .then(|| prepared.info.changed.iter().cloned().collect());
    let scope = Scope::new(&ws, &root, changed.as_ref());

    let mut findings: Vec<Finding> = Vec::new();
    for skipped in &prepared.info.skipped {
        findings.push(
            Finding::new(
                Code::OutsidePack,
                format!(
                    "`{}` was not brought into quarantine: {}",
                    skipped.path, skipped.why
                ),
            )
            .at(&skipped.path, None, None),
        );
    }
    let tree = files::walk(&root, options.limits.max_files, changed.as_ref())?;
    findings.extend(files::findings(&tree));
    let mut scope = scope;
    scope.links = tree.links.iter().map(|(link, _)| link.clone()).collect();
    let python_files = scope.python_files(&tree);
    if !observer(&AuditProgress::Static {
        files: python_files.len(),
    }) {
        return Err(AuditError::Cancelled);
    }
    let statics = python::analyse(&root, &python_files, &scope.helper_ids(), options.workers)?;
    findings.extend(python::findings(&statics, &scope));
    findings.extend(specs::findings(&ws, &scope, &statics));
    let mut replaces = Vec::new();
    if let (Some(a_root), Some(a_ws)) = (&against_root, &against_ws) {
        let (f, r) = pack::replacements(&ws, &scope, a_ws);
        findings.extend(f);
        replaces = r;
        findings.extend(pack::new_requirements(&root, Some(a_root)));
    } else {
        findings.extend(pack::new_requirements(&root, None));
    }

    // The tests, in the sandbox.
    let dynamic_outcome = if options.dynamic {
        let (env, label) = match &options.environment {
            Some(env) => (env.clone(), "the given environment"),
            None => default_environment(options.against.as_deref()),
        };
        dynamic::run(&ws, &scope, &env, label, options, observer)
    } else {
        dynamic::Outcome::skipped("--no-dynamic".into(), false)
    };
    if stopped {
        return Err(AuditError::Cancelled);
    }
    findings.extend(dynamic_outcome.findings);

    findings.sort_by(|a, b| {
        (
            a.file.is_none(),
            &a.file,
            a.line,
            a.column,
            a.code,
            &a.test,
            &a.message,
        )
            .cmp(&(
                b.file.is_none(),
                &b.file,
                b.line,
                b.column,
                b.code,
                &b.test,
                &b.message,
            ))
    });
    findings.dedup();
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    let (errors, warnings, notes) = (
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Note),
    );
    let verdict = if errors > 0 {
        Verdict::Dangerous
    } else if warnings > 0 {
        Verdict::Review
    } else {
        Verdict::Clean
    };
    let items = scope.audited_items(&ws);
    let kept_at = if options.keep_sources {
        prepared.keep().map(|p| p.display().to_string())
    } else {
        None
    };
    let report = AuditReport {
        source: prepared.info.clone(),
        against: against_label,
        summary: AuditSummary {
            verdict,
            errors,
            warnings,
            notes,
            items: items.len(),
            python_files: python_files.len(),
        },
        items,
        findings,
        attempts: dynamic_outcome.attempts,
        replaces,
        dynamic: dynamic_outcome.status,
        kept_at,
    };
    Ok((report, prepared))
}

/// Which items and files an audit covers, and which item each file belongs to.
#[derive(Debug)]
pub struct Scope {
    /// Indexes of the audited items in the workspace.
    pub items: Vec<usize>,
    /// Python file (relative) → the item whose code it is.
    pub owners: BTreeMap<String, (String, AnalysisType)>,
    /// Branch mode: the changed paths (`None`: everything).
    pub changed: Option<BTreeSet<String>>,
    /// The pack's root.
    pub root: PathBuf,
    /// Symbolic links in the pack (relative): what Prowl read through them is not the pack's,
    /// and is never quoted in a finding.
    pub links: BTreeSet<String>,
}

impl Scope {
    fn new(ws: &Workspace, root: &Path, changed: Option<&BTreeSet<String>>) -> Scope {
        let mut owners = BTreeMap::new();
        for item in &ws.items {
            if let Some(rel) = item.code_path.as_deref().and_then(|p| relative(root, p)) {
                owners
                    .entry(rel)
                    .or_insert_with(|| (item.id.clone(), item.analysis_type));
            }
        }
        let items = ws
            .items
            .iter()
            .enumerate()
            .filter(|(_, item)| match changed {
                None => true,
                Some(changed) => {
                    changed.contains(&item.rel_path)
                        || item
                            .code_path
                            .as_deref()
                            .and_then(|p| relative(root, p))
                            .is_some_and(|rel| changed.contains(&rel))
                }
            })
            .map(|(i, _)| i)
            .collect();
        Scope {
            items,
            owners,
            changed: changed.cloned(),
            root: root.to_path_buf(),
            links: BTreeSet::new(),
        }
    }

    /// The Python files to read: every `.py` of the pack (branch mode: the changed ones and
    /// the audited items' code).
    fn python_files(&self, tree: &files::Tree) -> Vec<String> {
        let mut out: Vec<String> = tree
            .files
            .iter()
            .filter(|f| f.path.ends_with(".py"))
            .map(|f| f.path.clone())
            .collect();
        if self.changed.is_some() {
            for (rel, _) in self.owners.iter() {
                if !out.contains(rel) && self.root.join(rel).is_file() {
                    out.push(rel.clone());
                }
            }
            out.retain(|rel| {
                self.changed.as_ref().is_some_and(|c| c.contains(rel))
                    || self.owners.contains_key(rel)
            });
        }
        out.sort();
        out.dedup();
        out
    }

    /// The audited global helpers' IDs.
    fn helper_ids(&self) -> Vec<String> {
        self.owners
            .values()
            .filter(|(_, t)| *t == AnalysisType::Global)
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// The audited items, by spec path (the walk's order is the file system's).
    fn audited_items(&self, ws: &Workspace) -> Vec<AuditedItem> {
        let mut items: Vec<AuditedItem> = self
            .items
            .iter()
            .map(|&i| {
                let item = &ws.items[i];
                AuditedItem {
                    id: item.id.clone(),
                    analysis_type: item.analysis_type,
                    file: item.rel_path.clone(),
                    code_file: item
                        .code_path
                        .as_deref()
                        .and_then(|p| relative(&self.root, p)),
                }
            })
            .collect();
        items.sort_by(|a, b| (&a.file, &a.id).cmp(&(&b.file, &b.id)));
        items
    }

    /// The item a file belongs to.
    pub fn owner(&self, rel: &str) -> Option<&str> {
        self.owners.get(rel).map(|(id, _)| id.as_str())
    }
}

/// `path` relative to `root` with `/` separators, when it is inside (resolving `..`).
pub(crate) fn relative(root: &Path, path: &Path) -> Option<String> {
    let normal = normalise(path);
    let rel = normal.strip_prefix(root).ok()?;
    Some(
        rel.components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/"),
    )
}

/// `..` and `.` resolved without touching the file system.
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_has_typescript_declarations_for_the_desktop() {
        let cfg = ts_rs::Config::new();
        let decl = AuditReport::decl(&cfg);
        for field in ["findings", "attempts", "replaces", "dynamic", "summary"] {
            assert!(decl.contains(field), "{decl}");
        }
        assert!(AuditProgress::decl(&cfg).contains("dynamic"));
        assert!(Finding::decl(&cfg).contains("item"));
    }

    #[test]
    fn paths_are_made_relative_to_the_root_only_when_inside() {
        let root = Path::new("/p");
        assert_eq!(
            relative(root, Path::new("/p/rules/a.py")).as_deref(),
            Some("rules/a.py")
        );
        assert_eq!(
            relative(root, Path::new("/p/rules/../x.py")).as_deref(),
            Some("x.py")
        );
        assert_eq!(relative(root, Path::new("/p/../q/x.py")), None);
    }
}

//! A workspace: a panther-analysis style directory read as PAT reads it, validated, indexed.
//!
//! `Workspace::open` walks the directory (PAT's discovery rules), loads and validates every
//! spec in parallel, and indexes the valid items. `Workspace::check` adds the checks that depend
//! on a selection of items (PAT's pack check after `--filter`, code files, data-model log-type
//! conflicts) and Prowl's own cross-reference warnings.

pub mod content;
pub mod discover;
pub mod index;
pub mod recovery;
pub mod save;
pub mod watch;

use crate::diagnostics::{Code, Diagnostic, Severity};
use crate::filter::Filters;
use crate::spec::validate::{self, LoadFailure, SpecFile, ValidationOptions};
use crate::spec::yaml;
use crate::spec::{AnalysisItem, AnalysisType, DetectionForm};
pub use content::{read_bounded, read_inside, resolve_inside};
use index::Index;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Files bigger than this are refused rather than parsed (PAT would try; no real spec is close).
pub const MAX_SPEC_BYTES: u64 = 256 * 1024 * 1024;

/// Errors that stop a workspace from opening at all.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    /// The folder does not exist.
    #[error("{path}: no such directory")]
    NotFound {
        /// The folder.
        path: PathBuf,
    },
    /// The path is a file.
    #[error("{path}: not a directory")]
    NotADirectory {
        /// The path.
        path: PathBuf,
    },
    /// The folder cannot be read.
    #[error("{path}: cannot open: {source}")]
    Io {
        /// The folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl crate::error::UserError for WorkspaceError {
    fn family(&self) -> &'static str {
        "workspace"
    }

    fn name(&self) -> &'static str {
        match self {
            WorkspaceError::NotFound { .. } => "not_found",
            WorkspaceError::NotADirectory { .. } => "not_a_directory",
            WorkspaceError::Io { .. } => "io",
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            WorkspaceError::NotFound { .. } | WorkspaceError::NotADirectory { .. } => Some(
                "pass the folder of your panther-analysis fork, or create one with `prowl demo`"
                    .into(),
            ),
            WorkspaceError::Io { .. } => None,
        }
    }

    fn location(&self) -> Option<crate::error::Location> {
        match self {
            WorkspaceError::NotFound { path }
            | WorkspaceError::NotADirectory { path }
            | WorkspaceError::Io { path, .. } => Some(crate::error::Location::file(path)),
        }
    }
}

/// How to read a workspace.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// `--ignore-files`: paths relative to the workspace root.
    pub ignore_files: Vec<String>,
    /// PAT's switches for the checks of each spec (`--ignore-extra-keys`, table names).
    pub validation: ValidationOptions,
}

/// An opened workspace.
#[derive(Debug)]
pub struct Workspace {
    /// The folder opened, canonical; `rel_path`s are relative to it.
    pub root: PathBuf,
    /// Valid items, in PAT's walk order.
    pub items: Vec<AnalysisItem>,
    /// Problems found while loading and validating each file.
    pub diagnostics: Vec<Diagnostic>,
    /// `items` by ID and by file, and the dependency graph between them.
    pub index: Index,
    /// Number of YAML files read.
    pub files_read: usize,
    /// Parsed specs, reused by the next open while their bytes are unchanged.
    pub parse_cache: Arc<ParseCache>,
}

/// Parsed spec files by path, each with the stamp of the bytes it was parsed from. The
/// default cache is off (a one-shot open gains nothing from keeping parses);
/// [`ParseCache::enabled`] keeps them for interactive sessions.
#[derive(Default)]
pub struct ParseCache {
    on: bool,
    entries: Mutex<HashMap<PathBuf, (String, Arc<yaml::Loaded>)>>,
}

impl std::fmt::Debug for ParseCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ParseCache({} files)", self.len())
    }
}

impl ParseCache {
    /// A cache that keeps parses.
    pub fn enabled() -> ParseCache {
        ParseCache {
            on: true,
            entries: Mutex::default(),
        }
    }

    /// How many files' parses are kept.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// No parse is kept (always so for a disabled cache).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, (String, Arc<yaml::Loaded>)>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The parse of `bytes` (from the cache when `path` had these bytes before).
    fn load(&self, path: &Path, bytes: &[u8]) -> Result<Arc<yaml::Loaded>, yaml::YamlError> {
        if !self.on {
            return yaml::load_bytes(bytes).map(Arc::new);
        }
        let stamp = save::stamp_of(bytes);
        if let Some((s, loaded)) = self.lock().get(path) {
            if *s == stamp {
                return Ok(Arc::clone(loaded));
            }
        }
        let loaded = Arc::new(yaml::load_bytes(bytes)?);
        self.lock()
            .insert(path.to_path_buf(), (stamp, Arc::clone(&loaded)));
        Ok(loaded)
    }

    /// Forgets files that are no longer in the workspace.
    fn retain(&self, present: &HashSet<&Path>) {
        self.lock().retain(|p, _| present.contains(p.as_path()));
    }
}

impl Workspace {
    /// Opens and validates the workspace at `root`.
    pub fn open(root: &Path, options: &OpenOptions) -> Result<Workspace, WorkspaceError> {
        Self::open_with_overlay(root, options, None)
    }

    /// Opens the workspace as if `overlay`'s file had that text (an unsaved editor buffer):
    /// live validation in the workspace's context (ID conflicts, packs, data models).
    pub fn open_with_overlay(
        root: &Path,
        options: &OpenOptions,
        overlay: Option<(&Path, &str)>,
    ) -> Result<Workspace, WorkspaceError> {
        Self::open_cached(root, options, Arc::new(ParseCache::default()), overlay)
    }

    /// Opens the workspace reusing the parse of every spec whose bytes are unchanged since
    /// `cache` last saw it (an interactive session re-opens after each change: only the
    /// changed specs are parsed again; every check still runs, so the result is exactly what
    /// a fresh open gives).
    pub fn open_cached(
        root: &Path,
        options: &OpenOptions,
        cache: Arc<ParseCache>,
        overlay: Option<(&Path, &str)>,
    ) -> Result<Workspace, WorkspaceError> {
        let meta = std::fs::metadata(root).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => WorkspaceError::NotFound {
                path: root.to_path_buf(),
            },
            _ => WorkspaceError::Io {
                path: root.to_path_buf(),
                source: e,
            },
        })?;
        if !meta.is_dir() {
            return Err(WorkspaceError::NotADirectory {
                path: root.to_path_buf(),
            });
        }
        let root = std::fs::canonicalize(root).map_err(|e| WorkspaceError::Io {
            path: root.to_path_buf(),
            source: e,
        })?;
        let (found, problems) = discover::find_spec_files(&root, &options.ignore_files);
        let files_read = found.len();
        cache.retain(&found.iter().map(|f| f.path.as_path()).collect());
        let files: Vec<SpecFile> = found
            .into_iter()
            .map(|f| SpecFile {
                path: f.path,
                rel_path: f.rel_path,
                walk_dir: f.walk_dir,
                content: Err(LoadFailure::Io(String::new())),
            })
            .collect();
        let classified =
            validate::classify_with(files, &options.validation, |file| match overlay {
                Some((path, text)) if path == file.path => yaml::load_bytes(text.as_bytes())
                    .map(Arc::new)
                    .map_err(LoadFailure::Yaml),
                _ => load_spec_file(&root, file, &cache),
            });
        let mut diagnostics: Vec<Diagnostic> = problems
            .into_iter()
            .map(|p| Diagnostic {
                severity: Severity::Warning,
                code: Code::Unreadable,
                file: p.path,
                rel_path: p.rel_path,
                span: None,
                summary: p.message.clone(),
                message: String::new(),
                hint: Some(p.hint),
                pat: false,
            })
            .collect();
        diagnostics.extend(classified.diagnostics);
        let index = Index::build(&classified.items);
        Ok(Workspace {
            root,
            items: classified.items,
            diagnostics,
            index,
            files_read,
            parse_cache: cache,
        })
    }

    /// The problems of one file as if it had `text`, in the context of the whole workspace
    /// (every check `validate` makes, on every item).
    pub fn validate_buffer(
        root: &Path,
        options: &OpenOptions,
        path: &Path,
        text: &str,
    ) -> Result<Vec<Diagnostic>, WorkspaceError> {
        Self::validate_buffer_cached(root, options, Arc::new(ParseCache::default()), path, text)
    }

    /// [`Workspace::validate_buffer`] reusing the parses in `cache` (each keystroke's
    /// validation then parses only the buffer).
    pub fn validate_buffer_cached(
        root: &Path,
        options: &OpenOptions,
        cache: Arc<ParseCache>,
        path: &Path,
        text: &str,
    ) -> Result<Vec<Diagnostic>, WorkspaceError> {
        let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let ws = Self::open_cached(root, options, cache, Some((&path, text)))?;
        let all: Vec<usize> = (0..ws.items.len()).collect();
        Ok(ws
            .check(&all)
            .into_iter()
            .filter(|d| d.file == path)
            .collect())
    }

    /// The valid item with this ID (`RuleID`, `PolicyID`, `GlobalID`, …).
    pub fn get(&self, id: &str) -> Option<&AnalysisItem> {
        self.index.get(id).map(|i| &self.items[i])
    }

    /// The items `filters` keep, as indices into `items`.
    pub fn select(&self, filters: &Filters) -> Vec<usize> {
        (0..self.items.len())
            .filter(|&i| filters.keeps(&self.items[i]))
            .collect()
    }

    /// Every problem for a selection: the per-file diagnostics (PAT reports invalid specs
    /// whatever the filter) plus the checks PAT makes on the selected items and Prowl's own
    /// cross-reference warnings. Sorted by file, then line.
    pub fn check(&self, selection: &[usize]) -> Vec<Diagnostic> {
        let mut out = self.diagnostics.clone();
        let selected: Vec<&AnalysisItem> = selection.iter().map(|&i| &self.items[i]).collect();
        out.extend(check_code_files(&self.root, &selected));
        out.extend(check_data_model_conflicts(&selected));
        out.extend(check_packs(&selected));
        out.extend(check_references(self, &selected));
        out.sort_by(|a, b| a.rel_path.cmp(&b.rel_path).then(a.span.cmp(&b.span)));
        out
    }
}

impl Workspace {
    /// Brings the workspace up to date after files changed on disk, doing only what the change
    /// needs: when only existing Python files were modified, their imports are re-read and the
    /// index's edges rebuilt (specs, items and problems are unchanged); any spec change, or a
    /// file created, removed or renamed, re-reads the workspace. Returns whether it re-read.
    pub fn apply_changes(
        &mut self,
        options: &OpenOptions,
        changes: &[(PathBuf, watch::Change)],
    ) -> Result<bool, WorkspaceError> {
        let python_only = changes
            .iter()
            .all(|(p, kind)| watch::is_python(p) && *kind == watch::Change::Modified);
        if python_only {
            let changed: Vec<&Path> = changes.iter().map(|(p, _)| p.as_path()).collect();
            self.refresh_imports(&changed);
            return Ok(false);
        }
        *self = Workspace::open_cached(&self.root, options, Arc::clone(&self.parse_cache), None)?;
        Ok(true)
    }

    /// Re-reads the imports of changed Python files so the index's edges stay right (a
    /// detection that starts importing a helper is re-run when that helper changes).
    pub fn refresh_imports(&mut self, changed: &[&Path]) {
        let imports: Vec<Vec<String>> = self
            .items
            .iter()
            .enumerate()
            .map(|(i, item)| match &item.code_path {
                Some(code) if changed.iter().any(|c| *c == code) => {
                    read_bounded(code, save::MAX_TEXT_BYTES)
                        .map(|src| index::python_imports(&String::from_utf8_lossy(&src)))
                        .unwrap_or_default()
                }
                _ => self.index.imports(i).to_vec(),
            })
            .collect();
        self.index = Index::build_with_imports(&self.items, imports);
    }

    /// PAT's pack check alone on a selection (what `pat test` reports after its tests), in the
    /// order `check` gives: cheaper than `check` when only this is needed.
    pub fn pack_check(&self, selection: &[usize]) -> Vec<Diagnostic> {
        let selected: Vec<&AnalysisItem> = selection.iter().map(|&i| &self.items[i]).collect();
        let mut out = check_packs(&selected);
        out.sort_by(|a, b| a.rel_path.cmp(&b.rel_path).then(a.span.cmp(&b.span)));
        out
    }
}

/// Reads and parses one spec file, turning every failure into a `LoadFailure`. Only a regular
/// file inside the workspace is read, never more than [`MAX_SPEC_BYTES`] of it.
fn load_spec_file(
    root: &Path,
    file: &SpecFile,
    cache: &ParseCache,
) -> Result<Arc<yaml::Loaded>, LoadFailure> {
    let bytes = read_inside(root, &file.path, MAX_SPEC_BYTES).map_err(|e| match e {
        save::SaveError::TooLarge { size, max, .. } => LoadFailure::Io(format!(
            "the file is {} MB, more than the {} MB a spec may be",
            size / (1024 * 1024),
            max / (1024 * 1024)
        )),
        save::SaveError::NotRegular { kind, .. } => LoadFailure::Refused {
            reason: format!("it is {kind}, not a regular file"),
            hint: "replace it with a regular YAML file; Prowl does not read FIFOs, devices or sockets (they can hang or never end)".into(),
        },
        save::SaveError::OutsideWorkspace { target, .. } => LoadFailure::Refused {
            reason: format!("it is a link to {}, outside the workspace", target.display()),
            hint: "Prowl reads only files inside the workspace: replace the link with the file itself".into(),
        },
        // The system's words, as before: `No such file or directory (os error 2)`.
        save::SaveError::NotFound { .. } => LoadFailure::Io(
            std::io::Error::from_raw_os_error(libc::ENOENT).to_string(),
        ),
        save::SaveError::Io { source, .. } => LoadFailure::Io(source.to_string()),
        other => LoadFailure::Io(other.to_string()),
    })?;
    cache.load(&file.path, &bytes).map_err(LoadFailure::Yaml)
}

/// An error diagnostic about `item`, placed at the value of `key` (PAT-less, no hint yet).
fn item_diag(item: &AnalysisItem, code: Code, key: &str, summary: String) -> Diagnostic {
    Diagnostic {
        severity: Severity::Error,
        code,
        file: item.spec_path.clone(),
        rel_path: item.rel_path.clone(),
        span: item.spec.entry(key).map(|e| e.value.span),
        summary,
        message: String::new(),
        hint: None,
        pat: false,
    }
}

/// Python detections whose `Filename` is missing or a directory fail PAT's test setup; a file
/// outside the workspace works for PAT but will not travel with the fork.
fn check_code_files(root: &Path, items: &[&AnalysisItem]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for item in items {
        let Some(code) = &item.code_path else {
            continue;
        };
        let filename = item
            .spec
            .get("Filename")
            .and_then(|n| n.as_str())
            .unwrap_or("");
        let runs_code = matches!(
            item.analysis_type,
            AnalysisType::Rule | AnalysisType::ScheduledRule | AnalysisType::Policy
        ) && item.form == Some(DetectionForm::Python);
        let needs_file = runs_code
            || matches!(
                item.analysis_type,
                AnalysisType::Global | AnalysisType::DataModel
            );
        let severity = if needs_file {
            Severity::Error
        } else {
            Severity::Warning
        };
        match std::fs::metadata(code) {
            Err(_) => {
                // panther-core raises FileNotFoundError(path) with PAT's `join(dir, Filename)`.
                let pat_path = if filename.starts_with('/') {
                    filename.to_owned()
                } else {
                    format!("{}/{}", item.walk_dir, filename)
                };
                out.push(Diagnostic {
                    severity,
                    message: if runs_code { pat_path } else { String::new() },
                    hint: Some(
                        "Filename is relative to the spec's folder; fix the name or add the file"
                            .into(),
                    ),
                    pat: runs_code,
                    ..item_diag(
                        item,
                        Code::CodeFile,
                        "Filename",
                        format!("`Filename` names {filename}, which does not exist"),
                    )
                });
            }
            Ok(m) if m.is_dir() => {
                let abs = discover::normpath(&code.to_string_lossy());
                out.push(Diagnostic {
                    severity,
                    message: if runs_code {
                        format!(
                            "[Errno 21] Is a directory: {}",
                            crate::spec::pyrepr::str_repr(&abs)
                        )
                    } else {
                        String::new()
                    },
                    hint: Some("point Filename at the .py file".into()),
                    pat: runs_code,
                    ..item_diag(
                        item,
                        Code::CodeFile,
                        "Filename",
                        format!("`Filename` names {filename}, which is a directory"),
                    )
                });
            }
            Ok(m) if !m.is_file() => {
                // A FIFO or a device: a worker reading it would hang or fill its memory.
                let kind = content::irregular_kind(m.file_type()).unwrap_or("not a file");
                out.push(Diagnostic {
                    severity,
                    message: String::new(),
                    hint: Some("point Filename at a regular .py file".into()),
                    pat: false,
                    ..item_diag(
                        item,
                        Code::CodeFile,
                        "Filename",
                        format!("`Filename` names {filename}, which is {kind}, not a regular file"),
                    )
                });
            }
            Ok(m) => {
                // Only a name with `..`, an absolute name or a link can leave the workspace;
                // resolving every path would cost a system call per path component.
                let may_escape = filename.starts_with('/')
                    || filename.contains("..")
                    || m.file_type().is_symlink()
                    || std::fs::symlink_metadata(code).is_ok_and(|l| l.file_type().is_symlink());
                let canonical = if may_escape {
                    std::fs::canonicalize(code).unwrap_or_else(|_| code.clone())
                } else {
                    root.to_path_buf()
                };
                if !canonical.starts_with(root) {
                    out.push(Diagnostic { severity: Severity::Warning, message: String::new(), hint: Some("keep code inside the fork so it is versioned and uploaded with the spec".into()), pat: false, ..item_diag(item, Code::CodeFile, "Filename", format!("`Filename` names {filename}, outside the workspace")) });
                }
            }
        }
    }
    out
}

/// PAT's `setup_data_models`: a second enabled model claiming a log type is invalid.
fn check_data_model_conflicts(items: &[&AnalysisItem]) -> Vec<Diagnostic> {
    let mut owner: std::collections::HashMap<&str, &str> = std::collections::HashMap::new();
    let mut out = Vec::new();
    for item in items
        .iter()
        .filter(|i| i.analysis_type == AnalysisType::DataModel && i.enabled == Some(true))
    {
        for lt in &item.log_types {
            match owner.get(lt.as_str()) {
                Some(first) => out.push(Diagnostic {
                    severity: Severity::Error,
                    message: format!(
                        "Conflicting Enabled LogType [{lt}] in Data Model [{}]",
                        item.id
                    ),
                    hint: Some(
                        "disable one of the two data models, or remove the log type from one"
                            .into(),
                    ),
                    pat: true,
                    ..item_diag(
                        item,
                        Code::DataModelConflict,
                        "LogTypes",
                        format!("log type {lt} already has the enabled data model {first}"),
                    )
                }),
                None => {
                    owner.insert(lt, &item.id);
                }
            }
        }
    }
    out
}

/// PAT's `validate_packs` on the selected items.
fn check_packs(items: &[&AnalysisItem]) -> Vec<Diagnostic> {
    let ids: std::collections::HashSet<&str> = items.iter().map(|i| i.id.as_str()).collect();
    items
        .iter()
        .filter(|i| i.analysis_type == AnalysisType::Pack)
        .filter_map(|pack| {
            let missing: Vec<&str> = pack.pack_members.iter().map(String::as_str).filter(|m| !ids.contains(m)).collect();
            if missing.is_empty() {
                return None;
            }
            let mut d = Diagnostic { severity: Severity::Error, message: format!("pack ({}) definition includes item(s) that do not exist ({})", pack.id, missing.join(", ")), hint: Some("remove the IDs from PackDefinition.IDs, or add the items (a --filter can also hide them)".into()), pat: true, ..item_diag(pack, Code::PackMemberMissing, "PackDefinition", format!("the pack lists {} that the workspace does not have: {}", if missing.len() == 1 { "an item" } else { "items" }, missing.join(", "))) };
            // Point at the first missing ID's line.
            if let Some(ids_node) = pack.spec.get("PackDefinition").and_then(|d| d.get("IDs")).and_then(|n| n.as_list()) {
                if let Some(n) = ids_node.iter().find(|n| n.as_str() == missing.first().copied()) {
                    d.span = Some(n.span);
                }
            }
            Some(d)
        })
        .collect()
}

/// Prowl's own warnings about references PAT does not check locally.
fn check_references(ws: &Workspace, items: &[&AnalysisItem]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for item in items {
        for q in &item.scheduled_queries {
            let ok = ws
                .get(q)
                .is_some_and(|t| t.analysis_type == AnalysisType::ScheduledQuery);
            if !ok {
                out.push(Diagnostic { severity: Severity::Warning, message: String::new(), hint: Some("add the scheduled query, or fix its QueryName here; Panther rejects the upload otherwise".into()), pat: false, ..item_diag(item, Code::ScheduledQueryMissing, "ScheduledQueries", format!("the scheduled query `{q}` is not in the workspace")) });
            }
        }
        if let Some(base) = &item.base_detection {
            if ws.get(base).is_none() {
                out.push(Diagnostic { severity: Severity::Warning, message: format!("Skipping Derived Detection '{}', could not lookup base detection '{base}'", item.id), hint: Some("PAT skips this detection's tests without an API token; add the base or check its RuleID".into()), pat: false, ..item_diag(item, Code::BaseDetectionMissing, "BaseDetection", format!("the base detection `{base}` is not in the workspace")) });
            }
        }
    }
    out
}

//! An open workspace for an interactive front end (the desktop app): the validated workspace,
//! a warm pool of test workers, the list of recent workspaces, and the views the UI shows.
//! The desktop shell's commands are thin wrappers over these functions.

use crate::diagnostics::{Code, Diagnostic, Severity};
use crate::engine::env::{cache_dir, PythonEnv};
use crate::engine::pool::Pool;
use crate::spec::value::Span;
use crate::spec::{AnalysisItem, AnalysisType};
use crate::testing::{self, Progress, TestOptions};
use crate::workspace::{OpenOptions, Workspace, WorkspaceError};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
    #[error("{0}")]
    Engine(String),
    #[error("no workspace is open")]
    NoWorkspace,
}

/// An item as the UI lists it: the item (the fields of `prowl list --format json`) and the
/// packs that list it.
#[derive(Debug, Clone, Serialize)]
pub struct ItemView<'a> {
    #[serde(flatten)]
    pub item: &'a AnalysisItem,
    /// IDs of the packs listing this item.
    pub packs: Vec<String>,
}

/// What the UI shows of a workspace.
#[derive(Debug, Clone, Serialize)]
pub struct WorkspaceView<'a> {
    pub root: PathBuf,
    pub name: String,
    pub items: Vec<ItemView<'a>>,
    pub diagnostics: Vec<Diagnostic>,
    /// The git status when the workspace is in a git repository.
    pub git: Option<crate::fork::Status>,
}

/// A test run for the UI.
#[derive(Debug, Clone, Serialize)]
pub struct TestReport {
    pub exit_code: i32,
    pub summary: Option<testing::Summary>,
    pub detections: Vec<Value>,
    pub elapsed_ms: f64,
    pub cancelled: bool,
}

/// An open workspace with its warm test workers.
pub struct Session {
    pub ws: Workspace,
    pub options: OpenOptions,
    pool: Option<Pool>,
}

impl Session {
    /// Opens (validates and indexes) a workspace and remembers it among the recent ones.
    pub fn open(path: &Path) -> Result<Session, SessionError> {
        let options = OpenOptions::default();
        let cache = std::sync::Arc::new(crate::workspace::ParseCache::enabled());
        let ws = Workspace::open_cached(path, &options, cache, None)?;
        remember_recent(&ws.root);
        Ok(Session {
            ws,
            options,
            pool: None,
        })
    }

    /// Reads the workspace again (after changes on disk).
    pub fn reload(&mut self) -> Result<(), SessionError> {
        let cache = std::sync::Arc::clone(&self.ws.parse_cache);
        self.ws = Workspace::open_cached(&self.ws.root, &self.options, cache, None)?;
        Ok(())
    }

    /// Applies changes seen on disk, re-reading only what they need (see
    /// `Workspace::apply_changes`). Returns whether the workspace was re-read.
    pub fn apply_changes(
        &mut self,
        changes: &[(PathBuf, crate::workspace::watch::Change)],
    ) -> Result<bool, SessionError> {
        Ok(self.ws.apply_changes(&self.options, changes)?)
    }

    pub fn view(&self) -> WorkspaceView<'_> {
        let all: Vec<usize> = (0..self.ws.items.len()).collect();
        WorkspaceView {
            root: self.ws.root.clone(),
            name: self
                .ws
                .root
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            items: self
                .ws
                .items
                .iter()
                .map(|i| item_view(i, &self.ws.items))
                .collect(),
            diagnostics: self.ws.check(&all),
            git: crate::fork::Repo::discover(&self.ws.root)
                .and_then(|r| r.status())
                .ok(),
        }
    }

    /// The problems of one file as if it had `text`: a spec is validated in the workspace's
    /// context; a Python file is compiled by a worker (the syntax error PAT would report when
    /// loading the detection, with its line and column).
    pub fn validate_buffer(
        &mut self,
        path: &Path,
        text: &str,
    ) -> Result<Vec<Diagnostic>, SessionError> {
        if path.extension().is_some_and(|e| e == "py") {
            return self.check_python(path, text);
        }
        Ok(Workspace::validate_buffer_cached(
            &self.ws.root,
            &self.options,
            std::sync::Arc::clone(&self.ws.parse_cache),
            path,
            text,
        )?)
    }

    fn check_python(&mut self, path: &Path, text: &str) -> Result<Vec<Diagnostic>, SessionError> {
        if PythonEnv::for_workspace(&self.ws.root).check().is_err() {
            return Ok(Vec::new()); // no interpreter yet; the first test run creates it
        }
        let request = serde_json::json!({"op": "check_python", "path": path, "text": text});
        let answer = self
            .pool()?
            .ask(&request, std::time::Duration::from_secs(10))
            .map_err(|e| SessionError::Engine(e.to_string()))?;
        let Some(e) = answer.get("error").filter(|e| e.is_object()) else {
            return Ok(Vec::new());
        };
        let number = |k: &str| e[k].as_u64().unwrap_or(1).max(1) as u32;
        Ok(vec![Diagnostic {
            severity: Severity::Error,
            code: Code::PythonSyntax,
            file: path.to_path_buf(),
            rel_path: path
                .strip_prefix(&self.ws.root)
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .unwrap_or_else(|_| path.display().to_string()),
            span: Some(Span {
                line: number("line"),
                col: number("col"),
            }),
            summary: format!(
                "{}: {}",
                e["type"].as_str().unwrap_or("SyntaxError"),
                e["msg"].as_str().unwrap_or("")
            ),
            message: e["message"].as_str().unwrap_or("").to_owned(),
            hint: Some(
                "PAT cannot load this detection: `pat test` lists it as invalid and runs none of its tests"
                    .into(),
            ),
            pat: true,
        }])
    }

    /// Starts a test worker in the background (the first run is then warm), if the
    /// workspace's Python environment is ready; creating one is left to the first run.
    pub fn prewarm(&mut self) -> Result<(), SessionError> {
        if PythonEnv::for_workspace(&self.ws.root).check().is_ok() {
            self.pool()?.prewarm(1);
        }
        Ok(())
    }

    fn pool(&mut self) -> Result<&mut Pool, SessionError> {
        if self.pool.is_none() {
            let env = PythonEnv::for_workspace(&self.ws.root);
            if env.check().is_err() {
                env.sync(false, &mut |_| {})
                    .map_err(|e| SessionError::Engine(e.to_string()))?;
            }
            let options = testing::worker_options(&self.ws.root)
                .map_err(|e| SessionError::Engine(e.to_string()))?;
            self.pool = Some(Pool::new(options, Pool::default_size()));
        }
        Ok(self.pool.as_mut().expect("pool just made"))
    }

    /// Stops the test workers beyond the first (see `Pool::retire_beyond`): a whole-workspace
    /// run starts one per core, and each holds ~25 MB while idle. Returns how many stopped.
    pub fn retire_extra_workers(&mut self) -> usize {
        self.pool.as_mut().map_or(0, |p| p.retire_beyond(1))
    }

    /// How many test workers are running.
    pub fn running_workers(&self) -> usize {
        self.pool.as_ref().map_or(0, Pool::running)
    }

    /// Runs the tests of `ids` (all detections when `None`), optionally only the named tests.
    pub fn run_tests(
        &mut self,
        ids: Option<Vec<String>>,
        test_names: Vec<String>,
        observer: &mut dyn FnMut(Progress) -> bool,
    ) -> Result<TestReport, SessionError> {
        let started = Instant::now();
        let options = TestOptions {
            test_names,
            only: ids.map(|v| v.into_iter().collect::<BTreeSet<_>>()),
            path_label: self.ws.root.display().to_string(),
            ..TestOptions::default()
        };
        // Split borrows: the pool is created first, then used with the workspace.
        self.pool()?;
        let pool = self.pool.as_mut().expect("pool ensured");
        let run = testing::run_observed(&self.ws, pool, &options, observer)
            .map_err(|e| SessionError::Engine(e.to_string()))?;
        Ok(TestReport {
            exit_code: run.exit_code,
            summary: run.summary,
            detections: run.detections,
            elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
            cancelled: run.cancelled,
        })
    }
}

fn item_view<'a>(item: &'a AnalysisItem, all: &[AnalysisItem]) -> ItemView<'a> {
    let packs = all
        .iter()
        .filter(|p| p.analysis_type == AnalysisType::Pack && p.pack_members.contains(&item.id))
        .map(|p| p.id.clone())
        .collect();
    ItemView { item, packs }
}

fn recent_file() -> PathBuf {
    cache_dir().join("recent-workspaces.json")
}

/// Recent workspaces, most recent first (those that no longer exist are left out).
pub fn recent_workspaces() -> Vec<PathBuf> {
    std::fs::read(recent_file())
        .ok()
        .and_then(|b| serde_json::from_slice::<Vec<PathBuf>>(&b).ok())
        .unwrap_or_default()
        .into_iter()
        .filter(|p| p.is_dir())
        .collect()
}

fn remember_recent(root: &Path) {
    let mut list = recent_workspaces();
    list.retain(|p| p != root);
    list.insert(0, root.to_path_buf());
    list.truncate(12);
    let file = recent_file();
    if let Some(dir) = file.parent() {
        let _ = std::fs::create_dir_all(dir);
        if let Ok(mut tmp) = tempfile::NamedTempFile::new_in(dir) {
            if serde_json::to_writer(&mut tmp, &list).is_ok() {
                let _ = tmp.persist(&file);
            }
        }
    }
}

/// Gives memory freed after a large transient job (opening a workspace, serialising its view,
/// a test run) back to the system. glibc keeps freed blocks in per-thread arenas for reuse, so
/// a long-lived process that opened a panther-analysis-sized workspace once on a few threads
/// otherwise keeps tens of megabytes it no longer uses (measured: 27 MB after opening and
/// dropping a 1,266-item workspace, 4.5 MB after trimming). A no-op on other C libraries.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks and shrinks the allocator's own free lists.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// The demo workspace the app opens when given nothing: written into the cache on first use.
pub fn demo_workspace() -> Result<PathBuf, SessionError> {
    let dir = cache_dir().join("demo-workspace");
    if !dir.join(".git").is_dir() {
        if dir.exists() {
            let _ = std::fs::remove_dir_all(&dir);
        }
        crate::demo::write_demo(&dir).map_err(|e| SessionError::Engine(e.to_string()))?;
    }
    Ok(dir)
}

//! An open workspace for an interactive front end (the desktop app): the validated workspace,
//! a warm pool of test workers, the list of recent workspaces, and the views the UI shows.
//!
//! - [`Session`]: one open workspace and its workers, used from one thread at a time.
//! - [`shared::SharedSession`]: the session as the desktop's threads share it: opening in the
//!   background, the file watcher, runs that can be cancelled, validation that never waits for
//!   a run, idle workers let go after a while, paths kept inside the workspace.
//! - [`replay`]: a replay on the session's workers, the events of its first alerts kept for
//!   the window (and made into unit tests).
//! - [`cluster`]: the Ray cluster the user replays on (its address, kept per user) and its
//!   connection check.
//! - [`upstream`]: the upstream merge for the window: the plan, one item's three versions, the
//!   merge checked on the session's workers, choices, commit, abort and undo.
//!
//! The desktop shell's commands are thin wrappers over these functions.

pub mod cluster;
pub mod deploy;
pub mod replay;
pub mod shared;
pub mod upstream;

use crate::diagnostics::{Code, Diagnostic, Severity};
use crate::engine::messages::{DetectionResult, PythonCheck, Request};
use crate::engine::pool::Pool;
use crate::engine::EngineError;
use crate::env::{cache_dir, PythonEnv};
use crate::error::UserError;
use crate::spec::value::Span;
use crate::spec::{AnalysisItem, AnalysisType};
use crate::testing::{self, Progress, TestError, TestOptions};
use crate::workspace::{OpenOptions, Workspace, WorkspaceError};
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Why a session could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The workspace could not be opened or re-read.
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
    /// The workers could not be started or asked (the Python environment included).
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// A test run could not be made.
    #[error(transparent)]
    Test(#[from] TestError),
    /// The demo workspace could not be written.
    #[error(transparent)]
    Demo(#[from] crate::demo::DemoError),
    /// Nothing is open.
    #[error("no workspace is open")]
    NoWorkspace,
}

impl UserError for SessionError {
    fn family(&self) -> &'static str {
        match self {
            SessionError::Workspace(e) => e.family(),
            SessionError::Engine(e) => e.family(),
            SessionError::Test(e) => e.family(),
            SessionError::Demo(e) => e.family(),
            SessionError::NoWorkspace => "session",
        }
    }

    fn name(&self) -> &'static str {
        match self {
            SessionError::Workspace(e) => e.name(),
            SessionError::Engine(e) => e.name(),
            SessionError::Test(e) => e.name(),
            SessionError::Demo(e) => e.name(),
            SessionError::NoWorkspace => "no_workspace",
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            SessionError::Workspace(e) => e
                .hint()
                .map(|_| "choose the folder of your panther-analysis fork".to_owned()),
            SessionError::Engine(e) => e.hint(),
            SessionError::Test(e) => e.hint(),
            SessionError::Demo(e) => e.hint(),
            SessionError::NoWorkspace => crate::error::ErrorInfo::no_workspace().hint,
        }
    }

    fn location(&self) -> Option<crate::error::Location> {
        match self {
            SessionError::Workspace(e) => e.location(),
            _ => None,
        }
    }
}

/// An item as the UI lists it: the item (the fields of `prowl list --format json`) and the
/// packs that list it.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ItemView<'a> {
    /// The valid item, its fields inlined into the view's JSON.
    #[serde(flatten)]
    pub item: &'a AnalysisItem,
    /// IDs of the packs listing this item.
    pub packs: Vec<String>,
}

/// What the UI shows of a workspace.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct WorkspaceView<'a> {
    /// The workspace folder, canonical.
    pub root: PathBuf,
    /// The folder's name, for the window title; empty for a filesystem root.
    pub name: String,
    /// Every valid item, in PAT's walk order.
    pub items: Vec<ItemView<'a>>,
    /// Every problem `prowl validate` reports for the whole workspace (no filter).
    pub diagnostics: Vec<Diagnostic>,
    /// The git status when the workspace is in a git repository.
    pub git: Option<crate::fork::Status>,
    /// Whether the user trusts the workspace (what an untrusted one may not do is in
    /// [`crate::trust`]).
    pub trust: crate::trust::TrustState,
}

/// A test run for the UI.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct TestReport {
    /// PAT's exit code for the run.
    pub exit_code: i32,
    /// PAT's summary (`None` when PAT would have stopped before it).
    pub summary: Option<testing::Summary>,
    /// Every detection that ran, in PAT's order.
    pub detections: Vec<DetectionResult>,
    /// Wall time of the run.
    pub elapsed_ms: f64,
    /// The run was cancelled: `detections` holds what finished.
    pub cancelled: bool,
}

/// An open workspace with its warm test workers.
pub struct Session {
    /// The validated workspace.
    pub ws: Workspace,
    /// How it was read.
    pub options: OpenOptions,
    pool: Option<Pool>,
    /// When the environment the pool's workers use was synced.
    pool_synced_at: Option<u64>,
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
            pool_synced_at: None,
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

    /// What the UI shows of the workspace: its items (with their packs), every problem, and
    /// the git status.
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
            trust: crate::trust::state(&self.ws.root),
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
        if !PythonEnv::for_workspace(&self.ws.root).usable() {
            return Ok(Vec::new()); // no environment yet: nothing can compile the buffer
        }
        let request = Request::CheckPython {
            path: path.to_path_buf(),
            text: text.to_owned(),
        };
        let answer: PythonCheck = self
            .pool()?
            .ask(&request, std::time::Duration::from_secs(10))?;
        let Some(e) = answer.syntax_error else {
            return Ok(Vec::new());
        };
        Ok(vec![Diagnostic {
            severity: Severity::Error,
            code: Code::PythonSyntax,
            file: path.to_path_buf(),
            rel_path: path
                .strip_prefix(&self.ws.root)
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .unwrap_or_else(|_| path.display().to_string()),
            span: Some(Span {
                line: e.line.max(1),
                col: e.col.max(1),
            }),
            summary: format!("{}: {}", e.kind, e.msg),
            message: e.message,
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
        if PythonEnv::for_workspace(&self.ws.root).usable() {
            self.pool()?.prewarm(1);
        }
        Ok(())
    }

    /// The warm workers. Their environment is used as it is (an out-of-date one too: the
    /// window's Environment panel says so and syncs it); when it is missing, the error says so
    /// and nothing is installed here. Workers made before the environment was synced again are
    /// replaced.
    fn pool(&mut self) -> Result<&mut Pool, SessionError> {
        let env = PythonEnv::for_workspace(&self.ws.root);
        let synced_at = env.manifest().map(|m| m.synced_at);
        if self.pool.is_some() && self.pool_synced_at != synced_at {
            self.pool = None; // dropping it stops its workers
        }
        if self.pool.is_none() {
            let options = crate::engine::prepare_workers(&self.ws.root, &mut |_| {}, &mut |env| {
                if env.usable() {
                    Ok(())
                } else {
                    Err(crate::env::EnvError::Missing {
                        workspace: env.workspace.display().to_string(),
                    })
                }
            })?;
            self.pool = Some(Pool::new(options, Pool::default_size()));
            self.pool_synced_at = synced_at;
        }
        Ok(self.pool.as_mut().expect("pool just made"))
    }

    /// Stops the test workers beyond the first (see `Pool::retire_beyond`): a whole-workspace
    /// run starts one per core, and each holds ~25 MB while idle. Returns how many stopped.
    pub fn retire_extra_workers(&mut self) -> usize {
        self.pool.as_mut().map_or(0, |p| p.retire_beyond(1))
    }

    /// Stops every test worker; the next run starts new ones (with the options, sandbox
    /// included, that hold then: after a change of trust, for example).
    pub fn retire_workers(&mut self) {
        self.pool = None;
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
        observer: &mut dyn FnMut(&Progress) -> bool,
    ) -> Result<TestReport, SessionError> {
        let options = TestOptions {
            test_names,
            only: ids.map(|v| v.into_iter().collect::<BTreeSet<_>>()),
            path_label: self.ws.root.display().to_string(),
            keep_warm: true,
            ..TestOptions::default()
        };
        self.run_tests_with(&options, observer)
    }

    /// Runs tests with these options (the window's report: what Prowl or the instance
    /// evaluated shown like any other test).
    pub fn run_tests_with(
        &mut self,
        options: &TestOptions,
        observer: &mut dyn FnMut(&Progress) -> bool,
    ) -> Result<TestReport, SessionError> {
        let started = Instant::now();
        // Split borrows: the pool is created first, then used with the workspace.
        self.pool()?;
        let pool = self.pool.as_mut().expect("pool ensured");
        let run = testing::run_observed(&self.ws, pool, options, observer)?;
        // The window shows what Prowl evaluated locally like any other test (each result says
        // `local`): Simple Detections and correlation rules PAT skips, and rules with
        // InlineFilters as Panther runs them (filters applied) instead of PAT's unfiltered run.
        let mut detections = run.detections;
        for local in run.local.into_iter().flat_map(|l| l.detections) {
            match detections.iter_mut().find(|d| d.id == local.id) {
                Some(d) => *d = local,
                None => detections.push(local),
            }
        }
        Ok(TestReport {
            exit_code: run.exit_code,
            summary: run.summary,
            detections,
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
        crate::demo::write_demo(&dir)?;
    }
    Ok(dir)
}

//! The app's state: the open session (workspace + warm test workers), the run cancel flag, and
//! the file watcher that tells the window about changes on disk.

use crate::error::AppError;
use rules_workspace::session::{self, Session};
use rules_workspace::workspace::watch::Watcher;
use rules_workspace::workspace::ParseCache;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use tauri::{AppHandle, Emitter, Manager, Runtime};

/// Payload of the `workspace://changed` event.
#[derive(Debug, Clone, Serialize)]
pub struct Changed {
    pub paths: Vec<PathBuf>,
    pub reindexed: bool,
}

pub struct AppState<R: Runtime = tauri::Wry> {
    session: Arc<Mutex<Option<Session>>>,
    /// The open workspace's root and parse cache, readable while a test run holds the session.
    root: Mutex<Option<(PathBuf, Arc<ParseCache>)>>,
    /// What to open at start (`None`: nothing, the start screen).
    initial: Mutex<Option<PathBuf>>,
    pub cancel: Arc<AtomicBool>,
    /// Bumped on every open; a watcher thread of an older workspace stops at its next event.
    generation: Arc<AtomicU64>,
    handle: Mutex<Option<AppHandle<R>>>,
    /// True while the workspace given at start is being opened (in the background, so the
    /// window shows at once); `workspace_view` waits for it.
    opening: Arc<(Mutex<bool>, Condvar)>,
    /// Bumped at the end of every test run: a pending retirement of idle workers is dropped
    /// when another run ended after it was scheduled.
    runs: Arc<AtomicU64>,
}

/// How long the extra workers of a whole-workspace run stay after it, in case another follows.
pub const EXTRA_WORKERS_IDLE: std::time::Duration = std::time::Duration::from_secs(30);

impl<R: Runtime> AppState<R> {
    pub fn new(initial: Option<PathBuf>) -> AppState<R> {
        AppState {
            session: Arc::new(Mutex::new(None)),
            root: Mutex::new(None),
            initial: Mutex::new(initial),
            cancel: Arc::new(AtomicBool::new(false)),
            generation: Arc::new(AtomicU64::new(0)),
            handle: Mutex::new(None),
            opening: Arc::new((Mutex::new(false), Condvar::new())),
            runs: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Called once the window exists: opens the initial workspace on another thread, so the
    /// window and the page load while the workspace is read and validated.
    pub fn start(&self, handle: AppHandle<R>) {
        *lock(&self.handle) = Some(handle.clone());
        let Some(path) = lock(&self.initial).take() else {
            return;
        };
        *lock(&self.opening.0) = true;
        std::thread::spawn(move || {
            let st = handle.state::<AppState<R>>();
            if let Err(e) = st.open(&path) {
                eprintln!("prowl: cannot open {}: {}", path.display(), e.message);
            }
            let (flag, done) = &*st.opening;
            *lock(flag) = false;
            done.notify_all();
        });
    }

    /// Waits until the workspace given at start is open (or failed to open).
    pub fn wait_opened(&self) {
        let (flag, done) = &*self.opening;
        let mut opening = lock(flag);
        while *opening {
            opening = done.wait(opening).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// The session, locked (blocking callers only: commands run on the blocking pool). A test
    /// run holds it for the run's length.
    pub fn session(&self) -> MutexGuard<'_, Option<Session>> {
        lock(&self.session)
    }

    /// The session if no one holds it now (`None` while, e.g., a test run is going on).
    pub fn try_session(&self) -> Option<MutexGuard<'_, Option<Session>>> {
        match self.session.try_lock() {
            Ok(g) => Some(g),
            Err(std::sync::TryLockError::Poisoned(p)) => Some(p.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
    }

    /// The open workspace's root (never waits for a test run).
    pub fn root(&self) -> Option<PathBuf> {
        lock(&self.root).as_ref().map(|(r, _)| r.clone())
    }

    /// The open workspace's parse cache (live validation parses only the buffer).
    pub fn parse_cache(&self) -> Option<Arc<ParseCache>> {
        lock(&self.root).as_ref().map(|(_, c)| Arc::clone(c))
    }

    /// Called after a test run: when it left more than one worker running, the others are
    /// stopped after `idle` unless another run ends in the meantime (that run schedules its
    /// own). One worker stays warm for the next run of one detection.
    pub fn retire_extra_workers_after(&self, idle: std::time::Duration) {
        let run = self.runs.fetch_add(1, Ordering::SeqCst) + 1;
        let busy = self
            .try_session()
            .is_some_and(|s| s.as_ref().is_some_and(|s| s.running_workers() > 1));
        if !busy {
            return;
        }
        let runs = Arc::clone(&self.runs);
        let session = Arc::clone(&self.session);
        std::thread::spawn(move || {
            std::thread::sleep(idle);
            if runs.load(Ordering::SeqCst) != run {
                return; // a later run ended: it decides
            }
            // A run going on now holds the session: leave its workers alone.
            let Ok(mut guard) = session.try_lock() else {
                return;
            };
            if let Some(s) = guard.as_mut() {
                s.retire_extra_workers();
                drop(guard);
                session::release_free_memory();
            }
        });
    }

    /// Opens a workspace, replaces the session and watches its files.
    pub fn open(&self, path: &Path) -> Result<(), AppError> {
        let mut session = Session::open(path)?;
        // Start a worker now so the first run is warm; an environment problem shows up when
        // tests are run, with its message.
        let _ = session.prewarm();
        let root = session.ws.root.clone();
        let cache = Arc::clone(&session.ws.parse_cache);
        *self.session() = Some(session);
        *lock(&self.root) = Some((root.clone(), cache));
        session::release_free_memory();
        self.watch(root);
        Ok(())
    }

    fn watch(&self, root: PathBuf) {
        let generation = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        let Some(handle) = lock(&self.handle).clone() else {
            return;
        };
        let current = Arc::clone(&self.generation);
        let session = Arc::clone(&self.session);
        std::thread::spawn(move || {
            let Ok(watcher) = Watcher::start(&root) else {
                return;
            };
            while let Some(burst) = watcher.next_burst() {
                if current.load(Ordering::SeqCst) != generation {
                    return; // another workspace was opened
                }
                if burst.is_empty() {
                    continue;
                }
                // Python-only edits refresh the index's imports; spec changes and new or
                // removed files re-read the workspace.
                let reindexed = match lock(&session).as_mut() {
                    Some(s) if s.ws.root == root => s.apply_changes(&burst).unwrap_or(false),
                    _ => false,
                };
                if reindexed {
                    session::release_free_memory();
                }
                let paths = burst.into_iter().map(|(p, _)| p).collect();
                let _ = handle.emit("workspace://changed", Changed { paths, reindexed });
            }
        });
    }
}

/// A poisoned lock means a command panicked; the data is still usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

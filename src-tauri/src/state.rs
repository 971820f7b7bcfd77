//! The app's state: the shared session of the core (open workspace, warm workers, watcher,
//! runs), the Audit view's audits (`rules_workspace::audit::viewer`) and the handle the
//! watcher's events go out through. The rules (opening in the
//! background, what waits for what, idle workers, paths inside the workspace) are the core's:
//! `rules_workspace::session::shared`.

use rules_workspace::audit::viewer::AuditViewer;
use rules_workspace::error::ErrorInfo;
use rules_workspace::session::shared::SharedSession;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tauri::{AppHandle, Emitter, Runtime};

/// What the window's commands share.
pub struct AppState<R: Runtime = tauri::Wry> {
    /// The open workspace and its workers.
    pub shared: Arc<SharedSession>,
    /// The Audit view's audits: the last audited pack's files, the audit going on.
    pub audits: AuditViewer,
    /// What to open at start (`None`: nothing, the start screen).
    initial: Mutex<Option<PathBuf>>,
    handle: Mutex<Option<AppHandle<R>>>,
}

impl<R: Runtime> AppState<R> {
    /// The state of a window that opens `initial` once it exists.
    pub fn new(initial: Option<PathBuf>) -> AppState<R> {
        AppState {
            shared: Arc::new(SharedSession::new()),
            audits: AuditViewer::new(),
            initial: Mutex::new(initial),
            handle: Mutex::new(None),
        }
    }

    /// Called once the window exists: opens the initial workspace on another thread, so the
    /// window and the page load while the workspace is read and validated.
    pub fn start(&self, handle: AppHandle<R>) {
        *lock(&self.handle) = Some(handle.clone());
        if let Some(path) = lock(&self.initial).take() {
            self.shared.open_in_background(path, notifier(handle));
        }
    }

    /// Opens a workspace; its changes on disk go to the window as `workspace://changed`.
    pub fn open(&self, path: &Path) -> Result<(), ErrorInfo> {
        match lock(&self.handle).clone() {
            Some(handle) => self.shared.open(path, notifier(handle))?,
            None => self.shared.open(path, |_| {})?,
        }
        Ok(())
    }
}

/// Tells the window about changes on disk.
fn notifier<R: Runtime>(
    handle: AppHandle<R>,
) -> impl Fn(rules_workspace::session::shared::Changed) + Send + 'static {
    move |changed| {
        let _ = handle.emit("workspace://changed", changed);
    }
}

/// A poisoned lock means a command panicked; the data is still usable.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

//! The session as an interactive front end's threads share it (the desktop app calls these
//! from its command threads; nothing here knows of windows or Tauri).
//!
//! Rules this type owns, so every front end gets them the same:
//! - opening happens on its own thread when asked ([`SharedSession::open_in_background`]);
//!   whoever needs the workspace meanwhile waits for it ([`SharedSession::wait_opened`]);
//! - the open workspace is watched; each burst of changes on disk is applied to the session and
//!   handed to the front end's callback as [`Changed`]; opening another workspace stops the old
//!   watcher at its next event;
//! - a test run holds the session for its length; validation of a spec buffer, file access and
//!   git never wait for it (the root and parse cache are kept outside the session's lock), and
//!   compiling a Python buffer is skipped while a run holds the workers;
//! - a run can be cancelled from another thread ([`SharedSession::cancel_run`]);
//! - after a run that started several workers, the extra ones are let go after
//!   [`EXTRA_WORKERS_IDLE`] unless another run ends first (one stays warm);
//! - the front end may name only paths inside the open workspace ([`SharedSession::inside`]),
//!   and reads and saves files only through [`SharedSession::read_file`] and
//!   [`SharedSession::save_file`], which follow no link out of it.

use super::replay::KeptEvents;
use super::upstream::{self, ItemDetail, UpstreamDone, UpstreamMemo, UpstreamView};
use super::{release_free_memory, Session, SessionError, TestReport};
use crate::diagnostics::Diagnostic;
use crate::error::{ErrorInfo, Location};
use crate::testing::Progress;
use crate::workspace::save;
use crate::workspace::watch::Watcher;
use crate::workspace::{OpenOptions, ParseCache, Workspace};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

mod replays;

/// How long the extra workers of a whole-workspace run stay after it, in case another follows.
pub const EXTRA_WORKERS_IDLE: Duration = Duration::from_secs(30);

/// Files changed on disk (another editor, `git checkout`), as the front end is told.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct Changed {
    /// The files.
    pub paths: Vec<PathBuf>,
    /// Whether the workspace was re-read (a spec changed, a file came or went); a Python-only
    /// change refreshes the index's imports and is `false`.
    pub reindexed: bool,
}

/// The open workspace's root, how it was read and its parse cache: what validation and file
/// access need, readable while a run holds the session.
#[derive(Clone)]
struct Root {
    path: PathBuf,
    options: OpenOptions,
    cache: Arc<ParseCache>,
}

/// One open session shared by a front end's threads.
#[derive(Default)]
pub struct SharedSession {
    session: Arc<Mutex<Option<Session>>>,
    root: Mutex<Option<Root>>,
    cancel: Arc<AtomicBool>,
    /// Bumped on every open; a watcher thread of an older workspace stops at its next event.
    generation: Arc<AtomicU64>,
    /// True while a workspace is being opened in the background.
    opening: Arc<(Mutex<bool>, Condvar)>,
    /// Set to stop the environment sync going on.
    env_cancel: Arc<AtomicBool>,
    /// True while this session syncs the environment.
    env_syncing: Arc<AtomicBool>,
    /// The generation of the newest watcher that has started (or failed to).
    watching: Arc<(Mutex<u64>, Condvar)>,
    /// Bumped at the end of every run: a pending retirement of idle workers is dropped when
    /// another run ended after it was scheduled.
    runs: Arc<AtomicU64>,
    /// Set to stop the replay going on.
    replay_cancel: Arc<AtomicBool>,
    /// The last replay's kept events (forgotten when another workspace opens).
    replayed: Mutex<Option<KeptEvents>>,
    /// The Upstream view's last plan and the check of the merged result (forgotten when
    /// another workspace opens).
    upstream: Mutex<UpstreamMemo>,
    /// Set to stop the upstream fetch going on.
    upstream_cancel: Arc<AtomicBool>,
}

/// What the window shows of the workspace's Python environment (its Environment panel).
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct EnvironmentView {
    /// Where the environment is.
    pub path: PathBuf,
    /// The interpreter workers embed.
    pub interpreter: String,
    /// `ready`, `missing`, `stale` (made for other requirements) or `broken`.
    pub status: String,
    /// Why it is not ready, with the next step.
    pub problem: Option<ErrorInfo>,
    /// A sync of it is going on (here or in another prowl).
    pub syncing: bool,
    /// What it holds, when it was ever synced.
    pub manifest: Option<crate::env::manifest::Manifest>,
    /// What a sync now would leave out, and why.
    pub left_out: Vec<crate::env::requirements::LeftOut>,
    /// Notes a sync now would make (a stale lock pin, an ignored file…).
    pub notes: Vec<String>,
}

/// How an environment sync from the window ended.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EnvSyncOutcome {
    /// The environment is ready.
    Synced {
        /// It, as the panel shows it.
        environment: Box<EnvironmentView>,
    },
    /// The workspace asks for packages: this exact list must be approved (call again with it).
    NeedsApproval {
        /// The list.
        approval: crate::env::Approval,
    },
}

/// A poisoned lock means a thread panicked while holding it; the data is still usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl SharedSession {
    /// Nothing open yet.
    pub fn new() -> SharedSession {
        SharedSession::default()
    }

    /// Opens a workspace, replaces the session, starts a worker (so the first run is warm) and
    /// watches the files; `on_change` is called from the watcher's thread for each burst.
    pub fn open(
        &self,
        path: &Path,
        on_change: impl Fn(Changed) + Send + 'static,
    ) -> Result<(), SessionError> {
        let mut session = Session::open(path)?;
        // An environment problem shows up when tests are run, with its message.
        let _ = session.prewarm();
        let root = Root {
            path: session.ws.root.clone(),
            options: session.options.clone(),
            cache: Arc::clone(&session.ws.parse_cache),
        };
        *self.session() = Some(session);
        *lock(&self.root) = Some(root.clone());
        *lock(&self.replayed) = None;
        lock(&self.upstream).forget();
        release_free_memory();
        self.watch(root.path, on_change);
        Ok(())
    }

    /// [`SharedSession::open`] on a thread of its own (a window shows at once while the
    /// workspace is read); [`SharedSession::wait_opened`] waits for it. A failure is written
    /// to stderr: the front end finds no workspace open and shows its start screen.
    pub fn open_in_background(
        self: &Arc<Self>,
        path: PathBuf,
        on_change: impl Fn(Changed) + Send + 'static,
    ) {
        *lock(&self.opening.0) = true;
        let shared = Arc::clone(self);
        std::thread::spawn(move || {
            if let Err(e) = shared.open(&path, on_change) {
                eprintln!("prowl: cannot open {}: {e}", path.display());
            }
            let (flag, done) = &*shared.opening;
            *lock(flag) = false;
            done.notify_all();
        });
    }

    /// Waits until the open workspace's watcher is registered (or failed to start): every change
    /// made on disk after this is reported.
    pub fn wait_watching(&self) {
        let generation = self.generation.load(Ordering::SeqCst);
        let (started, ready) = &*self.watching;
        let mut started = lock(started);
        while *started < generation {
            started = ready.wait(started).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Waits until a workspace being opened in the background is open (or failed to open).
    pub fn wait_opened(&self) {
        let (flag, done) = &*self.opening;
        let mut opening = lock(flag);
        while *opening {
            opening = done.wait(opening).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// The session, locked (blocking callers only). A test run holds it for the run's length.
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
    pub fn root(&self) -> Result<PathBuf, ErrorInfo> {
        lock(&self.root)
            .as_ref()
            .map(|r| r.path.clone())
            .ok_or_else(ErrorInfo::no_workspace)
    }

    /// `path`, if it lies inside the open workspace: the front end may touch nothing else.
    /// The folder must exist (it is resolved, links included); the file need not.
    pub fn inside(&self, path: &str) -> Result<PathBuf, ErrorInfo> {
        let root = self.root()?;
        contained(&root, Path::new(path))
    }

    /// A file of the open workspace for an editor: the path resolved as [`Self::inside`] does,
    /// its text and its stamp. A link is followed only when it stays inside the workspace, and
    /// only a regular file is read (see [`save::read_text_in`]).
    pub fn read_file(&self, path: &str) -> Result<(PathBuf, String, String), ErrorInfo> {
        let root = self.root()?;
        let path = contained(&root, Path::new(path))?;
        let (text, stamp) = save::read_text_in(&root, &path)?;
        Ok((path, text, stamp))
    }

    /// Saves an editor's text to a file of the open workspace if it still has the stamp
    /// `expected` (see [`save::save_text_in`]: never through a link out of the workspace).
    /// Returns the path resolved as [`Self::inside`] does and the new stamp.
    pub fn save_file(
        &self,
        path: &str,
        text: &str,
        expected: &str,
    ) -> Result<(PathBuf, String), ErrorInfo> {
        let root = self.root()?;
        let path = contained(&root, Path::new(path))?;
        let stamp = save::save_text_in(&root, &path, text, expected)?;
        Ok((path, stamp))
    }

    /// The problems of one file as if it had `text` (see [`Session::validate_buffer`]). A spec
    /// is validated from disk plus this buffer without waiting for a test run; compiling a
    /// Python buffer needs a worker, so while a run holds them it is skipped (no problems).
    pub fn validate_buffer(&self, path: &str, text: &str) -> Result<Vec<Diagnostic>, ErrorInfo> {
        let path = self.inside(path)?;
        if path.extension().is_some_and(|e| e == "py") {
            let Some(mut guard) = self.try_session() else {
                return Ok(Vec::new());
            };
            let session = guard.as_mut().ok_or_else(ErrorInfo::no_workspace)?;
            return Ok(session.validate_buffer(&path, text)?);
        }
        let root = lock(&self.root)
            .clone()
            .ok_or_else(ErrorInfo::no_workspace)?;
        Workspace::validate_buffer_cached(&root.path, &root.options, root.cache, &path, text)
            .map_err(|e| SessionError::from(e).into())
    }

    /// Runs tests (see [`Session::run_tests`]) until done or [`SharedSession::cancel_run`];
    /// afterwards the extra workers are let go after [`EXTRA_WORKERS_IDLE`].
    pub fn run_tests(
        &self,
        ids: Option<Vec<String>>,
        test_names: Vec<String>,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<TestReport, ErrorInfo> {
        self.run_tests_then_retire(ids, test_names, progress, EXTRA_WORKERS_IDLE)
    }

    /// [`SharedSession::run_tests`] with another idle time before extra workers stop.
    pub fn run_tests_then_retire(
        &self,
        ids: Option<Vec<String>>,
        test_names: Vec<String>,
        progress: &mut dyn FnMut(&Progress),
        idle: Duration,
    ) -> Result<TestReport, ErrorInfo> {
        self.cancel.store(false, Ordering::SeqCst);
        let cancel = Arc::clone(&self.cancel);
        let report = {
            let mut guard = self.session();
            let session = guard.as_mut().ok_or_else(ErrorInfo::no_workspace)?;
            session.run_tests(ids, test_names, &mut |p| {
                progress(p);
                !cancel.load(Ordering::SeqCst)
            })?
        };
        self.retire_extra_workers_after(idle);
        Ok(report)
    }

    /// The drift between the open workspace and the instance a profile names (`None`: PAT's
    /// environment variables, else the default profile). The instance is asked without the
    /// session held; the comparison holds it briefly.
    pub fn remote_drift(
        &self,
        profile: Option<&str>,
    ) -> Result<super::deploy::DriftView, ErrorInfo> {
        let client = super::deploy::client(profile, None)?;
        let remote = crate::remote::drift::remote_items(&client).map_err(ErrorInfo::from)?;
        let guard = self.session();
        let session = guard.as_ref().ok_or_else(ErrorInfo::no_workspace)?;
        Ok(super::deploy::DriftView {
            url: client.url().to_owned(),
            drift: crate::remote::drift::drift(
                &session.ws,
                &crate::filter::Filters::default(),
                &remote,
            ),
        })
    }

    /// Uploads the open workspace (see [`Session::deploy`]); the client's retry warnings are
    /// events too. Like a test run, it holds the session for its length.
    pub fn deploy(
        &self,
        profile: Option<&str>,
        skip_tests: bool,
        on: &(dyn Fn(&crate::remote::deploy::Event) + Send + Sync),
    ) -> Result<super::deploy::DeployOutcome, ErrorInfo> {
        use crate::remote::deploy::{Event, Level, Stage};
        let warnings: Arc<Mutex<Vec<String>>> = Arc::default();
        let sink = Arc::clone(&warnings);
        let notify: crate::remote::client::Notify = Arc::new(move |m: &str| {
            lock(&sink).push(m.to_owned());
        });
        let client = Arc::new(super::deploy::client(profile, Some(notify))?);
        let outcome = {
            let mut guard = self.session();
            let session = guard.as_mut().ok_or_else(ErrorInfo::no_workspace)?;
            session.deploy(client, skip_tests, &mut |e| {
                for w in lock(&warnings).drain(..) {
                    on(&Event {
                        stage: e.stage,
                        level: Level::Warning,
                        text: w,
                    });
                }
                on(e);
            })
        };
        for w in lock(&warnings).drain(..) {
            on(&Event {
                stage: Stage::Done,
                level: Level::Warning,
                text: w,
            });
        }
        self.retire_extra_workers_after(EXTRA_WORKERS_IDLE);
        outcome
    }

    /// Stops the run going on (it reports what finished, `cancelled`).
    pub fn cancel_run(&self) {
        self.cancel.store(true, Ordering::SeqCst);
    }

    /// The Upstream view (see [`upstream::view`]): planning `target` (`None`: the remote's
    /// default branch) unless a merge is in progress. Never waits for a test run.
    pub fn upstream_view(&self, target: Option<&str>) -> Result<UpstreamView, ErrorInfo> {
        upstream::view(&self.root()?, &mut lock(&self.upstream), target)
    }

    /// One item of the plan with its three versions and the proposed result.
    pub fn upstream_item(&self, id: &str, target: Option<&str>) -> Result<ItemDetail, ErrorInfo> {
        upstream::item(&self.root()?, &mut lock(&self.upstream), id, target)
    }

    /// Points the upstream remote at `url` (adding it when missing).
    pub fn upstream_set_remote(&self, url: &str) -> Result<UpstreamDone, ErrorInfo> {
        upstream::set_remote(&self.root()?, &mut lock(&self.upstream), url)
    }

    /// Fetches the upstream remote until done or [`SharedSession::cancel_upstream_fetch`]; the
    /// session is not held (tests and edits go on meanwhile).
    pub fn upstream_fetch(
        &self,
        target: Option<&str>,
        progress: &mut dyn FnMut(crate::upstream::FetchProgress),
    ) -> Result<UpstreamDone, ErrorInfo> {
        self.upstream_cancel.store(false, Ordering::SeqCst);
        let root = self.root()?;
        // Nothing is held during the transfer: the view stays readable, tests and edits go on.
        let fetched = upstream::fetch(&root, progress, &self.upstream_cancel)?;
        upstream::fetched(&root, &mut lock(&self.upstream), fetched, target)
    }

    /// Stops the upstream fetch going on (it fails with `upstream.fetch_cancelled`).
    pub fn cancel_upstream_fetch(&self) {
        self.upstream_cancel.store(true, Ordering::SeqCst);
    }

    /// Runs one upstream write on the session (held for its length, like a test run) with the
    /// Upstream view's memo.
    fn upstream_write(
        &self,
        write: impl FnOnce(&mut Session, &mut UpstreamMemo) -> Result<UpstreamDone, ErrorInfo>,
    ) -> Result<UpstreamDone, ErrorInfo> {
        let outcome = {
            let mut guard = self.session();
            let session = guard.as_mut().ok_or_else(ErrorInfo::no_workspace)?;
            write(session, &mut lock(&self.upstream))
        };
        self.retire_extra_workers_after(EXTRA_WORKERS_IDLE);
        outcome
    }

    /// Writes the merge into the working tree and checks the result (see
    /// [`Session::upstream_merge`]).
    pub fn upstream_merge(
        &self,
        target: Option<&str>,
        stash: bool,
    ) -> Result<UpstreamDone, ErrorInfo> {
        self.upstream_write(|s, memo| s.upstream_merge(memo, target, stash))
    }

    /// Answers an item's decision or conflicts (see [`Session::upstream_resolve`]).
    pub fn upstream_resolve(
        &self,
        id: &str,
        resolution: crate::upstream::Resolution,
    ) -> Result<UpstreamDone, ErrorInfo> {
        self.upstream_write(|s, memo| s.upstream_resolve(memo, id, resolution))
    }

    /// Takes Prowl's proposed answer for every open decision.
    pub fn upstream_accept_proposed(&self) -> Result<UpstreamDone, ErrorInfo> {
        self.upstream_write(|s, memo| s.upstream_accept_proposed(memo))
    }

    /// Makes the merge commit.
    pub fn upstream_commit(&self, message: Option<&str>) -> Result<UpstreamDone, ErrorInfo> {
        self.upstream_write(|s, memo| s.upstream_commit(memo, message))
    }

    /// Stops the merge in progress.
    pub fn upstream_abort(&self) -> Result<UpstreamDone, ErrorInfo> {
        self.upstream_write(|s, memo| s.upstream_abort(memo))
    }

    /// Takes back the last upstream merge commit.
    pub fn upstream_undo(&self) -> Result<UpstreamDone, ErrorInfo> {
        self.upstream_write(|s, memo| s.upstream_undo(memo))
    }

    /// The open workspace's Python environment, as the Environment panel shows it.
    pub fn environment(&self) -> Result<EnvironmentView, ErrorInfo> {
        let env = crate::env::PythonEnv::for_workspace(&self.root()?);
        let (status, problem) = match env.check() {
            Ok(()) => ("ready", None),
            Err(e) => (
                match &e {
                    crate::env::EnvError::Missing { .. } => "missing",
                    crate::env::EnvError::Stale { .. } => "stale",
                    _ => "broken",
                },
                Some(ErrorInfo::from(e)),
            ),
        };
        let (left_out, notes, problem) = match env.plan(&[]) {
            Ok(plan) => (plan.left_out, plan.notes, problem),
            // Refused requirements are the problem to show, whatever the status.
            Err(e) => (Vec::new(), Vec::new(), Some(ErrorInfo::from(e))),
        };
        Ok(EnvironmentView {
            syncing: self.env_syncing.load(Ordering::SeqCst) || crate::env::sync_in_progress(&env),
            manifest: env.manifest(),
            path: env.path,
            interpreter: crate::env::build_python().to_owned(),
            status: status.to_owned(),
            problem,
            left_out,
            notes,
        })
    }

    /// Syncs the open workspace's environment, never holding the session (tests, validation
    /// and git go on meanwhile; new workers use the new environment). When the workspace asks
    /// for packages, the exact list must have been approved: `approved` is the list the user
    /// saw (`name==version` each); without it, or when the list changed, the answer is the
    /// list to approve and nothing is installed.
    pub fn sync_environment(
        &self,
        approved: Option<Vec<String>>,
        allow_builds: Vec<String>,
        progress: &mut dyn FnMut(&str),
    ) -> Result<EnvSyncOutcome, ErrorInfo> {
        let env = crate::env::PythonEnv::for_workspace(&self.root()?);
        self.env_cancel.store(false, Ordering::SeqCst);
        self.env_syncing.store(true, Ordering::SeqCst);
        let mut asked: Option<crate::env::Approval> = None;
        let mut approve = |a: &crate::env::Approval| {
            let listed: Vec<String> = a
                .packages
                .iter()
                .map(|p| format!("{}=={}", p.name, p.version))
                .collect();
            // A trusted workspace's list is installed as shown; an untrusted one's only
            // once the user approved exactly this list.
            let ok = crate::trust::is_trusted(&env.workspace)
                || approved.as_ref().is_some_and(|list| *list == listed);
            if !ok {
                asked = Some(a.clone());
            }
            ok
        };
        let mut allow = crate::env::SyncOptions::allow_builds_from_env();
        allow.extend(allow_builds);
        let result = env.sync(crate::env::SyncOptions {
            force: false,
            allow_builds: allow,
            timeout: crate::env::SyncOptions::default_timeout(),
            cancel: Some(&self.env_cancel),
            progress,
            approve: &mut approve,
        });
        self.env_syncing.store(false, Ordering::SeqCst);
        match result {
            Ok(_) => Ok(EnvSyncOutcome::Synced {
                environment: Box::new(self.environment()?),
            }),
            Err(crate::env::EnvError::NotApproved { .. }) if asked.is_some() => {
                Ok(EnvSyncOutcome::NeedsApproval {
                    approval: asked.expect("set when not approved"),
                })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Whether the open workspace is trusted, and why.
    pub fn trust(&self) -> Result<crate::trust::TrustState, ErrorInfo> {
        Ok(crate::trust::state(&self.root()?))
    }

    /// Trusts the open workspace's folder (`true`) or stops trusting it (`false`). Running
    /// workers are retired either way, so the next run starts under the new decision.
    pub fn set_trust(&self, trusted: bool) -> Result<crate::trust::TrustState, ErrorInfo> {
        let root = self.root()?;
        if trusted {
            crate::trust::grant(&root)?;
        } else {
            crate::trust::revoke(&root)?;
        }
        if let Some(session) = self.session().as_mut() {
            session.retire_workers();
        }
        Ok(crate::trust::state(&root))
    }

    /// Stops the environment sync going on (the previous environment stays).
    pub fn cancel_environment_sync(&self) {
        self.env_cancel.store(true, Ordering::SeqCst);
    }

    /// How many test workers are running.
    pub fn running_workers(&self) -> usize {
        self.session().as_ref().map_or(0, Session::running_workers)
    }

    /// After a run: when it left more than one worker running, the others are stopped after
    /// `idle` unless another run ends in the meantime (that run schedules its own). One worker
    /// stays warm for the next run of one detection.
    pub fn retire_extra_workers_after(&self, idle: Duration) {
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
                release_free_memory();
            }
        });
    }

    fn watch(&self, root: PathBuf, on_change: impl Fn(Changed) + Send + 'static) {
        let generation = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        let current = Arc::clone(&self.generation);
        let session = Arc::clone(&self.session);
        let watching = Arc::clone(&self.watching);
        // Started on the watcher's own thread: on a panther-analysis-sized tree, registering
        // every folder takes tens of milliseconds the window should not wait for.
        // `wait_watching` waits for it where a caller needs every later change seen.
        std::thread::spawn(move || {
            let watcher = Watcher::start(&root);
            {
                let (started, ready) = &*watching;
                let mut started = lock(started);
                *started = (*started).max(generation);
                ready.notify_all();
            }
            let Ok(watcher) = watcher else {
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
                    release_free_memory();
                }
                let paths = burst.into_iter().map(|(p, _)| p).collect();
                on_change(Changed { paths, reindexed });
            }
        });
    }
}

/// `path` resolved against the real location of its folder, if that lies inside `root`.
fn contained(root: &Path, path: &Path) -> Result<PathBuf, ErrorInfo> {
    let parent = path
        .parent()
        .and_then(|p| std::fs::canonicalize(p).ok())
        .ok_or_else(|| {
            ErrorInfo::new(
                "file.not_found",
                format!("{}: no such folder", path.display()),
            )
            .at(Location::file(path))
        })?;
    let full = parent.join(path.file_name().unwrap_or_default());
    if !full.starts_with(root) {
        return Err(ErrorInfo::new(
            "file.outside_workspace",
            format!(
                "{} is outside the workspace {}",
                full.display(),
                root.display()
            ),
        )
        .with_hint("the window may open and save files of the open workspace only")
        .at(Location::file(&full)));
    }
    Ok(full)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::replay::KeepLimits;

    #[test]
    fn paths_outside_the_workspace_or_in_missing_folders_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap().join("ws");
        std::fs::create_dir_all(root.join("rules")).unwrap();
        assert_eq!(
            contained(&root, &root.join("rules/new.py")).unwrap(),
            root.join("rules/new.py")
        );
        let out = contained(&root, &root.join("../escape.txt")).unwrap_err();
        assert_eq!(out.code, "file.outside_workspace");
        assert_eq!(
            contained(&root, Path::new("/etc/passwd")).unwrap_err().code,
            "file.outside_workspace"
        );
        assert_eq!(
            contained(&root, &root.join("no/such/x.py"))
                .unwrap_err()
                .code,
            "file.not_found"
        );
        // A folder that is a link out of the workspace is outside it.
        std::os::unix::fs::symlink(dir.path(), root.join("out")).unwrap();
        assert_eq!(
            contained(&root, &root.join("out/x.txt")).unwrap_err().code,
            "file.outside_workspace"
        );
    }

    #[test]
    fn without_a_workspace_every_call_says_so() {
        let shared = SharedSession::new();
        assert_eq!(shared.root().unwrap_err().code, "session.no_workspace");
        assert_eq!(
            shared
                .validate_buffer("/tmp/x.yml", "a: 1")
                .unwrap_err()
                .code,
            "session.no_workspace"
        );
        assert_eq!(
            shared
                .run_tests(None, Vec::new(), &mut |_| {})
                .unwrap_err()
                .code,
            "session.no_workspace"
        );
        assert_eq!(shared.running_workers(), 0);
        assert_eq!(
            shared
                .replay(&["logs".into()], &[], KeepLimits::default(), &mut |_| {})
                .unwrap_err()
                .code,
            "session.no_workspace"
        );
        assert_eq!(
            shared.replay_events(0).unwrap_err().code,
            "replay.nothing_replayed"
        );
        assert_eq!(
            shared.replay_event_test(0, 0, "", true).unwrap_err().code,
            "replay.nothing_replayed"
        );
        shared.wait_opened(); // nothing being opened: returns at once
    }
}

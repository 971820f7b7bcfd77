//! [`SharedSession`]'s replays: on the session's workers (holding the session, like a test
//! run) or on a Ray cluster (the workspace read again, the session not held), "Impact" against
//! the last commit, cancel, and the last replay's kept events.

use super::{lock, SharedSession, EXTRA_WORKERS_IDLE};
use crate::error::ErrorInfo;
use crate::session::replay::{
    self, AlertEvents, EventTest, ImpactView, KeepLimits, ReplayView, SessionReplayError,
};
use crate::session::{release_free_memory, SessionError};
use crate::workspace::Workspace;
use std::sync::atomic::Ordering;
use std::sync::Arc;

impl SharedSession {
    /// Replays logs through the open workspace's rules (see [`Session::replay`](crate::session::Session::replay)) until done
    /// or [`SharedSession::cancel_replay`]; the events of the first alerts are kept (within
    /// `keep`) for [`SharedSession::replay_events`] and [`SharedSession::replay_event_test`],
    /// replacing the last replay's. Like a test run, it holds the session for its length.
    pub fn replay(
        &self,
        sources: &[String],
        filter: &[String],
        keep: KeepLimits,
        progress: &mut dyn FnMut(&crate::replay::ReplayProgress),
    ) -> Result<ReplayView, ErrorInfo> {
        self.replay_cancel.store(false, Ordering::SeqCst);
        let cancel = Arc::clone(&self.replay_cancel);
        // The last replay's events go first: two replays' worth is never held at once.
        *lock(&self.replayed) = None;
        let (view, kept) = {
            let mut guard = self.session();
            let session = guard.as_mut().ok_or_else(ErrorInfo::no_workspace)?;
            session.replay(sources, filter, keep, &mut |p| {
                progress(p);
                !cancel.load(Ordering::SeqCst)
            })?
        };
        *lock(&self.replayed) = Some(kept);
        self.retire_extra_workers_after(EXTRA_WORKERS_IDLE);
        Ok(view)
    }

    /// Replays logs on a Ray cluster (see [`replay::replay_on_cluster`]) until done or
    /// [`SharedSession::cancel_replay`]; the events of the first alerts are kept as for
    /// [`SharedSession::replay`]. The workspace is read again for it (through the session's
    /// parse cache, so as it is on disk now): the session is not held, and tests, validation,
    /// git and the watcher go on while the cluster works. One replay at a time (the window
    /// runs one at a time; `cancel_replay` stops whichever is going on).
    pub fn replay_on_cluster(
        &self,
        sources: &[String],
        filter: &[String],
        keep: KeepLimits,
        cluster: &crate::replay::cluster::ClusterOptions,
        progress: &mut dyn FnMut(&crate::replay::ReplayProgress),
    ) -> Result<ReplayView, ErrorInfo> {
        self.replay_cancel.store(false, Ordering::SeqCst);
        let cancel = Arc::clone(&self.replay_cancel);
        *lock(&self.replayed) = None;
        let generation = self.generation.load(Ordering::SeqCst);
        let root = lock(&self.root)
            .clone()
            .ok_or_else(ErrorInfo::no_workspace)?;
        let ws = Workspace::open_cached(&root.path, &root.options, root.cache, None)
            .map_err(SessionError::from)?;
        let (view, kept) =
            replay::replay_on_cluster(&ws, sources, filter, keep, cluster, &mut |p| {
                progress(p);
                !cancel.load(Ordering::SeqCst)
            })?;
        drop(ws);
        // Another workspace opened meanwhile: these events are not its.
        if self.generation.load(Ordering::SeqCst) == generation {
            *lock(&self.replayed) = Some(kept);
        }
        release_free_memory();
        Ok(view)
    }

    /// What the working tree's edits do to the alerts of `sources`, against the last commit
    /// (see [`Session::replay_impact`](crate::session::Session::replay_impact)); [`SharedSession::cancel_replay`] stops it.
    pub fn replay_impact(
        &self,
        sources: &[String],
        filter: &[String],
        progress: &mut dyn FnMut(crate::replay::compare::Side, &crate::replay::ReplayProgress),
    ) -> Result<ImpactView, ErrorInfo> {
        self.replay_cancel.store(false, Ordering::SeqCst);
        let cancel = Arc::clone(&self.replay_cancel);
        let view = {
            let mut guard = self.session();
            let session = guard.as_mut().ok_or_else(ErrorInfo::no_workspace)?;
            session.replay_impact(sources, filter, &mut |side, p| {
                progress(side, p);
                !cancel.load(Ordering::SeqCst)
            })?
        };
        self.retire_extra_workers_after(EXTRA_WORKERS_IDLE);
        Ok(view)
    }

    /// [`SharedSession::replay_impact`] on a Ray cluster (see
    /// [`replay::replay_impact_on_cluster`]): the workspace is read again for it, as for
    /// [`SharedSession::replay_on_cluster`], and the session is not held meanwhile;
    /// [`SharedSession::cancel_replay`] stops it.
    pub fn replay_impact_on_cluster(
        &self,
        sources: &[String],
        filter: &[String],
        cluster: &crate::replay::cluster::ClusterOptions,
        progress: &mut dyn FnMut(crate::replay::compare::Side, &crate::replay::ReplayProgress),
    ) -> Result<ImpactView, ErrorInfo> {
        self.replay_cancel.store(false, Ordering::SeqCst);
        let cancel = Arc::clone(&self.replay_cancel);
        let root = lock(&self.root)
            .clone()
            .ok_or_else(ErrorInfo::no_workspace)?;
        let ws = Workspace::open_cached(&root.path, &root.options, root.cache, None)
            .map_err(SessionError::from)?;
        let view =
            replay::replay_impact_on_cluster(&ws, sources, filter, cluster, &mut |side, p| {
                progress(side, p);
                !cancel.load(Ordering::SeqCst)
            })?;
        drop(ws);
        release_free_memory();
        Ok(view)
    }

    /// Stops the replay going on (it reports what was done, `cancelled`).
    pub fn cancel_replay(&self) {
        self.replay_cancel.store(true, Ordering::SeqCst);
    }

    /// The kept events of alert `alert` of the last replay.
    pub fn replay_events(&self, alert: u64) -> Result<AlertEvents, ErrorInfo> {
        let replayed = lock(&self.replayed);
        let kept = replayed
            .as_ref()
            .ok_or(SessionReplayError::NothingReplayed)?;
        Ok(kept.events(alert))
    }

    /// The unit test made of kept event `index` of alert `alert` of the last replay (see
    /// [`KeptEvents::test`](crate::session::replay::KeptEvents::test)): the edit for the detection's spec, applied as every test edit is.
    pub fn replay_event_test(
        &self,
        alert: u64,
        index: usize,
        name: &str,
        expected: bool,
    ) -> Result<EventTest, ErrorInfo> {
        let replayed = lock(&self.replayed);
        let kept = replayed
            .as_ref()
            .ok_or(SessionReplayError::NothingReplayed)?;
        Ok(kept.test(alert, index, name, expected)?)
    }
}

//! What an interactive viewer of audits (the desktop's Audit view) keeps between its calls:
//! the last audited pack's files, so a finding can be shown at its line, one audit at a time,
//! and a way to cancel it from another thread.
//!
//! Invariants:
//! - at most one quarantine copy is kept: the last pack's is removed before the next audit
//!   starts, when the audit is cancelled or fails, and when the viewer forgets it
//!   ([`AuditViewer::forget`], the window closing) or is dropped;
//! - files are read only inside the audited pack, through [`crate::workspace::content`]: a link
//!   out of it, a FIFO, a device or an oversized file is refused, as for a workspace;
//! - a cancelled audit answers [`AuditError::Cancelled`], never a report: a verdict on part of
//!   a pack could call a dangerous pack clean.

use super::source::Prepared;
use super::{AuditError, AuditOptions, AuditProgress, AuditReport};
use crate::error::ErrorInfo;
use crate::workspace::save::{self, SaveError};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};

/// The files of an audited pack, kept for a viewer; the quarantine copy (a clone or an
/// extracted archive) is removed when this is dropped. A folder audited in place is read
/// where it is and never removed.
#[derive(Debug)]
pub struct AuditedPack {
    root: PathBuf,
    _quarantine: Option<tempfile::TempDir>,
}

impl AuditedPack {
    pub(crate) fn new(prepared: Prepared) -> AuditedPack {
        let (root, quarantine) = prepared.into_files();
        AuditedPack {
            root,
            _quarantine: quarantine,
        }
    }

    /// The pack's folder (a quarantine copy, or the audited folder itself).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The text of the pack's file `rel` (relative to its root, as findings name files). A
    /// path leading out of the pack, through `..`, as an absolute path or through a link, is
    /// refused (`file.outside_workspace`), and so are FIFOs, devices, binary and oversized files.
    pub fn read_text(&self, rel: &str) -> Result<String, SaveError> {
        let path = self.root.join(rel);
        save::read_text_in(&self.root, &path).map(|(text, _stamp)| text)
    }
}

/// The audits of one viewer: the last audited pack, the audit going on, its cancel flag.
#[derive(Debug, Default)]
pub struct AuditViewer {
    last: Mutex<Option<AuditedPack>>,
    running: AtomicBool,
    cancel: AtomicBool,
}

/// Marks the viewer idle again however the audit ends.
struct Running<'a>(&'a AtomicBool);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

/// A poisoned lock means a thread panicked while holding it; the data is still usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl AuditViewer {
    /// Nothing audited yet.
    pub fn new() -> AuditViewer {
        AuditViewer::default()
    }

    /// Audits a pack (see [`super::run`]), `progress` seeing each stage, and keeps its files
    /// in place of the last pack's (whose quarantine copy is removed first). Refused with
    /// [`AuditError::Busy`] while another audit of this viewer runs; ends with
    /// [`AuditError::Cancelled`] after [`Self::cancel`]. With `options.keep_sources` the
    /// quarantine copy is the caller's and is never removed.
    pub fn audit(
        &self,
        options: &AuditOptions,
        progress: &mut dyn FnMut(&AuditProgress),
    ) -> Result<AuditReport, AuditError> {
        if self.running.swap(true, Ordering::SeqCst) {
            return Err(AuditError::Busy);
        }
        let _running = Running(&self.running);
        self.cancel.store(false, Ordering::SeqCst);
        drop(lock(&self.last).take());
        let (report, pack) = super::run_keeping(
            options,
            Some(&mut |p: &AuditProgress| {
                progress(p);
                !self.cancel.load(Ordering::SeqCst)
            }),
        )?;
        // A cancel that came after the last stage was observed still wins.
        if self.cancel.load(Ordering::SeqCst) {
            return Err(AuditError::Cancelled);
        }
        *lock(&self.last) = Some(pack);
        Ok(report)
    }

    /// Stops the audit going on: it ends at its next stage, or after the detection whose
    /// tests are running, with [`AuditError::Cancelled`].
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::SeqCst);
    }

    /// The text of a file of the last audited pack ([`AuditedPack::read_text`]).
    pub fn read_text(&self, rel: &str) -> Result<String, ErrorInfo> {
        let last = lock(&self.last);
        let pack = last.as_ref().ok_or(AuditError::NothingAudited)?;
        Ok(pack.read_text(rel)?)
    }

    /// The last audited pack's folder, if any.
    pub fn root(&self) -> Option<PathBuf> {
        lock(&self.last).as_ref().map(|p| p.root.clone())
    }

    /// Removes the last pack's quarantine copy (the window is closing).
    pub fn forget(&self) {
        drop(lock(&self.last).take());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Source;

    fn pack_in(dir: &Path) -> AuditedPack {
        let root = dir.join("pack");
        std::fs::create_dir_all(root.join("rules")).unwrap();
        std::fs::write(root.join("rules/a.py"), "def rule(e):\n    return True\n").unwrap();
        AuditedPack {
            root: std::fs::canonicalize(&root).unwrap(),
            _quarantine: None,
        }
    }

    #[test]
    fn files_of_the_pack_are_read_and_nothing_outside_it() {
        let dir = tempfile::tempdir().unwrap();
        let pack = pack_in(dir.path());
        std::fs::write(dir.path().join("secret.txt"), "secret\n").unwrap();
        std::os::unix::fs::symlink("../../secret.txt", pack.root().join("rules/link.py")).unwrap();
        assert_eq!(
            pack.read_text("rules/a.py").unwrap(),
            "def rule(e):\n    return True\n"
        );
        let outside = dir.path().join("secret.txt");
        for rel in [
            "../secret.txt",
            "rules/../../secret.txt",
            "rules/link.py",
            outside.to_str().unwrap(),
        ] {
            let err = ErrorInfo::from(pack.read_text(rel).unwrap_err());
            assert_eq!(err.code, "file.outside_workspace", "{rel}: {err:?}");
        }
        let err = ErrorInfo::from(pack.read_text("rules/none.py").unwrap_err());
        assert_eq!(err.code, "file.not_found", "{err:?}");
    }

    #[test]
    fn a_viewer_with_nothing_audited_says_so() {
        let viewer = AuditViewer::new();
        let err = viewer.read_text("rules/a.py").unwrap_err();
        assert_eq!(err.code, "audit.nothing_audited");
        assert!(err.hint.is_some());
        assert_eq!(viewer.root(), None);
    }

    #[test]
    fn a_cancelled_audit_answers_cancelled_and_keeps_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let pack = pack_in(dir.path());
        let viewer = AuditViewer::new();
        *lock(&viewer.last) = Some(pack);
        let mut options = AuditOptions::new(Source::Folder(dir.path().join("pack")));
        options.dynamic = false;
        let mut stages = Vec::new();
        // Cancelled while the source is prepared: the audit stops before any worker starts.
        let err = viewer
            .audit(&options, &mut |p| {
                stages.push(p.clone());
                viewer.cancel();
            })
            .unwrap_err();
        assert!(matches!(err, AuditError::Cancelled), "{err:?}");
        assert_eq!(stages, vec![AuditProgress::Preparing]);
        assert_eq!(viewer.root(), None, "the last pack was let go");
        assert!(!viewer.running.load(Ordering::SeqCst));
    }

    #[test]
    fn one_audit_at_a_time() {
        let viewer = AuditViewer::new();
        viewer.running.store(true, Ordering::SeqCst);
        let options = AuditOptions::new(Source::Folder(PathBuf::from("/nonexistent")));
        let err = viewer.audit(&options, &mut |_| {}).unwrap_err();
        assert!(matches!(err, AuditError::Busy), "{err:?}");
        assert!(
            viewer.running.load(Ordering::SeqCst),
            "the other audit is still running"
        );
    }
}

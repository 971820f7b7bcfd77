//! Watching a workspace: file events from `notify` (inotify on Linux), collected into bursts
//! (an editor's write-rename-chmod, a `git checkout` touching hundreds of files) that end when
//! the tree has been quiet for [`QUIET`], and filtered to the files that can change a verdict.
//! `prowl test --watch` and the desktop app both use it.

use notify::{EventKind, RecursiveMode, Watcher as _};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long the tree must stay quiet before a burst ends.
pub const QUIET: Duration = Duration::from_millis(25);
/// How long it must stay quiet once every changed file is complete: closed after writing, or
/// renamed into place (an editor's save is over; only a following write would extend it).
pub const SETTLED: Duration = Duration::from_millis(3);
/// The longest a burst may last.
pub const MAX_WAIT: Duration = Duration::from_millis(500);

/// A recursive watch on a workspace; dropping it stops the events.
pub struct Watcher {
    _inner: notify::RecommendedWatcher,
    rx: mpsc::Receiver<notify::Result<notify::Event>>,
    root: PathBuf,
}

impl Watcher {
    /// Starts watching `root` and everything under it; events queue until
    /// [`next_burst`](Watcher::next_burst) reads them. Give `root` as the events will spell it
    /// (canonical), or nothing under it counts as relevant.
    pub fn start(root: &Path) -> notify::Result<Watcher> {
        let (tx, rx) = mpsc::channel();
        let mut inner = notify::recommended_watcher(move |event| {
            let _ = tx.send(event);
        })?;
        inner.watch(root, RecursiveMode::Recursive)?;
        Ok(Watcher {
            _inner: inner,
            rx,
            root: root.to_path_buf(),
        })
    }

    /// Waits for the next burst of relevant changes (`None` when the watch has stopped).
    /// A burst may be empty when only irrelevant files changed.
    pub fn next_burst(&self) -> Option<Vec<(PathBuf, Change)>> {
        next_burst(&self.rx, &self.root)
    }
}

/// How a file changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// The content was written; for Python, also a temporary file renamed over it.
    Modified,
    /// The file appeared, disappeared or was renamed: the set of files changed.
    CreatedOrRemoved,
}

/// Waits for events, then collects until the tree has been quiet for [`QUIET`] ([`SETTLED`]
/// once every changed file is complete). Returns the relevant changed files (deduplicated), or
/// `None` when the watcher has stopped.
fn next_burst(
    rx: &mpsc::Receiver<notify::Result<notify::Event>>,
    root: &Path,
) -> Option<Vec<(PathBuf, Change)>> {
    let mut burst = Burst::default();
    burst.add(rx.recv().ok()?, root);
    let first = Instant::now();
    loop {
        let left = MAX_WAIT.saturating_sub(first.elapsed());
        if left.is_zero() {
            break;
        }
        let quiet = if burst.settled() { SETTLED } else { QUIET };
        match rx.recv_timeout(quiet.min(left)) {
            Ok(event) => burst.add(event, root),
            Err(mpsc::RecvTimeoutError::Timeout) => break,
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    let mut changed = burst.changed;
    // An editor that saves by writing a temp file and renaming it over the original reports a
    // rename; the file is still there, so it is an ordinary modification.
    for entry in &mut changed {
        if entry.1 == Change::CreatedOrRemoved && is_python(&entry.0) && entry.0.is_file() {
            entry.1 = Change::Modified;
        }
    }
    Some(changed)
}

/// The changes of one burst, and which files are complete.
#[derive(Default)]
struct Burst {
    changed: Vec<(PathBuf, Change)>,
    /// Changed files closed after writing or renamed into place since their last write.
    complete: Vec<PathBuf>,
}

impl Burst {
    fn add(&mut self, event: notify::Result<notify::Event>, root: &Path) {
        use notify::event::{AccessKind, AccessMode, ModifyKind, RenameMode};
        let Ok(event) = event else { return };
        // (the change it makes, whether it completes the file)
        let (kind, completes) = match event.kind {
            EventKind::Access(AccessKind::Close(AccessMode::Write)) => (None, true),
            EventKind::Create(_) | EventKind::Remove(_) => (Some(Change::CreatedOrRemoved), false),
            EventKind::Modify(ModifyKind::Name(RenameMode::To)) => {
                (Some(Change::CreatedOrRemoved), true)
            }
            EventKind::Modify(ModifyKind::Name(RenameMode::Both)) => {
                // `paths` is [from, to]: the destination is complete.
                for (i, path) in event.paths.iter().enumerate() {
                    if relevant(root, path) {
                        self.change(path, Change::CreatedOrRemoved, i == 1);
                    }
                }
                return;
            }
            EventKind::Modify(ModifyKind::Name(_)) => (Some(Change::CreatedOrRemoved), false),
            EventKind::Modify(ModifyKind::Metadata(_)) => return,
            EventKind::Modify(_) => (Some(Change::Modified), false),
            _ => return,
        };
        for path in &event.paths {
            if !relevant(root, path) {
                continue;
            }
            match kind {
                Some(kind) => self.change(path, kind, completes),
                None => {
                    if self.changed.iter().any(|(p, _)| p == path) && !self.complete.contains(path)
                    {
                        self.complete.push(path.clone());
                    }
                }
            }
        }
    }

    fn change(&mut self, path: &Path, kind: Change, completes: bool) {
        match self.changed.iter_mut().find(|(p, _)| p == path) {
            Some(entry) if kind == Change::CreatedOrRemoved => entry.1 = kind,
            Some(_) => {}
            None => self.changed.push((path.to_path_buf(), kind)),
        }
        let done = self.complete.iter().position(|p| p == path);
        match (completes, done) {
            (true, None) => self.complete.push(path.to_path_buf()),
            // Written again: not complete until closed again.
            (false, Some(i)) if kind == Change::Modified => {
                self.complete.swap_remove(i);
            }
            _ => {}
        }
    }

    /// Every changed file that is still there is complete (a removal needs no close).
    fn settled(&self) -> bool {
        !self.changed.is_empty()
            && self.changed.iter().all(|(p, kind)| {
                self.complete.contains(p) || (*kind == Change::CreatedOrRemoved && !p.exists())
            })
    }
}

/// A `.py` file: a detection's or helper's code, whose change alone needs no re-read of specs.
pub fn is_python(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "py")
}

/// Files whose change can alter a verdict: Python and YAML outside hidden folders, `.git` and
/// `__pycache__`, and not an editor's temporary file.
pub fn relevant(root: &Path, path: &Path) -> bool {
    let Ok(rel) = path.strip_prefix(root) else {
        return false;
    };
    let hidden = rel.components().any(|c| {
        let s = c.as_os_str().to_string_lossy();
        s.starts_with('.') || s == "__pycache__"
    });
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext_ok = matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("py" | "yml" | "yaml")
    );
    !hidden && ext_ok && !name.starts_with(".#") && !name.ends_with('~')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_code_and_specs_outside_hidden_folders_count() {
        let root = Path::new("/ws");
        assert!(relevant(root, Path::new("/ws/rules/a.py")));
        assert!(relevant(root, Path::new("/ws/rules/a.yml")));
        assert!(relevant(root, Path::new("/ws/global_helpers/h.yaml")));
        assert!(!relevant(root, Path::new("/ws/.git/index")));
        assert!(!relevant(root, Path::new("/ws/.git/x.py")));
        assert!(!relevant(
            root,
            Path::new("/ws/rules/__pycache__/a.cpython-311.pyc")
        ));
        assert!(!relevant(root, Path::new("/ws/rules/a.py~")));
        assert!(!relevant(root, Path::new("/ws/rules/.#a.py")));
        assert!(!relevant(root, Path::new("/ws/rules/.a.py.swp")));
        assert!(!relevant(root, Path::new("/elsewhere/a.py")));
        assert!(!relevant(root, Path::new("/ws/README.md")));
    }

    fn event(kind: EventKind, paths: &[&str]) -> notify::Result<notify::Event> {
        let mut e = notify::Event::new(kind);
        for p in paths {
            e = e.add_path(PathBuf::from(p));
        }
        Ok(e)
    }

    #[test]
    fn a_burst_settles_once_every_written_file_is_closed_or_renamed_into_place() {
        use notify::event::{
            AccessKind, AccessMode, CreateKind, DataChange, ModifyKind, RenameMode,
        };
        let root = Path::new("/ws");
        let write = EventKind::Modify(ModifyKind::Data(DataChange::Any));
        let close = EventKind::Access(AccessKind::Close(AccessMode::Write));
        let mut b = Burst::default();
        b.add(event(write, &["/ws/rules/a.py"]), root);
        assert!(!b.settled(), "written, not yet closed");
        b.add(event(close, &["/ws/rules/a.py"]), root);
        assert!(b.settled());
        // Written again: open until closed again; another file written too.
        b.add(event(write, &["/ws/rules/a.py"]), root);
        b.add(event(write, &["/ws/rules/b.yml"]), root);
        assert!(!b.settled());
        b.add(event(close, &["/ws/rules/a.py"]), root);
        assert!(!b.settled(), "b.yml is still open");
        b.add(event(close, &["/ws/rules/b.yml"]), root);
        assert!(b.settled());
        assert_eq!(b.changed.len(), 2);

        // An editor's atomic save: a temporary file (irrelevant) renamed over the spec.
        let mut b = Burst::default();
        b.add(
            event(
                EventKind::Create(CreateKind::File),
                &["/ws/rules/.a.yml.tmp"],
            ),
            root,
        );
        b.add(event(close, &["/ws/rules/.a.yml.tmp"]), root);
        assert!(b.changed.is_empty());
        b.add(
            event(
                EventKind::Modify(ModifyKind::Name(RenameMode::Both)),
                &["/ws/rules/.a.yml.tmp", "/ws/rules/a.yml"],
            ),
            root,
        );
        assert!(b.settled());
        // A closed file nobody wrote in this burst changes nothing; irrelevant files never count.
        let mut b = Burst::default();
        b.add(event(close, &["/ws/rules/c.py"]), root);
        b.add(event(write, &["/ws/README.md"]), root);
        assert!(b.changed.is_empty() && !b.settled());
    }
}

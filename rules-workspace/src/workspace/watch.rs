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

/// Waits for events, then collects until the tree has been quiet for [`QUIET`]. Returns the
/// relevant changed files (deduplicated), or `None` when the watcher has stopped.
fn next_burst(
    rx: &mpsc::Receiver<notify::Result<notify::Event>>,
    root: &Path,
) -> Option<Vec<(PathBuf, Change)>> {
    let mut changed: Vec<(PathBuf, Change)> = Vec::new();
    let mut add = |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        let kind = match event.kind {
            EventKind::Create(_) | EventKind::Remove(_) => Change::CreatedOrRemoved,
            EventKind::Modify(notify::event::ModifyKind::Name(_)) => Change::CreatedOrRemoved,
            EventKind::Modify(notify::event::ModifyKind::Metadata(_)) => return,
            EventKind::Modify(_) => Change::Modified,
            _ => return,
        };
        for path in event.paths {
            if !relevant(root, &path) {
                continue;
            }
            match changed.iter_mut().find(|(p, _)| *p == path) {
                Some(entry) if kind == Change::CreatedOrRemoved => entry.1 = kind,
                Some(_) => {}
                None => changed.push((path, kind)),
            }
        }
    };
    add(rx.recv().ok()?);
    let first = Instant::now();
    loop {
        let left = MAX_WAIT.saturating_sub(first.elapsed());
        if left.is_zero() {
            break;
        }
        match rx.recv_timeout(QUIET.min(left)) {
            Ok(event) => add(event),
            Err(mpsc::RecvTimeoutError::Timeout) => break,
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    // An editor that saves by writing a temp file and renaming it over the original reports a
    // rename; the file is still there, so it is an ordinary modification.
    for entry in &mut changed {
        if entry.1 == Change::CreatedOrRemoved && is_python(&entry.0) && entry.0.is_file() {
            entry.1 = Change::Modified;
        }
    }
    Some(changed)
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
}

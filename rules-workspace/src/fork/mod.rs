//! Git for the workspace (git2): status, diffs, stage, commit, branches, clone.
//!
//! [`Repo`] is the repository that holds a workspace (the workspace may be a subfolder of it);
//! its methods back the desktop app's git view and `prowl git`. Every result type is
//! `serde::Serialize` with snake_case fields, ready to cross the Tauri boundary as JSON.
//!
//! Invariants:
//! - Paths in and out are relative to the working tree's root with `/` separators; inputs may
//!   also be absolute paths inside the working tree. Nothing outside the working tree (and
//!   nothing inside `.git`) is ever read or written through a user-given path.
//! - Nothing here loses work silently: checkout refuses to overwrite uncommitted changes,
//!   commit refuses an empty message or an empty change, and the one destructive operation,
//!   [`Repo::discard`], is documented as such (callers confirm first).
//! - The index is re-read from disk before each operation, so a `git` run in a terminal while
//!   the app is open is seen.
//! - libgit2 does not run hooks, sign commits or apply `core.autocrlf` in diffs; see each
//!   method.

mod branch;
mod clone;
mod commit;
mod diff;
mod error;
mod snapshot;
mod stage;
mod status;

pub use branch::Branch;
pub use clone::{clone, clone_warnings, without_credentials, CloneProgress};
pub use diff::{DiffLine, FileDiff, Hunk, LineTag};
pub use error::ForkError;
pub use snapshot::{BranchChanges, ExportedTree, TreeLimits};
pub use status::{Change, Conflict, FileStatus, Status};

use git2::{ErrorCode, Repository};
use std::path::{Component, Path, PathBuf};

/// A git repository with a working tree, opened for the git view.
pub struct Repo {
    repo: Repository,
    /// The working tree's root, canonical.
    workdir: PathBuf,
}

impl std::fmt::Debug for Repo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repo")
            .field("workdir", &self.workdir)
            .finish_non_exhaustive()
    }
}

impl Repo {
    /// Opens the repository containing `path` (a workspace may be a subfolder of it).
    pub fn discover(path: &Path) -> Result<Repo, ForkError> {
        let start = match std::fs::canonicalize(path) {
            Ok(p) => p,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ForkError::PathMissing {
                    path: path.to_path_buf(),
                })
            }
            Err(source) => {
                return Err(ForkError::Io {
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        let repo = Repository::discover(&start).map_err(|e| match e.code() {
            ErrorCode::NotFound => ForkError::NotARepository {
                path: path.to_path_buf(),
            },
            _ => ForkError::from(e),
        })?;
        Repo::from_git(repo)
    }

    fn from_git(repo: Repository) -> Result<Repo, ForkError> {
        let Some(workdir) = repo.workdir() else {
            return Err(ForkError::BareRepository {
                path: repo.path().to_path_buf(),
            });
        };
        let workdir = std::fs::canonicalize(workdir).unwrap_or_else(|_| workdir.to_path_buf());
        Ok(Repo { repo, workdir })
    }

    /// The working tree's root (canonical).
    pub fn workdir(&self) -> &Path {
        &self.workdir
    }

    /// Fails with [`ForkError::WorkdirGone`] when the working tree or `.git` was deleted or
    /// moved since the repository was opened; libgit2's own errors would be cryptic.
    fn ensure_present(&self) -> Result<(), ForkError> {
        if self.workdir.is_dir() && self.repo.path().is_dir() {
            Ok(())
        } else {
            Err(ForkError::WorkdirGone {
                path: self.workdir.clone(),
            })
        }
    }

    /// The repository's index, re-read from disk (another program may have changed it).
    fn index(&self) -> Result<git2::Index, ForkError> {
        let mut index = self.repo.index()?;
        index.read(false)?;
        Ok(index)
    }

    /// HEAD's tree, or `None` on an unborn branch (no commit yet).
    fn head_tree(&self) -> Result<Option<git2::Tree<'_>>, ForkError> {
        match self.repo.head() {
            Ok(head) => Ok(Some(head.peel_to_tree()?)),
            Err(e) if matches!(e.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// A user-given path as a working-tree-relative path with `/` separators (`""` is the
    /// root). Accepts relative paths (`.` and inner `..` resolved lexically) and absolute paths
    /// inside the working tree; refuses paths that leave it, paths into `.git`, and paths
    /// through a symbolic link.
    fn relative_path(&self, input: &str) -> Result<String, ForkError> {
        let invalid = |reason| ForkError::InvalidPath {
            path: input.to_owned(),
            reason,
        };
        let outside = || ForkError::PathOutsideWorkdir {
            path: input.to_owned(),
            workdir: self.workdir.clone(),
        };
        if input.is_empty() {
            return Err(invalid("empty path"));
        }
        if input.contains('\0') {
            return Err(invalid("the path contains a NUL character"));
        }
        let given = Path::new(input);
        let relative = if given.is_absolute() {
            let lexical = normalize_lexically(given).ok_or_else(outside)?;
            match lexical.strip_prefix(&self.workdir) {
                Ok(rest) => rest.to_path_buf(),
                // The same folder spelled through a symbolic link (say /tmp -> /private/tmp).
                Err(_) => canonicalize_existing_prefix(&lexical)
                    .strip_prefix(&self.workdir)
                    .map_err(|_| outside())?
                    .to_path_buf(),
            }
        } else {
            given.to_path_buf()
        };
        let mut parts: Vec<&str> = Vec::new();
        for component in relative.components() {
            match component {
                Component::CurDir => {}
                Component::ParentDir => {
                    if parts.pop().is_none() {
                        return Err(outside());
                    }
                }
                Component::Normal(part) => parts.push(
                    part.to_str()
                        .ok_or_else(|| invalid("the path is not valid UTF-8"))?,
                ),
                Component::RootDir | Component::Prefix(_) => return Err(outside()),
            }
        }
        if parts
            .first()
            .is_some_and(|first| first.eq_ignore_ascii_case(".git"))
        {
            return Err(invalid("the path is inside the .git folder"));
        }
        // git refuses paths beyond a symbolic link; libgit2 would follow it out of the tree.
        let mut ancestor = self.workdir.clone();
        for part in parts.iter().take(parts.len().saturating_sub(1)) {
            ancestor.push(part);
            if std::fs::symlink_metadata(&ancestor).is_ok_and(|m| m.file_type().is_symlink()) {
                return Err(invalid("the path goes through a symbolic link"));
            }
        }
        Ok(parts.join("/"))
    }

    /// A working-tree-relative path as a path on disk.
    fn disk_path(&self, relative: &str) -> PathBuf {
        if relative.is_empty() {
            self.workdir.clone()
        } else {
            self.workdir.join(relative)
        }
    }
}

/// Resolves `.` and `..` without touching the disk; `None` when `..` climbs above the root.
fn normalize_lexically(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() || out.as_os_str().is_empty() {
                    return None;
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    Some(out)
}

/// Canonicalizes the longest existing ancestor of `path` and appends the rest (the file itself
/// may have been deleted).
fn canonicalize_existing_prefix(path: &Path) -> PathBuf {
    let mut existing = path;
    let mut rest = Vec::new();
    loop {
        if let Ok(canonical) = std::fs::canonicalize(existing) {
            let mut out = canonical;
            for part in rest.iter().rev() {
                out.push(part);
            }
            return out;
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                existing = parent;
            }
            _ => return path.to_path_buf(),
        }
    }
}

/// `a` is `b` or inside the folder `b` (both working-tree-relative; `""` is the root).
fn is_at_or_under(a: &str, b: &str) -> bool {
    b.is_empty() || a == b || (a.starts_with(b) && a.as_bytes().get(b.len()) == Some(&b'/'))
}

/// A git path as text; libgit2 paths are bytes and almost always UTF-8.
fn path_text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::UserError;
    use crate::testkit::TestRepo;

    #[test]
    fn discover_finds_the_repository_from_a_subfolder() {
        let t = TestRepo::new();
        t.write("rules/a.py", "x = 1\n");
        let repo = Repo::discover(&t.path().join("rules")).unwrap();
        assert_eq!(repo.workdir(), t.path());
    }

    #[test]
    fn discover_outside_a_repository_says_git_init() {
        let dir = tempfile::tempdir().unwrap();
        let err = Repo::discover(dir.path()).unwrap_err();
        assert_eq!(err.name(), "not_a_repository", "{err}");
        assert!(err.hint().unwrap().contains("git init"));
    }

    #[test]
    fn discover_a_missing_folder_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = Repo::discover(&dir.path().join("nope")).unwrap_err();
        assert_eq!(err.name(), "path_missing", "{err}");
    }

    #[test]
    fn relative_paths_are_normalized_and_confined_to_the_working_tree() {
        let t = TestRepo::new();
        t.write("rules/a.py", "x = 1\n");
        let repo = t.open();
        let root = repo.workdir().to_path_buf();
        assert_eq!(repo.relative_path("rules/a.py").unwrap(), "rules/a.py");
        assert_eq!(
            repo.relative_path("./rules/../rules/a.py").unwrap(),
            "rules/a.py"
        );
        assert_eq!(repo.relative_path(".").unwrap(), "");
        let absolute = root.join("rules/a.py");
        assert_eq!(
            repo.relative_path(absolute.to_str().unwrap()).unwrap(),
            "rules/a.py"
        );
        let deleted = root.join("gone/b.py");
        assert_eq!(
            repo.relative_path(deleted.to_str().unwrap()).unwrap(),
            "gone/b.py"
        );
        for bad in ["../x", "rules/../../x", "/etc/passwd"] {
            let err = repo.relative_path(bad).unwrap_err();
            assert_eq!(err.name(), "path_outside_workdir", "{bad}: {err}");
        }
        for bad in ["", ".git/config", "a\0b"] {
            let err = repo.relative_path(bad).unwrap_err();
            assert_eq!(err.name(), "invalid_path", "{bad:?}: {err}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn paths_through_a_symbolic_link_are_refused() {
        let t = TestRepo::new();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "s").unwrap();
        std::os::unix::fs::symlink(outside.path(), t.path().join("link")).unwrap();
        let repo = t.open();
        let err = repo.relative_path("link/secret").unwrap_err();
        assert_eq!(err.name(), "invalid_path", "{err}");
        // The link itself is a file git can track.
        assert_eq!(repo.relative_path("link").unwrap(), "link");
    }

    #[test]
    fn a_deleted_working_tree_gives_an_error_not_a_panic() {
        let t = TestRepo::new();
        t.write("a.txt", "a\n");
        t.commit_all("first");
        let repo = t.open();
        std::fs::remove_dir_all(t.path()).unwrap();
        assert_eq!(repo.status().unwrap_err().name(), "workdir_gone");
        assert_eq!(
            repo.diff_file("a.txt", false).unwrap_err().name(),
            "workdir_gone"
        );
        assert_eq!(repo.stage(&["a.txt"]).unwrap_err().name(), "workdir_gone");
        assert_eq!(repo.commit("x").unwrap_err().name(), "workdir_gone");
        assert_eq!(repo.branches().unwrap_err().name(), "workdir_gone");
        assert_eq!(repo.checkout("main").unwrap_err().name(), "workdir_gone");
    }

    #[test]
    fn repo_can_move_to_another_thread() {
        // The desktop app keeps a Repo in Tauri state and uses it from blocking tasks.
        fn assert_send<T: Send>() {}
        assert_send::<Repo>();
        assert_send::<ForkError>();
    }

    #[test]
    fn errors_serialize_with_code_message_and_hint() {
        let err = ForkError::NothingStaged;
        let json = serde_json::to_value(err.info()).unwrap();
        assert_eq!(json["code"], "git.nothing_staged");
        assert_eq!(json["message"], "nothing staged to commit");
        assert!(json["hint"].as_str().unwrap().contains("stage"));
    }
}

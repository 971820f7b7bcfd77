//! `clone`: a repository from a local path, a `file://` URL or an `http(s)://` URL into a new
//! folder. This build of git2 has no ssh transport, so `ssh://` and `user@host:path` URLs are
//! refused up front with a clear error (and the hint to use the HTTPS URL) rather than
//! libgit2's "unsupported URL protocol".

use super::{ForkError, Repo};
use git2::build::{CloneLocal, RepoBuilder};
use git2::{FetchOptions, RemoteCallbacks, Repository};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// How far a clone has got (libgit2's transfer progress).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct CloneProgress {
    /// Objects downloaded so far.
    pub received_objects: usize,
    /// Objects the server will send; 0 until it has said.
    pub total_objects: usize,
    /// Objects written into the new repository's pack index so far (trails `received_objects`).
    pub indexed_objects: usize,
    /// Bytes downloaded so far.
    pub received_bytes: usize,
}

/// Clones `url_or_path` (a local path, a `file://` or an `http(s)://` URL) into `dest`, reporting transfer
/// progress. `dest` must not exist or be an empty folder; on failure whatever was created is
/// removed (a folder that existed is emptied again, not deleted). The clone checks out the
/// source's default branch and names the source `origin`.
///
/// A local path is cloned as `git clone --no-local` does: through git's transport rather than
/// by copying `.git/objects`, so progress is reported as for any other clone and the new
/// repository shares no files with the source.
pub fn clone(
    url_or_path: &str,
    dest: &Path,
    progress: &mut dyn FnMut(CloneProgress),
) -> Result<Repo, ForkError> {
    let source = clone_source(url_or_path)?;
    let created = prepare_destination(dest)?;
    let result = (|| {
        let mut callbacks = RemoteCallbacks::new();
        callbacks.transfer_progress(|p| {
            progress(CloneProgress {
                received_objects: p.received_objects(),
                total_objects: p.total_objects(),
                indexed_objects: p.indexed_objects(),
                received_bytes: p.received_bytes(),
            });
            true
        });
        let mut fetch = FetchOptions::new();
        fetch.remote_callbacks(callbacks);
        // Through git's transport even for a local path (not a copy of `.git/objects`), so
        // progress is reported as objects arrive, as for any long clone.
        let repo = RepoBuilder::new()
            .clone_local(CloneLocal::None)
            .fetch_options(fetch)
            .clone(&source, dest)
            .map_err(|e| {
                if is_network(&source) {
                    ForkError::Remote {
                        url: source.clone(),
                        message: e.message().to_owned(),
                        auth: e.code() == git2::ErrorCode::Auth,
                    }
                } else {
                    ForkError::Git(e)
                }
            })?;
        Repo::from_git(repo)
    })();
    if result.is_err() {
        remove_created(dest, created.as_deref());
    }
    result
}

fn is_network(source: &str) -> bool {
    source.split_once("://").is_some_and(|(scheme, _)| {
        scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")
    })
}

/// What to hand libgit2: a local repository's path, or a `file://` or `http(s)://` URL as given.
fn clone_source(url_or_path: &str) -> Result<String, ForkError> {
    let unsupported = |scheme: &str| ForkError::UnsupportedUrl {
        url: url_or_path.to_owned(),
        scheme: scheme.to_owned(),
    };
    if url_or_path.is_empty() || url_or_path.contains('\0') {
        return Err(ForkError::PathMissing {
            path: PathBuf::from(url_or_path),
        });
    }
    let local = match url_or_path.split_once("://") {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("file") => {
            let path = rest.strip_prefix("localhost").unwrap_or(rest);
            if path.starts_with('/') {
                PathBuf::from(path)
            } else {
                return Err(unsupported("file URLs naming another host"));
            }
        }
        Some((scheme, rest))
            if scheme.eq_ignore_ascii_case("https") || scheme.eq_ignore_ascii_case("http") =>
        {
            if rest.is_empty() || rest.starts_with('/') {
                return Err(ForkError::InvalidPath {
                    path: url_or_path.to_owned(),
                    reason: "the URL names no host",
                });
            }
            // Checked by the transfer itself (reachability, authentication, "not found").
            return Ok(url_or_path.to_owned());
        }
        Some((scheme, _)) => return Err(unsupported(scheme)),
        None => {
            let path = PathBuf::from(url_or_path);
            // `host:path` and `user@host:path` are git's scp-like ssh syntax.
            let scp_like = url_or_path
                .split_once(':')
                .is_some_and(|(host, _)| !host.is_empty() && !host.contains('/'));
            if scp_like && !path.exists() {
                return Err(unsupported("ssh"));
            }
            path
        }
    };
    if !local.exists() {
        return Err(ForkError::PathMissing { path: local });
    }
    // libgit2 would say "could not find repository"; say where and what to do.
    if Repository::open(&local).is_err() {
        return Err(ForkError::NotARepository { path: local });
    }
    if url_or_path.contains("://") {
        Ok(url_or_path.to_owned())
    } else {
        let absolute = std::fs::canonicalize(&local).map_err(|source| ForkError::Io {
            path: local.clone(),
            source,
        })?;
        absolute
            .to_str()
            .map(str::to_owned)
            .ok_or_else(|| ForkError::InvalidPath {
                path: url_or_path.to_owned(),
                reason: "the path is not valid UTF-8",
            })
    }
}

/// Checks `dest` and creates it when missing; returns the topmost folder created (to remove on
/// failure), `None` when `dest` existed (empty).
fn prepare_destination(dest: &Path) -> Result<Option<PathBuf>, ForkError> {
    let io = |source| ForkError::Io {
        path: dest.to_path_buf(),
        source,
    };
    match std::fs::symlink_metadata(dest) {
        Ok(meta) => {
            let empty = meta.is_dir() && std::fs::read_dir(dest).map_err(io)?.next().is_none();
            if empty {
                Ok(None)
            } else {
                Err(ForkError::DestinationNotEmpty {
                    path: dest.to_path_buf(),
                })
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut topmost = dest.to_path_buf();
            while let Some(parent) = topmost.parent() {
                if parent.as_os_str().is_empty() || parent.exists() {
                    break;
                }
                topmost = parent.to_path_buf();
            }
            std::fs::create_dir_all(dest).map_err(io)?;
            Ok(Some(topmost))
        }
        Err(e) => Err(io(e)),
    }
}

/// Best effort: the clone already failed, and that error is the one to report.
fn remove_created(dest: &Path, created: Option<&Path>) {
    match created {
        Some(top) => {
            let _ = std::fs::remove_dir_all(top);
        }
        None => {
            if let Ok(entries) = std::fs::read_dir(dest) {
                for entry in entries.flatten() {
                    let path = entry.path();
                    let _ = if path.is_dir() && !path.is_symlink() {
                        std::fs::remove_dir_all(&path)
                    } else {
                        std::fs::remove_file(&path)
                    };
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::UserError;
    use crate::testkit::TestRepo;

    fn source() -> TestRepo {
        let t = TestRepo::new();
        t.write("rules/a.py", "def rule(event):\n    return True\n");
        t.write("README.md", "hello\n");
        t.commit_all("first");
        t
    }

    #[test]
    fn clone_from_a_local_path_checks_out_the_branch() {
        let src = source();
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("nested/clone");
        let mut calls = 0;
        let repo = clone(src.path().to_str().unwrap(), &dest, &mut |_| calls += 1).unwrap();
        assert_eq!(
            std::fs::read_to_string(dest.join("README.md")).unwrap(),
            "hello\n"
        );
        let status = repo.status().unwrap();
        assert_eq!(status.branch.as_deref(), Some("main"));
        assert!(status.files.is_empty(), "{:?}", status.files);
        let git = Repository::open(&dest).unwrap();
        let origin = git.find_remote("origin").unwrap();
        assert_eq!(origin.url().unwrap(), src.path().to_str().unwrap());
        assert!(calls > 0, "progress was reported");
    }

    #[test]
    fn clone_from_a_file_url_reports_progress() {
        let src = source();
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("clone");
        let mut seen = Vec::new();
        let url = format!("file://{}", src.path().display());
        clone(&url, &dest, &mut |p| seen.push(p)).unwrap();
        let last = seen.last().expect("progress was reported");
        assert!(last.total_objects > 0);
        assert_eq!(last.received_objects, last.total_objects);
        assert_eq!(last.indexed_objects, last.total_objects);
        assert!(dest.join("rules/a.py").exists());
    }

    #[test]
    fn clone_into_an_existing_empty_folder_works_and_a_full_one_is_refused() {
        let src = source();
        let dir = tempfile::tempdir().unwrap();
        clone(src.path().to_str().unwrap(), dir.path(), &mut |_| {}).unwrap();
        assert!(dir.path().join("README.md").exists());
        let err = clone(src.path().to_str().unwrap(), dir.path(), &mut |_| {}).unwrap_err();
        assert_eq!(err.name(), "destination_not_empty", "{err}");
        assert!(
            dir.path().join("README.md").exists(),
            "the folder is untouched"
        );
    }

    #[test]
    fn unsupported_urls_are_refused_with_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("clone");
        for url in [
            "git://github.com/panther-labs/panther-analysis.git",
            "ssh://git@github.com/panther-labs/panther-analysis.git",
            "git@github.com:panther-labs/panther-analysis.git",
        ] {
            let err = clone(url, &dest, &mut |_| {}).unwrap_err();
            assert_eq!(err.name(), "unsupported_url", "{url}: {err}");
            assert!(err.hint().unwrap().contains("https://"));
            assert!(!dest.exists(), "nothing was created");
        }
    }

    #[test]
    fn cloning_a_missing_path_or_a_plain_folder_fails_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("a/b/clone");
        let err = clone("/definitely/not/here", &dest, &mut |_| {}).unwrap_err();
        assert_eq!(err.name(), "path_missing", "{err}");
        let plain = tempfile::tempdir().unwrap();
        let err = clone(plain.path().to_str().unwrap(), &dest, &mut |_| {}).unwrap_err();
        assert_eq!(err.name(), "not_a_repository", "{err}");
        assert!(!dir.path().join("a").exists());
    }

    #[test]
    fn a_failed_clone_removes_the_folders_it_created() {
        let src = source();
        // A corrupt source: HEAD names a commit that does not exist.
        std::fs::write(
            src.path().join(".git/refs/heads/main"),
            "0123456789012345678901234567890123456789\n",
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("new/clone");
        let url = format!("file://{}", src.path().display());
        assert!(clone(&url, &dest, &mut |_| {}).is_err());
        assert!(!dir.path().join("new").exists());
        let empty = dir.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        assert!(clone(&url, &empty, &mut |_| {}).is_err());
        assert!(empty.exists());
        assert_eq!(std::fs::read_dir(&empty).unwrap().count(), 0);
    }
}

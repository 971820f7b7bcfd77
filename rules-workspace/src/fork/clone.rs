//! `clone`: a repository from a local path, a `file://` URL or an `http(s)://` URL into a new
//! folder. This build of git2 has no ssh transport, so `ssh://` and `user@host:path` URLs are
//! refused up front with a clear error (and the hint to use the HTTPS URL) rather than
//! libgit2's "unsupported URL protocol".
//!
//! Credentials written into a URL (`https://user:token@host/…`) are never stored or shown:
//! libgit2 is given the URL without them ([`without_credentials`], which is also what `origin`
//! records and what messages name) and they are handed over only when the server asks, through
//! the credentials callback, once. Whatever libgit2 or the server says is redacted all the same.
//! A plain `http://` URL is cloned, with a warning ([`clone_warnings`]) for the front end to show.

use super::{ForkError, Repo};
use git2::build::{CloneLocal, RepoBuilder};
use git2::{Cred, CredentialType, FetchOptions, RemoteCallbacks, Repository};
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
    let (source, credentials) = clone_source(url_or_path)?;
    let created = prepare_destination(dest)?;
    let result = (|| {
        let mut callbacks = RemoteCallbacks::new();
        if let Some(credentials) = credentials {
            // Asked again after a refusal: the same credentials would be refused again.
            let mut offered = false;
            callbacks.credentials(move |_url, _user, allowed| {
                if offered || !allowed.contains(CredentialType::USER_PASS_PLAINTEXT) {
                    return Err(git2::Error::new(
                        git2::ErrorCode::Auth,
                        git2::ErrorClass::Http,
                        "the server did not accept the credentials given in the URL",
                    ));
                }
                offered = true;
                Cred::userpass_plaintext(&credentials.username, &credentials.password)
            });
        }
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
                        message: redact(e.message(), url_or_path),
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

/// Credentials written into a URL, kept out of everything libgit2 stores or says.
struct UrlCredentials {
    username: String,
    password: String,
}

/// The byte range of `userinfo@` in a `scheme://userinfo@host/…` URL.
fn userinfo_range(url: &str) -> Option<std::ops::Range<usize>> {
    let start = url.find("://")? + 3;
    let rest = &url[start..];
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let at = authority.rfind('@')?;
    Some(start..start + at + 1)
}

/// `url` without the credentials written into it (`https://user:token@host/x.git` becomes
/// `https://host/x.git`): what is stored as `origin` and named in messages. Anything else is
/// returned as it is.
pub fn without_credentials(url: &str) -> String {
    match userinfo_range(url) {
        Some(r) => format!("{}{}", &url[..r.start], &url[r.end..]),
        None => url.to_owned(),
    }
}

/// `text` (a message from libgit2 or a server) with the credentials of `url` replaced by
/// `***`, as written and percent-decoded. A user name alone is taken for a token (GitHub's
/// `https://TOKEN@host` form); a user name beside a password is not a secret.
fn redact(text: &str, url: &str) -> String {
    let Some(range) = userinfo_range(url) else {
        return text.to_owned();
    };
    let userinfo = &url[range.start..range.end - 1];
    let secret = match userinfo.split_once(':') {
        Some((_, password)) => password,
        None => userinfo,
    };
    let mut out = text.replace(userinfo, "***");
    for s in [secret.to_owned(), percent_decode(secret)] {
        // A secret of a few letters would blank ordinary words of the message.
        if s.chars().count() >= 4 {
            out = out.replace(&s, "***");
        }
    }
    out
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What the user should know before cloning `url_or_path`: a plain `http://` URL (the code
/// and any credentials travel unencrypted, and can be altered on the way), and credentials in
/// the URL (used for this clone only, never stored).
pub fn clone_warnings(url_or_path: &str) -> Vec<String> {
    let shown = without_credentials(url_or_path);
    let mut out = Vec::new();
    let scheme = url_or_path.split_once("://").map(|(s, _)| s);
    if scheme.is_some_and(|s| s.eq_ignore_ascii_case("http")) {
        out.push(format!(
            "`{shown}` is plain http://: the repository{} travels unencrypted and can be read or altered on the way; use its https:// URL if it has one",
            if userinfo_range(url_or_path).is_some() { " and the credentials in the URL" } else { "" }
        ));
    }
    if userinfo_range(url_or_path).is_some() && is_network(url_or_path) {
        out.push(format!(
            "the credentials in the URL are used for this clone only and are not stored: `origin` is `{shown}` (a later fetch needs them again, e.g. from git's credential helper)"
        ));
    }
    out
}

/// What to hand libgit2: a local repository's path, or a `file://` or `http(s)://` URL without
/// credentials, and the credentials that were in the URL.
fn clone_source(url_or_path: &str) -> Result<(String, Option<UrlCredentials>), ForkError> {
    let shown = without_credentials(url_or_path);
    let unsupported = |scheme: &str| ForkError::UnsupportedUrl {
        url: shown.clone(),
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
        Some((scheme, _))
            if scheme.eq_ignore_ascii_case("https") || scheme.eq_ignore_ascii_case("http") =>
        {
            let credentials = userinfo_range(url_or_path).map(|r| {
                let userinfo = &url_or_path[r.start..r.end - 1];
                let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
                UrlCredentials {
                    username: percent_decode(user),
                    password: percent_decode(password),
                }
            });
            let rest = &shown[scheme.len() + 3..];
            if rest.is_empty() || rest.starts_with('/') {
                return Err(ForkError::InvalidPath {
                    path: shown.clone(),
                    reason: "the URL names no host",
                });
            }
            // Checked by the transfer itself (reachability, authentication, "not found").
            return Ok((shown.clone(), credentials));
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
        Ok((url_or_path.to_owned(), None))
    } else {
        let absolute = std::fs::canonicalize(&local).map_err(|source| ForkError::Io {
            path: local.clone(),
            source,
        })?;
        absolute
            .to_str()
            .map(|p| (p.to_owned(), None))
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

    #[test]
    fn credentials_are_taken_out_of_urls_for_storing_and_showing() {
        for (url, shown) in [
            (
                "https://user:tok@github.com/o/r.git",
                "https://github.com/o/r.git",
            ),
            (
                "https://ghp_token@github.com/o/r.git",
                "https://github.com/o/r.git",
            ),
            ("HTTP://u:p@ss@host:8080/x?y#z", "HTTP://host:8080/x?y#z"),
            ("https://github.com/o/r.git", "https://github.com/o/r.git"),
            ("https://host/a@b", "https://host/a@b"),
            ("/local/folder@2", "/local/folder@2"),
        ] {
            assert_eq!(without_credentials(url), shown, "{url}");
        }
        let said = redact(
            "auth for u:s%40cret failed; s@cret refused",
            "https://u:s%40cret@host/x",
        );
        assert_eq!(said, "auth for *** failed; *** refused");
        // A user name beside a password is not a secret; a token alone is.
        assert_eq!(redact("user alice", "https://alice:pw12@h/x"), "user alice");
        assert_eq!(
            redact("token ghp_1234", "https://ghp_1234@h/x"),
            "token ***"
        );
    }

    #[test]
    fn a_failed_network_clone_never_shows_the_urls_credentials() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("clone");
        let err = clone(
            "https://user:secret@example.invalid/x.git",
            &dest,
            &mut |_| {},
        )
        .unwrap_err();
        let json = serde_json::to_string(&err.info()).unwrap();
        assert!(!json.contains("secret"), "{json}");
        assert!(json.contains("https://example.invalid/x.git"), "{json}");
        assert!(!dest.exists());
        // Refused up front, the same.
        for url in [
            "ssh://git:secret@github.com/o/r.git",
            "https://user:secret@/no-host",
        ] {
            let err = clone(url, &dest, &mut |_| {}).unwrap_err();
            let json = serde_json::to_string(&err.info()).unwrap();
            assert!(!json.contains("secret"), "{json}");
        }
    }

    #[test]
    fn plain_http_and_credentials_in_the_url_are_warned_about() {
        assert!(clone_warnings("https://github.com/o/r.git").is_empty());
        assert!(clone_warnings("/local/repo").is_empty());
        let plain = clone_warnings("http://host/x.git");
        assert_eq!(plain.len(), 1);
        assert!(plain[0].contains("plain http://"), "{plain:?}");
        let both = clone_warnings("http://user:secret@host/x.git");
        assert_eq!(both.len(), 2, "{both:?}");
        assert!(both.iter().all(|w| !w.contains("secret")), "{both:?}");
        assert!(both[1].contains("not stored"), "{both:?}");
    }
}

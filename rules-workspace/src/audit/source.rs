//! Where a pack comes from, and the folder it is audited in.
//!
//! A folder is audited where it is (read only). Everything else is first brought into a
//! quarantine folder under Prowl's cache (`<cache>/audit/`), removed when the audit ends: a git
//! URL is cloned there (`fork::clone`, then its symbolic links removed and listed), an archive
//! extracted safely ([`super::archive`]), a branch's tree and its merge base's tree written out
//! from the object database (`fork::Repo::export_tree`; the working tree is never touched).

use super::archive::{self, ArchiveKind, ArchiveLimits};
use super::AuditError;
use crate::fork::{Repo, TreeLimits};
use serde::Serialize;
use std::path::{Path, PathBuf};
use ts_rs::TS;

/// What to audit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A folder, audited in place.
    Folder(PathBuf),
    /// A git URL (`https://`, `http://`, `file://`), cloned into quarantine.
    Git(String),
    /// A zip or tar(.gz) archive, extracted into quarantine.
    Archive(PathBuf),
    /// A branch of a repository: what it changed since its merge base with `base` (the
    /// repository's default branch when `None`), like a pull request.
    Branch {
        /// A folder inside the repository.
        repo: PathBuf,
        /// The branch (or any revision).
        branch: String,
        /// The branch it is merged into.
        base: Option<String>,
    },
}

impl Source {
    /// What a command line's SOURCE names: a URL with a scheme is a git repository, a file
    /// named `.zip`, `.tar`, `.tar.gz` or `.tgz` an archive, anything else a folder.
    pub fn from_argument(arg: &str) -> Source {
        let path = PathBuf::from(arg);
        if arg.contains("://") {
            Source::Git(arg.to_owned())
        } else if ArchiveKind::of(&path).is_some() && !path.is_dir() {
            Source::Archive(path)
        } else {
            Source::Folder(path)
        }
    }
}

/// The kind of source, as reports name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// A folder.
    Folder,
    /// A cloned git repository.
    Git,
    /// An extracted archive.
    Archive,
    /// A branch against its merge base.
    Branch,
}

/// An entry of the source that was not brought into quarantine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct SkippedEntry {
    /// Its path in the source, as written there.
    pub path: String,
    /// Why (`symbolic link`, `a path leaving the archive (..)`, …).
    pub why: String,
}

/// Where the audited files came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct SourceInfo {
    /// The kind of source.
    pub kind: SourceKind,
    /// The folder, URL or archive as given.
    pub location: String,
    /// The branch audited (`--branch`).
    pub branch: Option<String>,
    /// The branch it is compared with.
    pub base: Option<String>,
    /// The merge base's commit.
    pub merge_base: Option<String>,
    /// The branch's commit.
    pub commit: Option<String>,
    /// Paths the branch changed since the merge base.
    pub changed: Vec<String>,
    /// Entries not brought into quarantine.
    pub skipped: Vec<SkippedEntry>,
}

/// The most a source may bring into quarantine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceLimits {
    /// Bytes in all.
    pub max_bytes: u64,
    /// Files (entries) in all.
    pub max_files: usize,
}

impl Default for SourceLimits {
    fn default() -> Self {
        let a = ArchiveLimits::default();
        SourceLimits {
            max_bytes: a.max_bytes,
            max_files: a.max_entries,
        }
    }
}

/// A source ready to audit.
#[derive(Debug)]
pub(crate) struct Prepared {
    /// The pack's folder (canonical).
    pub root: PathBuf,
    /// What the report says about it.
    pub info: SourceInfo,
    /// Branch mode: the merge base's tree (the default `--against`).
    pub base_root: Option<PathBuf>,
    /// Removed on drop unless kept.
    quarantine: Option<tempfile::TempDir>,
}

impl Prepared {
    /// Keeps the quarantine folder after the audit; its path.
    pub fn keep(&mut self) -> Option<PathBuf> {
        self.quarantine.take().map(|q| q.keep())
    }

    /// The pack's folder and the quarantine folder holding it (removed when dropped; `None`
    /// for a folder read in place, or one already kept).
    pub fn into_files(self) -> (PathBuf, Option<tempfile::TempDir>) {
        (self.root, self.quarantine)
    }
}

fn quarantine(prefix: &str) -> Result<tempfile::TempDir, AuditError> {
    let parent = crate::env::cache_dir().join("audit");
    std::fs::create_dir_all(&parent)
        .and_then(|_| tempfile::Builder::new().prefix(prefix).tempdir_in(&parent))
        .map_err(|source| AuditError::Io {
            path: parent.clone(),
            source,
        })
}

fn canonical(path: &Path) -> Result<PathBuf, AuditError> {
    std::fs::canonicalize(path).map_err(|source| AuditError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Brings the source where it can be audited.
pub(crate) fn prepare(source: &Source, limits: SourceLimits) -> Result<Prepared, AuditError> {
    let info = |kind, location: String| SourceInfo {
        kind,
        location,
        branch: None,
        base: None,
        merge_base: None,
        commit: None,
        changed: Vec::new(),
        skipped: Vec::new(),
    };
    match source {
        Source::Folder(path) => {
            let meta = std::fs::metadata(path).map_err(|source| AuditError::Io {
                path: path.clone(),
                source,
            })?;
            if !meta.is_dir() {
                return Err(AuditError::UnknownSource {
                    source_text: path.display().to_string(),
                });
            }
            Ok(Prepared {
                root: canonical(path)?,
                info: info(SourceKind::Folder, path.display().to_string()),
                base_root: None,
                quarantine: None,
            })
        }
        Source::Archive(path) => {
            let kind = ArchiveKind::of(path).ok_or_else(|| AuditError::UnknownSource {
                source_text: path.display().to_string(),
            })?;
            let q = quarantine("archive-")?;
            let out = archive::extract(
                path,
                kind,
                q.path(),
                ArchiveLimits {
                    max_bytes: limits.max_bytes,
                    max_entries: limits.max_files,
                },
            )?;
            let mut i = info(SourceKind::Archive, path.display().to_string());
            i.skipped = out
                .skipped
                .into_iter()
                .map(|(path, why)| SkippedEntry { path, why })
                .collect();
            Ok(Prepared {
                root: single_top_folder(q.path()),
                info: i,
                base_root: None,
                quarantine: Some(q),
            })
        }
        Source::Git(url) => {
            let q = quarantine("git-")?;
            let dest = q.path().join("pack");
            crate::fork::clone(url, &dest, &mut |_| {})?;
            let mut i = info(SourceKind::Git, url.clone());
            i.skipped = remove_symlinks(&dest, limits)?;
            Ok(Prepared {
                root: canonical(&dest)?,
                info: i,
                base_root: None,
                quarantine: Some(q),
            })
        }
        Source::Branch { repo, branch, base } => {
            let git = Repo::discover(repo)?;
            let changes = git.branch_changes(branch, base.as_deref())?;
            let q = quarantine("branch-")?;
            let tip = q.path().join("branch");
            let merge_base = q.path().join("merge-base");
            let tree_limits = TreeLimits {
                max_bytes: limits.max_bytes,
                max_files: limits.max_files,
            };
            for dir in [&tip, &merge_base] {
                std::fs::create_dir_all(dir).map_err(|source| AuditError::Io {
                    path: dir.clone(),
                    source,
                })?;
            }
            let exported = git.export_tree(&changes.tip, &tip, tree_limits)?;
            git.export_tree(&changes.merge_base, &merge_base, tree_limits)?;
            let mut i = info(SourceKind::Branch, git.workdir().display().to_string());
            i.location = repo.display().to_string();
            i.branch = Some(changes.branch);
            i.base = Some(changes.base);
            i.merge_base = Some(changes.merge_base);
            i.commit = Some(changes.tip);
            i.changed = changes.changed;
            i.skipped = exported
                .skipped
                .into_iter()
                .map(|(path, why)| SkippedEntry { path, why })
                .collect();
            Ok(Prepared {
                root: canonical(&tip)?,
                info: i,
                base_root: Some(canonical(&merge_base)?),
                quarantine: Some(q),
            })
        }
    }
}

/// An archive whose entries all sit in one folder (`pack-1.0/...`, as GitHub's archives are)
/// is audited from that folder.
fn single_top_folder(dir: &Path) -> PathBuf {
    let entries: Vec<_> = std::fs::read_dir(dir)
        .map(|r| r.flatten().collect())
        .unwrap_or_default();
    match entries.as_slice() {
        [only] if only.file_type().is_ok_and(|t| t.is_dir()) => {
            std::fs::canonicalize(only.path()).unwrap_or_else(|_| only.path())
        }
        _ => std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf()),
    }
}

/// Removes the symbolic links a clone checked out (they may point anywhere on this machine),
/// listing each; `.git` is left alone.
fn remove_symlinks(root: &Path, limits: SourceLimits) -> Result<Vec<SkippedEntry>, AuditError> {
    let mut skipped = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    let mut seen = 0usize;
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|source| AuditError::Io {
            path: dir.clone(),
            source,
        })?;
        for entry in entries.flatten() {
            seen += 1;
            if seen > limits.max_files {
                return Err(AuditError::TooLarge {
                    what: format!("more than {} files", limits.max_files),
                });
            }
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_symlink() {
                let rel = path
                    .strip_prefix(root)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .into_owned();
                std::fs::remove_file(&path).map_err(|source| AuditError::Io {
                    path: path.clone(),
                    source,
                })?;
                skipped.push(SkippedEntry {
                    path: rel,
                    why: "symbolic link".into(),
                });
            } else if kind.is_dir() && entry.file_name() != ".git" {
                stack.push(path);
            }
        }
    }
    skipped.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(skipped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_name_their_kind_of_source() {
        assert_eq!(
            Source::from_argument("https://example.com/p.git"),
            Source::Git("https://example.com/p.git".into())
        );
        assert_eq!(
            Source::from_argument("pack.tar.gz"),
            Source::Archive("pack.tar.gz".into())
        );
        assert_eq!(Source::from_argument("pack"), Source::Folder("pack".into()));
    }
}

//! `Repo::branch_changes` and `Repo::export_tree`: what a branch changes since it left the
//! default branch, and a commit's tree written out to a folder of Prowl's, for
//! `prowl audit --branch` (a pull request reviewed before it is merged).
//!
//! Invariants: the working tree, the index and HEAD are never touched (the tree is read from the
//! object database); only regular files are written, each under `dest` (a name that is empty,
//! `.`, `..`, `.git` or holds a separator is skipped), without execute bits; symbolic links and
//! submodules are listed as skipped, never written; the size and file-count limits stop a
//! hostile tree before it fills the disk.

use super::{path_text, ForkError, Repo};
use git2::{ObjectType, Oid, TreeWalkMode, TreeWalkResult};
use std::path::Path;

/// The most a tree may write out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeLimits {
    /// Bytes of file content in all.
    pub max_bytes: u64,
    /// Files in all.
    pub max_files: usize,
}

/// What [`Repo::export_tree`] wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportedTree {
    /// Files written.
    pub files: usize,
    /// Bytes written.
    pub bytes: u64,
    /// Entries not written, with why (`symbolic link`, `submodule`, `unsafe name`).
    pub skipped: Vec<(String, String)>,
}

/// A branch's changes since its merge base with another branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchChanges {
    /// The branch as given.
    pub branch: String,
    /// The branch it is compared with (the default branch unless one was given).
    pub base: String,
    /// The branch's commit.
    pub tip: String,
    /// The merge base's commit.
    pub merge_base: String,
    /// Paths added, changed or deleted on the branch since the merge base, sorted.
    pub changed: Vec<String>,
}

impl Repo {
    /// The repository's default branch: what `origin/HEAD` points at, else `main`, else
    /// `master` (local branches), else `None`.
    pub fn default_branch(&self) -> Option<String> {
        if let Ok(head) = self.repo.find_reference("refs/remotes/origin/HEAD") {
            if let Ok(Some(target)) = head.symbolic_target() {
                if let Some(short) = target.strip_prefix("refs/remotes/") {
                    return Some(short.to_owned());
                }
            }
        }
        ["main", "master"]
            .into_iter()
            .find(|b| self.repo.find_branch(b, git2::BranchType::Local).is_ok())
            .map(str::to_owned)
    }

    fn commit_of(&self, name: &str) -> Result<git2::Commit<'_>, ForkError> {
        let not_found = || -> Result<ForkError, ForkError> {
            Ok(ForkError::BranchNotFound {
                name: name.to_owned(),
                available: self.branches()?.into_iter().map(|b| b.name).collect(),
            })
        };
        if name.is_empty() || name.contains('\0') || name.starts_with('-') {
            return Err(not_found()?);
        }
        match self.repo.revparse_single(name) {
            Ok(object) => Ok(object.peel_to_commit()?),
            Err(e)
                if e.code() == git2::ErrorCode::NotFound
                    || e.code() == git2::ErrorCode::InvalidSpec =>
            {
                Err(not_found()?)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The commit `name` (a branch, a tag, `HEAD~2`, an ID) names, as a full ID, with its
    /// summary line.
    pub fn resolve_commit(&self, name: &str) -> Result<(String, String), ForkError> {
        self.ensure_present()?;
        let commit = self.commit_of(name)?;
        let summary =
            String::from_utf8_lossy(commit.summary_bytes().unwrap_or_default()).into_owned();
        Ok((commit.id().to_string(), summary))
    }

    /// What `branch` changes since its merge base with `base` (the default branch when
    /// `None`): the commits and the paths.
    pub fn branch_changes(
        &self,
        branch: &str,
        base: Option<&str>,
    ) -> Result<BranchChanges, ForkError> {
        self.ensure_present()?;
        let base = match base {
            Some(b) => b.to_owned(),
            None => self
                .default_branch()
                .ok_or_else(|| ForkError::BranchNotFound {
                    name: "main".into(),
                    available: self
                        .branches()
                        .map(|b| b.into_iter().map(|b| b.name).collect())
                        .unwrap_or_default(),
                })?,
        };
        let tip = self.commit_of(branch)?;
        let base_commit = self.commit_of(&base)?;
        let merge_base = self.repo.merge_base(tip.id(), base_commit.id())?;
        let old = self.repo.find_commit(merge_base)?.tree()?;
        let diff = self
            .repo
            .diff_tree_to_tree(Some(&old), Some(&tip.tree()?), None)?;
        let mut changed: Vec<String> = Vec::new();
        for delta in diff.deltas() {
            for file in [delta.old_file(), delta.new_file()] {
                if let Some(p) = file.path_bytes() {
                    changed.push(path_text(p));
                }
            }
        }
        changed.sort();
        changed.dedup();
        Ok(BranchChanges {
            branch: branch.to_owned(),
            base,
            tip: tip.id().to_string(),
            merge_base: merge_base.to_string(),
            changed,
        })
    }

    /// Writes the tree of `commit` (a name or an ID) into `dest` (an existing empty folder).
    pub fn export_tree(
        &self,
        commit: &str,
        dest: &Path,
        limits: TreeLimits,
    ) -> Result<ExportedTree, ForkError> {
        self.ensure_present()?;
        let commit_obj = match Oid::from_str(commit) {
            Ok(oid) => self.repo.find_commit(oid)?,
            Err(_) => self.commit_of(commit)?,
        };
        let tree = commit_obj.tree()?;
        let mut out = ExportedTree::default();
        let mut failure: Option<ForkError> = None;
        let io = |path: &Path, source| ForkError::Io {
            path: path.to_path_buf(),
            source,
        };
        tree.walk(TreeWalkMode::PreOrder, |parent, entry| {
            let name = path_text(entry.name_bytes());
            let rel = format!("{parent}{name}");
            if !safe_component(&name) {
                out.skipped.push((rel, "unsafe name".into()));
                return TreeWalkResult::Skip;
            }
            let target = dest.join(parent).join(&name);
            match (entry.kind(), entry.filemode()) {
                (Some(ObjectType::Tree), _) => {
                    if let Err(e) = std::fs::create_dir_all(&target) {
                        failure = Some(io(&target, e));
                        return TreeWalkResult::Abort;
                    }
                    TreeWalkResult::Ok
                }
                (Some(ObjectType::Blob), 0o120000) => {
                    out.skipped.push((rel, "symbolic link".into()));
                    TreeWalkResult::Ok
                }
                (Some(ObjectType::Blob), _) => {
                    let blob = match self.repo.find_blob(entry.id()) {
                        Ok(b) => b,
                        Err(e) => {
                            failure = Some(e.into());
                            return TreeWalkResult::Abort;
                        }
                    };
                    out.files += 1;
                    out.bytes += blob.size() as u64;
                    if out.files > limits.max_files || out.bytes > limits.max_bytes {
                        failure = Some(ForkError::TreeTooLarge {
                            commit: commit.to_owned(),
                            what: if out.files > limits.max_files {
                                format!("more than {} files", limits.max_files)
                            } else {
                                format!("more than {} bytes", limits.max_bytes)
                            },
                        });
                        return TreeWalkResult::Abort;
                    }
                    if let Err(e) = std::fs::write(&target, blob.content()) {
                        failure = Some(io(&target, e));
                        return TreeWalkResult::Abort;
                    }
                    TreeWalkResult::Ok
                }
                _ => {
                    out.skipped.push((rel, "submodule".into()));
                    TreeWalkResult::Ok
                }
            }
        })
        .or_else(|e| if failure.is_some() { Ok(()) } else { Err(e) })?;
        match failure {
            Some(e) => Err(e),
            None => Ok(out),
        }
    }
}

/// A name a tree entry may be written under: not empty, `.`, `..` or `.git`, and without a
/// separator or NUL.
fn safe_component(name: &str) -> bool {
    !(name.is_empty()
        || name == "."
        || name == ".."
        || name.eq_ignore_ascii_case(".git")
        || name.contains(['/', '\\', '\0']))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::TestRepo;

    #[test]
    fn a_branch_lists_what_it_changed_since_it_left_main_and_its_tree_is_written_out() {
        let t = TestRepo::new();
        t.write("rules/a.py", "def rule(e):\n    return True\n");
        t.write("rules/b.py", "def rule(e):\n    return False\n");
        t.commit_all("first");
        t.git(&["checkout", "-q", "-b", "feature"]);
        t.write("rules/b.py", "def rule(e):\n    return True\n");
        t.write("rules/c.py", "x = 1\n");
        t.commit_all("feature");
        t.git(&["checkout", "-q", "main"]);
        t.write("rules/a.py", "def rule(e):\n    return None\n");
        t.commit_all("main moves on");
        let repo = Repo::discover(t.path()).unwrap();
        assert_eq!(repo.default_branch().as_deref(), Some("main"));
        let changes = repo.branch_changes("feature", None).unwrap();
        assert_eq!(changes.base, "main");
        assert_eq!(changes.changed, vec!["rules/b.py", "rules/c.py"]);
        let dir = tempfile::tempdir().unwrap();
        let limits = TreeLimits {
            max_bytes: 1 << 20,
            max_files: 100,
        };
        let out = repo.export_tree(&changes.tip, dir.path(), limits).unwrap();
        assert_eq!(out.files, 3);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("rules/a.py")).unwrap(),
            "def rule(e):\n    return True\n",
            "the branch's version, not main's"
        );
        let small = TreeLimits {
            max_bytes: 1 << 20,
            max_files: 1,
        };
        let other = tempfile::tempdir().unwrap();
        let err = repo
            .export_tree(&changes.tip, other.path(), small)
            .unwrap_err();
        assert!(matches!(err, ForkError::TreeTooLarge { .. }), "{err}");
        let err = repo.branch_changes("nope", None).unwrap_err();
        assert!(matches!(err, ForkError::BranchNotFound { .. }), "{err}");
    }

    #[test]
    fn symbolic_links_in_a_tree_are_skipped_not_written() {
        let t = TestRepo::new();
        t.write("rules/a.py", "x = 1\n");
        std::os::unix::fs::symlink("/etc/passwd", t.path().join("rules/link.py")).unwrap();
        t.commit_all("first");
        let repo = Repo::discover(t.path()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let limits = TreeLimits {
            max_bytes: 1 << 20,
            max_files: 100,
        };
        let out = repo.export_tree("main", dir.path(), limits).unwrap();
        assert_eq!(
            out.skipped,
            vec![("rules/link.py".into(), "symbolic link".into())]
        );
        assert!(std::fs::symlink_metadata(dir.path().join("rules/link.py")).is_err());
    }
}

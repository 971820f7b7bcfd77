//! `Repo::branches` and `Repo::checkout`: local branches, and switching between them without
//! ever overwriting uncommitted work.

use super::status::operation_name;
use super::{path_text, ForkError, Repo};
use git2::build::CheckoutBuilder;
use git2::{BranchType, CheckoutNotificationType, ErrorCode};
use serde::Serialize;
use std::path::Path;

/// A local branch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Branch {
    /// The short name (`main`, `feature/x`), as given to [`Repo::checkout`].
    pub name: String,
    /// HEAD points at it.
    pub current: bool,
    /// The remote-tracking branch it follows (`origin/main`), if any.
    pub upstream: Option<String>,
}

impl Repo {
    /// The local branches, sorted by name. Before the first commit a branch has no commit to
    /// point at, so the list is empty (as `git branch` shows it).
    pub fn branches(&self) -> Result<Vec<Branch>, ForkError> {
        self.ensure_present()?;
        let mut out = Vec::new();
        for item in self.repo.branches(Some(BranchType::Local))? {
            let (branch, _) = item?;
            let name = path_text(branch.name_bytes()?);
            let upstream = match branch.upstream() {
                Ok(up) => Some(path_text(up.name_bytes()?)),
                Err(_) => None,
            };
            out.push(Branch {
                name,
                current: branch.is_head(),
                upstream,
            });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Switches to a local branch: updates the working tree and index, then HEAD.
    ///
    /// Safe like `git switch`: local changes to files that are the same on both branches come
    /// along; when a change (staged, unstaged, an untracked or ignored file in the way) would
    /// be overwritten, nothing is touched and the error lists the paths. Refuses during an
    /// unfinished merge, rebase or the like.
    pub fn checkout(&self, branch: &str) -> Result<(), ForkError> {
        self.ensure_present()?;
        let not_found = || -> Result<ForkError, ForkError> {
            Ok(ForkError::BranchNotFound {
                name: branch.to_owned(),
                available: self.branches()?.into_iter().map(|b| b.name).collect(),
            })
        };
        if branch.is_empty() || branch.contains('\0') {
            return Err(not_found()?);
        }
        if let Some(operation) = operation_name(self.repo.state()) {
            return Err(ForkError::OperationInProgress {
                operation: operation.to_owned(),
            });
        }
        let target = match self.repo.find_branch(branch, BranchType::Local) {
            Ok(b) => b,
            Err(e) if matches!(e.code(), ErrorCode::NotFound | ErrorCode::InvalidSpec) => {
                return Err(not_found()?)
            }
            Err(e) => return Err(e.into()),
        };
        if target.is_head() {
            return Ok(());
        }
        let reference = target.into_reference();
        let refname = reference.name()?.to_owned();
        let commit = reference.peel_to_commit()?;
        let target_tree = commit.tree()?;
        // libgit2's safe checkout looks at the working tree only: a staged change whose file
        // matches HEAD again on disk would be silently replaced. Check the index as git does.
        let mut conflicts = self.staged_changes_in_the_way(&target_tree)?;
        let dry_run = !conflicts.is_empty();
        let result = {
            let mut options = CheckoutBuilder::new();
            options
                .safe()
                .overwrite_ignored(false)
                .notify_on(CheckoutNotificationType::CONFLICT)
                .notify(|_, path, _, _, _| {
                    if let Some(p) = path {
                        conflicts.push(p.to_string_lossy().replace('\\', "/"));
                    }
                    true // go on, to collect every conflicting path
                });
            if dry_run {
                options.dry_run();
            }
            self.repo
                .checkout_tree(commit.as_object(), Some(&mut options))
        };
        match result {
            Ok(()) => {}
            Err(e) if e.code() == ErrorCode::Conflict => {}
            Err(e) => return Err(e.into()),
        }
        if !conflicts.is_empty() {
            conflicts.sort();
            conflicts.dedup();
            return Err(ForkError::CheckoutConflicts {
                branch: branch.to_owned(),
                paths: conflicts,
            });
        }
        self.repo.set_head(&refname)?;
        Ok(())
    }

    /// Paths staged differently from HEAD that the target tree would change: git's two-way
    /// merge keeps a staged change only where HEAD and the target agree (or the index already
    /// matches the target).
    fn staged_changes_in_the_way(&self, target: &git2::Tree<'_>) -> Result<Vec<String>, ForkError> {
        let head = self.head_tree()?;
        let index = self.index()?;
        let staged = self
            .repo
            .diff_tree_to_index(head.as_ref(), Some(&index), None)?;
        let id_in = |tree: Option<&git2::Tree<'_>>, path: &str| {
            tree.and_then(|t| t.get_path(Path::new(path)).ok())
                .map(|e| e.id())
        };
        let mut paths = Vec::new();
        for delta in staged.deltas() {
            for file in [delta.old_file(), delta.new_file()] {
                let Some(path) = file.path_bytes().map(path_text) else {
                    continue;
                };
                let in_head = id_in(head.as_ref(), &path);
                let in_target = id_in(Some(target), &path);
                let in_index = index.get_path(Path::new(&path), 0).map(|e| e.id);
                if in_head != in_target && in_index != in_target {
                    paths.push(path);
                }
            }
        }
        Ok(paths)
    }
}

#[cfg(test)]
mod tests {
    use crate::error::UserError;
    use crate::testkit::TestRepo;

    fn two_branches() -> TestRepo {
        let t = TestRepo::new();
        t.write("shared.txt", "same on both\n");
        t.write("a.txt", "main\n");
        t.commit_all("first");
        t.git(&["branch", "feature"]);
        t.git(&["checkout", "-q", "feature"]);
        t.write("a.txt", "feature\n");
        t.write("only_feature.txt", "f\n");
        t.commit_all("feature work");
        t.git(&["checkout", "-q", "main"]);
        t
    }

    #[test]
    fn branches_lists_local_branches_with_the_current_one_and_upstream() {
        let t = two_branches();
        t.git(&["config", "branch.feature.remote", "."]);
        t.git(&["config", "branch.feature.merge", "refs/heads/main"]);
        let branches = t.open().branches().unwrap();
        let names: Vec<_> = branches
            .iter()
            .map(|b| (b.name.as_str(), b.current, b.upstream.as_deref()))
            .collect();
        assert_eq!(
            names,
            vec![("feature", false, Some("main")), ("main", true, None)]
        );
    }

    #[test]
    fn branches_on_an_unborn_branch_is_empty() {
        let t = TestRepo::new();
        assert!(t.open().branches().unwrap().is_empty());
    }

    #[test]
    fn checkout_switches_branch_and_carries_unrelated_edits() {
        let t = two_branches();
        t.write("shared.txt", "local edit\n");
        let repo = t.open();
        repo.checkout("feature").unwrap();
        assert_eq!(t.git(&["branch", "--show-current"]).trim(), "feature");
        assert_eq!(t.read("a.txt").as_deref(), Some("feature\n"));
        assert_eq!(t.read("shared.txt").as_deref(), Some("local edit\n"));
        assert_eq!(t.git(&["status", "--porcelain"]), " M shared.txt\n");
        repo.checkout("main").unwrap();
        assert!(!t.path().join("only_feature.txt").exists());
        repo.checkout("main").unwrap(); // already there: nothing to do
    }

    #[test]
    fn checkout_refuses_to_overwrite_local_edits_and_changes_nothing() {
        let t = two_branches();
        t.write("a.txt", "precious local edit\n");
        t.write("only_feature.txt", "untracked but precious\n");
        let repo = t.open();
        let err = repo.checkout("feature").unwrap_err();
        assert_eq!(err.name(), "checkout_conflicts", "{err}");
        let crate::fork::ForkError::CheckoutConflicts { paths, .. } = &err else {
            unreachable!()
        };
        assert_eq!(paths, &["a.txt", "only_feature.txt"]);
        assert!(err.to_string().contains("a.txt"));
        assert_eq!(t.read("a.txt").as_deref(), Some("precious local edit\n"));
        assert_eq!(
            t.read("only_feature.txt").as_deref(),
            Some("untracked but precious\n")
        );
        assert_eq!(t.git(&["branch", "--show-current"]).trim(), "main");
    }

    #[test]
    fn checkout_refuses_to_overwrite_staged_edits() {
        let t = two_branches();
        t.write("a.txt", "staged edit\n");
        t.git(&["add", "a.txt"]);
        t.write("a.txt", "main\n"); // the working tree matches HEAD again; the index does not
        let repo = t.open();
        let err = repo.checkout("feature").unwrap_err();
        assert_eq!(err.name(), "checkout_conflicts", "{err}");
        assert_eq!(t.git(&["diff", "--cached", "--name-only"]), "a.txt\n");
        assert_eq!(t.git(&["branch", "--show-current"]).trim(), "main");
        // A staged change to a file both branches share comes along, staged.
        t.git(&["reset", "-q"]);
        t.write("shared.txt", "staged shared edit\n");
        t.git(&["add", "shared.txt"]);
        repo.checkout("feature").unwrap();
        assert_eq!(t.git(&["status", "--porcelain"]), "M  shared.txt\n");
    }

    #[test]
    fn checkout_of_an_unknown_branch_lists_the_branches() {
        let t = two_branches();
        let repo = t.open();
        for bad in ["nope", "", "a..b", "bad\0name"] {
            let err = repo.checkout(bad).unwrap_err();
            assert_eq!(err.name(), "branch_not_found", "{bad:?}: {err}");
            assert_eq!(err.hint().unwrap(), "local branches: feature, main");
        }
    }

    #[test]
    fn checkout_from_a_detached_head_reattaches() {
        let t = two_branches();
        t.git(&["checkout", "-q", "--detach", "HEAD"]);
        let repo = t.open();
        repo.checkout("feature").unwrap();
        let status = repo.status().unwrap();
        assert_eq!(status.branch.as_deref(), Some("feature"));
        assert!(!status.detached);
    }
}

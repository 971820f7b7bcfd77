//! `Repo::commit`: records the index as a new commit on the current branch.

use super::status::operation_name;
use super::{ForkError, Repo};
use git2::{ErrorCode, Oid, RepositoryState};

impl Repo {
    /// Commits the index and returns the new commit's full id.
    ///
    /// Refuses an empty message, an index with unresolved conflicts, and an index that equals
    /// HEAD ("nothing staged"). The author and committer come from the repository's git config
    /// (`user.name`, `user.email`, local then global). During a merge the commit gets the
    /// merged commit(s) as further parents and the merge state is cleared, as `git commit`
    /// does. On an unborn branch it makes the first commit; with a detached HEAD it moves HEAD.
    ///
    /// libgit2 runs no hooks (`pre-commit`, `commit-msg`) and does not sign commits.
    pub fn commit(&self, message: &str) -> Result<String, ForkError> {
        self.ensure_present()?;
        if message.contains('\0') {
            return Err(ForkError::InvalidMessage);
        }
        // Trailing spaces and blank lines go, and the message ends with a newline, as git's
        // default cleanup (comment lines are kept: the message was not typed in an editor).
        let message = git2::message_prettify(message, None)?;
        if message.trim().is_empty() {
            return Err(ForkError::EmptyMessage);
        }
        let mut index = self.index()?;
        if index.has_conflicts() {
            return Err(ForkError::UnresolvedConflicts {
                paths: self.conflicted_paths()?,
            });
        }
        let merge_heads = match self.repo.state() {
            RepositoryState::Clean => Vec::new(),
            RepositoryState::Merge => self.merge_heads()?,
            other => {
                return Err(ForkError::OperationInProgress {
                    operation: operation_name(other).unwrap_or("git operation").to_owned(),
                })
            }
        };
        let tree_id = index.write_tree()?;
        let parent = match self.repo.head() {
            Ok(head) => Some(head.peel_to_commit()?),
            Err(e) if matches!(e.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => None,
            Err(e) => return Err(e.into()),
        };
        let unchanged = match &parent {
            Some(p) => p.tree_id() == tree_id,
            None => index.is_empty(),
        };
        if unchanged && merge_heads.is_empty() {
            return Err(ForkError::NothingStaged);
        }
        let signature = self
            .repo
            .signature()
            .map_err(|e| ForkError::MissingIdentity {
                detail: e.message().to_owned(),
            })?;
        let tree = self.repo.find_tree(tree_id)?;
        let mut parents = Vec::new();
        parents.extend(parent);
        for id in merge_heads {
            parents.push(self.repo.find_commit(id)?);
        }
        let parent_refs: Vec<&git2::Commit<'_>> = parents.iter().collect();
        let id = self.repo.commit(
            Some("HEAD"),
            &signature,
            &signature,
            &message,
            &tree,
            &parent_refs,
        )?;
        if parents.len() > 1 {
            self.repo.cleanup_state()?;
        }
        Ok(id.to_string())
    }

    /// The commits being merged (`.git/MERGE_HEAD`).
    fn merge_heads(&self) -> Result<Vec<Oid>, ForkError> {
        let path = self.repo.path().join("MERGE_HEAD");
        // A repository made elsewhere may hold anything here: a regular file, bounded.
        let bytes = crate::workspace::read_bounded(&path, 1024 * 1024).map_err(|e| {
            let source = match e {
                crate::workspace::save::SaveError::Io { source, .. } => source,
                crate::workspace::save::SaveError::NotFound { .. } => {
                    std::io::Error::from_raw_os_error(libc::ENOENT)
                }
                other => std::io::Error::other(other.to_string()),
            };
            ForkError::Io {
                path: path.clone(),
                source,
            }
        })?;
        let text = String::from_utf8_lossy(&bytes);
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| Oid::from_str(l).map_err(ForkError::from))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::error::UserError;
    use crate::testkit::TestRepo;

    #[test]
    fn first_commit_on_an_unborn_branch_appears_in_git_log() {
        let t = TestRepo::new();
        t.write("a.txt", "a\n");
        let repo = t.open();
        repo.stage(&["a.txt"]).unwrap();
        let id = repo.commit("First commit  \n\n").unwrap();
        assert_eq!(
            t.git(&["log", "--format=%H %s"]),
            format!("{id} First commit\n")
        );
        assert_eq!(
            t.git(&["log", "--format=%an <%ae>"]),
            "Prowl Test <test@prowl.example>\n"
        );
        assert_eq!(t.git(&["status", "--porcelain"]), "");
        let status = repo.status().unwrap();
        assert!(id.starts_with(status.head.as_deref().unwrap()));
    }

    #[test]
    fn second_commit_has_the_first_as_parent_and_only_staged_changes() {
        let t = TestRepo::new();
        t.write("a.txt", "a\n");
        let first = t.commit_all("first");
        t.write("a.txt", "a2\n");
        t.write("b.txt", "not staged\n");
        let repo = t.open();
        repo.stage(&["a.txt"]).unwrap();
        let id = repo.commit("Second").unwrap();
        assert_eq!(t.git(&["rev-parse", "HEAD^"]).trim(), first.to_string());
        assert_eq!(t.git(&["rev-parse", "HEAD"]).trim(), id);
        assert_eq!(
            t.git(&["show", "--name-only", "--format=", "HEAD"]),
            "a.txt\n"
        );
        assert_eq!(t.git(&["status", "--porcelain"]), "?? b.txt\n");
    }

    #[test]
    fn commit_refuses_an_empty_message_and_nothing_staged() {
        let t = TestRepo::new();
        let repo = t.open();
        t.write("a.txt", "a\n");
        assert_eq!(repo.commit("x").unwrap_err().name(), "nothing_staged");
        repo.stage(&["a.txt"]).unwrap();
        assert_eq!(repo.commit("  \n\t\n").unwrap_err().name(), "empty_message");
        assert_eq!(repo.commit("").unwrap_err().name(), "empty_message");
        assert_eq!(repo.commit("a\0b").unwrap_err().name(), "invalid_message");
        repo.commit("first").unwrap();
        assert_eq!(repo.commit("again").unwrap_err().name(), "nothing_staged");
        t.write("a.txt", "changed but not staged\n");
        assert_eq!(repo.commit("again").unwrap_err().name(), "nothing_staged");
    }

    #[test]
    fn commit_without_an_identity_names_git_config() {
        let t = TestRepo::without_identity();
        t.write("a.txt", "a\n");
        let repo = t.open();
        repo.stage(&["a.txt"]).unwrap();
        let err = repo.commit("first").unwrap_err();
        assert_eq!(err.name(), "missing_identity", "{err}");
        let hint = err.hint().unwrap();
        assert!(hint.contains("git config user.name"), "{hint}");
        assert!(hint.contains("user.email"), "{hint}");
    }

    #[test]
    fn commit_on_a_detached_head_moves_head() {
        let t = TestRepo::new();
        t.write("a.txt", "a\n");
        let first = t.commit_all("first");
        t.git(&["checkout", "-q", "--detach", &first.to_string()]);
        t.write("a.txt", "b\n");
        let repo = t.open();
        repo.stage(&["a.txt"]).unwrap();
        let id = repo.commit("detached work").unwrap();
        assert_eq!(t.git(&["rev-parse", "HEAD"]).trim(), id);
        assert_eq!(t.git(&["rev-parse", "main"]).trim(), first.to_string());
    }

    #[test]
    fn commit_after_resolving_a_merge_records_both_parents() {
        let t = TestRepo::new();
        t.write("a.txt", "base\n");
        t.commit_all("base");
        t.git(&["checkout", "-q", "-b", "other"]);
        t.write("a.txt", "theirs\n");
        let theirs = t.commit_all("theirs");
        t.git(&["checkout", "-q", "main"]);
        t.write("a.txt", "ours\n");
        let ours = t.commit_all("ours");
        let _ = t.git_output(&["merge", "-q", "other"]);
        let repo = t.open();
        assert_eq!(
            repo.commit("merge").unwrap_err().name(),
            "unresolved_conflicts"
        );
        t.write("a.txt", "both\n");
        repo.stage(&["a.txt"]).unwrap();
        repo.commit("Merge other").unwrap();
        assert_eq!(
            t.git(&["log", "-1", "--format=%P"]).trim(),
            format!("{ours} {theirs}")
        );
        assert_eq!(repo.status().unwrap().operation, None);
    }
}

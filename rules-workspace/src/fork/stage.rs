//! `Repo::stage`, `unstage` and `discard`: moving changes between the working tree, the index
//! and HEAD, path by path. A path may name a file or a folder (everything under it); `.` is the
//! whole working tree. Every path is checked before anything changes, so one bad path changes
//! nothing.

use super::{is_at_or_under, path_text, ForkError, Repo};
use git2::build::CheckoutBuilder;
use git2::{IndexAddOption, IndexEntry, IndexTime, Status as GitStatus, StatusOptions};
use std::collections::BTreeSet;
use std::path::Path;

impl Repo {
    /// Stages paths as `git add` does: new and changed files are added (files ignored by
    /// `.gitignore` are skipped inside a folder), deleted files leave the index, and a
    /// conflicted file is marked resolved with its working-tree content.
    pub fn stage(&self, paths: &[&str]) -> Result<(), ForkError> {
        self.ensure_present()?;
        let rels = self.relative_paths(paths)?;
        let mut index = self.index()?;
        for (given, rel) in paths.iter().zip(&rels) {
            let disk = self.disk_path(rel);
            let meta = std::fs::symlink_metadata(&disk).ok();
            let in_index: Vec<String> = index
                .iter()
                .map(|e| path_text(&e.path))
                .filter(|p| is_at_or_under(p, rel))
                .collect();
            match meta {
                Some(m) if m.is_dir() => {
                    let spec: Vec<&str> = if rel.is_empty() { vec![] } else { vec![rel] };
                    index.add_all(
                        spec,
                        IndexAddOption::DEFAULT | IndexAddOption::DISABLE_PATHSPEC_MATCH,
                        None,
                    )?;
                    // Files under the folder that are gone from the disk leave the index.
                    for path in in_index {
                        if std::fs::symlink_metadata(self.disk_path(&path)).is_err() {
                            index.remove_path(Path::new(&path))?;
                        }
                    }
                }
                Some(_) => index.add_path(Path::new(rel))?,
                None if !in_index.is_empty() => {
                    for path in in_index {
                        index.remove_path(Path::new(&path))?;
                    }
                }
                None => {
                    return Err(ForkError::PathNotFound {
                        path: (*given).to_owned(),
                    })
                }
            }
        }
        index.write()?;
        Ok(())
    }

    /// Unstages paths as `git reset -- PATHS` does: each index entry goes back to HEAD's
    /// version, or leaves the index when HEAD does not have it (so this works before the first
    /// commit). The working tree is not touched.
    pub fn unstage(&self, paths: &[&str]) -> Result<(), ForkError> {
        self.ensure_present()?;
        let rels = self.relative_paths(paths)?;
        let head = self.head_tree()?;
        let mut index = self.index()?;
        for (given, rel) in paths.iter().zip(&rels) {
            let mut targets: BTreeSet<String> = index
                .iter()
                .map(|e| path_text(&e.path))
                .filter(|p| is_at_or_under(p, rel))
                .collect();
            let mut in_head = std::collections::BTreeMap::new();
            if let Some(tree) = &head {
                tree_blobs(&self.repo, tree, rel, &mut in_head)?;
            }
            targets.extend(in_head.keys().cloned());
            if targets.is_empty() {
                if std::fs::symlink_metadata(self.disk_path(rel)).is_ok() {
                    continue; // untracked: nothing staged
                }
                return Err(ForkError::PathNotFound {
                    path: (*given).to_owned(),
                });
            }
            for path in targets {
                // Removing first also drops the conflict stages of a conflicted file.
                index.remove_path(Path::new(&path))?;
                if let Some((id, mode)) = in_head.get(&path) {
                    index.add(&entry_for(&path, *id, *mode))?;
                }
            }
        }
        index.write()?;
        Ok(())
    }

    /// Throws away unstaged changes: tracked files go back to their index version (deleted
    /// ones come back) and untracked files are deleted; ignored files are left alone, and so
    /// are untracked folders holding their own git repository (naming one is an error).
    ///
    /// **This destroys work that exists nowhere else.** Callers confirm with the user first
    /// (`prowl git discard` wants `--yes`). Refuses conflicted files: resolve (stage) or
    /// unstage them first.
    pub fn discard(&self, paths: &[&str]) -> Result<(), ForkError> {
        self.ensure_present()?;
        let rels = self.relative_paths(paths)?;
        let conflicted: Vec<String> = self
            .conflicted_paths()?
            .into_iter()
            .filter(|c| rels.iter().any(|r| is_at_or_under(c, r)))
            .collect();
        if !conflicted.is_empty() {
            return Err(ForkError::UnresolvedConflicts { paths: conflicted });
        }
        let mut index = self.index()?;
        let mut options = StatusOptions::new();
        options
            .include_untracked(true)
            .recurse_untracked_dirs(true)
            .include_ignored(false);
        let statuses = self.repo.statuses(Some(&mut options))?;
        let with = |flags: GitStatus| -> Vec<String> {
            statuses
                .iter()
                .filter(|e| e.status().intersects(flags))
                .map(|e| path_text(e.path_bytes()))
                .collect()
        };
        let untracked_all = with(GitStatus::WT_NEW);
        let changed_all = with(
            GitStatus::WT_MODIFIED
                | GitStatus::WT_DELETED
                | GitStatus::WT_TYPECHANGE
                | GitStatus::WT_RENAMED,
        );
        let mut tracked = BTreeSet::new();
        let mut untracked = BTreeSet::new();
        for (given, rel) in paths.iter().zip(&rels) {
            // Naming an untracked nested repository (or a path in it) is refused; inside a
            // folder being discarded it is skipped, as `git clean -d` does.
            if untracked_all.iter().any(|p| {
                p.strip_suffix('/')
                    .is_some_and(|nested| is_at_or_under(rel, nested))
            }) {
                return Err(ForkError::InvalidPath {
                    path: (*given).to_owned(),
                    reason: "it is in a separate git repository, which discard never deletes",
                });
            }
            let before = tracked.len() + untracked.len();
            tracked.extend(
                changed_all
                    .iter()
                    .filter(|p| is_at_or_under(p, rel))
                    .cloned(),
            );
            untracked.extend(
                untracked_all
                    .iter()
                    // A trailing `/` is a nested repository: never deleted from here.
                    .filter(|p| !p.ends_with('/') && is_at_or_under(p, rel))
                    .cloned(),
            );
            if tracked.len() + untracked.len() == before
                && std::fs::symlink_metadata(self.disk_path(rel)).is_err()
            {
                return Err(ForkError::PathNotFound {
                    path: (*given).to_owned(),
                });
            }
        }
        if !tracked.is_empty() {
            let mut checkout = CheckoutBuilder::new();
            checkout.force().disable_pathspec_match(true);
            for path in &tracked {
                checkout.path(path.as_str());
            }
            self.repo
                .checkout_index(Some(&mut index), Some(&mut checkout))?;
        }
        for path in &untracked {
            let disk = self.disk_path(path);
            std::fs::remove_file(&disk).map_err(|source| ForkError::Io {
                path: disk.clone(),
                source,
            })?;
            // Folders left empty by the deletion go too, up to the folder the caller named.
            let mut folder = disk.parent();
            while let Some(dir) = folder {
                let named = rels.iter().any(|r| {
                    dir.strip_prefix(&self.workdir)
                        .ok()
                        .and_then(|d| d.to_str())
                        .is_some_and(|d| !d.is_empty() && is_at_or_under(d, r))
                });
                if !named || std::fs::remove_dir(dir).is_err() {
                    break;
                }
                folder = dir.parent();
            }
        }
        Ok(())
    }

    /// Checks every path before anything changes.
    fn relative_paths(&self, paths: &[&str]) -> Result<Vec<String>, ForkError> {
        paths.iter().map(|p| self.relative_path(p)).collect()
    }
}

/// The blobs (and symbolic links) of `tree` at or under `rel`, with their ids and modes.
fn tree_blobs(
    repo: &git2::Repository,
    tree: &git2::Tree<'_>,
    rel: &str,
    out: &mut std::collections::BTreeMap<String, (git2::Oid, i32)>,
) -> Result<(), ForkError> {
    let subtree = if rel.is_empty() {
        tree.clone()
    } else {
        match tree.get_path(Path::new(rel)) {
            Ok(entry) => match entry.kind() {
                Some(git2::ObjectType::Blob) => {
                    out.insert(rel.to_owned(), (entry.id(), entry.filemode()));
                    return Ok(());
                }
                Some(git2::ObjectType::Tree) => repo.find_tree(entry.id())?,
                _ => return Ok(()),
            },
            Err(_) => return Ok(()),
        }
    };
    let prefix = if rel.is_empty() {
        String::new()
    } else {
        format!("{rel}/")
    };
    subtree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
        if entry.kind() == Some(git2::ObjectType::Blob) {
            let name = path_text(entry.name_bytes());
            out.insert(
                format!("{prefix}{dir}{name}"),
                (entry.id(), entry.filemode()),
            );
        }
        git2::TreeWalkResult::Ok
    })?;
    Ok(())
}

/// An index entry for a blob from a tree. Zero stat data makes git and libgit2 re-read the
/// file on the next status instead of trusting a timestamp.
fn entry_for(path: &str, id: git2::Oid, mode: i32) -> IndexEntry {
    IndexEntry {
        ctime: IndexTime::new(0, 0),
        mtime: IndexTime::new(0, 0),
        dev: 0,
        ino: 0,
        mode: mode as u32,
        uid: 0,
        gid: 0,
        file_size: 0,
        id,
        flags: 0,
        flags_extended: 0,
        path: path.as_bytes().to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::Change;
    use crate::error::UserError;
    use crate::testkit::TestRepo;

    fn porcelain(t: &TestRepo) -> String {
        t.git(&["status", "--porcelain", "--untracked-files=all"])
    }

    #[test]
    fn stage_then_unstage_round_trips_like_git_add_and_reset() {
        let t = TestRepo::new();
        t.write("rules/a.py", "a = 1\n");
        t.write("rules/gone.py", "g\n");
        t.commit_all("first");
        t.write("rules/a.py", "a = 2\n");
        t.write("rules/new.py", "n\n");
        t.remove("rules/gone.py");
        let before = porcelain(&t);
        let repo = t.open();
        repo.stage(&["rules/a.py", "rules/new.py", "rules/gone.py"])
            .unwrap();
        assert_eq!(
            porcelain(&t),
            "M  rules/a.py\nD  rules/gone.py\nA  rules/new.py\n"
        );
        repo.unstage(&["rules/a.py", "rules/new.py", "rules/gone.py"])
            .unwrap();
        assert_eq!(porcelain(&t), before);
        // Unstaging leaves no stale stat data behind: git and we agree the tree is as before.
        let status = repo.status().unwrap();
        assert!(status.files.iter().all(|f| f.index == Change::Unmodified));
    }

    #[test]
    fn stage_a_folder_adds_changes_and_removes_deletions_but_skips_ignored_files() {
        let t = TestRepo::new();
        t.write(".gitignore", "*.log\n");
        t.write("rules/a.py", "a\n");
        t.write("rules/b.py", "b\n");
        t.commit_all("first");
        t.write("rules/a.py", "a2\n");
        t.remove("rules/b.py");
        t.write("rules/sub/c.py", "c\n");
        t.write("rules/debug.log", "noise\n");
        t.write("other.txt", "not staged\n");
        t.open().stage(&["rules"]).unwrap();
        assert_eq!(
            porcelain(&t),
            "M  rules/a.py\nD  rules/b.py\nA  rules/sub/c.py\n?? other.txt\n"
        );
    }

    #[test]
    fn stage_dot_stages_everything() {
        let t = TestRepo::new();
        t.write("a.txt", "a\n");
        t.write("d/b.txt", "b\n");
        t.open().stage(&["."]).unwrap();
        assert_eq!(porcelain(&t), "A  a.txt\nA  d/b.txt\n");
    }

    #[test]
    fn unstage_works_on_an_unborn_branch() {
        let t = TestRepo::new();
        t.write("a.txt", "a\n");
        t.write("b.txt", "b\n");
        let repo = t.open();
        repo.stage(&["a.txt", "b.txt"]).unwrap();
        repo.unstage(&["a.txt"]).unwrap();
        assert_eq!(porcelain(&t), "A  b.txt\n?? a.txt\n");
    }

    #[test]
    fn unstage_a_staged_deletion_and_a_folder() {
        let t = TestRepo::new();
        t.write("d/a.txt", "a\n");
        t.write("d/b.txt", "b\n");
        t.commit_all("first");
        t.git(&["rm", "-q", "d/a.txt"]);
        t.write("d/b.txt", "b2\n");
        t.write("d/c.txt", "c\n");
        t.git(&["add", "d"]);
        t.open().unstage(&["d"]).unwrap();
        assert_eq!(porcelain(&t), " D d/a.txt\n M d/b.txt\n?? d/c.txt\n");
    }

    #[test]
    fn discard_restores_the_index_version_and_deletes_untracked_files() {
        let t = TestRepo::new();
        t.write("a.txt", "committed\n");
        t.write("b.txt", "b\n");
        t.write("keep.txt", "keep\n");
        t.commit_all("first");
        t.write("a.txt", "staged\n");
        t.git(&["add", "a.txt"]);
        t.write("a.txt", "unstaged\n");
        t.remove("b.txt");
        t.write("new/dir/untracked.txt", "u\n");
        t.write("keep.txt", "keep edit\n");
        let repo = t.open();
        repo.discard(&["a.txt", "b.txt", "new"]).unwrap();
        assert_eq!(t.read("a.txt").as_deref(), Some("staged\n"));
        assert_eq!(t.read("b.txt").as_deref(), Some("b\n"));
        assert!(!t.path().join("new").exists(), "emptied folders go too");
        assert_eq!(t.read("keep.txt").as_deref(), Some("keep edit\n"));
        assert_eq!(porcelain(&t), "M  a.txt\n M keep.txt\n");
    }

    #[test]
    fn discard_never_deletes_a_nested_repository() {
        let t = TestRepo::new();
        t.write("a.txt", "a\n");
        t.commit_all("first");
        t.write("vendor/pack/f.py", "x\n");
        git2::Repository::init(t.path().join("vendor/pack")).unwrap();
        t.write("vendor/loose.txt", "l\n");
        let repo = t.open();
        for named in ["vendor/pack", "vendor/pack/f.py"] {
            let err = repo.discard(&[named]).unwrap_err();
            assert_eq!(err.name(), "invalid_path", "{named}: {err}");
        }
        repo.discard(&["vendor"]).unwrap();
        assert!(t.path().join("vendor/pack/f.py").exists());
        assert!(!t.path().join("vendor/loose.txt").exists());
    }

    #[test]
    fn discard_leaves_ignored_files_alone() {
        let t = TestRepo::new();
        t.write(".gitignore", "*.log\n");
        t.commit_all("first");
        t.write("d/x.log", "ignored\n");
        t.write("d/x.txt", "untracked\n");
        t.open().discard(&["d"]).unwrap();
        assert!(t.path().join("d/x.log").exists());
        assert!(!t.path().join("d/x.txt").exists());
    }

    #[test]
    fn bad_paths_change_nothing() {
        let t = TestRepo::new();
        t.write("a.txt", "a\n");
        t.commit_all("first");
        t.write("a.txt", "edited\n");
        let repo = t.open();
        let err = repo.stage(&["a.txt", "../outside"]).unwrap_err();
        assert_eq!(err.name(), "path_outside_workdir");
        assert_eq!(
            porcelain(&t),
            " M a.txt\n",
            "the good path was not staged either"
        );
        assert_eq!(
            repo.stage(&["missing.txt"]).unwrap_err().name(),
            "path_not_found"
        );
        assert_eq!(
            repo.unstage(&["missing.txt"]).unwrap_err().name(),
            "path_not_found"
        );
        assert_eq!(
            repo.discard(&["missing.txt"]).unwrap_err().name(),
            "path_not_found"
        );
        assert_eq!(
            repo.discard(&[".git/config"]).unwrap_err().name(),
            "invalid_path"
        );
        assert_eq!(t.read("a.txt").as_deref(), Some("edited\n"));
    }

    #[test]
    fn a_locked_index_gives_a_clear_error() {
        let t = TestRepo::new();
        t.write("a.txt", "a\n");
        std::fs::write(t.path().join(".git/index.lock"), "").unwrap();
        let err = t.open().stage(&["a.txt"]).unwrap_err();
        assert_eq!(err.name(), "locked", "{err}");
        assert!(err.hint().unwrap().contains("index.lock"));
    }

    #[test]
    fn staging_a_conflicted_file_resolves_it_and_discard_refuses_it() {
        let t = TestRepo::new();
        t.write("a.txt", "base\n");
        t.commit_all("base");
        t.git(&["checkout", "-q", "-b", "other"]);
        t.write("a.txt", "theirs\n");
        t.commit_all("theirs");
        t.git(&["checkout", "-q", "main"]);
        t.write("a.txt", "ours\n");
        t.commit_all("ours");
        let _ = t.git_output(&["merge", "-q", "other"]);
        let repo = t.open();
        assert_eq!(
            repo.discard(&["a.txt"]).unwrap_err().name(),
            "unresolved_conflicts"
        );
        t.write("a.txt", "resolved\n");
        repo.stage(&["a.txt"]).unwrap();
        assert_eq!(porcelain(&t), "M  a.txt\n");
    }
}

//! `Repo::status`: the branch, HEAD and every changed file, as `git status` sees them.

use super::{path_text, ForkError, Repo};
use git2::{ErrorCode, RepositoryState, StatusOptions};
use serde::Serialize;
use std::collections::BTreeMap;

/// The state of the repository's working tree and index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Status {
    /// The current branch (also on an unborn branch, before the first commit); `None` when
    /// HEAD is detached.
    pub branch: Option<String>,
    /// HEAD's commit, abbreviated; `None` before the first commit.
    pub head: Option<String>,
    /// HEAD points at a commit rather than a branch (then `branch` is `None`).
    pub detached: bool,
    /// An operation git has not finished (`merge`, `rebase`, `cherry_pick`, `revert`,
    /// `bisect`, …), if any; a commit during a merge records both parents.
    pub operation: Option<String>,
    /// Changed, untracked and conflicted files, sorted by path.
    pub files: Vec<FileStatus>,
}

/// One file that differs between HEAD, the index and the working tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct FileStatus {
    /// Relative to the working tree's root, `/` separators. For a rename, the new path.
    pub path: String,
    /// For a rename staged in the index, the path in HEAD.
    pub old_path: Option<String>,
    /// HEAD → index (what a commit would record).
    pub index: Change,
    /// index → working tree (what is not staged yet).
    pub worktree: Change,
    /// Unresolved merge conflict: the index holds several versions of the file.
    pub conflicted: bool,
    /// For a conflicted file, how the two sides disagree.
    pub conflict: Option<Conflict>,
}

/// How a file changed between two of HEAD, index and working tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// No change on this side (also both sides of a conflicted file).
    Unmodified,
    /// New in the index (staged side only; a new working-tree file is `Untracked`).
    Added,
    /// The content changed.
    Modified,
    /// The file is gone on the later side.
    Deleted,
    /// Moved, as git's rename detection sees it; `FileStatus::old_path` has the old path.
    Renamed,
    /// Not in the index (working tree only).
    Untracked,
    /// A file became a symbolic link or the other way round.
    TypeChange,
}

impl Change {
    /// The letter `git status --short` uses.
    pub fn letter(self) -> char {
        match self {
            Change::Unmodified => ' ',
            Change::Added => 'A',
            Change::Modified => 'M',
            Change::Deleted => 'D',
            Change::Renamed => 'R',
            Change::Untracked => '?',
            Change::TypeChange => 'T',
        }
    }
}

/// The kind of an unresolved conflict, by which sides hold the file (git's unmerged states).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Conflict {
    /// `UU`: both sides changed the file (also the kind when the index gives no other).
    BothModified,
    /// `AA`: both sides added a file at this path, with different contents.
    BothAdded,
    /// `DD`: both sides deleted it (seen in rename conflicts).
    BothDeleted,
    /// `AU`: only our side (the current branch) has the file; the common ancestor did not.
    AddedByUs,
    /// `UA`: only their side (the branch being merged) has it; the common ancestor did not.
    AddedByThem,
    /// `DU`: we deleted the file, they changed it.
    DeletedByUs,
    /// `UD`: they deleted the file, we changed it.
    DeletedByThem,
}

impl Conflict {
    /// The two letters `git status --short` shows (`UU`, `AA`, …).
    pub fn code(self) -> &'static str {
        match self {
            Conflict::BothModified => "UU",
            Conflict::BothAdded => "AA",
            Conflict::BothDeleted => "DD",
            Conflict::AddedByUs => "AU",
            Conflict::AddedByThem => "UA",
            Conflict::DeletedByUs => "DU",
            Conflict::DeletedByThem => "UD",
        }
    }

    fn from_sides(ancestor: bool, ours: bool, theirs: bool) -> Conflict {
        match (ancestor, ours, theirs) {
            (true, false, false) => Conflict::BothDeleted,
            (false, true, false) => Conflict::AddedByUs,
            (true, true, false) => Conflict::DeletedByThem,
            (false, false, true) => Conflict::AddedByThem,
            (true, false, true) => Conflict::DeletedByUs,
            (false, true, true) => Conflict::BothAdded,
            _ => Conflict::BothModified,
        }
    }
}

/// The name of an unfinished operation, `None` when there is none.
pub(super) fn operation_name(state: RepositoryState) -> Option<&'static str> {
    Some(match state {
        RepositoryState::Clean => return None,
        RepositoryState::Merge => "merge",
        RepositoryState::Revert | RepositoryState::RevertSequence => "revert",
        RepositoryState::CherryPick | RepositoryState::CherryPickSequence => "cherry_pick",
        RepositoryState::Bisect => "bisect",
        RepositoryState::Rebase
        | RepositoryState::RebaseInteractive
        | RepositoryState::RebaseMerge => "rebase",
        RepositoryState::ApplyMailbox | RepositoryState::ApplyMailboxOrRebase => "am",
    })
}

impl Repo {
    /// The branch, HEAD and the files that differ, like `git status --porcelain
    /// --untracked-files=all`: untracked folders are listed file by file, ignored files are
    /// left out, renames are detected between HEAD and the index (a rename not yet staged shows
    /// as a deletion and an untracked file, as in git).
    pub fn status(&self) -> Result<Status, ForkError> {
        self.ensure_present()?;
        let (branch, head, detached) = self.head_description()?;
        let mut options = StatusOptions::new();
        options
            .include_untracked(true)
            .recurse_untracked_dirs(true)
            .include_ignored(false)
            .renames_head_to_index(true);
        // Refresh the index first, as `git status` does, so a file touched but unchanged is
        // not reported.
        self.index()?;
        let statuses = self.repo.statuses(Some(&mut options))?;
        let conflicts = self.conflict_kinds()?;
        let mut files = Vec::with_capacity(statuses.len());
        for entry in statuses.iter() {
            let flags = entry.status();
            if flags.is_ignored() || flags.is_empty() {
                continue;
            }
            let rename = entry
                .head_to_index()
                .filter(|_| flags.is_index_renamed())
                .map(|d| {
                    (
                        d.old_file().path_bytes().map(path_text),
                        d.new_file().path_bytes().map(path_text),
                    )
                });
            let (path, old_path) = match rename {
                Some((old, Some(new))) => (new, old),
                _ => (path_text(entry.path_bytes()), None),
            };
            let index = if flags.is_index_new() {
                Change::Added
            } else if flags.is_index_renamed() {
                Change::Renamed
            } else if flags.is_index_deleted() {
                Change::Deleted
            } else if flags.is_index_typechange() {
                Change::TypeChange
            } else if flags.is_index_modified() {
                Change::Modified
            } else {
                Change::Unmodified
            };
            let worktree = if flags.is_wt_new() {
                Change::Untracked
            } else if flags.is_wt_renamed() {
                Change::Renamed
            } else if flags.is_wt_deleted() {
                Change::Deleted
            } else if flags.is_wt_typechange() {
                Change::TypeChange
            } else if flags.is_wt_modified() {
                Change::Modified
            } else {
                Change::Unmodified
            };
            let conflicted = flags.is_conflicted();
            files.push(FileStatus {
                conflict: conflicted.then(|| {
                    conflicts
                        .get(&path)
                        .copied()
                        .unwrap_or(Conflict::BothModified)
                }),
                path,
                old_path,
                index: if conflicted {
                    Change::Unmodified
                } else {
                    index
                },
                worktree: if conflicted {
                    Change::Unmodified
                } else {
                    worktree
                },
                conflicted,
            });
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(Status {
            branch,
            head,
            detached,
            operation: operation_name(self.repo.state()).map(str::to_owned),
            files,
        })
    }

    /// (branch, abbreviated HEAD, detached), unborn branches included.
    fn head_description(&self) -> Result<(Option<String>, Option<String>, bool), ForkError> {
        match self.repo.head() {
            Ok(head) => {
                let short = head.peel_to_commit()?.as_object().short_id()?;
                let short = Some(short.as_str()?.to_owned());
                if self.repo.head_detached()? {
                    Ok((None, short, true))
                } else {
                    let name = head.shorthand_bytes();
                    Ok((Some(path_text(name)), short, false))
                }
            }
            Err(e) if matches!(e.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => {
                let head = self.repo.find_reference("HEAD")?;
                let branch = head
                    .symbolic_target_bytes()
                    .map(|t| path_text(t.strip_prefix(b"refs/heads/").unwrap_or(t)));
                Ok((branch, None, false))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The conflict kind of every conflicted path in the index.
    fn conflict_kinds(&self) -> Result<BTreeMap<String, Conflict>, ForkError> {
        let index = self.index()?;
        let mut kinds = BTreeMap::new();
        if !index.has_conflicts() {
            return Ok(kinds);
        }
        for conflict in index.conflicts()? {
            let conflict = conflict?;
            let Some(entry) = conflict
                .our
                .as_ref()
                .or(conflict.their.as_ref())
                .or(conflict.ancestor.as_ref())
            else {
                continue;
            };
            kinds.insert(
                path_text(&entry.path),
                Conflict::from_sides(
                    conflict.ancestor.is_some(),
                    conflict.our.is_some(),
                    conflict.their.is_some(),
                ),
            );
        }
        Ok(kinds)
    }

    /// The paths of unresolved conflicts, sorted.
    pub(super) fn conflicted_paths(&self) -> Result<Vec<String>, ForkError> {
        Ok(self.conflict_kinds()?.into_keys().collect())
    }
}

impl Status {
    /// `git status --short --branch` for people: `## branch`, then one `XY path` line per
    /// file (`X` the index, `Y` the working tree; `??` untracked, `UU`… conflicts).
    pub fn short_format(&self) -> String {
        short_format(self)
    }
}

fn short_format(status: &Status) -> String {
    let mut out = String::new();
    let branch = match (&status.branch, &status.head, status.detached) {
        (_, _, true) => "HEAD (no branch)".to_owned(),
        (Some(b), None, false) => format!("No commits yet on {b}"),
        (Some(b), Some(_), false) => b.clone(),
        (None, _, false) => "HEAD (unknown)".to_owned(),
    };
    out.push_str(&format!("## {branch}"));
    if let Some(op) = &status.operation {
        out.push_str(&format!(" ({op} in progress)"));
    }
    out.push('\n');
    for f in &status.files {
        let code = match (f.conflict, f.worktree) {
            (Some(c), _) => c.code().to_owned(),
            (None, Change::Untracked) => "??".to_owned(),
            (None, w) => format!("{}{}", f.index.letter(), w.letter()),
        };
        match &f.old_path {
            Some(old) => out.push_str(&format!("{code} {old} -> {}\n", f.path)),
            None => out.push_str(&format!("{code} {}\n", f.path)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::TestRepo;

    /// `git status --porcelain -uall` without the `## ` line, as a sorted list.
    fn git_porcelain(t: &TestRepo) -> Vec<String> {
        let mut lines: Vec<String> = t
            .git(&["status", "--porcelain", "--untracked-files=all"])
            .lines()
            .map(str::to_owned)
            .collect();
        lines.sort();
        lines
    }

    fn ours(status: &Status) -> Vec<String> {
        let mut lines: Vec<String> = short_format(status)
            .lines()
            .skip(1)
            .map(str::to_owned)
            .collect();
        lines.sort();
        lines
    }

    #[test]
    fn status_of_modified_added_deleted_untracked_and_renamed_files_matches_git() {
        let t = TestRepo::new();
        t.write("rules/modified.py", "a = 1\n");
        t.write("rules/deleted.py", "gone\n");
        t.write("rules/staged_deleted.py", "gone too\n");
        t.write(
            "rules/old_name.yml",
            "AnalysisType: rule\nRuleID: Renamed\nEnabled: true\n",
        );
        t.write("rules/both.py", "one\n");
        t.commit_all("first");
        t.write("rules/modified.py", "a = 2\n");
        t.remove("rules/deleted.py");
        t.write("rules/added.py", "new\n");
        t.write("notes/untracked.txt", "scratch\n");
        t.write("rules/both.py", "two\n");
        t.git(&["add", "rules/added.py", "rules/both.py"]);
        t.write("rules/both.py", "three\n");
        t.git(&["rm", "-q", "rules/staged_deleted.py"]);
        t.git(&["mv", "rules/old_name.yml", "rules/new_name.yml"]);

        let status = t.open().status().unwrap();
        assert_eq!(status.branch.as_deref(), Some("main"));
        assert!(!status.detached);
        assert_eq!(ours(&status), git_porcelain(&t));

        let by_path = |p: &str| status.files.iter().find(|f| f.path == p).unwrap();
        assert_eq!(by_path("rules/modified.py").worktree, Change::Modified);
        assert_eq!(by_path("rules/modified.py").index, Change::Unmodified);
        assert_eq!(by_path("rules/deleted.py").worktree, Change::Deleted);
        assert_eq!(by_path("rules/added.py").index, Change::Added);
        assert_eq!(by_path("notes/untracked.txt").worktree, Change::Untracked);
        assert_eq!(by_path("rules/both.py").index, Change::Modified);
        assert_eq!(by_path("rules/both.py").worktree, Change::Modified);
        assert_eq!(by_path("rules/staged_deleted.py").index, Change::Deleted);
        let renamed = by_path("rules/new_name.yml");
        assert_eq!(renamed.index, Change::Renamed);
        assert_eq!(renamed.old_path.as_deref(), Some("rules/old_name.yml"));
    }

    #[test]
    fn status_on_an_unborn_branch_names_the_branch_and_has_no_head() {
        let t = TestRepo::new();
        t.write("a.txt", "a\n");
        let status = t.open().status().unwrap();
        assert_eq!(status.branch.as_deref(), Some("main"));
        assert_eq!(status.head, None);
        assert!(!status.detached);
        assert_eq!(ours(&status), git_porcelain(&t));
        assert!(short_format(&status).starts_with("## No commits yet on main\n"));
    }

    #[test]
    fn status_with_a_detached_head() {
        let t = TestRepo::new();
        t.write("a.txt", "a\n");
        let first = t.commit_all("first");
        t.write("a.txt", "b\n");
        t.commit_all("second");
        t.git(&["checkout", "-q", "--detach", &first.to_string()]);
        let status = t.open().status().unwrap();
        assert!(status.detached);
        assert_eq!(status.branch, None);
        let head = status.head.unwrap();
        assert!(first.to_string().starts_with(&head), "{head}");
        assert!(status.files.is_empty());
    }

    #[test]
    fn status_json_uses_snake_case() {
        let t = TestRepo::new();
        t.write("a.txt", "a\n");
        let json = serde_json::to_value(t.open().status().unwrap()).unwrap();
        assert_eq!(json["files"][0]["worktree"], "untracked");
        assert_eq!(json["files"][0]["index"], "unmodified");
        assert_eq!(json["files"][0]["conflicted"], false);
    }

    #[test]
    fn conflicts_show_with_git_s_codes() {
        let t = TestRepo::new();
        t.write("a.txt", "base\n");
        t.write("b.txt", "base\n");
        t.commit_all("base");
        t.git(&["checkout", "-q", "-b", "other"]);
        t.write("a.txt", "theirs\n");
        t.remove("b.txt");
        t.write("c.txt", "theirs\n");
        t.commit_all("theirs");
        t.git(&["checkout", "-q", "main"]);
        t.write("a.txt", "ours\n");
        t.write("b.txt", "ours\n");
        t.write("c.txt", "ours\n");
        t.commit_all("ours");
        let out = t.git_output(&["merge", "-q", "other"]);
        assert!(!out.status.success(), "the merge conflicts");
        let status = t.open().status().unwrap();
        assert_eq!(status.operation.as_deref(), Some("merge"));
        assert_eq!(ours(&status), git_porcelain(&t));
        assert!(status.files.iter().all(|f| f.conflicted));
    }
}

//! `Repo::diff_file`: one file's changes as text, a unified diff and hunks for a side-by-side
//! view. Lines are split on `\n` only, as git does, so the unified diff applies with
//! `git apply`.

use super::{is_at_or_under, path_text, ForkError, Repo};
use serde::Serialize;
use similar::{Algorithm, ChangeTag, TextDiff};
use std::time::Duration;

/// Lines of context around each change, as git's default.
const CONTEXT: usize = 3;
/// After this long the diff algorithm settles for a correct but longer diff.
const DIFF_TIMEOUT: Duration = Duration::from_secs(2);
/// git looks for a NUL byte in the first 8000 bytes to call a file binary.
const BINARY_SNIFF: usize = 8000;

/// One file's changes between two of HEAD, index and working tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct FileDiff {
    /// Relative to the working tree's root, `/` separators.
    pub path: String,
    /// For a staged rename, the path the file had in HEAD.
    pub old_path: Option<String>,
    /// The old content; `None` when the file did not exist on the old side, or is binary.
    pub old_text: Option<String>,
    /// The new content; `None` when the file does not exist on the new side, or is binary.
    pub new_text: Option<String>,
    /// Either side contains a NUL byte in its first 8000 bytes or is not UTF-8: no text diff.
    pub binary: bool,
    /// The unified diff (3 lines of context; `--- a/path`, `+++ b/path`, `/dev/null` for a
    /// side that does not exist), empty when nothing changed. Applies with `git apply`.
    pub unified: String,
    /// The changes with their context, in file order, for a side-by-side view; empty when
    /// nothing changed or the file is binary.
    pub hunks: Vec<Hunk>,
}

/// A run of changes with its context, as one `@@ -old_start,old_lines +new_start,new_lines @@`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Hunk {
    /// 1-based; 0 with `old_lines == 0` when the old side is empty.
    pub old_start: u32,
    /// How many old-side lines the hunk spans (context and deletions).
    pub old_lines: u32,
    /// 1-based; with `new_lines == 0`, the line after which the old lines were deleted.
    pub new_start: u32,
    /// How many new-side lines the hunk spans (context and insertions).
    pub new_lines: u32,
    /// The hunk's lines in order: context, deletions and insertions as the unified diff has them.
    pub lines: Vec<DiffLine>,
}

/// One line of a hunk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct DiffLine {
    /// Context, deleted or inserted.
    pub tag: LineTag,
    /// The line without its line ending (`\n` or `\r\n`).
    pub text: String,
    /// 1-based line number on the old side (equal and deleted lines).
    pub old_line: Option<u32>,
    /// 1-based line number on the new side (equal and inserted lines).
    pub new_line: Option<u32>,
}

/// Which side of a diff a line belongs to (` `, `+` or `-` in a unified diff).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum LineTag {
    /// Context: on both sides.
    Equal,
    /// Only on the new side.
    Insert,
    /// Only on the old side.
    Delete,
}

impl Repo {
    /// The changes of one file.
    ///
    /// - `staged == false`: the index version (or, for a file not in the index, HEAD's; for a
    ///   file in neither, nothing) against the working tree. For a conflicted file the old side
    ///   is "ours" (the version on the current branch).
    /// - `staged == true`: HEAD against the index; for a staged rename the old side is the
    ///   file's content under its old path.
    ///
    /// Contents are compared as stored: `core.autocrlf` and other filters are not applied, and
    /// a mode change alone (chmod) shows no difference.
    pub fn diff_file(&self, path: &str, staged: bool) -> Result<FileDiff, ForkError> {
        self.ensure_present()?;
        let rel = self.relative_path(path)?;
        if rel.is_empty() {
            return Err(ForkError::NotAFile {
                path: path.to_owned(),
            });
        }
        let index = self.index()?;
        let head = self.head_tree()?;
        let head_blob = |p: &str| -> Result<Option<Vec<u8>>, ForkError> {
            let Some(tree) = &head else { return Ok(None) };
            match tree.get_path(std::path::Path::new(p)) {
                Ok(entry) if entry.kind() == Some(git2::ObjectType::Blob) => {
                    Ok(Some(self.repo.find_blob(entry.id())?.content().to_vec()))
                }
                _ => Ok(None),
            }
        };
        let index_blob = |stage: i32| -> Result<Option<Vec<u8>>, ForkError> {
            match index.get_path(std::path::Path::new(&rel), stage) {
                Some(entry) => Ok(Some(self.repo.find_blob(entry.id)?.content().to_vec())),
                None => Ok(None),
            }
        };
        let mut old_path = None;
        let (old, new) = if staged {
            let new = index_blob(0)?;
            let mut old = head_blob(&rel)?;
            if old.is_none() && new.is_some() {
                if let Some(source) = self.staged_rename_source(&rel)? {
                    old = head_blob(&source)?;
                    old_path = Some(source);
                }
            }
            (old, new)
        } else {
            let old = match index_blob(0)? {
                Some(blob) => Some(blob),
                None => match index_blob(2)? {
                    Some(ours) => Some(ours),
                    None => head_blob(&rel)?,
                },
            };
            let new = self.read_worktree(&rel, old.is_some(), path)?;
            (old, new)
        };
        if old.is_none() && new.is_none() {
            // A folder in the index (path is a prefix of entries) is not a file either.
            let is_folder = index
                .iter()
                .any(|e| is_at_or_under(&path_text(&e.path), &rel));
            return Err(if is_folder {
                ForkError::NotAFile {
                    path: path.to_owned(),
                }
            } else {
                ForkError::PathNotFound {
                    path: path.to_owned(),
                }
            });
        }
        Ok(file_diff(rel, old_path, old, new))
    }

    /// The working tree's content of a file (a symbolic link's target, as git stores it);
    /// `None` when it does not exist or is a folder that replaced a tracked file.
    fn read_worktree(
        &self,
        rel: &str,
        tracked: bool,
        given: &str,
    ) -> Result<Option<Vec<u8>>, ForkError> {
        let disk = self.disk_path(rel);
        let io = |source| ForkError::Io {
            path: disk.clone(),
            source,
        };
        let meta = match std::fs::symlink_metadata(&disk) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(e)),
        };
        if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&disk).map_err(io)?;
            return Ok(Some(target.to_string_lossy().into_owned().into_bytes()));
        }
        if meta.is_dir() {
            return if tracked {
                Ok(None)
            } else {
                Err(ForkError::NotAFile {
                    path: given.to_owned(),
                })
            };
        }
        // Regular files only, bounded: a FIFO or a device in the work tree must not hang a diff.
        use crate::workspace::save::SaveError;
        match crate::workspace::read_bounded(&disk, crate::workspace::MAX_SPEC_BYTES) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(SaveError::NotFound { .. }) => Ok(None),
            Err(SaveError::NotRegular { .. }) => Err(ForkError::NotAFile {
                path: given.to_owned(),
            }),
            Err(SaveError::Io { source, .. }) => Err(io(source)),
            Err(other) => Err(io(std::io::Error::other(other.to_string()))),
        }
    }

    /// The HEAD path a staged file was renamed from, if git's rename detection sees one.
    fn staged_rename_source(&self, rel: &str) -> Result<Option<String>, ForkError> {
        let head = self.head_tree()?;
        let index = self.index()?;
        let mut diff = self
            .repo
            .diff_tree_to_index(head.as_ref(), Some(&index), None)?;
        diff.find_similar(None)?;
        for delta in diff.deltas() {
            if delta.status() == git2::Delta::Renamed
                && delta.new_file().path_bytes().map(path_text).as_deref() == Some(rel)
            {
                return Ok(delta.old_file().path_bytes().map(path_text));
            }
        }
        Ok(None)
    }
}

fn is_binary(bytes: &[u8]) -> bool {
    bytes[..bytes.len().min(BINARY_SNIFF)].contains(&0) || std::str::from_utf8(bytes).is_err()
}

/// Builds the diff of two versions of a file (`None`: the file does not exist on that side).
fn file_diff(
    path: String,
    old_path: Option<String>,
    old: Option<Vec<u8>>,
    new: Option<Vec<u8>>,
) -> FileDiff {
    let old_label = match &old {
        Some(_) => format!("a/{}", old_path.as_deref().unwrap_or(&path)),
        None => "/dev/null".to_owned(),
    };
    let new_label = match &new {
        Some(_) => format!("b/{path}"),
        None => "/dev/null".to_owned(),
    };
    if old.as_deref().is_some_and(is_binary) || new.as_deref().is_some_and(is_binary) {
        let unified = if old == new {
            String::new()
        } else {
            format!("Binary files {old_label} and {new_label} differ\n")
        };
        return FileDiff {
            path,
            old_path,
            old_text: None,
            new_text: None,
            binary: true,
            unified,
            hunks: Vec::new(),
        };
    }
    // Both sides are UTF-8 (checked by is_binary).
    let old_text = old.map(|b| String::from_utf8_lossy(&b).into_owned());
    let new_text = new.map(|b| String::from_utf8_lossy(&b).into_owned());
    let hunks = hunks(
        old_text.as_deref().unwrap_or(""),
        new_text.as_deref().unwrap_or(""),
    );
    let unified = if hunks.is_empty() {
        String::new()
    } else {
        render_unified(
            &old_label,
            &new_label,
            old_text.as_deref().unwrap_or(""),
            new_text.as_deref().unwrap_or(""),
            &hunks,
        )
    };
    FileDiff {
        path,
        old_path,
        old_text,
        new_text,
        binary: false,
        unified,
        hunks,
    }
}

/// Lines with their `\n` (the last one may have none); `\r` is not a line end, as in git.
fn split_lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

fn line_number(index: usize) -> u32 {
    u32::try_from(index + 1).unwrap_or(u32::MAX)
}

fn hunks(old: &str, new: &str) -> Vec<Hunk> {
    let old_lines = split_lines(old);
    let new_lines = split_lines(new);
    let diff = TextDiff::configure()
        .algorithm(Algorithm::Myers)
        .timeout(DIFF_TIMEOUT)
        .diff_slices(&old_lines, &new_lines);
    let mut hunks = Vec::new();
    for group in diff.grouped_ops(CONTEXT) {
        if group
            .iter()
            .all(|op| matches!(op.tag(), similar::DiffTag::Equal))
        {
            continue;
        }
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        let old_range = first.old_range().start..last.old_range().end;
        let new_range = first.new_range().start..last.new_range().end;
        let start = |range: &std::ops::Range<usize>| {
            if range.is_empty() {
                u32::try_from(range.start).unwrap_or(u32::MAX)
            } else {
                line_number(range.start)
            }
        };
        let mut lines = Vec::new();
        for op in &group {
            for change in diff.iter_changes(op) {
                let value: &str = change.value();
                let text = value.strip_suffix('\n').unwrap_or(value);
                let text = text.strip_suffix('\r').unwrap_or(text);
                lines.push(DiffLine {
                    tag: match change.tag() {
                        ChangeTag::Equal => LineTag::Equal,
                        ChangeTag::Insert => LineTag::Insert,
                        ChangeTag::Delete => LineTag::Delete,
                    },
                    text: text.to_owned(),
                    old_line: change.old_index().map(line_number),
                    new_line: change.new_index().map(line_number),
                });
            }
        }
        hunks.push(Hunk {
            old_start: start(&old_range),
            old_lines: u32::try_from(old_range.len()).unwrap_or(u32::MAX),
            new_start: start(&new_range),
            new_lines: u32::try_from(new_range.len()).unwrap_or(u32::MAX),
            lines,
        });
    }
    hunks
}

/// The unified diff of the hunks, with the exact line endings of the two texts (a line's
/// `\r` is kept) and git's `\ No newline at end of file` marker.
fn render_unified<'a>(
    old_label: &str,
    new_label: &str,
    old: &'a str,
    new: &'a str,
    hunks: &[Hunk],
) -> String {
    let old_lines = split_lines(old);
    let new_lines = split_lines(new);
    let mut out = format!("--- {old_label}\n+++ {new_label}\n");
    let range = |start: u32, len: u32| {
        if len == 1 {
            format!("{start}")
        } else {
            format!("{start},{len}")
        }
    };
    for hunk in hunks {
        out.push_str(&format!(
            "@@ -{} +{} @@\n",
            range(hunk.old_start, hunk.old_lines),
            range(hunk.new_start, hunk.new_lines)
        ));
        for line in &hunk.lines {
            let nth = |lines: &[&'a str], n: Option<u32>| {
                n.and_then(|n| lines.get((n as usize).checked_sub(1)?).copied())
            };
            let (prefix, raw) = match line.tag {
                LineTag::Equal => (' ', nth(&old_lines, line.old_line)),
                LineTag::Delete => ('-', nth(&old_lines, line.old_line)),
                LineTag::Insert => ('+', nth(&new_lines, line.new_line)),
            };
            let raw = raw.unwrap_or_default();
            out.push(prefix);
            out.push_str(raw);
            if !raw.ends_with('\n') {
                out.push_str("\n\\ No newline at end of file\n");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::UserError;
    use crate::testkit::TestRepo;

    /// `git diff` output from the `---` line on, hunk headers without the function context.
    fn git_diff(t: &TestRepo, staged: bool, path: &str) -> String {
        let mut all = vec!["diff", "--no-color", "--no-ext-diff", "-U3"];
        if staged {
            all.push("--cached");
        }
        all.extend(["--", path]);
        let text = t.git(&all);
        let mut out = String::new();
        let mut started = false;
        // Lines with their endings: a `\r` before the `\n` is content.
        for line in text.split_inclusive('\n') {
            if line.starts_with("--- ") {
                started = true;
            }
            if !started {
                continue;
            }
            if let Some(rest) = line.strip_prefix("@@ ") {
                // Drop git's function context after the closing `@@`.
                let end = rest.find(" @@").map(|i| i + 6).unwrap_or(line.len());
                out.push_str(&line[..end]);
                out.push('\n');
            } else {
                out.push_str(line);
            }
        }
        out
    }

    #[test]
    fn unstaged_diff_matches_git_diff() {
        let t = TestRepo::new();
        let old: String = (1..=30).map(|i| format!("line {i}\n")).collect();
        t.write("rules/a.py", &old);
        t.commit_all("first");
        let new = old
            .replace("line 2\n", "line two\n")
            .replace("line 20\n", "")
            .replace("line 29\n", "line 29\ninserted\n");
        t.write("rules/a.py", &new);
        let diff = t.open().diff_file("rules/a.py", false).unwrap();
        assert_eq!(diff.unified, git_diff(&t, false, "rules/a.py"));
        assert_eq!(diff.old_text.as_deref(), Some(old.as_str()));
        assert_eq!(diff.new_text.as_deref(), Some(new.as_str()));
        assert!(!diff.binary);
        assert_eq!(diff.hunks.len(), 3, "{}", diff.unified);
        let first = &diff.hunks[0];
        assert_eq!(
            (
                first.old_start,
                first.old_lines,
                first.new_start,
                first.new_lines
            ),
            (1, 5, 1, 5)
        );
        let changed: Vec<_> = first
            .lines
            .iter()
            .filter(|l| l.tag != LineTag::Equal)
            .map(|l| (l.tag, l.text.as_str(), l.old_line, l.new_line))
            .collect();
        assert_eq!(
            changed,
            vec![
                (LineTag::Delete, "line 2", Some(2), None),
                (LineTag::Insert, "line two", None, Some(2)),
            ]
        );
    }

    #[test]
    fn staged_diff_matches_git_diff_cached() {
        let t = TestRepo::new();
        t.write("a.txt", "one\ntwo\nthree\n");
        t.commit_all("first");
        t.write("a.txt", "one\n2\nthree\nfour");
        t.git(&["add", "a.txt"]);
        t.write("a.txt", "unstaged edit\n");
        let repo = t.open();
        let staged = repo.diff_file("a.txt", true).unwrap();
        assert_eq!(staged.unified, git_diff(&t, true, "a.txt"));
        assert!(staged.unified.contains("\\ No newline at end of file"));
        let unstaged = repo.diff_file("a.txt", false).unwrap();
        assert_eq!(unstaged.unified, git_diff(&t, false, "a.txt"));
    }

    #[test]
    fn new_and_deleted_files_diff_against_dev_null_like_git() {
        let t = TestRepo::new();
        t.write("keep.txt", "k\n");
        t.write("old.txt", "x\ny\n");
        t.commit_all("first");
        t.write("new.txt", "a\nb\nc\n");
        t.git(&["add", "new.txt"]);
        t.git(&["rm", "-q", "old.txt"]);
        let repo = t.open();
        let added = repo.diff_file("new.txt", true).unwrap();
        assert_eq!(added.unified, git_diff(&t, true, "new.txt"));
        assert_eq!(added.old_text, None);
        assert_eq!(added.hunks[0].old_start, 0);
        let deleted = repo.diff_file("old.txt", true).unwrap();
        assert_eq!(deleted.unified, git_diff(&t, true, "old.txt"));
        assert_eq!(deleted.new_text, None);
    }

    #[test]
    fn untracked_file_diffs_as_all_new() {
        let t = TestRepo::new();
        t.write("new.txt", "a\nb\n");
        let diff = t.open().diff_file("new.txt", false).unwrap();
        assert_eq!(diff.old_text, None);
        assert!(diff
            .unified
            .starts_with("--- /dev/null\n+++ b/new.txt\n@@ -0,0 +1,2 @@\n"));
    }

    #[test]
    fn staged_rename_diffs_against_the_old_path() {
        let t = TestRepo::new();
        let text: String = (1..=10).map(|i| format!("line {i}\n")).collect();
        t.write("old.yml", &text);
        t.commit_all("first");
        t.git(&["mv", "old.yml", "new.yml"]);
        t.write("new.yml", &text.replace("line 5\n", "line five\n"));
        t.git(&["add", "new.yml"]);
        let diff = t.open().diff_file("new.yml", true).unwrap();
        assert_eq!(diff.old_path.as_deref(), Some("old.yml"));
        assert!(diff.unified.starts_with("--- a/old.yml\n+++ b/new.yml\n"));
        assert_eq!(diff.hunks.len(), 1);
    }

    #[test]
    fn crlf_and_lone_cr_are_kept_so_the_patch_applies() {
        let t = TestRepo::new();
        t.write("w.txt", "a\r\nb\r\nc\rd\n");
        t.commit_all("first");
        t.write("w.txt", "a\r\nB\r\nc\rd\n");
        let diff = t.open().diff_file("w.txt", false).unwrap();
        assert_eq!(diff.unified, git_diff(&t, false, "w.txt"));
        assert_eq!(diff.hunks[0].lines[0].text, "a");
        assert_eq!(diff.hunks[0].lines.len(), 4);
    }

    #[test]
    fn binary_files_are_flagged_without_text() {
        let t = TestRepo::new();
        t.write_bytes("img.bin", b"\x00\x01\x02");
        t.commit_all("first");
        t.write_bytes("img.bin", b"\x00\x01\x03");
        let diff = t.open().diff_file("img.bin", false).unwrap();
        assert!(diff.binary);
        assert_eq!(diff.old_text, None);
        assert!(diff.hunks.is_empty());
        assert_eq!(
            diff.unified,
            "Binary files a/img.bin and b/img.bin differ\n"
        );
    }

    #[test]
    fn unchanged_file_has_an_empty_diff() {
        let t = TestRepo::new();
        t.write("a.txt", "a\n");
        t.commit_all("first");
        let diff = t.open().diff_file("a.txt", false).unwrap();
        assert!(diff.unified.is_empty());
        assert!(diff.hunks.is_empty());
        assert_eq!(diff.old_text, diff.new_text);
    }

    #[test]
    fn bad_paths_give_errors() {
        let t = TestRepo::new();
        t.write("dir/a.txt", "a\n");
        t.commit_all("first");
        let repo = t.open();
        assert_eq!(
            repo.diff_file("missing.txt", false).unwrap_err().name(),
            "path_not_found"
        );
        assert_eq!(
            repo.diff_file("dir", false).unwrap_err().name(),
            "not_a_file"
        );
        assert_eq!(
            repo.diff_file("dir", true).unwrap_err().name(),
            "not_a_file"
        );
        assert_eq!(
            repo.diff_file("../x", false).unwrap_err().name(),
            "path_outside_workdir"
        );
        assert_eq!(repo.diff_file(".", false).unwrap_err().name(), "not_a_file");
    }

    #[test]
    fn diff_lines_line_numbers_follow_both_sides() {
        let hunks = hunks("a\nb\nc\n", "a\nx\nb\nc\n");
        assert_eq!(hunks.len(), 1);
        let numbers: Vec<_> = hunks[0]
            .lines
            .iter()
            .map(|l| (l.tag, l.old_line, l.new_line))
            .collect();
        assert_eq!(
            numbers,
            vec![
                (LineTag::Equal, Some(1), Some(1)),
                (LineTag::Insert, None, Some(2)),
                (LineTag::Equal, Some(2), Some(3)),
                (LineTag::Equal, Some(3), Some(4)),
            ]
        );
    }
}

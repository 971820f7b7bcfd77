//! Three-way merges of plain text by lines (git's own algorithm, through libgit2's
//! `git_merge_file`), and the second look at Python: which top-level functions both sides
//! changed, so that a merge git calls clean is still shown for review when it mixed the fork's
//! logic and upstream's in one function.

use git2::{FileFavor, MergeFileInput, MergeFileOptions};
use std::ops::Range;

/// The labels of the three sides in conflict markers (what `git merge` would print as branch
/// names).
pub const OURS_LABEL: &str = "fork";
/// The common ancestor's label.
pub const BASE_LABEL: &str = "base";
/// Upstream's label.
pub const THEIRS_LABEL: &str = "upstream";

/// How a line merge resolves regions both sides changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Favor {
    /// Leave conflict markers (diff3 style: fork, base, upstream).
    Markers,
    /// The fork's side of every conflicting region.
    Ours,
    /// Upstream's side.
    Theirs,
    /// Both sides, the fork's first.
    Union,
}

/// The result of a three-way line merge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineMerge {
    /// The merged text (with conflict markers when `conflicts > 0` and the favor is
    /// [`Favor::Markers`]).
    pub text: Vec<u8>,
    /// Whether some region changed on both sides differently.
    pub conflicted: bool,
}

/// Merges `ours` and `theirs` from `base` line by line, as `git merge-file --diff3` does.
pub fn merge_lines(base: &[u8], ours: &[u8], theirs: &[u8], favor: Favor) -> LineMerge {
    let mut b = MergeFileInput::new();
    b.content(base);
    let mut o = MergeFileInput::new();
    o.content(ours);
    let mut t = MergeFileInput::new();
    t.content(theirs);
    let mut opts = MergeFileOptions::new();
    opts.ancestor_label(BASE_LABEL)
        .our_label(OURS_LABEL)
        .their_label(THEIRS_LABEL)
        .style_diff3(true);
    match favor {
        Favor::Markers => {}
        Favor::Ours => {
            opts.favor(FileFavor::Ours);
        }
        Favor::Theirs => {
            opts.favor(FileFavor::Theirs);
        }
        Favor::Union => {
            opts.favor(FileFavor::Union);
        }
    }
    match git2::merge_file(&b, &o, &t, Some(&mut opts)) {
        Ok(result) => LineMerge {
            conflicted: !result.is_automergeable(),
            text: result.content().to_vec(),
        },
        // libgit2 refuses only inputs it cannot diff (binary); report a whole-file conflict.
        Err(_) => LineMerge {
            text: ours.to_vec(),
            conflicted: true,
        },
    }
}

/// Whether bytes look like a binary file (git's rule: a NUL in the first 8000 bytes), or are
/// not UTF-8 text.
pub fn is_binary(bytes: &[u8]) -> bool {
    bytes.iter().take(8000).any(|b| *b == 0) || std::str::from_utf8(bytes).is_err()
}

/// Whether a text still holds conflict markers at the start of a line.
pub fn has_conflict_markers(text: &str) -> bool {
    let mut open = false;
    for line in text.lines() {
        if line.starts_with("<<<<<<< ") || line == "<<<<<<<" {
            open = true;
        } else if open && (line.starts_with(">>>>>>> ") || line == ">>>>>>>") {
            return true;
        }
    }
    false
}

/// The top-level functions and classes of a Python source, each with its lines (0-based,
/// end exclusive): from the `def`/`class` line (decorators included) to the line before the
/// next top-level statement.
pub fn top_level_blocks(source: &str) -> Vec<(String, Range<usize>)> {
    let lines: Vec<&str> = source.lines().collect();
    let mut blocks: Vec<(String, Range<usize>)> = Vec::new();
    let mut open: Option<(String, usize)> = None;
    let mut decorator_start: Option<usize> = None;
    for (i, line) in lines.iter().enumerate() {
        let top = !line.is_empty()
            && !line.starts_with(' ')
            && !line.starts_with('\t')
            && !line.starts_with('#');
        if !top {
            continue;
        }
        // A line at column 0 that closes a bracket or continues a string is rare in rules;
        // treat every column-0 statement as the end of the open block.
        if let Some((name, start)) = open.take() {
            let end = decorator_start.unwrap_or(i);
            blocks.push((name, start..end));
        }
        if line.starts_with('@') {
            decorator_start.get_or_insert(i);
            continue;
        }
        let name = line
            .strip_prefix("def ")
            .or_else(|| line.strip_prefix("async def "))
            .or_else(|| line.strip_prefix("class "))
            .map(|rest| {
                rest.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .next()
                    .unwrap_or("")
                    .to_owned()
            });
        match name {
            Some(n) if !n.is_empty() => {
                open = Some((n, decorator_start.take().unwrap_or(i)));
            }
            _ => {
                decorator_start = None;
            }
        }
    }
    if let Some((name, start)) = open {
        // Trailing blank lines do not belong to the last block.
        let mut end = lines.len();
        while end > start + 1 && lines[end - 1].trim().is_empty() {
            end -= 1;
        }
        blocks.push((name, start..end));
    }
    blocks
}

/// The lines of `base` (0-based) that `side` changed: replaced or deleted lines, and for a pure
/// insertion the line it was inserted before (or after, at the end).
fn changed_base_lines(base: &str, side: &str) -> Vec<Range<usize>> {
    use similar::{DiffOp, TextDiff};
    let diff = TextDiff::from_lines(base, side);
    let base_len = base.lines().count();
    let mut out = Vec::new();
    for op in diff.ops() {
        match *op {
            DiffOp::Equal { .. } => {}
            DiffOp::Delete {
                old_index, old_len, ..
            }
            | DiffOp::Replace {
                old_index, old_len, ..
            } => out.push(old_index..old_index + old_len),
            DiffOp::Insert { old_index, .. } => {
                // An insertion between two lines touches the block of the line above it (code
                // appended to a function's body) unless it is at the very top.
                let at = old_index.saturating_sub(1).min(base_len.saturating_sub(1));
                out.push(at..at + 1);
            }
        }
    }
    out
}

/// The top-level functions (and classes) of `base` that both `ours` and `theirs` changed: a
/// merge of such a function may be clean by lines and still wrong by logic.
pub fn functions_changed_on_both_sides(base: &str, ours: &str, theirs: &str) -> Vec<String> {
    let blocks = top_level_blocks(base);
    let touched = |side: &str| -> Vec<bool> {
        let changes = changed_base_lines(base, side);
        blocks
            .iter()
            .map(|(_, r)| changes.iter().any(|c| c.start < r.end && r.start < c.end))
            .collect()
    };
    let by_ours = touched(ours);
    let by_theirs = touched(theirs);
    blocks
        .iter()
        .zip(by_ours.iter().zip(by_theirs.iter()))
        .filter(|(_, (o, t))| **o && **t)
        .map(|((name, _), _)| name.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "ALLOW = {\"a\"}\n\n\ndef rule(event):\n    if event.get(\"x\"):\n        return False\n    return event.get(\"y\") == 1\n\n\ndef title(event):\n    return \"t\"\n";

    #[test]
    fn separate_hunks_merge_cleanly() {
        let ours = BASE.replace("{\"a\"}", "{\"a\", \"b\"}");
        let theirs = BASE.replace("return \"t\"", "return \"title\"");
        let m = merge_lines(
            BASE.as_bytes(),
            ours.as_bytes(),
            theirs.as_bytes(),
            Favor::Markers,
        );
        assert!(!m.conflicted);
        let text = String::from_utf8(m.text).unwrap();
        assert!(text.contains("{\"a\", \"b\"}") && text.contains("\"title\""));
    }

    #[test]
    fn same_line_changed_twice_conflicts_with_diff3_markers() {
        let ours = BASE.replace("== 1", "== 2");
        let theirs = BASE.replace("== 1", "== 3");
        let m = merge_lines(
            BASE.as_bytes(),
            ours.as_bytes(),
            theirs.as_bytes(),
            Favor::Markers,
        );
        assert!(m.conflicted);
        let text = String::from_utf8(m.text).unwrap();
        assert!(text.contains("<<<<<<< fork"), "{text}");
        assert!(text.contains("||||||| base"));
        assert!(text.contains(">>>>>>> upstream"));
        assert!(has_conflict_markers(&text));
        let theirs_wins = merge_lines(
            BASE.as_bytes(),
            ours.as_bytes(),
            theirs.as_bytes(),
            Favor::Theirs,
        );
        assert!(!theirs_wins.conflicted);
        assert!(String::from_utf8(theirs_wins.text)
            .unwrap()
            .contains("== 3"));
    }

    #[test]
    fn both_sides_changing_one_function_is_flagged_even_when_lines_merge() {
        // The fork adds an early return at the top of rule(); upstream rewrites its last line.
        let ours = BASE.replace(
            "    if event.get(\"x\"):",
            "    if event.get(\"user\") in ALLOW:\n        return False\n    if event.get(\"x\"):",
        );
        let theirs = BASE.replace("event.get(\"y\") == 1", "event.deep_get(\"y\", \"z\") == 1");
        let m = merge_lines(
            BASE.as_bytes(),
            ours.as_bytes(),
            theirs.as_bytes(),
            Favor::Markers,
        );
        assert!(!m.conflicted, "git merges these lines cleanly");
        assert_eq!(
            functions_changed_on_both_sides(BASE, &ours, &theirs),
            vec!["rule".to_string()]
        );
        // Changes in different functions are not flagged.
        let theirs_title = BASE.replace("return \"t\"", "return \"title\"");
        assert!(functions_changed_on_both_sides(BASE, &ours, &theirs_title).is_empty());
    }

    #[test]
    fn blocks_include_decorators_and_stop_at_the_next_statement() {
        let src = "import x\n\n@dec\ndef a():\n    pass\n\nB = 1\n\nclass C:\n    pass\n\n";
        let blocks = top_level_blocks(src);
        assert_eq!(blocks[0], ("a".to_string(), 2..6));
        assert_eq!(blocks[1], ("C".to_string(), 8..10));
    }

    #[test]
    fn binary_detection() {
        assert!(is_binary(b"\x00\x01abc"));
        assert!(is_binary(&[0xff, 0xfe, 0x41]));
        assert!(!is_binary("ünïcode text\n".as_bytes()));
    }
}

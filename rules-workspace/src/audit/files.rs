//! The pack's files as they are on disk: every regular file with its size, and the symbolic
//! links (never followed). `.git` is left out; so is everything a branch did not change.

use super::{AuditError, Code, Finding};
use std::collections::BTreeSet;
use std::path::Path;

/// Files above this are large embedded data (PA303).
pub const LARGE_FILE_BYTES: u64 = 1024 * 1024;

/// A regular file.
#[derive(Debug, Clone)]
pub(crate) struct File {
    /// Relative to the root, `/`-separated.
    pub path: String,
    /// Bytes.
    pub size: u64,
}

/// What the walk found.
#[derive(Debug, Default)]
pub(crate) struct Tree {
    /// Regular files, sorted by path.
    pub files: Vec<File>,
    /// Symbolic links (relative paths) and where they point.
    pub links: Vec<(String, String)>,
}

/// Walks `root` (depth-first, links not followed), keeping at most `max_files` entries;
/// with `only`, just those paths.
pub(crate) fn walk(
    root: &Path,
    max_files: usize,
    only: Option<&BTreeSet<String>>,
) -> Result<Tree, AuditError> {
    let mut tree = Tree::default();
    let mut stack = vec![(root.to_path_buf(), String::new(), 0usize)];
    let mut seen = 0usize;
    while let Some((dir, prefix, depth)) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|source| AuditError::Io {
            path: dir.clone(),
            source,
        })?;
        for entry in entries.flatten() {
            seen += 1;
            if seen > max_files {
                return Err(AuditError::TooLarge {
                    what: format!("more than {max_files} files"),
                });
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}/{name}")
            };
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                if name != ".git" && depth < 64 {
                    stack.push((entry.path(), rel, depth + 1));
                }
                continue;
            }
            if only.is_some_and(|o| !o.contains(&rel)) {
                continue;
            }
            if kind.is_symlink() {
                let target = std::fs::read_link(entry.path())
                    .map(|t| t.display().to_string())
                    .unwrap_or_default();
                tree.links.push((rel, target));
            } else if kind.is_file() {
                let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
                tree.files.push(File { path: rel, size });
            }
        }
    }
    tree.files.sort_by(|a, b| a.path.cmp(&b.path));
    tree.links.sort();
    Ok(tree)
}

/// Large files (PA303) and symbolic links (PA304).
pub(crate) fn findings(tree: &Tree) -> Vec<Finding> {
    let mut out = Vec::new();
    for f in tree.files.iter().filter(|f| f.size > LARGE_FILE_BYTES) {
        out.push(
            Finding::new(
                Code::LargeData,
                format!(
                    "a file of {} bytes (more than {} MiB): large embedded data",
                    f.size,
                    LARGE_FILE_BYTES / (1024 * 1024)
                ),
            )
            .at(&f.path, None, None),
        );
    }
    for (link, target) in &tree.links {
        out.push(
            Finding::new(
                Code::OutsidePack,
                format!(
                    "a symbolic link to `{target}`: Prowl and PAT would read what it points at"
                ),
            )
            .at(link, None, None),
        );
    }
    out
}

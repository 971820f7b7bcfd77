//! Finding spec files exactly as PAT's `load_analysis_specs_ex` walks `--path .`.
//!
//! Rules reproduced (panther-spec §1.1): a top-down walk that prunes directories starting with
//! `.` and `__pycache__`; below the root, only directories whose `./`-prefixed path matches one
//! of PAT's fnmatch patterns are read (their subdirectories are still walked); files are taken
//! in sorted order; hidden files, `dependabot.yml`, `package.json`, `package-lock.json` (at the
//! root) and `--ignore-files` entries are skipped; a spec is any name matching `*.y*ml`.
//! Symlinked directories are listed but not entered (no loops), as `os.walk` does by default.
//! A spec that is a link resolving outside the root is not listed, and is reported as a
//! [`WalkProblem`] (PAT would read it; a workspace from elsewhere could point one at a device or
//! at the user's files). Links that stay inside are listed as PAT lists them.
//!
//! Sibling folders are visited in the order the file system lists them, as `os.walk` does (so
//! which of two specs with one ID wins is PAT's answer on the same machine). One deliberate
//! difference: `../global_helpers` outside the workspace is not read.

use std::path::{Path, PathBuf};

/// Directory patterns PAT reads when walking `.` (fnmatch, case-sensitive, `*` crosses `/`).
const DIR_PATTERNS: [&str; 8] = [
    "*data_models*",
    "*/global_helpers",
    "*lookup_tables*",
    "*rules*",
    "*/packs",
    "*policies*",
    "*queries*",
    "*scheduled_prompts*",
];

/// Deepest directory level walked (a guard against pathological trees).
const MAX_DEPTH: usize = 64;

/// A YAML file the walk selected.
#[derive(Debug, Clone)]
pub struct FoundFile {
    /// The file on disk, under the root as given to [`find_spec_files`].
    pub path: PathBuf,
    /// Relative to the root, `/`-separated, without `./`.
    pub rel_path: String,
    /// The directory as PAT names it: `.` or `./rules/aws`.
    pub walk_dir: String,
}

/// A directory that could not be listed, or a spec left out because it links out of the root.
#[derive(Debug, Clone)]
pub struct WalkProblem {
    /// The directory or file on disk.
    pub path: PathBuf,
    /// Relative to the root, `/`-separated (`.` for the root itself).
    pub rel_path: String,
    /// `cannot list the directory: ` and the operating system's reason, or where the link leads.
    pub message: String,
    /// What to do.
    pub hint: String,
}

/// Lists the spec files under `root` in PAT's order.
pub fn find_spec_files(root: &Path, ignore_files: &[String]) -> (Vec<FoundFile>, Vec<WalkProblem>) {
    let ignored: Vec<String> = ["dependabot.yml", "package.json", "package-lock.json"]
        .iter()
        .map(|s| s.to_string())
        .chain(ignore_files.iter().map(|f| normpath(f)))
        .collect();
    let mut files = Vec::new();
    let mut problems = Vec::new();
    walk(root, root, ".", 0, &ignored, &mut files, &mut problems);
    (files, problems)
}

fn walk(
    root: &Path,
    dir: &Path,
    walk_dir: &str,
    depth: usize,
    ignored: &[String],
    files: &mut Vec<FoundFile>,
    problems: &mut Vec<WalkProblem>,
) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            problems.push(WalkProblem {
                path: dir.to_path_buf(),
                rel_path: normpath(walk_dir),
                message: format!("cannot list the directory: {e}"),
                hint: "check the directory's permissions".into(),
            });
            return;
        }
    };
    let mut subdirs: Vec<(String, bool)> = Vec::new();
    let mut names: Vec<(String, bool)> = Vec::new();
    for entry in entries.flatten() {
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let file_type = entry.file_type().ok();
        let is_symlink = file_type.is_some_and(|t| t.is_symlink());
        // `DirEntry.is_dir()` in Python follows symlinks; only links need another look.
        let is_dir = if is_symlink {
            std::fs::metadata(entry.path()).is_ok_and(|m| m.is_dir())
        } else {
            file_type.is_some_and(|t| t.is_dir())
        };
        if is_dir {
            subdirs.push((name, is_symlink));
        } else {
            names.push((name, is_symlink));
        }
    }
    // Files in sorted order, as PAT sorts them; folders in the order the file system lists
    // them, as `os.walk` does, so that "first ID wins" and PAT's output order are PAT's.
    names.sort();
    let reads_files = walk_dir == "." || DIR_PATTERNS.iter().any(|p| fnmatch(p, walk_dir));
    if reads_files {
        for (name, is_symlink) in names {
            if name.starts_with('.') {
                continue;
            }
            let joined = format!("{walk_dir}/{name}");
            let rel = normpath(&joined);
            if ignored.contains(&rel) || !fnmatch("*.y*ml", &name) {
                continue;
            }
            let path = dir.join(&name);
            if is_symlink {
                if let Some(problem) = link_out(root, &path, &rel) {
                    problems.push(problem);
                    continue;
                }
            }
            files.push(FoundFile {
                path,
                rel_path: rel,
                walk_dir: walk_dir.to_owned(),
            });
        }
    }
    if depth >= MAX_DEPTH {
        return;
    }
    for (name, is_symlink) in subdirs {
        if name.starts_with('.') || name == "__pycache__" || is_symlink {
            continue;
        }
        walk(
            root,
            &dir.join(&name),
            &format!("{walk_dir}/{name}"),
            depth + 1,
            ignored,
            files,
            problems,
        );
    }
}

/// Whether PAT's walk of `.` would read the file at `rel` (relative, `/`-separated) as a spec:
/// the same rules as [`find_spec_files`], for paths that are not on disk (a git tree's).
pub fn is_spec_path(rel: &str) -> bool {
    let (dir, name) = rel.rsplit_once('/').unwrap_or(("", rel));
    if name.starts_with('.')
        || !fnmatch("*.y*ml", name)
        || ["dependabot.yml", "package.json", "package-lock.json"].contains(&rel)
        || dir
            .split('/')
            .any(|p| p.starts_with('.') || p == "__pycache__")
    {
        return false;
    }
    dir.is_empty() || DIR_PATTERNS.iter().any(|p| fnmatch(p, &format!("./{dir}")))
}

/// The problem of a spec that is a link resolving outside the root; `None` for a link that
/// stays inside (or leads nowhere: loading it says so, and nothing outside is read).
fn link_out(root: &Path, path: &Path, rel: &str) -> Option<WalkProblem> {
    let Err(super::save::SaveError::OutsideWorkspace { target, .. }) =
        super::content::resolve_inside(root, path)
    else {
        return None;
    };
    Some(WalkProblem {
        path: path.to_path_buf(),
        rel_path: rel.to_owned(),
        message: format!(
            "not read: a link to {}, outside the workspace",
            target.display()
        ),
        hint: LINK_OUT_HINT.into(),
    })
}

const LINK_OUT_HINT: &str =
    "Prowl reads only files inside the workspace: replace the link with the file itself";

/// `os.path.normpath` for relative `/` paths: drops `.` parts and folds `..`.
pub fn normpath(p: &str) -> String {
    let absolute = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !absolute {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    match (absolute, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

/// Python's `fnmatch.fnmatchcase`: `*`, `?`, `[seq]`, `[!seq]`; `*` also matches `/`.
pub fn fnmatch(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // Iterative wildcard matching with backtracking on the last `*`.
    let (mut pi, mut ni) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    star = Some((pi, ni));
                    pi += 1;
                    continue;
                }
                '?' => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                '[' => {
                    if let Some((matched, next)) = match_class(&p, pi, n[ni]) {
                        if matched {
                            pi = next;
                            ni += 1;
                            continue;
                        }
                    } else if n[ni] == '[' {
                        pi += 1;
                        ni += 1;
                        continue;
                    }
                }
                c if c == n[ni] => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, sn)) => {
                pi = sp + 1;
                ni = sn + 1;
                star = Some((sp, sn + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Matches a `[...]` class at `p[start]`; `None` when the bracket is unterminated (literal `[`).
fn match_class(p: &[char], start: usize, c: char) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let negate = p.get(i) == Some(&'!');
    if negate {
        i += 1;
    }
    let first = i;
    let mut matched = false;
    while i < p.len() {
        if p[i] == ']' && i > first {
            return Some((matched != negate, i + 1));
        }
        if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
            if p[i] <= c && c <= p[i + 2] {
                matched = true;
            }
            i += 3;
        } else {
            if p[i] == c {
                matched = true;
            }
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnmatch_follows_python() {
        assert!(fnmatch("*rules*", "./rules/aws"));
        assert!(fnmatch("*rules*", "./correlation_rules"));
        assert!(fnmatch("*/global_helpers", "./global_helpers"));
        assert!(!fnmatch("*/global_helpers", "./global_helpers/sub"));
        assert!(fnmatch("*.y*ml", "a.yml"));
        assert!(fnmatch("*.y*ml", "a.yaml"));
        assert!(!fnmatch("*.y*ml", "a.json"));
        assert!(fnmatch("*/packs", "./x/packs"));
        assert!(fnmatch("[!a]b", "cb"));
        assert!(!fnmatch("*Rules*", "./rules"));
    }

    #[test]
    fn normpath_folds_dots() {
        assert_eq!(normpath("./rules/x.yml"), "rules/x.yml");
        assert_eq!(normpath("rules/../a.yml"), "a.yml");
        assert_eq!(normpath("./"), ".");
    }

    #[test]
    fn walk_reads_only_pat_directories_and_skips_hidden() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for d in [
            "rules/aws",
            "detections",
            "detections/rules",
            ".hidden/rules",
            "global_helpers",
            "misc",
        ] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        for f in [
            "rules/aws/a.yml",
            "rules/aws/.b.yml",
            "rules/aws/c.py",
            "detections/d.yml",
            "detections/rules/e.yaml",
            ".hidden/rules/f.yml",
            "global_helpers/g.yml",
            "misc/h.yml",
            "top.yml",
            "dependabot.yml",
        ] {
            std::fs::write(root.join(f), "x: 1\n").unwrap();
        }
        let (files, problems) = find_spec_files(root, &["rules/aws/a.yml".into()]);
        assert!(problems.is_empty());
        let rels: Vec<&str> = files.iter().map(|f| f.rel_path.as_str()).collect();
        let mut sorted = rels.clone();
        sorted.sort();
        assert_eq!(
            sorted,
            vec!["detections/rules/e.yaml", "global_helpers/g.yml", "top.yml"]
        );
        assert_eq!(
            rels[0], "top.yml",
            "a folder's files come before its subfolders'"
        );
        let e = files
            .iter()
            .find(|f| f.rel_path == "detections/rules/e.yaml")
            .unwrap();
        assert_eq!(e.walk_dir, "./detections/rules");
    }

    #[cfg(unix)]
    #[test]
    fn symlink_loops_are_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("rules")).unwrap();
        std::os::unix::fs::symlink(root, root.join("rules/loop")).unwrap();
        std::os::unix::fs::symlink(root.join("rules/self.yml"), root.join("rules/self.yml")).ok();
        std::fs::write(root.join("rules/a.yml"), "x: 1\n").unwrap();
        let (files, _) = find_spec_files(root, &[]);
        let rels: Vec<&str> = files.iter().map(|f| f.rel_path.as_str()).collect();
        assert_eq!(rels, vec!["rules/a.yml", "rules/self.yml"]);
    }

    #[cfg(unix)]
    #[test]
    fn spec_links_out_of_the_root_are_left_out_with_a_problem() {
        let dir = tempfile::tempdir().unwrap();
        let base = std::fs::canonicalize(dir.path()).unwrap();
        let root = base.join("ws");
        std::fs::create_dir_all(root.join("rules")).unwrap();
        std::fs::write(base.join("outside.yml"), "x: 1\n").unwrap();
        std::fs::write(root.join("rules/a.yml"), "x: 1\n").unwrap();
        std::os::unix::fs::symlink("a.yml", root.join("rules/b.yml")).unwrap();
        std::os::unix::fs::symlink("../../outside.yml", root.join("rules/c.yml")).unwrap();
        std::os::unix::fs::symlink("/dev/zero", root.join("rules/d.yml")).unwrap();
        let (files, problems) = find_spec_files(&root, &[]);
        let rels: Vec<&str> = files.iter().map(|f| f.rel_path.as_str()).collect();
        assert_eq!(rels, vec!["rules/a.yml", "rules/b.yml"]);
        let out: Vec<(&str, &str)> = problems
            .iter()
            .map(|p| (p.rel_path.as_str(), p.message.as_str()))
            .collect();
        assert_eq!(out.len(), 2, "{out:?}");
        assert_eq!(out[0].0, "rules/c.yml");
        assert!(out[0].1.contains("outside.yml"), "{out:?}");
        assert_eq!(out[1].0, "rules/d.yml");
        assert!(out[1].1.contains("/dev/zero"), "{out:?}");
    }
}

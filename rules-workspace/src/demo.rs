//! The bundled demo workspace, written out as a real git repository.
//!
//! `write_demo(dir)` creates a fork of the (fictional) upstream content repository:
//! - a bare "upstream" repository (inside the fork's `.git/`, so deleting the folder deletes
//!   everything) with two releases, `v1.0.0` and `v2.0.0` (which changes, adds, renames and
//!   deletes detections);
//! - the fork itself: release 1.0 plus a commit of local tuning, on `main`, with the remote
//!   `upstream` already fetched, so the upstream merge has real history to work on.
//!
//! Commits have fixed authors and dates, so the demo's history is the same on every machine.

use git2::{Oid, Repository, Signature, Time};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

include!(concat!(env!("OUT_DIR"), "/demo_files.rs"));

/// Where the demo's upstream repository lives, relative to the fork's `.git` directory.
pub const UPSTREAM_DIR: &str = "prowl-demo-upstream.git";

/// Why the demo workspace could not be written.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The destination has files in it.
    #[error("{path}: the folder exists and is not empty")]
    NotEmpty {
        /// The destination.
        path: PathBuf,
    },
    /// Writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Making the git history failed.
    #[error("git: {0}")]
    Git(#[from] git2::Error),
}

impl crate::error::UserError for DemoError {
    fn family(&self) -> &'static str {
        "demo"
    }

    fn name(&self) -> &'static str {
        match self {
            DemoError::NotEmpty { .. } => "not_empty",
            DemoError::Io { .. } => "io",
            DemoError::Git(_) => "git",
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            DemoError::NotEmpty { .. } => {
                Some("choose a new or empty folder: `prowl demo <DIR>`".into())
            }
            _ => None,
        }
    }
}

/// What `write_demo` created.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DemoRepo {
    /// The fork's working tree (canonical): the workspace to open.
    pub path: PathBuf,
    /// The bare upstream repository's path, as the fork's remote `upstream` names it.
    pub upstream_url: String,
    /// The commit id (full hex) of release 1.0 (`v1.0.0`), shared by upstream and the fork.
    pub release_1: String,
    /// The commit id of the fork's `main`: Acme's local tuning on top of release 1.0.
    pub local_head: String,
    /// The commit id of release 2.0 (`v2.0.0`, upstream's `main`), not merged into the fork.
    pub release_2: String,
}

/// The files of one part of the demo (`base`, `upstream-v2`, `local`), by relative path.
fn part(name: &str) -> BTreeMap<String, &'static [u8]> {
    let prefix = format!("{name}/");
    DEMO_FILES
        .iter()
        .filter_map(|(p, c)| p.strip_prefix(&prefix).map(|rel| (rel.to_owned(), *c)))
        .collect()
}

/// Applies an overlay: its files replace or add, the paths listed in its `DELETED` go.
fn apply(
    base: &BTreeMap<String, &'static [u8]>,
    overlay_name: &str,
) -> BTreeMap<String, &'static [u8]> {
    let overlay = part(overlay_name);
    let mut out = base.clone();
    if let Some(deleted) = overlay.get("DELETED") {
        for line in String::from_utf8_lossy(deleted).lines() {
            let line = line.trim();
            if !line.is_empty() && !line.starts_with('#') {
                out.remove(line);
            }
        }
    }
    for (path, content) in overlay {
        if path != "DELETED" {
            out.insert(path, content);
        }
    }
    out
}

/// The files of the demo workspace as the user's fork has them (release 1.0 + local tuning).
pub fn fork_files() -> BTreeMap<String, &'static [u8]> {
    apply(&part("base"), "local")
}

fn signature(name: &str, email: &str, epoch: i64) -> Result<Signature<'static>, git2::Error> {
    Signature::new(name, email, &Time::new(epoch, 0))
}

fn commit_files(
    repo: &Repository,
    files: &BTreeMap<String, &'static [u8]>,
    parents: &[Oid],
    message: &str,
    who: (&str, &str),
    epoch: i64,
) -> Result<Oid, git2::Error> {
    let tree = repo.find_tree(write_tree(
        repo,
        files.iter().map(|(p, c)| (p.as_str(), *c)).collect(),
    )?)?;
    let sig = signature(who.0, who.1, epoch)?;
    let parents: Vec<git2::Commit> = parents
        .iter()
        .map(|p| repo.find_commit(*p))
        .collect::<Result<_, _>>()?;
    let parent_refs: Vec<&git2::Commit> = parents.iter().collect();
    repo.commit(None, &sig, &sig, message, &tree, &parent_refs)
}

/// Writes `(path, content)` pairs as a tree (nested folders become subtrees).
fn write_tree(repo: &Repository, files: Vec<(&str, &[u8])>) -> Result<Oid, git2::Error> {
    let mut builder = repo.treebuilder(None)?;
    let mut subdirs: BTreeMap<&str, Vec<(&str, &[u8])>> = BTreeMap::new();
    for (path, content) in files {
        match path.split_once('/') {
            Some((dir, rest)) => subdirs.entry(dir).or_default().push((rest, content)),
            None => {
                let blob = repo.blob(content)?;
                builder.insert(path, blob, 0o100644)?;
            }
        }
    }
    for (dir, children) in subdirs {
        let sub = write_tree(repo, children)?;
        builder.insert(dir, sub, 0o040000)?;
    }
    builder.write()
}

const PANTHER: (&str, &str) = ("Upstream Content Team (demo)", "content@upstream.example");
const ACME: (&str, &str) = ("Acme Detection Engineering", "detections@acme.example");
const RELEASE_1_TIME: i64 = 1_768_435_200; // 2026-01-15
const LOCAL_TIME: i64 = 1_769_904_000; // 2026-02-01
const RELEASE_2_TIME: i64 = 1_772_323_200; // 2026-03-01

/// Writes the demo workspace to `dir` (created if missing; it must be empty).
pub fn write_demo(dir: &Path) -> Result<DemoRepo, DemoError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| DemoError::Io {
            path: path.clone(),
            source,
        }
    };
    if dir.exists() {
        let mut entries = std::fs::read_dir(dir).map_err(io(dir))?;
        if entries.next().is_some() {
            return Err(DemoError::NotEmpty {
                path: dir.to_path_buf(),
            });
        }
    }
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let dir = std::fs::canonicalize(dir).map_err(io(dir))?;

    let fork = Repository::init_opts(
        &dir,
        git2::RepositoryInitOptions::new().initial_head("main"),
    )?;
    let upstream_path = fork.path().join(UPSTREAM_DIR);
    let upstream = Repository::init_opts(
        &upstream_path,
        git2::RepositoryInitOptions::new()
            .bare(true)
            .initial_head("main"),
    )?;

    let release_1_files = part("base");
    let release_2_files = apply(&release_1_files, "upstream-v2");
    let r1 = commit_files(
        &upstream,
        &release_1_files,
        &[],
        "Release 1.0.0\n\nDemo content release.",
        PANTHER,
        RELEASE_1_TIME,
    )?;
    let r2 = commit_files(
        &upstream,
        &release_2_files,
        &[r1],
        "Release 2.0.0\n\nTightened detections, new coverage, one rule moved, one retired.",
        PANTHER,
        RELEASE_2_TIME,
    )?;
    upstream.reference("refs/heads/main", r2, true, "release 2.0.0")?;
    upstream.tag_lightweight("v1.0.0", &upstream.find_object(r1, None)?, true)?;
    upstream.tag_lightweight("v2.0.0", &upstream.find_object(r2, None)?, true)?;

    // The fork: the same release-1 commit (same content, author and time, so the same id),
    // then Acme's tuning on top.
    let fork_r1 = commit_files(
        &fork,
        &release_1_files,
        &[],
        "Release 1.0.0\n\nDemo content release.",
        PANTHER,
        RELEASE_1_TIME,
    )?;
    debug_assert_eq!(fork_r1, r1);
    let local = commit_files(
        &fork,
        &fork_files(),
        &[fork_r1],
        "Acme tuning: severities, allow-lists, thresholds and a local detection",
        ACME,
        LOCAL_TIME,
    )?;
    fork.reference("refs/heads/main", local, true, "demo: local tuning")?;
    fork.set_head("refs/heads/main")?;
    fork.checkout_head(Some(git2::build::CheckoutBuilder::new().force()))?;

    let url = upstream_path.to_string_lossy().into_owned();
    let mut remote = fork.remote("upstream", &url)?;
    remote.fetch(
        &[
            "+refs/heads/*:refs/remotes/upstream/*",
            "+refs/tags/*:refs/tags/*",
        ],
        None,
        None,
    )?;

    Ok(DemoRepo {
        path: dir,
        upstream_url: url,
        release_1: r1.to_string(),
        local_head: local.to_string(),
        release_2: r2.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_is_a_repository_with_upstream_history() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("demo");
        let demo = write_demo(&dir).unwrap();
        let repo = Repository::open(&dir).unwrap();
        let head = repo.head().unwrap().peel_to_commit().unwrap();
        assert_eq!(head.id().to_string(), demo.local_head);
        assert_eq!(head.parent_id(0).unwrap().to_string(), demo.release_1);
        let upstream_main = repo
            .find_reference("refs/remotes/upstream/main")
            .unwrap()
            .peel_to_commit()
            .unwrap();
        assert_eq!(upstream_main.id().to_string(), demo.release_2);
        let base = repo.merge_base(head.id(), upstream_main.id()).unwrap();
        assert_eq!(base.to_string(), demo.release_1);
        // The working tree is clean and holds the fork's files.
        let statuses = repo.statuses(None).unwrap();
        assert!(
            statuses.iter().all(|s| s.status().is_ignored()),
            "working tree not clean"
        );
        for (path, content) in fork_files() {
            assert_eq!(std::fs::read(dir.join(&path)).unwrap(), content, "{path}");
        }
    }

    #[test]
    fn demo_history_is_identical_on_every_run() {
        let tmp = tempfile::tempdir().unwrap();
        let a = write_demo(&tmp.path().join("a")).unwrap();
        let b = write_demo(&tmp.path().join("b")).unwrap();
        assert_eq!(a.release_2, b.release_2);
        assert_eq!(a.local_head, b.local_head);
    }

    #[test]
    fn demo_refuses_a_non_empty_folder() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("keep.txt"), "mine").unwrap();
        assert!(matches!(
            write_demo(tmp.path()),
            Err(DemoError::NotEmpty { .. })
        ));
        assert_eq!(
            std::fs::read_to_string(tmp.path().join("keep.txt")).unwrap(),
            "mine"
        );
    }
}

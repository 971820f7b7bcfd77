//! Throwaway repositories for the unit tests. libgit2's config search paths point at an empty
//! folder, so the developer's own `~/.gitconfig` (identity, autocrlf, hooks) cannot leak in.

use super::Repo;
use git2::{Oid, Repository, RepositoryInitOptions};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Points libgit2's global, XDG, system and ProgramData config at an empty folder (once per
/// process).
pub fn isolate_git_config() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let empty =
            std::env::temp_dir().join(format!("prowl-fork-empty-config-{}", std::process::id()));
        std::fs::create_dir_all(&empty).expect("create the empty config folder");
        for level in [
            git2::ConfigLevel::Global,
            git2::ConfigLevel::XDG,
            git2::ConfigLevel::System,
            git2::ConfigLevel::ProgramData,
        ] {
            // SAFETY: runs once, before this test touches a repository; libgit2 documents the
            // search path as process-global state.
            unsafe { git2::opts::set_search_path(level, &empty) }.expect("set search path");
        }
    });
}

pub struct TestRepo {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl TestRepo {
    /// An empty repository on an unborn `main`, with a committer identity in its own config.
    pub fn new() -> TestRepo {
        let t = TestRepo::without_identity();
        let repo = t.git2();
        let mut config = repo.config().unwrap();
        config.set_str("user.name", "Prowl Test").unwrap();
        config.set_str("user.email", "test@prowl.example").unwrap();
        t
    }

    /// An empty repository whose config names no committer.
    pub fn without_identity() -> TestRepo {
        isolate_git_config();
        let dir = tempfile::tempdir().unwrap();
        let path = std::fs::canonicalize(dir.path()).unwrap();
        Repository::init_opts(&path, RepositoryInitOptions::new().initial_head("main")).unwrap();
        TestRepo { _dir: dir, path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn open(&self) -> Repo {
        Repo::discover(&self.path).unwrap()
    }

    pub fn git2(&self) -> Repository {
        Repository::open(&self.path).unwrap()
    }

    pub fn write(&self, rel: &str, content: &str) {
        self.write_bytes(rel, content.as_bytes());
    }

    pub fn write_bytes(&self, rel: &str, content: &[u8]) {
        let p = self.path.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }

    pub fn read(&self, rel: &str) -> Option<String> {
        std::fs::read_to_string(self.path.join(rel)).ok()
    }

    pub fn remove(&self, rel: &str) {
        std::fs::remove_file(self.path.join(rel)).unwrap();
    }

    /// Stages everything (additions, changes, deletions) and commits it with git2.
    pub fn commit_all(&self, message: &str) -> Oid {
        let repo = self.git2();
        let mut index = repo.index().unwrap();
        index
            .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
            .unwrap();
        index.update_all(["*"], None).unwrap();
        index.write().unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let sig = git2::Signature::now("Prowl Test", "test@prowl.example").unwrap();
        let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
            .unwrap()
    }

    /// Runs the system `git` in the repository without the user's global config; panics with
    /// its stderr when it fails.
    pub fn git(&self, args: &[&str]) -> String {
        let out = self.git_output(args);
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs `git` without the developer's configuration and returns its output whatever the
    /// exit status (e.g. a merge expected to stop on conflicts).
    pub fn git_output(&self, args: &[&str]) -> std::process::Output {
        Command::new("git")
            .args(args)
            .current_dir(&self.path)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .expect("run git")
    }
}

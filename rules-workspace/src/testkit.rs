//! Test scaffolding shared by the unit tests and the integration tests (`tests/`): throwaway
//! git repositories and the system `git`, both kept away from the developer's own
//! configuration (identity, autocrlf, hooks, `~/.gitconfig`), so a test sees what CI sees.
//!
//! Not part of Prowl's API (hidden from the documentation): helpers here panic on failure,
//! as tests want.

use crate::fork::Repo;
use git2::{Oid, Repository, RepositoryInitOptions};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// An empty folder used as HOME and config home for `git` and `prowl` in tests (one per
/// process).
pub fn empty_home() -> PathBuf {
    let p = std::env::temp_dir().join(format!("prowl-test-home-{}", std::process::id()));
    std::fs::create_dir_all(&p).expect("create the empty home folder");
    p
}

/// Points libgit2's global, XDG, system and ProgramData config at an empty folder (once per
/// process).
pub fn isolate_git_config() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let empty = empty_home();
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

/// `cmd` without the user's or the system's configuration (git's and Prowl's colours).
pub fn isolated(cmd: &mut Command) -> &mut Command {
    cmd.env("HOME", empty_home())
        .env("XDG_CONFIG_HOME", empty_home())
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("NO_COLOR", "1")
}

/// Runs the system `git` in `dir`, isolated, whatever its exit status (e.g. a merge expected
/// to stop on conflicts).
pub fn git_output(dir: &Path, args: &[&str]) -> Output {
    isolated(Command::new("git").args(args).current_dir(dir))
        .output()
        .expect("run git")
}

/// Runs the system `git` in `dir`, isolated; panics with its stderr when it fails.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = git_output(dir, args);
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs `git` in `dir` with `stdin` as its input; panics with stderr on failure.
pub fn git_with_input(dir: &Path, args: &[&str], stdin: &str) {
    use std::io::Write;
    let mut child = isolated(Command::new("git").args(args).current_dir(dir))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run git");
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(stdin.as_bytes())
        .expect("write git's input");
    let out = child.wait_with_output().expect("wait for git");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}\ninput:\n{stdin}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A throwaway repository in a temporary folder (removed when dropped).
pub struct TestRepo {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl TestRepo {
    /// An empty repository on an unborn `main`, with a committer identity in its own config.
    #[allow(clippy::new_without_default)] // a repository on disk is not a default value
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

    /// The repository's working tree (canonical).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The repository as Prowl opens it.
    pub fn open(&self) -> Repo {
        Repo::discover(&self.path).unwrap()
    }

    /// The repository as libgit2 opens it.
    pub fn git2(&self) -> Repository {
        Repository::open(&self.path).unwrap()
    }

    /// Writes a file (folders created).
    pub fn write(&self, rel: &str, content: &str) {
        self.write_bytes(rel, content.as_bytes());
    }

    /// Writes a file's bytes (folders created).
    pub fn write_bytes(&self, rel: &str, content: &[u8]) {
        let p = self.path.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }

    /// A file's text, if it exists.
    pub fn read(&self, rel: &str) -> Option<String> {
        std::fs::read_to_string(self.path.join(rel)).ok()
    }

    /// Removes a file.
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

    /// Runs the system `git` in the repository, isolated; panics with its stderr when it fails.
    pub fn git(&self, args: &[&str]) -> String {
        git(&self.path, args)
    }

    /// Runs `git` in the repository, isolated, whatever its exit status.
    pub fn git_output(&self, args: &[&str]) -> Output {
        git_output(&self.path, args)
    }
}

/// Copies the folder `from` (files and folders, recursively) to `to`, made if missing.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

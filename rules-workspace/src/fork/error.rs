//! The one error type of the `fork` module.

use crate::error::{Location, UserError};
use std::path::PathBuf;

/// Why a git operation failed.
///
/// `Display` says what happened and where; as a [`UserError`] it has a stable code
/// (`git.<name>`) a front end can switch on and a hint with the next step.
#[derive(Debug, thiserror::Error)]
pub enum ForkError {
    /// The folder to open, or the local repository to clone, does not exist.
    #[error("{path}: no such file or folder")]
    PathMissing {
        /// The path as the caller gave it.
        path: PathBuf,
    },
    /// No repository holds the folder (opening), or the local clone source is not one.
    #[error("{path} is not inside a git repository")]
    NotARepository {
        /// The path as the caller gave it.
        path: PathBuf,
    },
    /// The repository found has no working tree (`git init --bare`), so nothing to show.
    #[error("{path} is a bare repository: it has no working tree to show or change")]
    BareRepository {
        /// The repository's git folder.
        path: PathBuf,
    },
    /// The working tree or its `.git` was deleted or moved after [`Repo`](super::Repo) opened it.
    #[error("the repository's folder {path} is gone (deleted or moved while open)")]
    WorkdirGone {
        /// The working tree's root as it was when opened (canonical).
        path: PathBuf,
    },
    /// A path or URL that can never name a file here: empty, not UTF-8, into `.git`, through
    /// a symbolic link, a URL without a host, a nested repository for discard.
    #[error("`{path}`: {reason}")]
    InvalidPath {
        /// The path or URL as the caller gave it.
        path: String,
        /// Why it is refused, a lowercase clause that follows the path in the message.
        reason: &'static str,
    },
    /// A path that leaves the working tree (`..` above the root, or an absolute path elsewhere).
    #[error("`{path}` is outside the repository at {workdir}")]
    PathOutsideWorkdir {
        /// The path as the caller gave it.
        path: String,
        /// The working tree's root (canonical).
        workdir: PathBuf,
    },
    /// A path to stage, unstage, discard or diff that none of working tree, index and HEAD has.
    #[error("`{path}`: no such file in the working tree, the index or HEAD")]
    PathNotFound {
        /// The path as the caller gave it.
        path: String,
    },
    /// A diff was asked for a folder (or the working tree's root).
    #[error("`{path}` is a folder; a diff is shown for one file")]
    NotAFile {
        /// The path as the caller gave it.
        path: String,
    },
    /// The commit message is empty once git's cleanup removed trailing spaces and blank lines.
    #[error("the commit message is empty")]
    EmptyMessage,
    /// The commit message has a NUL byte, which a git commit object cannot hold.
    #[error("the commit message contains a NUL character")]
    InvalidMessage,
    /// The index equals HEAD's tree (or is empty before the first commit) outside a merge.
    #[error("nothing staged to commit")]
    NothingStaged,
    /// No `user.name` or `user.email` in the repository's or the global git config.
    #[error("git does not know who is committing: {detail}")]
    MissingIdentity {
        /// libgit2's message.
        detail: String,
    },
    /// A commit, or a discard of conflicted files, while the index still holds merge conflicts.
    #[error("unresolved conflicts in {}", paths.join(", "))]
    UnresolvedConflicts {
        /// The conflicted files, relative to the working tree's root.
        paths: Vec<String>,
    },
    /// A checkout, or a commit, while git has an unfinished operation (a commit is allowed
    /// during a merge, not during a rebase, cherry-pick, revert, bisect or `am`).
    #[error("a {operation} is in progress in this repository")]
    OperationInProgress {
        /// The operation's name, as in [`Status::operation`](super::Status::operation).
        operation: String,
    },
    /// Checkout of a branch that is not a local branch (remote-tracking names do not count).
    #[error("no local branch named `{name}`")]
    BranchNotFound {
        /// The name as the caller gave it.
        name: String,
        /// The local branches there are, sorted, for the hint.
        available: Vec<String>,
    },
    /// Checkout stopped before touching anything: it would overwrite uncommitted changes or
    /// untracked files.
    #[error(
        "checking out `{branch}` would overwrite uncommitted changes in: {}",
        paths.join(", ")
    )]
    CheckoutConflicts {
        /// The branch the caller asked for.
        branch: String,
        /// Every path in the way, sorted, relative to the working tree's root.
        paths: Vec<String>,
    },
    /// A clone URL with a transport this build lacks (ssh, scp-like `host:path`, a `file://`
    /// URL on another host).
    #[error("cannot clone `{url}`: {scheme} URLs are not supported (this build of Prowl speaks HTTPS, not ssh)")]
    UnsupportedUrl {
        /// The URL as the caller gave it.
        url: String,
        /// The URL's scheme as written, `ssh` for scp-like `host:path`, or a phrase for a
        /// `file://` URL naming another host; the message appends " URLs are not supported".
        scheme: String,
    },
    /// A clone over the network failed in the transfer (unreachable, refused, not found,
    /// authentication required, TLS).
    #[error("cannot clone `{url}`: {message}")]
    Remote {
        /// The `http(s)://` URL being cloned.
        url: String,
        /// libgit2's message.
        message: String,
        /// The server asked for credentials (libgit2's `Auth` code); Prowl sends none, so the
        /// hint points at `git clone`, which has the user's credential helper.
        auth: bool,
    },
    /// The clone's destination is a file or a folder with something in it.
    #[error("{path} exists and is not an empty folder")]
    DestinationNotEmpty {
        /// The destination as the caller gave it.
        path: PathBuf,
    },
    /// Reading or writing a file failed outside libgit2 (canonicalizing, `MERGE_HEAD`,
    /// deleting a discarded file, preparing a clone's folder).
    #[error("{path}: {source}")]
    Io {
        /// The file or folder on disk.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// Another git program holds `.git/index.lock` or a ref lock (libgit2's `Locked` code).
    #[error("the repository is locked: {detail}")]
    Locked {
        /// libgit2's message, which names the lock file.
        detail: String,
    },
    /// A tree to write out is over the size or file-count limit (a snapshot for an audit).
    #[error("the tree of {commit} is too large to write out: {what}")]
    TreeTooLarge {
        /// The commit.
        commit: String,
        /// Which limit, with the numbers.
        what: String,
    },
    /// Any other libgit2 failure, with libgit2's message; no hint.
    #[error("git: {}", .0.message())]
    Git(git2::Error),
}

impl From<git2::Error> for ForkError {
    fn from(e: git2::Error) -> Self {
        match e.code() {
            // Another git program (a terminal, an editor) holds `.git/index.lock` or a ref lock.
            git2::ErrorCode::Locked => ForkError::Locked {
                detail: e.message().to_owned(),
            },
            _ => ForkError::Git(e),
        }
    }
}

impl UserError for ForkError {
    fn family(&self) -> &'static str {
        "git"
    }

    /// A stable, snake_case name for the kind of error.
    fn name(&self) -> &'static str {
        match self {
            ForkError::PathMissing { .. } => "path_missing",
            ForkError::NotARepository { .. } => "not_a_repository",
            ForkError::BareRepository { .. } => "bare_repository",
            ForkError::WorkdirGone { .. } => "workdir_gone",
            ForkError::InvalidPath { .. } => "invalid_path",
            ForkError::PathOutsideWorkdir { .. } => "path_outside_workdir",
            ForkError::PathNotFound { .. } => "path_not_found",
            ForkError::NotAFile { .. } => "not_a_file",
            ForkError::EmptyMessage => "empty_message",
            ForkError::InvalidMessage => "invalid_message",
            ForkError::NothingStaged => "nothing_staged",
            ForkError::MissingIdentity { .. } => "missing_identity",
            ForkError::UnresolvedConflicts { .. } => "unresolved_conflicts",
            ForkError::OperationInProgress { .. } => "operation_in_progress",
            ForkError::BranchNotFound { .. } => "branch_not_found",
            ForkError::CheckoutConflicts { .. } => "checkout_conflicts",
            ForkError::UnsupportedUrl { .. } => "unsupported_url",
            ForkError::Remote { .. } => "remote",
            ForkError::DestinationNotEmpty { .. } => "destination_not_empty",
            ForkError::Locked { .. } => "locked",
            ForkError::Io { .. } => "io",
            ForkError::TreeTooLarge { .. } => "tree_too_large",
            ForkError::Git(_) => "git",
        }
    }

    /// The next step for the user, when there is one.
    fn hint(&self) -> Option<String> {
        let hint = match self {
            ForkError::PathMissing { .. } => "check the path; open the repository's folder",
            ForkError::NotARepository { .. } => {
                "run `git init` there, or open the repository's folder"
            }
            ForkError::BareRepository { .. } => "clone it to get a working tree, and open that",
            ForkError::WorkdirGone { .. } => "reopen the workspace from where it is now",
            ForkError::InvalidPath { .. } => "give a path inside the repository's working tree",
            ForkError::PathOutsideWorkdir { .. } => {
                "give a path relative to the repository's root, or an absolute path inside it"
            }
            ForkError::PathNotFound { .. } => "check the spelling; paths are relative to the repository's root",
            ForkError::NotAFile { .. } => "pick a file inside the folder",
            ForkError::EmptyMessage | ForkError::InvalidMessage => {
                "write a message that says what the commit changes"
            }
            ForkError::NothingStaged => "stage the changes to commit first",
            ForkError::MissingIdentity { .. } => {
                "set it with `git config user.name \"Your Name\"` and `git config user.email you@example.com` (add --global for every repository)"
            }
            ForkError::UnresolvedConflicts { .. } => {
                "resolve each file, then stage it (or unstage it to go back to HEAD's version)"
            }
            ForkError::OperationInProgress { .. } => {
                "finish it (commit) or abort it with git before switching branches"
            }
            ForkError::BranchNotFound { available, .. } => {
                return Some(if available.is_empty() {
                    "the repository has no local branches yet".to_owned()
                } else {
                    format!("local branches: {}", available.join(", "))
                });
            }
            ForkError::CheckoutConflicts { .. } => {
                "commit or discard those changes first (git operations never drop your edits)"
            }
            ForkError::UnsupportedUrl { .. } => {
                "use the repository's https:// URL, or clone it with `git clone URL DEST` and open the folder"
            }
            ForkError::DestinationNotEmpty { .. } => "choose a new or empty folder",
            ForkError::Locked { .. } => {
                "another git program is working on this repository: try again when it is done (if none is running, delete the stale .git/index.lock)"
            }
            ForkError::Remote { auth: true, .. } => {
                "the server asks for credentials: for a private repository, clone it with `git clone URL DEST` (which uses your credentials) and open the folder"
            }
            ForkError::Remote { .. } => {
                "check the URL and the network connection (libgit2 takes a proxy from the http_proxy/https_proxy variables)"
            }
            ForkError::TreeTooLarge { .. } => {
                "audit a smaller branch, or raise the limits (`prowl audit --max-size`, `--max-files`)"
            }
            ForkError::Io { .. } | ForkError::Git(_) => return None,
        };
        Some(hint.to_owned())
    }

    fn location(&self) -> Option<Location> {
        match self {
            ForkError::PathMissing { path }
            | ForkError::NotARepository { path }
            | ForkError::BareRepository { path }
            | ForkError::WorkdirGone { path }
            | ForkError::DestinationNotEmpty { path }
            | ForkError::Io { path, .. } => Some(Location::file(path)),
            _ => None,
        }
    }
}

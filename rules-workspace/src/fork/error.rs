//! The one error type of the `fork` module.

use crate::error::{Location, UserError};
use std::path::PathBuf;

/// Why a git operation failed.
///
/// `Display` says what happened and where; as a [`UserError`] it has a stable code
/// (`git.<name>`) a front end can switch on and a hint with the next step.
#[derive(Debug, thiserror::Error)]
pub enum ForkError {
    #[error("{path}: no such file or folder")]
    PathMissing { path: PathBuf },
    #[error("{path} is not inside a git repository")]
    NotARepository { path: PathBuf },
    #[error("{path} is a bare repository: it has no working tree to show or change")]
    BareRepository { path: PathBuf },
    #[error("the repository's folder {path} is gone (deleted or moved while open)")]
    WorkdirGone { path: PathBuf },
    #[error("`{path}`: {reason}")]
    InvalidPath { path: String, reason: &'static str },
    #[error("`{path}` is outside the repository at {workdir}")]
    PathOutsideWorkdir { path: String, workdir: PathBuf },
    #[error("`{path}`: no such file in the working tree, the index or HEAD")]
    PathNotFound { path: String },
    #[error("`{path}` is a folder; a diff is shown for one file")]
    NotAFile { path: String },
    #[error("the commit message is empty")]
    EmptyMessage,
    #[error("the commit message contains a NUL character")]
    InvalidMessage,
    #[error("nothing staged to commit")]
    NothingStaged,
    #[error("git does not know who is committing: {detail}")]
    MissingIdentity { detail: String },
    #[error("unresolved conflicts in {}", paths.join(", "))]
    UnresolvedConflicts { paths: Vec<String> },
    #[error("a {operation} is in progress in this repository")]
    OperationInProgress { operation: String },
    #[error("no local branch named `{name}`")]
    BranchNotFound {
        name: String,
        available: Vec<String>,
    },
    #[error(
        "checking out `{branch}` would overwrite uncommitted changes in: {}",
        paths.join(", ")
    )]
    CheckoutConflicts { branch: String, paths: Vec<String> },
    #[error("cannot clone `{url}`: {scheme} URLs are not supported (this build of Prowl speaks HTTPS, not ssh)")]
    UnsupportedUrl { url: String, scheme: String },
    /// A clone over the network failed in the transfer (unreachable, refused, not found,
    /// authentication required, TLS).
    #[error("cannot clone `{url}`: {message}")]
    Remote {
        url: String,
        message: String,
        auth: bool,
    },
    #[error("{path} exists and is not an empty folder")]
    DestinationNotEmpty { path: PathBuf },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the repository is locked: {detail}")]
    Locked { detail: String },
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

//! The one error type commands return: what the UI shows (message, place, next step).

use rules_workspace::session::SessionError;
use rules_workspace::workspace::save::SaveError;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    NotFound,
    Conflict,
    Invalid,
    Engine,
    Git,
    Io,
    NoWorkspace,
}

/// An error as the front end receives it (`invoke` rejects with this object).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AppError {
    pub kind: ErrorKind,
    pub message: String,
    pub hint: Option<String>,
    pub path: Option<String>,
    pub line: Option<u32>,
}

impl AppError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> AppError {
        AppError {
            kind,
            message: message.into(),
            hint: None,
            path: None,
            line: None,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> AppError {
        self.hint = Some(hint.into());
        self
    }

    pub fn at(mut self, path: impl Into<String>) -> AppError {
        self.path = Some(path.into());
        self
    }

    pub fn no_workspace() -> AppError {
        AppError::new(ErrorKind::NoWorkspace, "no workspace is open")
            .hint("open a folder, the demo, or clone a fork from the start screen")
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<SessionError> for AppError {
    fn from(e: SessionError) -> AppError {
        use rules_workspace::workspace::WorkspaceError as W;
        match &e {
            SessionError::Workspace(W::NotFound { path } | W::NotADirectory { path }) => {
                AppError::new(ErrorKind::NotFound, e.to_string())
                    .at(path.display().to_string())
                    .hint("choose the folder of your panther-analysis fork")
            }
            SessionError::Workspace(W::Io { path, .. }) => {
                AppError::new(ErrorKind::Io, e.to_string()).at(path.display().to_string())
            }
            SessionError::Engine(_) => AppError::new(ErrorKind::Engine, e.to_string()),
            SessionError::NoWorkspace => AppError::no_workspace(),
        }
    }
}

impl From<SaveError> for AppError {
    fn from(e: SaveError) -> AppError {
        let kind = match &e {
            SaveError::Conflict { .. } => ErrorKind::Conflict,
            SaveError::NotFound { .. } => ErrorKind::NotFound,
            SaveError::TooLarge { .. } | SaveError::NotText { .. } => ErrorKind::Invalid,
            SaveError::Io { .. } => ErrorKind::Io,
        };
        let path = match &e {
            SaveError::Conflict { path }
            | SaveError::NotFound { path }
            | SaveError::TooLarge { path, .. }
            | SaveError::NotText { path }
            | SaveError::Io { path, .. } => path.display().to_string(),
        };
        let hint = e.hint();
        let mut out = AppError::new(kind, e.to_string()).at(path);
        out.hint = hint.map(str::to_owned);
        out
    }
}

impl From<rules_workspace::fork::ForkError> for AppError {
    fn from(e: rules_workspace::fork::ForkError) -> AppError {
        let mut out = AppError::new(ErrorKind::Git, e.to_string());
        out.hint = e.hint();
        out
    }
}

impl From<rules_workspace::spec::edit::EditError> for AppError {
    fn from(e: rules_workspace::spec::edit::EditError) -> AppError {
        AppError::new(ErrorKind::Invalid, e.to_string())
            .hint("fix the spec as text, or undo the last edit")
    }
}

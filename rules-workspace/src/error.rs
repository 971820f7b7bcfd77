//! One shape for every error a user sees, in the terminal or in the window.
//!
//! Each module keeps its own `thiserror` enum (with the file and line where there is one) and
//! implements [`UserError`] for it: a stable, namespaced `code` (`file.conflict`,
//! `git.nothing_staged`, `edit.parse`, …) that front ends switch on, never the message text; the
//! message (its `Display`); an optional `hint` with the next step; and a [`Location`] when the
//! error is about a place in a file. [`ErrorInfo`] is that shape as data: the desktop app
//! receives it as the rejection of a command, and the command line renders the same fields
//! (`error: …`, ` --> file:line:column`, `hint: …`).
//!
//! Codes are `<family>.<name>` in snake_case; a family is a module (`workspace`, `file`, `git`,
//! `edit`, `env`, `engine`, `demo`, `filter`, `session`) or an edge (`cli`, `shell`).

use serde::Serialize;
use std::path::Path;
use ts_rs::TS;

/// Where an error is: a file, and the line and column when known (1-based).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct Location {
    /// The file (absolute, or as the user named it); `None` for the text a command was given
    /// (a buffer of the window's), whose file the caller knows.
    pub file: Option<String>,
    /// 1-based line.
    pub line: Option<u32>,
    /// 1-based column (characters).
    pub column: Option<u32>,
}

impl Location {
    /// A whole file.
    pub fn file(path: &Path) -> Location {
        Location {
            file: Some(path.display().to_string()),
            line: None,
            column: None,
        }
    }

    /// A line (and column) of a file.
    pub fn at(path: &Path, line: u32, column: Option<u32>) -> Location {
        Location {
            file: Some(path.display().to_string()),
            line: Some(line),
            column,
        }
    }
}

/// An error as a user sees it: what the window receives when a command fails, and what the
/// command line prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ErrorInfo {
    /// Stable and namespaced (`file.conflict`): what a front end switches on.
    pub code: String,
    /// What happened, and where.
    pub message: String,
    /// The next step, when there is one.
    pub hint: Option<String>,
    /// The place in a file the error is about.
    pub location: Option<Location>,
}

impl ErrorInfo {
    /// An error without a module enum behind it (argument checks at an edge).
    pub fn new(code: &str, message: impl Into<String>) -> ErrorInfo {
        ErrorInfo {
            code: code.to_owned(),
            message: message.into(),
            hint: None,
            location: None,
        }
    }

    /// With a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> ErrorInfo {
        self.hint = Some(hint.into());
        self
    }

    /// With a location.
    pub fn at(mut self, location: Location) -> ErrorInfo {
        self.location = Some(location);
        self
    }

    /// The location as `file:line:column` (or the parts that are known; `line N` without a
    /// file).
    pub fn place(&self) -> Option<String> {
        let l = self.location.as_ref()?;
        let file = l.file.as_deref();
        Some(match (file, l.line, l.column) {
            (Some(f), Some(line), Some(col)) => format!("{f}:{line}:{col}"),
            (Some(f), Some(line), None) => format!("{f}:{line}"),
            (Some(f), None, _) => f.to_owned(),
            (None, Some(line), Some(col)) => format!("line {line}, column {col}"),
            (None, Some(line), None) => format!("line {line}"),
            (None, None, _) => return None,
        })
    }

    /// Names the file of a location that had none (the caller knows which file the text was).
    pub fn in_file(mut self, path: &Path) -> ErrorInfo {
        let file = Some(path.display().to_string());
        match &mut self.location {
            Some(l) if l.file.is_none() => l.file = file,
            Some(_) => {}
            None => self.location = Some(Location::file(path)),
        }
        self
    }

    /// "No workspace is open": a command needs one.
    pub fn no_workspace() -> ErrorInfo {
        ErrorInfo::new("session.no_workspace", "no workspace is open")
            .with_hint("open a folder, the demo, or clone a fork from the start screen")
    }
}

impl std::fmt::Display for ErrorInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// An error a user can be shown: implemented by every module's error enum.
pub trait UserError: std::error::Error {
    /// The code's family (the module): `git`, `file`, `edit`, ….
    fn family(&self) -> &'static str;

    /// The error's name within its family, snake_case and stable.
    fn name(&self) -> &'static str;

    /// The next step for the user, when there is one.
    fn hint(&self) -> Option<String> {
        None
    }

    /// The place in a file the error is about.
    fn location(&self) -> Option<Location> {
        None
    }

    /// The full code: `family.name`.
    fn code(&self) -> String {
        format!("{}.{}", self.family(), self.name())
    }

    /// The error as data.
    fn info(&self) -> ErrorInfo {
        ErrorInfo {
            code: self.code(),
            message: self.to_string(),
            hint: self.hint(),
            location: self.location(),
        }
    }
}

impl<E: UserError> From<E> for ErrorInfo {
    fn from(e: E) -> ErrorInfo {
        e.info()
    }
}

/// An I/O error on a file, for the few places that have no module enum of their own.
pub fn io_error(path: &Path, e: &std::io::Error) -> ErrorInfo {
    let name = match e.kind() {
        std::io::ErrorKind::NotFound => "not_found",
        std::io::ErrorKind::PermissionDenied => "permission_denied",
        _ => "io",
    };
    ErrorInfo::new(&format!("file.{name}"), format!("{}: {e}", path.display()))
        .at(Location::file(path))
}

/// What a test edit looks like, for hints (`prowl tests edit --edit`).
pub(crate) const EDIT_EXAMPLE: &str = r#"pass one JSON object, e.g. --edit '{"kind": "add", "test": {"Name": "Root login", "ExpectedResult": true, "Log": {"eventName": "ConsoleLogin"}}}'"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("line {line}: bad")]
    struct Bad {
        line: u32,
    }

    impl UserError for Bad {
        fn family(&self) -> &'static str {
            "edit"
        }
        fn name(&self) -> &'static str {
            "bad"
        }
        fn hint(&self) -> Option<String> {
            Some("fix it".into())
        }
        fn location(&self) -> Option<Location> {
            Some(Location::at(Path::new("/w/a.yml"), self.line, Some(3)))
        }
    }

    #[test]
    fn a_module_error_becomes_the_one_shape_with_a_namespaced_code() {
        let info: ErrorInfo = Bad { line: 7 }.into();
        assert_eq!(info.code, "edit.bad");
        assert_eq!(info.message, "line 7: bad");
        assert_eq!(info.hint.as_deref(), Some("fix it"));
        assert_eq!(info.place().as_deref(), Some("/w/a.yml:7:3"));
        let json = serde_json::to_value(&info).unwrap();
        assert_eq!(json["location"]["line"], 7);
        assert_eq!(json["code"], "edit.bad");
    }

    #[test]
    fn io_errors_are_named_by_their_kind() {
        let e = std::io::Error::from(std::io::ErrorKind::NotFound);
        assert_eq!(io_error(Path::new("/x"), &e).code, "file.not_found");
    }
}

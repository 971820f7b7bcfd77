//! Problems found in a workspace: what, where (file, line, column), PAT's own wording, and a
//! hint with the next step.
//!
//! `message` is exactly what PAT prints for the same problem (so users and the differential
//! tests can compare); `summary` is Prowl's one-line reading of it for people.

use crate::spec::Span;
use serde::Serialize;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A stable identifier per kind of problem, for the UI and for machines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
pub enum Code {
    /// Not YAML, or not text.
    YamlSyntax,
    /// The file could not be read at all.
    Unreadable,
    /// `AnalysisType` missing or unknown.
    AnalysisType,
    MissingKey,
    UnknownKey,
    /// A value of the wrong type or with a disallowed value (PAT's `schema` layer).
    InvalidValue,
    /// Two keys of an exactly-one-of pair are both present.
    ExclusiveKeys,
    /// PAT's JSON-Schema layer.
    JsonSchema,
    DuplicateId,
    DuplicateValues,
    TableNames,
    PackMemberMissing,
    /// `Filename` points at nothing, a directory, or outside the workspace.
    CodeFile,
    /// `DedupPeriodMinutes` that the backend will ignore or raise.
    DedupPeriod,
    /// A scheduled rule naming a scheduled query the workspace does not have.
    ScheduledQueryMissing,
    /// A derived detection whose base is not in the workspace.
    BaseDetectionMissing,
    /// A key written twice in one mapping (PAT keeps the last one silently).
    DuplicateKey,
    /// Two enabled data models claim the same log type.
    DataModelConflict,
    /// A detection's Python does not compile (PAT reports the detection as invalid when it
    /// tries to load it for its tests).
    PythonSyntax,
}

/// One problem, with its place.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: Code,
    /// Absolute path of the file.
    pub file: PathBuf,
    /// Path relative to the workspace root, with `/` separators.
    pub rel_path: String,
    /// Line and column of the offending key or value (1-based), when known.
    pub span: Option<Span>,
    /// One line for people.
    pub summary: String,
    /// PAT's exact text for this problem (what `pat test` prints under "Invalid Tests Summary"
    /// or logs as a warning). Empty for checks PAT does not make.
    pub message: String,
    pub hint: Option<String>,
    /// Whether PAT reports this problem too (errors it reports make `pat test` exit 1).
    pub pat: bool,
}

impl Diagnostic {
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

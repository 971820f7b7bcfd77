//! Problems found in a workspace: what, where (file, line, column), PAT's own wording, and a
//! hint with the next step.
//!
//! `message` is exactly what PAT prints for the same problem (so users and the differential
//! tests can compare); `summary` is Prowl's one-line reading of it for people.

use crate::spec::Span;
use serde::Serialize;
use std::path::PathBuf;

/// How bad a problem is. Ordered so that errors sort before warnings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The item is invalid: PAT skips it, and `prowl validate` exits 1.
    Error,
    /// Worth fixing, but nothing fails: what PAT only logs, or Prowl's own advice.
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
    /// A required key of the item's schema is absent (PAT's `Missing key(s)`).
    MissingKey,
    /// A key the schema does not know, refused unless `--ignore-extra-keys` allows it.
    UnknownKey,
    /// A value of the wrong type or with a disallowed value (PAT's `schema` layer).
    InvalidValue,
    /// Two keys of an exactly-one-of pair are both present.
    ExclusiveKeys,
    /// PAT's JSON-Schema layer.
    JsonSchema,
    /// A second item with an ID already taken; IDs share one namespace across types.
    DuplicateId,
    /// A list that must not repeat a value does (`Tags` ignoring case, among others).
    DuplicateValues,
    /// A scheduled query reads tables that are not fully qualified Panther tables.
    TableNames,
    /// A pack's `PackDefinition.IDs` names items the workspace (or the selection) lacks.
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
    /// A match expression (Simple Detection, InlineFilters, correlation rule) Panther's server
    /// would refuse or that can never do what it says (checked by Prowl's compiler only).
    MatchExpression,
}

/// One problem, with its place.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The kind of problem, stable across releases.
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
    /// The next step for the user, when Prowl has one.
    pub hint: Option<String>,
    /// Whether PAT reports this problem too (errors it reports make `pat test` exit 1).
    pub pat: bool,
}

impl Diagnostic {
    /// Whether the problem makes the item invalid (and `prowl validate` exit 1).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

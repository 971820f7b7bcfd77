//! The messages between Prowl and a worker, as types: every request Prowl sends
//! ([`Request`]) and every answer the Python side gives back ([`LoadAnswer`],
//! [`DetectionResult`], [`GlobalTraits`], [`PythonCheck`], [`PingAnswer`], [`StaticAudit`]).
//!
//! On the wire each message is one JSON object in a frame (see [`super::protocol`]). A request
//! carries its operation in `op`; the worker's dispatcher (`python/prowl_worker.py`) answers
//! `{"ok": <answer>}`, or `{"error": {type, message, traceback}}` when the handler itself
//! failed ([`Reply`]). The answers' field names and order are the harness's
//! (`python/prowl_harness.py`), and the types serialise back to exactly that JSON: the
//! `--format json` report of `prowl test` and the desktop app's results are these types.
//!
//! Invariant: a field the harness adds or renames makes decoding fail loudly (a protocol
//! error naming the field), never a silent empty string.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use ts_rs::TS;

/// A request to a worker, tagged by its `op`.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    /// Which interpreter and packages the worker runs with (tests, `prowl env check`).
    Ping,
    /// Prepares the worker for a run: global helpers, data models, destinations.
    LoadWorkspace(LoadWorkspace),
    /// Builds one detection and runs its unit tests.
    RunDetection(RunDetection),
    /// Which global helpers tie the detections importing them to one worker.
    AnalyzeGlobals {
        /// The helpers to read (their files are parsed, never run).
        globals: Vec<GlobalFile>,
    },
    /// Compiles a Python buffer as its file would be (nothing runs).
    CheckPython {
        /// The file the text would be saved as (the place in a syntax error).
        path: PathBuf,
        /// The unsaved text.
        text: String,
    },
    /// Reads Python files' syntax trees for `prowl audit` (nothing is imported or run).
    AuditStatic(AuditStatic),
    /// Runs one batch of a replay's events through the detections prepared at load
    /// (`python/prowl_replay.py`).
    ReplayBatch(ReplayBatch),
    /// Removes the worker's temp folder and forgets its globals, before it exits.
    Shutdown,
}

/// `audit_static`: the files of a pack to read (see `python/prowl_audit.py`).
#[derive(Debug, Clone, Serialize)]
pub struct AuditStatic {
    /// The pack's folder.
    pub root: PathBuf,
    /// Python files, relative to `root` with `/` separators.
    pub files: Vec<String>,
    /// The pack's global helper IDs (checked against the standard library's module names).
    pub modules: Vec<String>,
    /// String and bytes literals longer than this are large embedded data.
    pub max_literal: usize,
    /// Files larger than this are not parsed.
    pub max_bytes: u64,
}

/// The answer to [`Request::AuditStatic`].
#[derive(Debug, Clone, Deserialize)]
pub struct StaticAudit {
    /// One per file, in request order.
    pub files: Vec<StaticFile>,
    /// Helper ID → what it shadows (`the standard library module \`json\``).
    pub shadowing: BTreeMap<String, String>,
}

impl Answer for StaticAudit {}

/// What the syntax tree of one Python file shows.
#[derive(Debug, Clone, Deserialize)]
pub struct StaticFile {
    /// Relative to the pack's folder.
    pub path: String,
    /// Why the file could not be read or parsed.
    pub error: Option<StaticProblem>,
    /// What the code can do, by audit code.
    pub findings: Vec<StaticFinding>,
    /// Top-level `rule`/`policy` functions and whether every way out returns one constant.
    pub matchers: Vec<StaticMatcher>,
    /// Top-level functions (`destinations`, …).
    pub functions: Vec<StaticFunction>,
}

/// A file that could not be analysed, and where.
#[derive(Debug, Clone, Deserialize)]
pub struct StaticProblem {
    /// Why.
    pub message: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub col: u32,
}

/// One finding of the syntax-tree audit.
#[derive(Debug, Clone, Deserialize)]
pub struct StaticFinding {
    /// The audit code (`PA101`, …).
    pub code: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column (characters).
    pub col: u32,
    /// Why, in one line.
    pub message: String,
}

/// A `rule()` or `policy()` function.
#[derive(Debug, Clone, Deserialize)]
pub struct StaticMatcher {
    /// `rule` or `policy`.
    pub name: String,
    /// Its `def` line.
    pub line: u32,
    /// Its column.
    pub col: u32,
    /// `truthy` or `falsy` when every way out returns a constant of that truthiness.
    pub always: Option<String>,
}

/// A top-level function definition.
#[derive(Debug, Clone, Deserialize)]
pub struct StaticFunction {
    /// Its name.
    pub name: String,
    /// Its `def` line.
    pub line: u32,
    /// Its column.
    pub col: u32,
}

/// `load_workspace`: what PAT's `test_analysis` sets up before the first detection.
#[derive(Debug, Clone, Serialize)]
pub struct LoadWorkspace {
    /// The workspace root (the worker's working directory, as PAT runs from it).
    pub root: PathBuf,
    /// Global helpers, in PAT's order.
    pub globals: Vec<GlobalFile>,
    /// Data models, in PAT's order.
    pub data_models: Vec<DataModelFile>,
    /// The `--available-destination` names.
    pub available_destinations: Vec<String>,
    /// A replay's detections, built once after the helpers and models are set up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replay: Option<Vec<ReplayDetection>>,
}

/// A detection as a replay builds it (`python/prowl_replay.py`'s `prepare`).
#[derive(Debug, Clone, Serialize)]
pub struct ReplayDetection {
    /// Its ID.
    pub id: String,
    /// `rule`, `scheduled_rule` or `policy`.
    pub analysis_type: String,
    /// The Python file whose code runs (a derived detection's base's); for a Simple
    /// Detection, its spec (named in tracebacks).
    pub path: String,
    /// A Simple Detection's module, compiled by Prowl (run instead of `path`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// The rule's `InlineFilters`, compiled: panther-core applies them before `rule()`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filters: Option<serde_json::Value>,
    /// The spec's `Severity` (what `severity()` falls back to).
    pub severity: Option<String>,
    /// `DedupPeriodMinutes`.
    pub dedup_period_minutes: Option<i64>,
    /// `CreateAlert` as written.
    pub create_alert: Option<bool>,
    /// A policy's `Suppressions`: resource-ID patterns (`*` wildcards) it is not run on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suppressions: Vec<String>,
}

/// `replay_batch`: events, each with the index of its route (the detections it goes to).
#[derive(Debug, Clone, Serialize)]
pub struct ReplayBatch {
    /// Route index → detection indices (into the load's `replay` list).
    pub routes: Vec<Vec<u32>>,
    /// `[[route, event], …]`, already serialised (the reader's thread writes it once).
    pub events: Box<serde_json::value::RawValue>,
}

/// What the load answers about a replay's detections.
#[derive(Debug, Clone, Deserialize)]
pub struct ReplayPrepared {
    /// One per detection, in request order.
    pub detections: Vec<ReplayBuilt>,
    /// What their modules printed while they were built (cut).
    pub output: String,
}

/// One replay detection as it was built.
#[derive(Debug, Clone, Deserialize)]
pub struct ReplayBuilt {
    /// Its ID.
    pub id: String,
    /// Why it could not be built (it then never matches).
    pub error: Option<PyError>,
}

/// The answer to [`Request::ReplayBatch`].
#[derive(Debug, Clone, Deserialize)]
pub struct ReplayBatchAnswer {
    /// Events a detection alerted on.
    pub matches: Vec<ReplayHit>,
    /// Events a detection raised on.
    pub errors: Vec<ReplayRaised>,
    /// What the detections printed (cut).
    pub output: String,
    /// How many characters they printed in all.
    pub printed: u64,
    /// Event × detection runs.
    pub evaluated: u64,
}

impl Answer for ReplayBatchAnswer {
    fn poisons_worker(&self) -> bool {
        self.errors.iter().any(|e| e.kind == "MemoryError")
    }
}

/// An event a detection alerted on, with the alert functions' outputs (batch mode: a function
/// that raised gave its default).
#[derive(Debug, Clone, Deserialize)]
pub struct ReplayHit {
    /// The event's index in the batch.
    pub e: u32,
    /// The detection's index.
    pub d: u32,
    /// `title()` (`None` when it is not defined).
    pub title: Option<String>,
    /// The dedup string panther-core computed.
    pub dedup: Option<String>,
    /// `severity()` or the spec's.
    pub severity: Option<String>,
    /// `alert_context()` as JSON text.
    pub context: Option<String>,
    /// `destinations()`.
    pub destinations: Option<Vec<Value>>,
    /// `runbook()`.
    pub runbook: Option<String>,
    /// `description()`.
    pub description: Option<String>,
    /// `reference()`.
    pub reference: Option<String>,
    /// `unique()`.
    pub unique: Option<String>,
}

/// An event a detection's matcher raised on.
#[derive(Debug, Clone, Deserialize)]
pub struct ReplayRaised {
    /// The event's index in the batch.
    pub e: u32,
    /// The detection's index.
    pub d: u32,
    /// The exception's class.
    #[serde(rename = "type")]
    pub kind: String,
    /// `str(exception)`.
    pub message: String,
    /// Its frames, for the first few errors of each detection.
    pub traceback: Option<Vec<Frame>>,
}

/// A global helper: its ID (the module name) and its file.
#[derive(Debug, Clone, Serialize)]
pub struct GlobalFile {
    /// The `GlobalID`, imported by detections as a module of that name.
    pub id: String,
    /// The Python file (`None` when the spec names none; PAT then fails on it).
    pub path: Option<String>,
}

/// A data model as the harness binds it to its log types.
#[derive(Debug, Clone, Serialize)]
pub struct DataModelFile {
    /// The `DataModelID`.
    pub id: String,
    /// Its spec file (named in PAT's messages about it).
    pub spec_path: PathBuf,
    /// Its Python file, if it has one.
    pub path: Option<String>,
    /// `Enabled`: disabled models are not bound.
    pub enabled: Option<bool>,
    /// The log types it maps.
    pub log_types: Vec<String>,
    /// `Mappings` as written in the spec.
    pub mappings: Option<Value>,
}

/// `run_detection`: one detection and the tests to run, as PAT's `setup_run_tests` builds it.
#[derive(Debug, Clone, Serialize)]
pub struct RunDetection {
    /// The detection's ID.
    pub id: String,
    /// `rule`, `scheduled_rule` or `policy`.
    pub analysis_type: String,
    /// The spec file (named in reports).
    pub spec_path: String,
    /// `CreateAlert` as written (false blanks the alert functions' outputs, as in PAT).
    pub create_alert: Option<Value>,
    /// The Python file whose code runs (a derived detection's base's).
    pub path: Option<String>,
    /// Source text to run instead of `path` (a Simple Detection compiled by Prowl).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// The file tracebacks name for a `body` detection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_path: Option<String>,
    /// The rule's `InlineFilters`, compiled (see [`crate::matchlang`]): applied before
    /// `rule()`. Only in Prowl's local verdicts; PAT's run has none without a backend.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filters: Option<Value>,
    /// The rule's `InlineFilters` as a Panther instance transpiled them (panther-core's own
    /// filter JSON, PAT's `_backend_filters`), for tests run against an instance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend_filters: Option<Box<Value>>,
    /// The tests to run, in spec order.
    pub tests: Vec<TestCase>,
}

/// One unit test as the harness receives it: the spec's values, passed through as JSON.
#[derive(Debug, Clone, Serialize)]
pub struct TestCase {
    /// `Name`.
    pub name: Value,
    /// `ExpectedResult`.
    pub expected_result: Value,
    /// `Mocks` (a list of `{objectName, returnValue}`).
    pub mocks: Value,
    /// `Resource` (policies); PAT prefers it over `Log` when both are there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<Value>,
    /// `Log` (rules).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log: Option<Value>,
}

/// The dispatcher's envelope around every answer.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reply<A> {
    /// The handler's answer.
    Ok(A),
    /// The handler raised (a bug in the harness, or the worker out of memory).
    Error(HarnessFailure),
}

/// An exception that escaped a request handler.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HarnessFailure {
    /// The exception's class name.
    #[serde(rename = "type")]
    pub kind: String,
    /// `str(exception)`.
    pub message: String,
    /// Python's formatted traceback.
    #[serde(default)]
    pub traceback: String,
}

impl std::fmt::Display for HarnessFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

/// An answer type: decoded from a worker's frame, and able to say whether the worker that gave
/// it should be replaced (user code ran out of memory: its garbage may still be referenced).
pub trait Answer: DeserializeOwned {
    /// Whether the worker should not be trusted with more work after this answer.
    fn poisons_worker(&self) -> bool {
        false
    }
}

/// Raw JSON, for tests and tools that look at answers without a type.
impl Answer for Value {
    fn poisons_worker(&self) -> bool {
        fn walk(v: &Value) -> bool {
            match v {
                Value::Object(m) => {
                    m.get("type").and_then(Value::as_str) == Some("MemoryError")
                        || m.values().any(walk)
                }
                Value::Array(a) => a.iter().any(walk),
                _ => false,
            }
        }
        walk(self)
    }
}

/// The answer to [`Request::Ping`].
#[derive(Debug, Clone, Deserialize)]
pub struct PingAnswer {
    /// `platform.python_version()`.
    pub python: String,
    /// `sys.executable`.
    pub executable: String,
    /// panther-core's version, when it can be imported.
    pub panther_core: Option<String>,
    /// `sys.path`.
    pub path: Vec<String>,
    /// The sandbox layers in force (`namespaces=1 view=1 landlock=6 seccomp=1`, see
    /// [`super::sandbox::Layers::parse`]); `None` outside the sandbox.
    #[serde(default)]
    pub sandbox: Option<String>,
}

impl Answer for PingAnswer {}

/// Python stopped the way it would have stopped PAT's process: `sys.exit()` in a module, or an
/// exception PAT does not catch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Fatal {
    /// The exception's class name.
    #[serde(rename = "type")]
    pub kind: String,
    /// `str(exception)`.
    pub message: String,
    /// What PAT writes to stderr as it stops (may be empty).
    pub warning: String,
    /// PAT's exit code.
    pub exit_code: i64,
}

/// The answer to [`Request::LoadWorkspace`].
#[derive(Debug, Clone, Deserialize)]
pub struct LoadAnswer {
    /// What the helpers and data models printed on stdout while loading.
    pub output: String,
    /// What they printed on stderr, and PAT's log lines.
    pub stderr: String,
    /// Data models PAT would list as invalid.
    pub invalid: Vec<InvalidSpec>,
    /// Set when loading ended PAT's run.
    pub fatal: Option<Fatal>,
    /// What the helpers and data models tried while loading (see [`Attempt`]).
    #[serde(default)]
    pub attempts: Vec<Attempt>,
    /// The sandbox layers this kernel refused, and what remains, when any.
    #[serde(default)]
    pub sandbox_note: Option<String>,
    /// The replay's detections as built (when the load carried `replay`).
    #[serde(default)]
    pub replay: Option<ReplayPrepared>,
}

impl Answer for LoadAnswer {
    fn poisons_worker(&self) -> bool {
        self.fatal.as_ref().is_some_and(|f| f.kind == "MemoryError")
    }
}

/// A spec PAT reports in its "Invalid Tests Summary".
#[derive(Debug, Clone, Deserialize)]
pub struct InvalidSpec {
    /// The spec file.
    pub spec_path: Option<String>,
    /// PAT's message.
    pub message: String,
}

/// The answer to [`Request::RunDetection`]: the detection and every test's verdict.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct DetectionResult {
    /// The detection's ID.
    pub id: String,
    /// Its spec file.
    pub spec_path: Option<String>,
    /// What the module printed on stdout when it was loaded.
    pub module_output: String,
    /// What it printed on stderr (and log lines) when it was loaded.
    pub module_stderr: String,
    /// The matcher function's name: `rule` or `policy`.
    pub matcher: String,
    /// The detection could not be built (syntax error, import error, …): no test ran.
    pub setup_error: Option<PyError>,
    /// Loading it ended PAT's run (see [`Fatal`]).
    pub fatal: Option<Fatal>,
    /// Each test's result, in spec order.
    pub results: Vec<UnitTestResult>,
    /// Time the worker spent on this detection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub elapsed_ms: Option<f64>,
    /// What the detection's module tried when it was loaded (see [`Attempt`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<Vec<Attempt>>", optional)]
    pub attempts: Vec<Attempt>,
    /// Set when Prowl evaluated these tests itself where PAT needs a Panther backend: what
    /// was evaluated locally (see [`LocalKind`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub local: Option<LocalKind>,
}

/// What Prowl evaluated locally that PAT only tests through a Panther backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum LocalKind {
    /// A Simple Detection (`Detection:` in YAML).
    SimpleDetection,
    /// A Python rule run with its `InlineFilters` applied.
    InlineFilters,
    /// A correlation rule (`Group` / `Sequence`) on its tests' `RuleOutputs`.
    CorrelationRule,
}

impl LocalKind {
    /// How reports name it.
    pub fn label(self) -> &'static str {
        match self {
            LocalKind::SimpleDetection => "simple detection",
            LocalKind::InlineFilters => "inline filters applied",
            LocalKind::CorrelationRule => "correlation rule",
        }
    }
}

impl DetectionResult {
    /// A detection whose worker failed (timed out, crashed, out of memory): reported as a
    /// detection that could not be set up, with the engine's message.
    pub fn engine_failure(id: &str, spec_path: &str, message: String) -> DetectionResult {
        DetectionResult {
            id: id.to_owned(),
            spec_path: Some(spec_path.to_owned()),
            module_output: String::new(),
            module_stderr: String::new(),
            matcher: "rule".into(),
            setup_error: Some(PyError {
                kind: Some("EngineError".into()),
                message: Some(message),
                traceback: Vec::new(),
            }),
            fatal: None,
            results: Vec::new(),
            elapsed_ms: None,
            attempts: Vec::new(),
            local: None,
        }
    }

    /// Whether any test failed or the detection could not be set up.
    pub fn has_problems(&self) -> bool {
        self.setup_error.is_some() || self.results.iter().any(|t| !t.clean_pass())
    }
}

impl Answer for DetectionResult {
    fn poisons_worker(&self) -> bool {
        let memory = |e: &PyError| e.kind.as_deref() == Some("MemoryError");
        self.setup_error.as_ref().is_some_and(memory)
            || self.fatal.as_ref().is_some_and(|f| f.kind == "MemoryError")
            || self.results.iter().any(|t| {
                t.functions
                    .iter()
                    .filter_map(|f| f.error.as_ref())
                    .any(memory)
                    || t.suppressed_errors.iter().any(|s| memory(&s.error))
            })
    }
}

/// One unit test's result, as PAT judges it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct UnitTestResult {
    /// The test's `Name`.
    pub name: String,
    /// PAT's verdict.
    pub passed: bool,
    /// The test failed before the detection ran (a bad mock, a missing key), as PAT reports it
    /// in a log line rather than in the test's block.
    pub out_of_band: Option<OutOfBand>,
    /// What the detection printed during the test (capped at 16 Mi characters).
    pub captured: String,
    /// What it printed before an out-of-band failure (PAT drops it).
    pub discarded_output: String,
    /// Log lines (stderr) written during the test.
    pub logs: String,
    /// Each alert function's line: PAT's `[PASS] [title] …`.
    pub functions: Vec<FunctionOutput>,
    /// PAT's entries in the "Failed Tests Summary" (`name` or `name:function`).
    pub failed_entries: Vec<String>,
    /// Errors PAT counts without printing (`unique()`, functions `CreateAlert: false` hides).
    pub suppressed_errors: Vec<SuppressedError>,
    /// Whether the detection would alert on this event.
    pub trigger_alert: Option<bool>,
    /// What the matcher function returned.
    #[ts(type = "unknown")]
    pub detection_output: Value,
    /// Whether any function raised.
    pub errored: Option<bool>,
    /// What the detection tried during this test (see [`Attempt`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<Vec<Attempt>>", optional)]
    pub attempts: Vec<Attempt>,
}

/// Something workspace code tried beyond evaluating events, recorded by the harness's audit
/// hook with the workspace line that did it: a connection or a name lookup, opening a file
/// for writing or outside the workspace and the environment, starting a process, loading
/// native code, compiling or executing generated code, reading the environment, unpickling.
/// The sandbox is what blocks these; the record says who tried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Attempt {
    /// `network`, `file`, `process`, `native code`, `generated code`, `environment`,
    /// `deserialisation` (or `note` when some were not recorded).
    pub kind: String,
    /// The audit event (`socket.connect`, `open`, `subprocess.Popen`, …).
    pub event: String,
    /// What, for people (`open /home/u/.ssh/id_rsa`, `socket.connect(('10.0.0.1', 443))`).
    pub detail: String,
    /// The workspace file whose code did it.
    pub file: Option<String>,
    /// Its line.
    pub line: Option<u32>,
}

impl UnitTestResult {
    /// Passed, with nothing PAT would report out of band.
    pub fn clean_pass(&self) -> bool {
        self.passed && self.out_of_band.is_none()
    }
}

/// A test that failed before its detection ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct OutOfBand {
    /// `AttributeError` (PAT's wording for a bad mock or missing key) or `Unexpected`.
    pub kind: String,
    /// `str(exception)`.
    pub message: String,
    /// PAT's `WARNING:` line.
    pub warning: String,
}

/// One alert function's output in a test (`rule`, `title`, `dedup`, `alert_context`, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct FunctionOutput {
    /// The name PAT prints (`rule`, `title`, `alertContext`, …).
    pub name: String,
    /// PAT's verdict for this function.
    pub passed: bool,
    /// What PAT prints after the name: the output, or the error's message.
    pub output_text: String,
    /// The function raised.
    pub error: Option<PyError>,
}

/// An error PAT counted without printing it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SuppressedError {
    /// The function that raised.
    pub name: String,
    /// Its error.
    pub error: PyError,
}

/// A Python exception with the frames that lead to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct PyError {
    /// The exception's class name.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// `str(exception)`.
    pub message: Option<String>,
    /// Frames, outermost first; panther-core's and the harness's own are left out.
    #[serde(default)]
    pub traceback: Vec<Frame>,
}

impl PyError {
    /// The innermost frame in the workspace's own files, the place to look.
    pub fn user_frame(&self) -> Option<&Frame> {
        self.traceback.iter().rev().find(|f| f.user)
    }
}

/// One traceback frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Frame {
    /// The file (a workspace file, where the code came from one).
    pub file: String,
    /// 1-based line.
    pub line: Option<u32>,
    /// The function's name (`<module>` at module level).
    pub function: String,
    /// Whether the file is the workspace's (a detection, helper or data model).
    pub user: bool,
    /// The frame is the function's definition, added because the error was raised by
    /// panther-core about the function's result (wrong return type, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub definition: Option<bool>,
}

/// The answer to [`Request::AnalyzeGlobals`].
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GlobalTraits {
    /// By helper ID.
    pub traits: BTreeMap<String, GlobalTrait>,
}

impl Answer for GlobalTraits {}

impl GlobalTraits {
    /// The helpers that tie their importers to one worker.
    pub fn sticky(&self) -> impl Iterator<Item = &str> {
        self.traits
            .iter()
            .filter(|(_, t)| t.sticky)
            .map(|(id, _)| id.as_str())
    }
}

/// What the harness found in one helper.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GlobalTrait {
    /// It prints when imported, or keeps state its functions change.
    pub sticky: bool,
    /// Why (a line each).
    pub reasons: Vec<String>,
}

/// The answer to [`Request::CheckPython`].
#[derive(Debug, Clone, Deserialize)]
pub struct PythonCheck {
    /// The error compiling the text, if any.
    pub syntax_error: Option<SyntaxProblem>,
}

impl Answer for PythonCheck {}

/// A `SyntaxError` (or the `ValueError` of a NUL byte) with its place.
#[derive(Debug, Clone, Deserialize)]
pub struct SyntaxProblem {
    /// The exception's class name.
    #[serde(rename = "type")]
    pub kind: String,
    /// `str(exception)`: PAT's text.
    pub message: String,
    /// The message without the place.
    pub msg: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub col: u32,
    /// Where the offending text ends, when Python says.
    pub end_line: Option<u32>,
    /// Where the offending text ends, when Python says.
    pub end_col: Option<u32>,
}

/// The answer to [`Request::Shutdown`] (nothing).
#[derive(Debug, Clone, Deserialize)]
pub struct Done {}

impl Answer for Done {}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_detection_result_serialises_back_to_the_harness_json() {
        let wire = json!({
            "id": "R.One", "spec_path": "rules/one.yml", "module_output": "", "module_stderr": "",
            "matcher": "rule", "setup_error": null, "fatal": null,
            "results": [{
                "name": "t", "passed": false, "out_of_band": null, "captured": "", "discarded_output": "",
                "logs": "", "functions": [{"name": "title", "passed": false, "output_text": "boom",
                    "error": {"type": "ValueError", "message": "boom", "traceback": [
                        {"file": "/w/rules/one.py", "line": 3, "function": "title", "user": true},
                        {"file": "/w/rules/one.py", "line": 1, "function": "title", "user": true, "definition": true}]}}],
                "failed_entries": ["t:title"], "suppressed_errors": [], "trigger_alert": true,
                "detection_output": {"any": [1, "json"]}, "errored": true}],
            "elapsed_ms": 1.5
        });
        let typed: DetectionResult = serde_json::from_value(wire.clone()).unwrap();
        assert_eq!(serde_json::to_value(&typed).unwrap(), wire);
        assert_eq!(
            typed.results[0].functions[0]
                .error
                .as_ref()
                .unwrap()
                .user_frame()
                .unwrap()
                .line,
            Some(1)
        );
    }

    #[test]
    fn a_renamed_field_is_an_error_not_an_empty_string() {
        let wire = json!({"id": "R", "spec_path": null, "module_out": "", "module_stderr": "",
            "matcher": "rule", "setup_error": null, "fatal": null, "results": []});
        let err = serde_json::from_value::<DetectionResult>(wire).unwrap_err();
        assert!(err.to_string().contains("module_output"), "{err}");
    }

    #[test]
    fn memory_errors_anywhere_in_a_result_poison_the_worker() {
        let mut r = DetectionResult::engine_failure("R", "r.yml", "x".into());
        assert!(!r.poisons_worker());
        r.setup_error.as_mut().unwrap().kind = Some("MemoryError".into());
        assert!(r.poisons_worker());
        assert!(json!({"a": [{"type": "MemoryError"}]}).poisons_worker());
    }

    #[test]
    fn requests_carry_their_op() {
        let r = Request::CheckPython {
            path: "/w/a.py".into(),
            text: "x".into(),
        };
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            json!({"op": "check_python", "path": "/w/a.py", "text": "x"})
        );
        assert_eq!(
            serde_json::to_value(Request::Ping).unwrap(),
            json!({"op": "ping"})
        );
    }
}

// Generated from Prowl's Rust types by ts-rs (src-tauri/src/contract.rs); do not edit.
// Regenerate: PROWL_BLESS_CONTRACT=1 cargo test -p prowl-desktop --test contract

export type Alert = { 
/**
 * Its number in this replay (in the order alerts were raised).
 */
id: number, 
/**
 * The detection's ID.
 */
detection: string, 
/**
 * An alert, or an error alert (the detection raised).
 */
kind: MatchKind, 
/**
 * Its title.
 */
title: string, 
/**
 * Its severity.
 */
severity: string, 
/**
 * The dedup string its events share.
 */
dedup: string, 
/**
 * `p_event_time` of its first event.
 */
first_event_time: string, 
/**
 * `p_event_time` of its last event.
 */
last_event_time: string, 
/**
 * The same, in nanoseconds since the epoch.
 */
first_ns: number, 
/**
 * The same, in nanoseconds since the epoch.
 */
last_ns: number, 
/**
 * How many events it holds.
 */
events: number, 
/**
 * `alert_context()` of the first event (JSON).
 */
context?: unknown, 
/**
 * `destinations()` of the first event.
 */
destinations?: Array<unknown> | null, 
/**
 * `runbook()` of the first event.
 */
runbook?: string | null, 
/**
 * `description()` of the first event.
 */
description?: string | null, 
/**
 * `reference()` of the first event.
 */
reference?: string | null, 
/**
 * For error alerts: the first error's message.
 */
error?: string | null, 
/**
 * Where its first event was read (`file:line`).
 */
origin: string, };

export type AlertBrief = { 
/**
 * An alert or an error alert.
 */
kind: MatchKind, 
/**
 * Its title.
 */
title: string, 
/**
 * Its severity.
 */
severity: string, 
/**
 * Its dedup string.
 */
dedup: string, 
/**
 * Its first event's time.
 */
first_event_time: string, 
/**
 * Its last event's time.
 */
last_event_time: string, 
/**
 * Its events.
 */
events: number, 
/**
 * Where its first event was read.
 */
origin: string, };

export type AlertChange = { 
/**
 * The alert in the revision (none: added).
 */
before: AlertBrief | null, 
/**
 * The alert in the working tree (none: removed).
 */
after: AlertBrief | null, };

export type AlertEvents = { 
/**
 * The alert's number.
 */
alert: number, 
/**
 * Its detection's ID.
 */
detection: string, 
/**
 * Its first events (at most [`KeepLimits::events_per_alert`]); empty when the alert is
 * not among the first [`KeepLimits::alerts`].
 */
events: Array<KeptEvent>, 
/**
 * Whether its events were kept at all.
 */
kept: boolean, };

export type AnalysisType = "rule" | "scheduled_rule" | "policy" | "global" | "datamodel" | "pack" | "saved_query" | "scheduled_query" | "lookup_table" | "correlation_rule" | "scheduled_prompt";

export type Approval = { 
/**
 * The workspace.
 */
workspace: string, 
/**
 * Every package that will be installed, exactly.
 */
packages: Array<PlannedPackage>, 
/**
 * What the workspace itself asks for, with the places.
 */
asked: Array<[string, Origin]>, };

export type Attempt = { 
/**
 * `network`, `file`, `process`, `native code`, `generated code`, `environment`,
 * `deserialisation` (or `note` when some were not recorded).
 */
kind: string, 
/**
 * The audit event (`socket.connect`, `open`, `subprocess.Popen`, …).
 */
event: string, 
/**
 * What, for people (`open /home/u/.ssh/id_rsa`, `socket.connect(('10.0.0.1', 443))`).
 */
detail: string, 
/**
 * The workspace file whose code did it.
 */
file: string | null, 
/**
 * Its line.
 */
line: number | null, };

export type AuditCode = "PA100" | "PA101" | "PA102" | "PA103" | "PA104" | "PA105" | "PA106" | "PA107" | "PA108" | "PA109" | "PA110" | "PA111" | "PA112" | "PA113" | "PA201" | "PA202" | "PA203" | "PA204" | "PA205" | "PA206" | "PA207" | "PA301" | "PA302" | "PA303" | "PA304" | "PA305" | "PA401" | "PA402" | "PA403" | "PA404" | "PA405" | "PA406" | "PA407" | "PA410" | "PA411" | "PA412";

export type AuditProgress = { "stage": "preparing" } | { "stage": "static", 
/**
 * Python files to read.
 */
files: number, } | { "stage": "dynamic", 
/**
 * Detections answered so far.
 */
done: number, 
/**
 * Detections to run.
 */
total: number, 
/**
 * The detection that just finished.
 */
id: string, };

export type AuditReport = { 
/**
 * Where the pack came from.
 */
source: SourceInfo, 
/**
 * The fork compared with, as given (or `merge base` in branch mode).
 */
against: string | null, 
/**
 * The items audited.
 */
items: Array<AuditedItem>, 
/**
 * Every finding, by file, line and code.
 */
findings: Array<Finding>, 
/**
 * What the code tried while its tests ran, per detection and test.
 */
attempts: Array<RecordedAttempt>, 
/**
 * The user's items the pack would replace.
 */
replaces: Array<Replacement>, 
/**
 * Whether the tests ran.
 */
dynamic: DynamicStatus, 
/**
 * The verdict and counts.
 */
summary: AuditSummary, 
/**
 * Where the quarantined copy was kept ([`AuditOptions::keep_sources`]).
 */
kept_at?: string, };

export type AuditSeverity = "note" | "warning" | "error";

export type AuditSourceKind = "folder" | "git" | "archive";

export type AuditSummary = { 
/**
 * The verdict.
 */
verdict: Verdict, 
/**
 * Findings that are errors.
 */
errors: number, 
/**
 * Findings that are warnings.
 */
warnings: number, 
/**
 * Findings that are notes.
 */
notes: number, 
/**
 * Items audited (detections, helpers, data models, packs, queries…).
 */
items: number, 
/**
 * Python files analysed.
 */
python_files: number, };

export type AuditedItem = { 
/**
 * Its ID.
 */
id: string, 
/**
 * Its AnalysisType.
 */
analysis_type: AnalysisType, 
/**
 * Its spec, relative to the pack's root.
 */
file: string, 
/**
 * Its Python file, relative to the pack's root.
 */
code_file: string | null, };

export type Branch = { 
/**
 * The short name (`main`, `feature/x`), as given to [`Repo::checkout`].
 */
name: string, 
/**
 * HEAD points at it.
 */
current: boolean, 
/**
 * The remote-tracking branch it follows (`origin/main`), if any.
 */
upstream: string | null, };

export type Change = "unmodified" | "added" | "modified" | "deleted" | "renamed" | "untracked" | "type_change";

export type Changed = { 
/**
 * The files.
 */
paths: Array<string>, 
/**
 * Whether the workspace was re-read (a spec changed, a file came or went); a Python-only
 * change refreshes the index's imports and is `false`.
 */
reindexed: boolean, };

export type CloneProgress = { 
/**
 * Objects downloaded so far.
 */
received_objects: number, 
/**
 * Objects the server will send; 0 until it has said.
 */
total_objects: number, 
/**
 * Objects written into the new repository's pack index so far (trails `received_objects`).
 */
indexed_objects: number, 
/**
 * Bytes downloaded so far.
 */
received_bytes: number, };

export type Cloned = { 
/**
 * The cloned workspace, as `open_workspace` gives it.
 */
view: WorkspaceView, 
/**
 * Warnings to show (`fork::clone_warnings`), usually none.
 */
warnings: Array<string>, };

export type ClusterCheck = { 
/**
 * The address checked.
 */
address: string, 
/**
 * The driver's (and so the cluster's) Ray version.
 */
ray: string, 
/**
 * The live nodes, as their probes answered.
 */
nodes: Array<ClusterNode>, 
/**
 * Their CPUs in all.
 */
cpus: number, };

export type ClusterNode = { 
/**
 * Ray's node ID.
 */
id: string, 
/**
 * Its address.
 */
address: string | null, 
/**
 * Its CPUs.
 */
cpus: number, 
/**
 * Its Python (`3.11`).
 */
python: string | null, 
/**
 * Its Ray.
 */
ray: string | null, 
/**
 * Its machine (`x86_64`).
 */
machine: string | null, 
/**
 * Input files it cannot see (the first few).
 */
missing: Array<string>, 
/**
 * Why it did not answer.
 */
error: string | null, };

export type ClusterRun = { 
/**
 * The address.
 */
address: string, 
/**
 * Its Ray version.
 */
ray: string, 
/**
 * Its nodes.
 */
nodes: Array<ClusterNode>, 
/**
 * Tasks (shares of the input).
 */
tasks: number, 
/**
 * Tasks that ended with results.
 */
tasks_done: number, 
/**
 * Tasks that failed after their retries; their inputs are in the report's `lost`.
 */
tasks_failed: number, 
/**
 * The cluster was lost before the end: why. The report covers the tasks done.
 */
lost: string | null, };

export type ClusterSettings = { 
/**
 * The Ray address (`auto`, `ray://HOST:10001`, `HOST:6379`); `None`: no cluster set.
 */
address: string | null, 
/**
 * A Python with the cluster's Ray; `None`: `$PROWL_RAY_PYTHON`, else `python3`.
 */
python: string | null, };

export type ClusterSettingsView = { 
/**
 * What is set.
 */
settings: ClusterSettings, 
/**
 * The Python used when `settings.python` is not set.
 */
default_python: string, 
/**
 * The file they are kept in.
 */
file: string, };

export type Code = "yaml-syntax" | "unreadable" | "analysis-type" | "missing-key" | "unknown-key" | "invalid-value" | "exclusive-keys" | "json-schema" | "duplicate-id" | "duplicate-values" | "table-names" | "pack-member-missing" | "code-file" | "dedup-period" | "scheduled-query-missing" | "base-detection-missing" | "duplicate-key" | "data-model-conflict" | "python-syntax" | "match-expression";

export type Committed = { 
/**
 * The new commit's ID.
 */
oid: string, 
/**
 * The status after it.
 */
status: Status, };

export type Conflict = "both_modified" | "both_added" | "both_deleted" | "added_by_us" | "added_by_them" | "deleted_by_us" | "deleted_by_them";

export type DeleteOutcome = { 
/**
 * Only a dry run: nothing was deleted.
 */
dry_run: boolean, 
/**
 * Detections (and the saved queries linked to them).
 */
detections: Deleted, 
/**
 * Saved queries (and the detections linked to them).
 */
queries: Deleted, };

export type Deleted = { 
/**
 * Detection IDs the server had.
 */
ids: Array<string>, 
/**
 * Saved queries linked to them.
 */
linked_queries: Array<string>, 
/**
 * Saved query names the server had.
 */
queries: Array<string>, 
/**
 * Detections linked to them.
 */
linked_detections: Array<string>, };

export type DeployEvent = { 
/**
 * The step it belongs to.
 */
stage: DeployStage, 
/**
 * Its level.
 */
level: DeployLevel, 
/**
 * The text (without PAT's `INFO: ` prefix).
 */
text: string, };

export type DeployLevel = "info" | "warning" | "error";

export type DeployOutcome = { 
/**
 * The instance's GraphQL URL.
 */
url: string, 
/**
 * Selected items the instance cannot run (with the tests, they stop the upload; without,
 * they are left out of it).
 */
unsupported: Array<UnsupportedItem>, 
/**
 * The tests run first (none with `skip_tests`, or when the log types stopped the upload).
 */
tests: TestReport | null, 
/**
 * The upload (none when something before it stopped it).
 */
uploaded: Uploaded | null, 
/**
 * Every event, in order (PAT's log lines).
 */
events: Array<DeployEvent>, };

export type DeployStage = "connecting" | "testing" | "zipping" | "uploading" | "waiting" | "retrying" | "done";

export type DetectionForm = "python" | "simple" | "derived";

export type DetectionImpact = { 
/**
 * Its ID.
 */
id: string, 
/**
 * The detection ran in the revision.
 */
in_revision: boolean, 
/**
 * The detection ran in the working tree.
 */
in_working_tree: boolean, 
/**
 * Its matches in the revision.
 */
matches_before: number, 
/**
 * Its matches in the working tree.
 */
matches_after: number, 
/**
 * Its alerts (and error alerts) in the revision.
 */
alerts_before: number, 
/**
 * Its alerts (and error alerts) in the working tree.
 */
alerts_after: number, 
/**
 * Alerts only the working tree raises.
 */
added: number, 
/**
 * Alerts only the revision raises.
 */
removed: number, 
/**
 * Alerts both raise, differently (events, last event, title, severity).
 */
changed: number, 
/**
 * Alerts both raise alike.
 */
unchanged: number, 
/**
 * The first few added, removed and changed alerts.
 */
examples: Array<AlertChange>, };

export type DetectionReport = { 
/**
 * Its ID.
 */
id: string, 
/**
 * Its spec file.
 */
spec_path: string, 
/**
 * Events it alerted on.
 */
matches: number, 
/**
 * Events it raised on.
 */
errors: number, 
/**
 * Alerts raised.
 */
alerts: number, 
/**
 * Error alerts raised.
 */
error_alerts: number, 
/**
 * Why it could not be built (it then saw no event).
 */
build_error: PyError | null, 
/**
 * The first errors it raised, with their tracebacks.
 */
first_errors: Array<RaisedExample>, };

export type DetectionResult = { 
/**
 * The detection's ID.
 */
id: string, 
/**
 * Its spec file.
 */
spec_path: string | null, 
/**
 * What the module printed on stdout when it was loaded.
 */
module_output: string, 
/**
 * What it printed on stderr (and log lines) when it was loaded.
 */
module_stderr: string, 
/**
 * The matcher function's name: `rule` or `policy`.
 */
matcher: string, 
/**
 * The detection could not be built (syntax error, import error, …): no test ran.
 */
setup_error: PyError | null, 
/**
 * Loading it ended PAT's run (see [`Fatal`]).
 */
fatal: Fatal | null, 
/**
 * Each test's result, in spec order.
 */
results: Array<UnitTestResult>, 
/**
 * Time the worker spent on this detection.
 */
elapsed_ms?: number, 
/**
 * What the detection's module tried when it was loaded (see [`Attempt`]).
 */
attempts?: Array<Attempt>, 
/**
 * Set when Prowl evaluated these tests itself where PAT needs a Panther backend: what
 * was evaluated locally (see [`LocalKind`]).
 */
local?: LocalKind, };

export type Diagnostic = { 
/**
 * Error or warning.
 */
severity: Severity, 
/**
 * The kind of problem, stable across releases.
 */
code: Code, 
/**
 * Absolute path of the file.
 */
file: string, 
/**
 * Path relative to the workspace root, with `/` separators.
 */
rel_path: string, 
/**
 * Line and column of the offending key or value (1-based), when known.
 */
span: Span | null, 
/**
 * One line for people.
 */
summary: string, 
/**
 * PAT's exact text for this problem (what `pat test` prints under "Invalid Tests Summary"
 * or logs as a warning). Empty for checks PAT does not make.
 */
message: string, 
/**
 * The next step for the user, when Prowl has one.
 */
hint: string | null, 
/**
 * Whether PAT reports this problem too (errors it reports make `pat test` exit 1).
 */
pat: boolean, };

export type DiffLine = { 
/**
 * Context, deleted or inserted.
 */
tag: LineTag, 
/**
 * The line without its line ending (`\n` or `\r\n`).
 */
text: string, 
/**
 * 1-based line number on the old side (equal and deleted lines).
 */
old_line: number | null, 
/**
 * 1-based line number on the new side (equal and inserted lines).
 */
new_line: number | null, };

export type Drift = { 
/**
 * On the instance, not in the upload's selection (an upload leaves them as they are).
 */
only_remote: Array<DriftOneSide>, 
/**
 * In the selection, not on the instance (an upload adds them).
 */
only_local: Array<DriftOneSide>, 
/**
 * On both, different (an upload changes them).
 */
different: Array<DriftDifferent>, 
/**
 * On both and the same.
 */
same: number, 
/**
 * Selected items of kinds the REST API does not list, by AnalysisType.
 */
not_compared: { [key in string]: number }, };

export type DriftChange = { 
/**
 * `enabled`, `severity`, `tests`, `code`.
 */
field: string, 
/**
 * On the instance (a short rendering).
 */
remote: string, 
/**
 * In the workspace.
 */
local: string, };

export type DriftDifferent = { 
/**
 * The REST kind.
 */
kind: string, 
/**
 * The ID (or query name).
 */
id: string, 
/**
 * The spec file.
 */
path: string, 
/**
 * What differs.
 */
changes: Array<DriftChange>, };

export type DriftOneSide = { 
/**
 * The REST kind.
 */
kind: string, 
/**
 * The ID (or query name).
 */
id: string, 
/**
 * The spec file (workspace side only).
 */
path?: string, 
/**
 * Whether Panther manages the item (instance side only).
 */
managed?: boolean, };

export type DriftView = { 
/**
 * The instance's GraphQL URL.
 */
url: string, 
/**
 * What differs.
 */
drift: Drift, };

export type DynamicStatus = { 
/**
 * The tests ran in the sandbox.
 */
ran: boolean, 
/**
 * Why they did not, when they did not.
 */
skipped: string | null, 
/**
 * The sandbox layers in force (`namespaces=1 view=1 landlock=6 seccomp=1`).
 */
sandbox: string | null, 
/**
 * Which environment the tests ran in (`the --against workspace's`, `Prowl's baseline`).
 */
environment: string | null, 
/**
 * Detections whose tests ran.
 */
detections: number, 
/**
 * Unit tests run.
 */
tests: number, };

export type Edited = { 
/**
 * The whole text, only the edited test's lines changed.
 */
text: string, };

export type EnvSyncOutcome = { "kind": "synced", 
/**
 * It, as the panel shows it.
 */
environment: EnvironmentView, } | { "kind": "needs_approval", 
/**
 * The list.
 */
approval: Approval, };

export type EnvironmentView = { 
/**
 * Where the environment is.
 */
path: string, 
/**
 * The interpreter workers embed.
 */
interpreter: string, 
/**
 * `ready`, `missing`, `stale` (made for other requirements) or `broken`.
 */
status: string, 
/**
 * Why it is not ready, with the next step.
 */
problem: ErrorInfo | null, 
/**
 * A sync of it is going on (here or in another prowl).
 */
syncing: boolean, 
/**
 * What it holds, when it was ever synced.
 */
manifest: Manifest | null, 
/**
 * What a sync now would leave out, and why.
 */
left_out: Array<LeftOut>, 
/**
 * Notes a sync now would make (a stale lock pin, an ignored file…).
 */
notes: Array<string>, };

export type ErrorInfo = { 
/**
 * Stable and namespaced (`file.conflict`): what a front end switches on.
 */
code: string, 
/**
 * What happened, and where.
 */
message: string, 
/**
 * The next step, when there is one.
 */
hint: string | null, 
/**
 * The place in a file the error is about.
 */
location: Location | null, };

export type EventTest = { 
/**
 * The detection whose spec gets the test.
 */
detection: string, 
/**
 * The edit (`TestEdit::add_event`), for the same edit path as every test change.
 */
edit: TestEdit, };

export type Fatal = { 
/**
 * The exception's class name.
 */
type: string, 
/**
 * `str(exception)`.
 */
message: string, 
/**
 * What PAT writes to stderr as it stops (may be empty).
 */
warning: string, 
/**
 * PAT's exit code.
 */
exit_code: number, };

export type FileDiff = { 
/**
 * Relative to the working tree's root, `/` separators.
 */
path: string, 
/**
 * For a staged rename, the path the file had in HEAD.
 */
old_path: string | null, 
/**
 * The old content; `None` when the file did not exist on the old side, or is binary.
 */
old_text: string | null, 
/**
 * The new content; `None` when the file does not exist on the new side, or is binary.
 */
new_text: string | null, 
/**
 * Either side contains a NUL byte in its first 8000 bytes or is not UTF-8: no text diff.
 */
binary: boolean, 
/**
 * The unified diff (3 lines of context; `--- a/path`, `+++ b/path`, `/dev/null` for a
 * side that does not exist), empty when nothing changed. Applies with `git apply`.
 */
unified: string, 
/**
 * The changes with their context, in file order, for a side-by-side view; empty when
 * nothing changed or the file is binary.
 */
hunks: Array<Hunk>, };

export type FileStatus = { 
/**
 * Relative to the working tree's root, `/` separators. For a rename, the new path.
 */
path: string, 
/**
 * For a rename staged in the index, the path in HEAD.
 */
old_path: string | null, 
/**
 * HEAD → index (what a commit would record).
 */
index: Change, 
/**
 * index → working tree (what is not staged yet).
 */
worktree: Change, 
/**
 * Unresolved merge conflict: the index holds several versions of the file.
 */
conflicted: boolean, 
/**
 * For a conflicted file, how the two sides disagree.
 */
conflict: Conflict | null, };

export type FileText = { 
/**
 * The file, resolved.
 */
path: string, 
/**
 * Its text.
 */
text: string, 
/**
 * Its stamp.
 */
stamp: string, };

export type Finding = { 
/**
 * The stable code (`PA101`).
 */
code: AuditCode, 
/**
 * How much it matters.
 */
severity: AuditSeverity, 
/**
 * Why, in one line.
 */
message: string, 
/**
 * The file, relative to the pack's root with `/` separators.
 */
file: string | null, 
/**
 * 1-based line.
 */
line: number | null, 
/**
 * 1-based column.
 */
column: number | null, 
/**
 * The ID of the item the file belongs to (a detection's RuleID or PolicyID, a helper's
 * GlobalID, a data model's DataModelID).
 */
item: string | null, 
/**
 * The unit test during which it happened (dynamic findings).
 */
test: string | null, };

export type Frame = { 
/**
 * The file (a workspace file, where the code came from one).
 */
file: string, 
/**
 * 1-based line.
 */
line: number | null, 
/**
 * The function's name (`<module>` at module level).
 */
function: string, 
/**
 * Whether the file is the workspace's (a detection, helper or data model).
 */
user: boolean, 
/**
 * The frame is the function's definition, added because the error was raised by
 * panther-core about the function's result (wrong return type, …).
 */
definition?: boolean, };

export type FunctionOutput = { 
/**
 * The name PAT prints (`rule`, `title`, `alertContext`, …).
 */
name: string, 
/**
 * PAT's verdict for this function.
 */
passed: boolean, 
/**
 * What PAT prints after the name: the output, or the error's message.
 */
output_text: string, 
/**
 * The function raised.
 */
error: PyError | null, };

export type Hunk = { 
/**
 * 1-based; 0 with `old_lines == 0` when the old side is empty.
 */
old_start: number, 
/**
 * How many old-side lines the hunk spans (context and deletions).
 */
old_lines: number, 
/**
 * 1-based; with `new_lines == 0`, the line after which the old lines were deleted.
 */
new_start: number, 
/**
 * How many new-side lines the hunk spans (context and insertions).
 */
new_lines: number, 
/**
 * The hunk's lines in order: context, deletions and insertions as the unified diff has them.
 */
lines: Array<DiffLine>, };

export type Impact = { 
/**
 * The revision as given.
 */
revision: string, 
/**
 * Its commit ID.
 */
commit: string, 
/**
 * Its summary line.
 */
summary: string, 
/**
 * Alerts (and error alerts) raised by the revision.
 */
alerts_before: number, 
/**
 * Alerts (and error alerts) raised by the working tree.
 */
alerts_after: number, 
/**
 * Alerts added, over all detections.
 */
added: number, 
/**
 * Alerts removed.
 */
removed: number, 
/**
 * Alerts changed.
 */
changed: number, 
/**
 * The detections whose alerts differ, the largest change first.
 */
detections: Array<DetectionImpact>, 
/**
 * Detections that ran on either side with the same alerts.
 */
unchanged_detections: number, 
/**
 * Every alert was paired (false when a side raised more than [`ALERTS_COMPARED`]).
 */
complete: boolean, 
/**
 * Either replay was stopped early.
 */
cancelled: boolean, };

export type ImpactView = { 
/**
 * The comparison (`prowl replay --compare HEAD`).
 */
impact: Impact, 
/**
 * Events read (each side read them all).
 */
events: number, 
/**
 * The sources, resolved.
 */
sources: Array<string>, };

export type InstalledPackage = { 
/**
 * The normalised name.
 */
name: string, 
/**
 * The installed version.
 */
version: string, 
/**
 * Why: asked for by the workspace (with the place), by Prowl's runtime, or needed by
 * other packages.
 */
reason: Reason, 
/**
 * Built from a source distribution (allowed by name) rather than installed from a wheel.
 */
built_from_source: boolean, };

export type ItemView = { 
/**
 * IDs of the packs listing this item.
 */
packs: Array<string>, 
/**
 * The item's ID (`RuleID`, `PolicyID`, … as its type names it).
 */
id: string, 
/**
 * Its `AnalysisType`.
 */
analysis_type: AnalysisType, 
/**
 * How a detection is written; `None` for other types.
 */
form: DetectionForm | null, 
/**
 * Absolute path of the YAML spec.
 */
spec_path: string, 
/**
 * Path of the spec relative to the workspace root, with `/` separators.
 */
rel_path: string, 
/**
 * The file `Filename` names, resolved against the spec's directory.
 */
code_path: string | null, 
/**
 * `DisplayName`.
 */
display_name: string | null, 
/**
 * `Enabled`.
 */
enabled: boolean | null, 
/**
 * `Severity`.
 */
severity: string | null, 
/**
 * `Status`.
 */
status: string | null, 
/**
 * `Description`.
 */
description: string | null, 
/**
 * `LogTypes`.
 */
log_types: Array<string>, 
/**
 * `ScheduledQueries`.
 */
scheduled_queries: Array<string>, 
/**
 * `ResourceTypes`.
 */
resource_types: Array<string>, 
/**
 * `Tags`.
 */
tags: Array<string>, 
/**
 * MITRE ATT&CK technique references from `Reports` (`TA0001:T1078`).
 */
mitre: Array<string>, 
/**
 * `BaseDetection`: the rule a derived rule builds on.
 */
base_detection: string | null, 
/**
 * For packs: the IDs the pack definition lists.
 */
pack_members: Array<string>, 
/**
 * For correlation rules: the RuleIDs their Sequence/Group blocks name.
 */
correlated_rules: Array<string>, 
/**
 * `Tests`, in file order (those without a string `Name` left out).
 */
tests: Array<UnitTest>, };

export type KeepLimits = { 
/**
 * Events are kept for the alerts numbered below this (the first ones raised).
 */
alerts: number, 
/**
 * At most this many events per alert (its first ones).
 */
events_per_alert: number, };

export type KeptEvent = { 
/**
 * An alert's event, or one the detection raised on.
 */
kind: MatchKind, 
/**
 * Its `p_event_time`, in Panther's format.
 */
p_event_time: string, 
/**
 * Where it was read (`file:line`).
 */
origin: string, 
/**
 * For a rule error: the exception's message.
 */
error: string | null, 
/**
 * The name a unit test made of it gets unless the user gives one:
 * `Replayed event FILE:LINE` (the file's name only), as `prowl tests add` names it.
 */
test_name: string, 
/**
 * The event as the detection saw it (with its `p_` fields).
 */
event: unknown, };

export type LeftOut = { 
/**
 * The package (or the requirement text).
 */
name: string, 
/**
 * Where it was asked for.
 */
origin: Origin, 
/**
 * Why it is left out.
 */
why: string, };

export type LineTag = "equal" | "insert" | "delete";

export type LocalKind = "simple_detection" | "inline_filters" | "correlation_rule";

export type Location = { 
/**
 * The file (absolute, or as the user named it); `None` for the text a command was given
 * (a buffer of the window's), whose file the caller knows.
 */
file: string | null, 
/**
 * 1-based line.
 */
line: number | null, 
/**
 * 1-based column (characters).
 */
column: number | null, };

export type LostBatch = { 
/**
 * How many events.
 */
events: number, 
/**
 * Where its first event was read.
 */
first: string, 
/**
 * Why.
 */
reason: string, };

export type Manifest = { 
/**
 * `major.minor` of the interpreter it was made for (Prowl's embedded CPython).
 */
python: string, 
/**
 * The fingerprint of what decided its content (Prowl's runtime pins, the workspace's
 * requirement and lock files); a different one means the environment is out of date.
 */
fingerprint: string, 
/**
 * What made it: `uv 0.13.9`, `pip 23.0.1`, or `wheelhouse <folder>`.
 */
installer: string, 
/**
 * When the sync finished (seconds since the epoch).
 */
synced_at: number, 
/**
 * The workspace file the requirements came from (`None`: it declares none).
 */
source: string | null, 
/**
 * Every installed package.
 */
packages: Array<InstalledPackage>, 
/**
 * What was asked for and not installed, and why.
 */
left_out: Array<LeftOut>, 
/**
 * Notes of the sync (a stale lock pin dropped, a conflict resolved in Prowl's favour…).
 */
notes: Array<string>, };

export type MatchKind = "alert" | "error";

export type Mock = { 
/**
 * The name of the module attribute the test replaces (`objectName`).
 */
object_name: string, 
/**
 * What the replacement returns (`returnValue`), as text.
 */
return_value: string, };

export type Origin = { 
/**
 * The file, relative to the workspace (`Pipfile`, `requirements.txt`, …).
 */
file: string, 
/**
 * 1-based line.
 */
line: number, };

export type OutOfBand = { 
/**
 * `AttributeError` (PAT's wording for a bad mock or missing key) or `Unexpected`.
 */
kind: string, 
/**
 * `str(exception)`.
 */
message: string, 
/**
 * PAT's `WARNING:` line.
 */
warning: string, };

export type PlannedPackage = { 
/**
 * The normalised name.
 */
name: string, 
/**
 * The version that will be installed.
 */
version: string, 
/**
 * Built from source (allowed by name) rather than installed from a wheel.
 */
from_source: boolean, };

export type Problem = { 
/**
 * What kind of problem.
 */
kind: ProblemKind, 
/**
 * The file ([`SourceFile::name`](super::source::SourceFile::name)).
 */
file: string, 
/**
 * The 1-based line, when the problem is at one.
 */
line: number | null, 
/**
 * The record's 0-based index in its array, when it is in one.
 */
record: number | null, 
/**
 * The byte offset in the decompressed text, when known.
 */
offset: number | null, 
/**
 * What exactly (the parser's message, the value found, the size).
 */
detail: string, };

export type ProblemCount = { 
/**
 * The kind.
 */
kind: ProblemKind, 
/**
 * How many.
 */
count: number, 
/**
 * The first ones, in the order they were found.
 */
first: Array<Problem>, };

export type ProblemKind = "not_json" | "not_an_object" | "too_long" | "too_deep" | "no_time" | "no_log_type" | "no_resource_type" | "unknown_log_type" | "binary" | "unsupported_compression" | "truncated_gzip" | "corrupt_gzip" | "unclosed_array" | "trailing_data" | "read_error" | "unreadable" | "not_a_file" | "link_outside";

export type ProfileRow = { 
/**
 * Its name.
 */
name: string, 
/**
 * The API host as given.
 */
api_host: string, 
/**
 * The GraphQL URL it stands for.
 */
url: string, 
/**
 * Whether it is the default one.
 */
default: boolean, 
/**
 * Whether its token is in the keyring.
 */
token: TokenState, };

export type Progress = { 
/**
 * Detections answered so far.
 */
done: number, 
/**
 * Detections to run.
 */
total: number, 
/**
 * The detection that just finished.
 */
id: string, };

export type PyError = { 
/**
 * The exception's class name.
 */
type: string | null, 
/**
 * `str(exception)`.
 */
message: string | null, 
/**
 * Frames, outermost first; panther-core's and the harness's own are left out.
 */
traceback: Array<Frame>, };

export type RaisedExample = { 
/**
 * Where the event was read.
 */
origin: string, 
/**
 * The exception's class.
 */
type: string, 
/**
 * `str(exception)`.
 */
message: string, 
/**
 * Its frames (the workspace's files, with lines).
 */
traceback: Array<Frame>, };

export type ReadStats = { 
/**
 * Files opened (standard input counts as one).
 */
files: number, 
/**
 * Files in the list.
 */
files_total: number, 
/**
 * Events given out.
 */
events: number, 
/**
 * Events by log type.
 */
events_by_log_type: { [key in string]: number }, 
/**
 * Bytes read from the sources (compressed bytes for gzip files).
 */
bytes_read: number, 
/**
 * Bytes of text after decompression, in files finished so far.
 */
bytes_decoded: number, 
/**
 * The size of every source when all are known (not with standard input).
 */
total_bytes: number | null, };

export type Reason = { "kind": "runtime" } | { "kind": "asked", 
/**
 * Where.
 */
origin: Origin, } | { "kind": "dependency", 
/**
 * The packages that require it.
 */
of: Array<string>, };

export type RecordedAttempt = { 
/**
 * The detection whose tests ran (`None`: while helpers and data models were loaded).
 */
item: string | null, 
/**
 * The test (`None`: when the detection's module was loaded).
 */
test: string | null, 
/**
 * What was tried, and where (the file relative to the pack's root).
 */
attempt: Attempt, };

export type Recovered = { 
/**
 * The file the buffer belongs to.
 */
path: string, 
/**
 * The buffer's whole text, as it was in the editor.
 */
text: string, 
/**
 * Seconds since the Unix epoch.
 */
saved_at: number, };

export type RemoteConnection = { 
/**
 * Its GraphQL URL.
 */
url: string, 
/**
 * The profile used (none: PAT's environment variables).
 */
profile: string | null, 
/**
 * The Panther version it reported.
 */
panther_version: string | null, };

export type RemoteView = { 
/**
 * Every profile, by name.
 */
profiles: Array<ProfileRow>, 
/**
 * The URL `PANTHER_API_HOST` names when it and `PANTHER_API_TOKEN` are both set (used
 * when no profile is chosen, as `prowl remote` does).
 */
from_environment: string | null, 
/**
 * The file the profiles are kept in.
 */
config_file: string, };

export type Replacement = { 
/**
 * The ID both have.
 */
id: string, 
/**
 * Its AnalysisType.
 */
analysis_type: AnalysisType, 
/**
 * The pack's spec, relative to the pack's root.
 */
file: string, 
/**
 * The fork's spec, relative to the fork's root.
 */
against_file: string, };

export type ReplayProgress = { 
/**
 * Events read so far.
 */
events_read: number, 
/**
 * Bytes read from the sources so far.
 */
bytes_read: number, 
/**
 * The sources' total size, when known.
 */
total_bytes: number | null, 
/**
 * Events the detections have been through.
 */
events_done: number, 
/**
 * Matches so far.
 */
matches: number, 
/**
 * Seconds since the start.
 */
seconds: number, 
/**
 * On a cluster, its tasks (`None` for a local replay).
 */
tasks: TaskProgress | null, };

export type ReplayReport = { 
/**
 * What was read.
 */
read: ReadStats, 
/**
 * Problems met while reading, by kind, with their first places.
 */
problems: Array<ProblemCount>, 
/**
 * How many problems in all.
 */
problem_count: number, 
/**
 * Events of log types no selected detection reads, by log type.
 */
unrouted: { [key in string]: number }, 
/**
 * Events sent to the detections.
 */
events_evaluated: number, 
/**
 * Event × detection runs.
 */
runs: number, 
/**
 * Matches (events a detection alerted on).
 */
matches: number, 
/**
 * Events a detection raised on.
 */
rule_errors: number, 
/**
 * Per detection, in plan order.
 */
detections: Array<DetectionReport>, 
/**
 * Selected detections not run.
 */
skipped: Array<SkippedDetection>, 
/**
 * Alerts (not error alerts) by severity.
 */
alerts_by_severity: { [key in string]: number }, 
/**
 * Alerts and error alerts raised.
 */
alerts_total: number, 
/**
 * The alerts, by first event time (the first `alert_limit`).
 */
alerts: Array<Alert>, 
/**
 * Alerts raised but not kept in `alerts`.
 */
alerts_omitted: number, 
/**
 * Batches whose worker stopped.
 */
lost: Array<LostBatch>, 
/**
 * Events in those batches.
 */
lost_events: number, 
/**
 * What the detections printed (the start of it).
 */
output: string, 
/**
 * Characters they printed in all.
 */
printed: number, 
/**
 * Workers used.
 */
workers: number, 
/**
 * Wall time.
 */
seconds: number, 
/**
 * Events read per second.
 */
events_per_second: number, 
/**
 * Source bytes read per second, in MB.
 */
mb_per_second: number, 
/**
 * The run was stopped early; the report covers what was done.
 */
cancelled: boolean, 
/**
 * Things to know about the result (inline filters not applied, …).
 */
notes: Array<string>, 
/**
 * What the cluster did, for a replay on one (`--cluster`).
 */
cluster: ClusterRun | null, };

export type ReplayView = { 
/**
 * Everything the replay found.
 */
report: ReplayReport, 
/**
 * What of the matched events was kept (for the window to say).
 */
kept: KeepLimits, 
/**
 * The sources, resolved.
 */
sources: Array<string>, };

export type Saved = { 
/**
 * The stamp of what was written.
 */
stamp: string, };

export type Severity = "error" | "warning";

export type SkippedDetection = { 
/**
 * Its ID.
 */
id: string, 
/**
 * Why.
 */
reason: string, };

export type SkippedEntry = { 
/**
 * Its path in the source, as written there.
 */
path: string, 
/**
 * Why (`symbolic link`, `a path leaving the archive (..)`, …).
 */
why: string, };

export type SourceInfo = { 
/**
 * The kind of source.
 */
kind: SourceKind, 
/**
 * The folder, URL or archive as given.
 */
location: string, 
/**
 * The branch audited (`--branch`).
 */
branch: string | null, 
/**
 * The branch it is compared with.
 */
base: string | null, 
/**
 * The merge base's commit.
 */
merge_base: string | null, 
/**
 * The branch's commit.
 */
commit: string | null, 
/**
 * Paths the branch changed since the merge base.
 */
changed: Array<string>, 
/**
 * Entries not brought into quarantine.
 */
skipped: Array<SkippedEntry>, };

export type SourceKind = "folder" | "git" | "archive" | "branch";

export type Span = { 
/**
 * 1-based line.
 */
line: number, 
/**
 * 1-based column, in characters.
 */
col: number, };

export type Status = { 
/**
 * The current branch (also on an unborn branch, before the first commit); `None` when
 * HEAD is detached.
 */
branch: string | null, 
/**
 * HEAD's commit, abbreviated; `None` before the first commit.
 */
head: string | null, 
/**
 * HEAD points at a commit rather than a branch (then `branch` is `None`).
 */
detached: boolean, 
/**
 * An operation git has not finished (`merge`, `rebase`, `cherry_pick`, `revert`,
 * `bisect`, …), if any; a commit during a merge records both parents.
 */
operation: string | null, 
/**
 * Changed, untracked and conflicted files, sorted by path.
 */
files: Array<FileStatus>, };

export type Summary = { 
/**
 * Detections counted minus failed, invalid and skipped ones (as PAT counts).
 */
passed: number, 
/**
 * Skipped detections.
 */
skipped: number, 
/**
 * Detections with a failing test.
 */
failed: number, 
/**
 * Specs and detections that could not be loaded.
 */
invalid: number, 
/**
 * (spec file, detection ID) of skipped detections.
 */
skipped_detections: Array<[string, string]>, 
/**
 * Detection ID → PAT's failed entries (`test name` or `test name:function`).
 */
failed_tests: Array<[string, Array<string>]>, 
/**
 * (file, message) of specs PAT could not load or detections it could not build.
 */
invalid_specs: Array<[string, string]>, };

export type SuppressedError = { 
/**
 * The function that raised.
 */
name: string, 
/**
 * Its error.
 */
error: PyError, };

export type TaskProgress = { 
/**
 * Tasks that ended with results.
 */
done: number, 
/**
 * Tasks that failed after their retries.
 */
failed: number, 
/**
 * Tasks in all (0 until the input is split).
 */
total: number, };

export type TestEdit = { "kind": "add", 
/**
 * The test, with PAT's keys.
 */
test: unknown, } | { "kind": "duplicate", 
/**
 * The test to copy.
 */
index: number, 
/**
 * The copy's name.
 */
name: string, } | { "kind": "rename", 
/**
 * The test.
 */
index: number, 
/**
 * Its new name.
 */
name: string, } | { "kind": "delete", 
/**
 * The test.
 */
index: number, } | { "kind": "set_expected", 
/**
 * The test.
 */
index: number, 
/**
 * Whether the detection should alert on the test's event.
 */
expected: boolean, } | { "kind": "set_event", 
/**
 * The test's place.
 */
index: number, 
/**
 * The new event.
 */
event: unknown, } | { "kind": "set_mocks", 
/**
 * The test.
 */
index: number, 
/**
 * The new mocks, in order.
 */
mocks: Array<Mock>, };

export type TestInfo = { 
/**
 * The test's place among the spec's tests, from 0 in file order.
 */
index: number, 
/**
 * `None` when the test has no `Name` (the spec is then invalid).
 */
name: string | null, 
/**
 * `None` when `ExpectedResult` is missing or not a boolean (PAT reads `yes`, `on` and the
 * like as strings).
 */
expected: boolean | null, 
/**
 * 1-based line of the test's `-`.
 */
line: number, 
/**
 * The key holding the test's event, as PAT reads it: `Resource` when the test has one,
 * else `Log`; `None` when it has neither.
 */
event_key: string | null, 
/**
 * The value under `event_key`, as JSON (`Node::to_json`).
 */
event: unknown, 
/**
 * The test's `Mocks` in order (none when the key is missing or not a list). A string is
 * given as is, another scalar as Python's `str()` of it (`True`, `1.5`), a mapping or
 * list as compact JSON, a missing key as an empty string.
 */
mocks: Array<Mock>, };

export type TestReport = { 
/**
 * PAT's exit code for the run.
 */
exit_code: number, 
/**
 * PAT's summary (`None` when PAT would have stopped before it).
 */
summary: Summary | null, 
/**
 * Every detection that ran, in PAT's order.
 */
detections: Array<DetectionResult>, 
/**
 * Wall time of the run.
 */
elapsed_ms: number, 
/**
 * The run was cancelled: `detections` holds what finished.
 */
cancelled: boolean, };

export type TokenState = "in_keyring" | "missing" | "keyring_unavailable";

export type TrustReason = { "kind": "folder" } | { "kind": "environment" } | { "kind": "demo" } | { "kind": "not_trusted" } | { "kind": "origin_changed", 
/**
 * The origin when it was trusted.
 */
trusted: string, 
/**
 * The origin now (`None`: no origin any more).
 */
now: string | null, };

export type TrustState = { 
/**
 * The workspace (as given).
 */
workspace: string, 
/**
 * Trusted: its code may run without the sandbox when the user asks, and its packages are
 * installed without asking.
 */
trusted: boolean, 
/**
 * Why.
 */
reason: TrustReason, 
/**
 * The folder whose trust covers this workspace (itself or a parent), when trusted by one.
 */
folder: string | null, 
/**
 * The origin remembered with the trust, when there is one.
 */
origin: string | null, };

export type UnitTest = { 
/**
 * The test's `Name`.
 */
name: string, 
/**
 * Its `ExpectedResult` (`false` when not a boolean; the spec is then invalid).
 */
expected_result: boolean, 
/**
 * Object names the test mocks.
 */
mocks: Array<string>, 
/**
 * Where the test starts in the spec (the `- Name:` line).
 */
span: Span, };

export type UnitTestResult = { 
/**
 * The test's `Name`.
 */
name: string, 
/**
 * PAT's verdict.
 */
passed: boolean, 
/**
 * The test failed before the detection ran (a bad mock, a missing key), as PAT reports it
 * in a log line rather than in the test's block.
 */
out_of_band: OutOfBand | null, 
/**
 * What the detection printed during the test (capped at 16 Mi characters).
 */
captured: string, 
/**
 * What it printed before an out-of-band failure (PAT drops it).
 */
discarded_output: string, 
/**
 * Log lines (stderr) written during the test.
 */
logs: string, 
/**
 * Each alert function's line: PAT's `[PASS] [title] …`.
 */
functions: Array<FunctionOutput>, 
/**
 * PAT's entries in the "Failed Tests Summary" (`name` or `name:function`).
 */
failed_entries: Array<string>, 
/**
 * Errors PAT counts without printing (`unique()`, functions `CreateAlert: false` hides).
 */
suppressed_errors: Array<SuppressedError>, 
/**
 * Whether the detection would alert on this event.
 */
trigger_alert: boolean | null, 
/**
 * What the matcher function returned.
 */
detection_output: unknown, 
/**
 * Whether any function raised.
 */
errored: boolean | null, 
/**
 * What the detection tried during this test (see [`Attempt`]).
 */
attempts?: Array<Attempt>, };

export type UnsupportedItem = { 
/**
 * The item's ID.
 */
id: string, 
/**
 * Its spec file, relative to the workspace root.
 */
path: string, 
/**
 * PAT's message (`LogTypes not supported by Panther instance: …`).
 */
message: string, };

export type UploadCounts = { 
/**
 * Items the instance did not have.
 */
new: number, 
/**
 * Items it had, now changed.
 */
modified: number, 
/**
 * Items uploaded.
 */
total: number, };

export type UploadSummary = { 
/**
 * `Rules`, `Queries`, … as PAT names them, in PAT's order.
 */
kinds: Array<[string, UploadCounts]>, 
/**
 * Whether the upload was asynchronous.
 */
asynchronous: boolean, 
/**
 * How many times the whole upload was tried again.
 */
retries: number, };

export type Uploaded = { 
/**
 * The instance's GraphQL URL.
 */
url: string, 
/**
 * What the instance answered, by kind (PAT's summary).
 */
summary: UploadSummary, 
/**
 * The archive's size in bytes.
 */
archive_bytes: number, 
/**
 * The items the archive held, in walk order.
 */
items: Array<UploadedItem>, };

export type UploadedItem = { 
/**
 * The item's ID (a saved query's name).
 */
id: string, 
/**
 * Its AnalysisType.
 */
analysis_type: AnalysisType, 
/**
 * Its spec file, relative to the workspace root.
 */
path: string, };

export type UpstreamAborted = { 
/**
 * Files restored from HEAD.
 */
restored: number, 
/**
 * Files the user had edited during the merge, kept as copies (path of the copy).
 */
kept: Array<string>, 
/**
 * A stash given back, or why not.
 */
stash_note: string | null, };

export type UpstreamCheck = { 
/**
 * Every item checked (touched or depending on something touched), problems first.
 */
items: Array<UpstreamItemCheck>, 
/**
 * Items that failed validation or tests.
 */
failed: number, };

export type UpstreamClass = "unchanged" | "changed_upstream" | "changed_in_fork" | "changed_both" | "new_upstream" | "new_in_fork" | "added_both" | "deleted_upstream" | "renamed_upstream" | "deleted_in_fork" | "deleted_both";

export type UpstreamCommitted = { 
/**
 * The merge commit.
 */
commit: string, 
/**
 * The commit before it (`prowl upstream undo` goes back to it).
 */
pre_merge: string, 
/**
 * Files in the commit's change.
 */
files: number, 
/**
 * A stash given back, or why not.
 */
stash_note: string | null, };

export type UpstreamDecision = { 
/**
 * Which kind.
 */
kind: UpstreamDecisionKind, 
/**
 * The question, in words.
 */
question: string, 
/**
 * The answers.
 */
options: Array<UpstreamDecisionOption>, 
/**
 * The answer Prowl would pick (the user must still pick one).
 */
proposed: UpstreamTake, 
/**
 * The answer taken (`prowl upstream resolve`).
 */
chosen: UpstreamTake | null, };

export type UpstreamDecisionKind = "deleted_upstream" | "renamed_upstream" | "deleted_in_fork" | "moved_both" | "whole_file";

export type UpstreamDecisionOption = { 
/**
 * What `--take` says for it.
 */
take: UpstreamTake, 
/**
 * What it does, in words.
 */
label: string, };

export type UpstreamDone = { 
/**
 * What was done.
 */
done: UpstreamStep, 
/**
 * The view afterwards.
 */
view: UpstreamView, };

export type UpstreamFetchProgress = { 
/**
 * Objects received.
 */
received_objects: number, 
/**
 * Objects in the pack.
 */
total_objects: number, 
/**
 * Bytes received.
 */
received_bytes: number, };

export type UpstreamFetched = { 
/**
 * The remote.
 */
remote: string, 
/**
 * Its URL (credentials removed).
 */
url: string, 
/**
 * Its default branch's commit after the fetch, when known.
 */
head: string | null, 
/**
 * Tags that look like releases, newest first (at most 20).
 */
releases: Array<string>, 
/**
 * Objects received.
 */
received_objects: number, };

export type UpstreamFile = { 
/**
 * Its path.
 */
path: string, 
/**
 * How it changed.
 */
class: UpstreamClass, 
/**
 * What the merge does with it.
 */
outcome: UpstreamOutcome, 
/**
 * Not text: merged only by taking a side.
 */
binary: boolean, 
/**
 * The choice it needs, when it cannot be merged.
 */
decision: UpstreamDecision | null, };

export type UpstreamInProgress = { 
/**
 * What is being merged.
 */
target: UpstreamTarget, 
/**
 * The branch HEAD was on when it started.
 */
branch: string | null, 
/**
 * The stash made for it (given back at commit or abort).
 */
stash: string | null, 
/**
 * Writing its files was interrupted: merging again resumes it (or abort).
 */
interrupted: boolean, };

export type UpstreamItem = { 
/**
 * The item's ID (the fork's, for an ID upstream changed).
 */
id: string, 
/**
 * `rule`, `policy`, ….
 */
analysis_type: string, 
/**
 * How it changed.
 */
class: UpstreamClass, 
/**
 * What the merge does with it.
 */
outcome: UpstreamOutcome, 
/**
 * Its spec after the merge (or where it was, when it goes).
 */
path: string, 
/**
 * Its spec at the merge base.
 */
base_path: string | null, 
/**
 * Its spec in the fork.
 */
ours_path: string | null, 
/**
 * Its spec upstream.
 */
theirs_path: string | null, 
/**
 * Its code file after the merge.
 */
code_path: string | null, 
/**
 * The new ID, for an ID upstream changed in place.
 */
renamed_to: string | null, 
/**
 * A move of its files, in words (`moved upstream: a.yml -> b.yml`).
 */
moved: string | null, 
/**
 * Upstream lists the ID in `deprecated.txt`.
 */
deprecated: boolean, 
/**
 * Spec keys both sides changed differently (resolved ones included, see `resolved`).
 */
conflicts: Array<UpstreamKeyConflict>, 
/**
 * Keys resolved by a choice, with the side taken.
 */
resolved: { [key in string]: UpstreamTake }, 
/**
 * A file of the item was merged by lines with conflicts (markers left in it).
 */
line_conflict: boolean, 
/**
 * Why the item should be read even though it merged (functions both sides changed).
 */
review: Array<string>, 
/**
 * Keys both sides changed that merged, with how.
 */
merged: Array<string>, 
/**
 * The choice it needs.
 */
decision: UpstreamDecision | null, 
/**
 * Notes (a file that could not be merged by key, an upstream item not added).
 */
notes: Array<string>, };

export type UpstreamItemCheck = { 
/**
 * The item's ID.
 */
id: string, 
/**
 * Its spec.
 */
path: string, 
/**
 * Validation errors (PAT's), with their line.
 */
invalid: Array<string>, 
/**
 * Tests that fail: `name: why`.
 */
failing: Array<string>, 
/**
 * Tests that ran.
 */
tests: number, };

export type UpstreamItemDetail = { 
/**
 * The item's change.
 */
item: UpstreamItem, 
/**
 * Its spec's and code's three versions and the proposed result.
 */
texts: UpstreamItemTexts, };

export type UpstreamItemTexts = { 
/**
 * The spec.
 */
spec: UpstreamThreeWay, 
/**
 * The code file.
 */
code: UpstreamThreeWay, };

export type UpstreamKeyConflict = { 
/**
 * `Severity`, `PackDefinition.IDs`, `Tests[Name of the test]`, `(header)`.
 */
path: string, 
/**
 * The common ancestor's text.
 */
base: string | null, 
/**
 * The fork's text.
 */
ours: string | null, 
/**
 * Upstream's text.
 */
theirs: string | null, 
/**
 * Why it is a conflict, in words.
 */
reason: string, };

export type UpstreamOutcome = "clean" | "merged" | "review" | "conflict" | "decision";

export type UpstreamPlan = { 
/**
 * The merge base (full hex).
 */
base: string, 
/**
 * The fork's commit.
 */
ours: string, 
/**
 * Upstream's commit.
 */
theirs: string, 
/**
 * Every item (unchanged ones included), decisions first.
 */
items: Array<UpstreamItem>, 
/**
 * Files that are not part of an item and changed on some side.
 */
files: Array<UpstreamFile>, 
/**
 * Items per class.
 */
counts: { [key in UpstreamClass]?: number }, };

export type UpstreamStep = { "kind": "remote_set" } | { "kind": "fetched", 
/**
 * What the fetch brought.
 */
fetched: UpstreamFetched, } | { "kind": "merged", 
/**
 * What was merged.
 */
target: UpstreamTarget, 
/**
 * Files written.
 */
files: number, 
/**
 * The stash made for it.
 */
stashed: string | null, 
/**
 * An interrupted write was resumed.
 */
resumed: boolean, } | { "kind": "resolved", 
/**
 * The item (or file) answered.
 */
id: string, } | { "kind": "accepted", 
/**
 * How many decisions.
 */
decisions: number, } | { "kind": "committed", 
/**
 * It.
 */
committed: UpstreamCommitted, } | { "kind": "aborted", 
/**
 * What was restored.
 */
aborted: UpstreamAborted, } | { "kind": "undone", 
/**
 * What was undone.
 */
undone: UpstreamUndone, };

export type UpstreamTake = "ours" | "theirs" | "both";

export type UpstreamTarget = { 
/**
 * As the user named it (or the remote's default branch).
 */
label: string, 
/**
 * The commit.
 */
commit: string, };

export type UpstreamThreeWay = { 
/**
 * The file's path after the merge.
 */
path: string | null, 
/**
 * At the merge base.
 */
base: string | null, 
/**
 * In the fork.
 */
ours: string | null, 
/**
 * Upstream.
 */
theirs: string | null, 
/**
 * The proposed result (with conflict markers where the user must choose); `None` when
 * the file goes.
 */
result: string | null, };

export type UpstreamUndone = { 
/**
 * The merge commit (still reachable from `refs/prowl/upstream/undone`).
 */
merge: string, 
/**
 * HEAD now.
 */
head: string, };

export type UpstreamView = { 
/**
 * The remote's name.
 */
remote: string, 
/**
 * Its URL (credentials removed); `None` when the fork has no such remote.
 */
url: string | null, 
/**
 * Tags that look like releases, newest first (fetched ones).
 */
releases: Array<string>, 
/**
 * The remote's default branch (`upstream/main`), when fetched.
 */
default_target: UpstreamTarget | null, 
/**
 * What the plan merges: the merge's target while one is in progress, else the target
 * asked for (the default branch when none was).
 */
target: UpstreamTarget | null, 
/**
 * The merge in progress.
 */
merge: UpstreamInProgress | null, 
/**
 * The plan: every item that changed on some side (unchanged ones are only counted in
 * `counts`) and the other files; `None` when it could not be made (see `problem`).
 */
plan: UpstreamPlan | null, 
/**
 * Why there is no plan (no remote, nothing fetched, an unknown target, not a content
 * repository, no common history).
 */
problem: ErrorInfo | null, 
/**
 * Items (by ID) and files (by path) that still need the user: during a merge, an untaken
 * decision or conflict markers still in a file; before one, what the merge would leave
 * to the user. A merge can be committed when this is empty.
 */
open: Array<string>, 
/**
 * Files of the merge in progress that still hold conflict markers.
 */
markers: Array<string>, 
/**
 * The check of the merged result (validation and unit tests of the items the merge
 * touched), once a merge was written.
 */
check: UpstreamCheck | null, 
/**
 * Why the merged result could not be checked (no Python environment, …).
 */
check_problem: ErrorInfo | null, 
/**
 * The upstream merge commit "undo" would take back (HEAD, made by Prowl), if any.
 */
undo: string | null, };

export type Verdict = "clean" | "review" | "dangerous";

export type WorkspaceView = { 
/**
 * The workspace folder, canonical.
 */
root: string, 
/**
 * The folder's name, for the window title; empty for a filesystem root.
 */
name: string, 
/**
 * Every valid item, in PAT's walk order.
 */
items: Array<ItemView>, 
/**
 * Every problem `prowl validate` reports for the whole workspace (no filter).
 */
diagnostics: Array<Diagnostic>, 
/**
 * The git status when the workspace is in a git repository.
 */
git: Status | null, 
/**
 * Whether the user trusts the workspace (what an untrusted one may not do is in
 * [`crate::trust`]).
 */
trust: TrustState, };

/** Match-expression conditions Prowl's compiler knows (rules_workspace::matchlang). */
export const MATCH_CONDITIONS = ["Equals", "DoesNotEqual", "IEquals", "IDoesNotEqual", "StartsWith", "DoesNotStartWith", "IStartsWith", "IDoesNotStartWith", "EndsWith", "DoesNotEndWith", "IEndsWith", "IDoesNotEndWith", "Contains", "DoesNotContain", "IContains", "IDoesNotContain", "Has", "DoesNotHave", "IsGreaterThan", "IsGreaterThanOrEquals", "IsLessThan", "IsLessThanOrEquals", "IsIn", "IsNotIn", "IsIPAddressInCIDR", "IsIPAddressNotInCIDR", "CIDRContainsIPAddresses", "CIDRDoesNotContainIPAddresses", "Exists", "DoesNotExist", "IsNull", "IsNotNull", "IsNullOrEmpty", "IsNotNullOrEmpty", "IsIPAddress", "IsIPv4Address", "IsIPv6Address", "IsIPAddressPublic", "IsIPAddressPrivate", "AllElements", "AnyElement", "NoElement", "OnlyOneElement", "AlwaysTrue", "AlwaysFalse"] as const;

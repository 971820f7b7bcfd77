// The types of ui/CONTRACT.md, written once; every component and module imports them from here
// (through api.ts or with `import type`), never redeclares them.
//
// Two parts, kept apart so the first can be swapped for types generated from the Rust structs:
// - payload types: the JSON the shell sends and takes, field names snake_case as the Rust core
//   serialises them. Each names the Rust type it mirrors; change them only to follow Rust.
// - UI-only types: what the front end adds around the payloads.

// ---- payload types (to be generated from Rust) ----

// ---- Errors ----------------------------------------------------------------------------------

/** Where an error points: a file, and the line and column when known (1-based). */
export interface ErrorLocation {
  file: string;
  line: number | null;
  column: number | null;
}

/**
 * The object `invoke` rejects with. `code` is stable and namespaced (`file.conflict`,
 * `file.not_found`, `session.no_workspace`, `edit.parse`, `git.*`, `env.*`, `engine.*`,
 * `workspace.not_found`, …): the UI switches on it, never on `message`.
 */
export interface ErrorInfo {
  code: string;
  message: string;
  hint: string | null;
  location: ErrorLocation | null;
}

// ---- Workspace -------------------------------------------------------------------------------

export interface ItemTest {
  name: string;
  expected_result: boolean;
  /** Object names the test mocks. */
  mocks: string[];
  /** Where the test starts in the spec (its `- Name:` line). */
  span: { line: number; col: number };
}

export interface Item {
  id: string;
  /** rule | scheduled_rule | policy | global | datamodel | pack | saved_query | scheduled_query | lookup_table | correlation_rule | ... */
  analysis_type: string;
  form: "python" | "simple" | null;
  spec_path: string;
  rel_path: string;
  code_path: string | null;
  display_name: string | null;
  enabled: boolean | null;
  severity: string | null;
  status: string | null;
  description: string | null;
  log_types: string[];
  scheduled_queries: string[];
  resource_types: string[];
  tags: string[];
  mitre: string[];
  base_detection: string | null;
  pack_members: string[];
  correlated_rules: string[];
  tests: ItemTest[];
  /** IDs of packs listing this item. */
  packs: string[];
}

export interface Span {
  line: number;
  col: number;
}

export interface Diagnostic {
  severity: "error" | "warning";
  code: string;
  file: string;
  rel_path: string;
  span: Span | null;
  summary: string;
  message: string;
  hint: string | null;
  pat: boolean;
}

/** rules_workspace::session::WorkspaceView */
export interface WorkspaceView {
  root: string;
  name: string;
  items: Item[];
  diagnostics: Diagnostic[];
  git: GitStatus | null;
}

export interface CloneProgress {
  received_objects: number;
  total_objects: number;
  indexed_objects: number;
  received_bytes: number;
}

// ---- Files -----------------------------------------------------------------------------------

/** src-tauri commands::FileText */
export interface FileText {
  path: string;
  text: string;
  stamp: string;
}

/** What save_file answers (src-tauri commands::Saved): the file's new stamp. */
export interface Saved {
  stamp: string;
}

/** What edit_tests answers (src-tauri commands::Edited): the spec text with the edit made. */
export interface Edited {
  text: string;
}

/** src-tauri recovery::Recovered */
export interface RecoveredBuffer {
  path: string;
  text: string;
  saved_at: string;
}

/** A mock as `add` writes it into the YAML (PAT's own key names). */
export interface YamlMock {
  objectName: string;
  returnValue: string;
}

/** A mock as `set_mocks` takes it (snake_case, as the contract spells it). */
export interface MockSpec {
  object_name: string;
  return_value: string;
}

export interface NewTest {
  Name: string;
  ExpectedResult: boolean;
  Log?: unknown;
  Resource?: unknown;
  Mocks?: YamlMock[];
}

/**
 * One unit test of a spec's text as the core reads it (PAT's YAML dialect: `yes` is the string
 * "yes", not true), from `list_tests`.
 */
export interface SpecTest {
  /** Position in the spec's `Tests` list (what `TestEdit.index` means). */
  index: number;
  /** `Name`; null when missing or not a string. */
  name: string | null;
  /** `ExpectedResult`; null when missing or not a boolean (`yes`, "true", 1). */
  expected: boolean | null;
  /** Which key holds the event, if any. */
  event_key: "Log" | "Resource" | null;
  /** The event under `event_key` (null when there is none). */
  event: unknown | null;
  mocks: MockSpec[];
  /** 1-based line of the test's `-` in the spec. */
  line: number;
}

export type TestEdit =
  | { kind: "add"; test: NewTest }
  | { kind: "duplicate"; index: number; name: string }
  | { kind: "rename"; index: number; name: string }
  | { kind: "delete"; index: number }
  | { kind: "set_expected"; index: number; expected: boolean }
  | { kind: "set_event"; index: number; event: unknown }
  | { kind: "set_mocks"; index: number; mocks: MockSpec[] };

export interface WorkspaceChanged {
  paths: string[];
  reindexed: boolean;
}

// ---- Tests -----------------------------------------------------------------------------------

export interface RunProgress {
  done: number;
  total: number;
  id: string;
}

export interface Summary {
  passed: number;
  skipped: number;
  failed: number;
  invalid: number;
  skipped_detections: [string, string][];
  failed_tests: [string, string[]][];
  invalid_specs: [string, string][];
}

export interface TracebackFrame {
  file: string;
  line: number;
  function: string;
  user: boolean;
}

export interface PyError {
  type: string;
  message: string;
  traceback: TracebackFrame[];
}

export interface FunctionResult {
  name: string;
  passed: boolean;
  output_text: string;
  error: PyError | null;
}

export interface TestResult {
  name: string;
  passed: boolean;
  captured: string;
  out_of_band: { kind: string; message: string } | null;
  functions: FunctionResult[];
  suppressed_errors: { name: string; error: PyError }[];
}

export interface DetectionResult {
  id: string;
  spec_path: string;
  module_output: string;
  setup_error: PyError | null;
  results: TestResult[];
  elapsed_ms: number;
}

/** rules_workspace::session::TestReport */
export interface TestReport {
  exit_code: number;
  summary: Summary | null;
  detections: DetectionResult[];
  elapsed_ms: number;
  /** The run was cancelled (cancel_run): the detections are those that finished before. */
  cancelled: boolean;
}

// ---- Git -------------------------------------------------------------------------------------

export type Change =
  | "unmodified"
  | "added"
  | "modified"
  | "deleted"
  | "renamed"
  | "untracked"
  | "type_change";

/** How the two sides of an unresolved merge conflict disagree (rules_workspace::fork::Conflict). */
export type GitConflict =
  | "both_modified"
  | "both_added"
  | "both_deleted"
  | "added_by_us"
  | "added_by_them"
  | "deleted_by_us"
  | "deleted_by_them";

/** rules_workspace::fork::FileStatus */
export interface GitFile {
  /** Relative to the working tree's root, `/` separators; for a rename, the new path. */
  path: string;
  /** For a rename staged in the index, the path in HEAD. */
  old_path: string | null;
  index: Change;
  worktree: Change;
  conflicted: boolean;
  /** For a conflicted file, how the two sides disagree. */
  conflict: GitConflict | null;
}

/** rules_workspace::fork::Status */
export interface GitStatus {
  branch: string | null;
  head: string | null;
  detached: boolean;
  /** An operation git has not finished (`merge`, `rebase`, `cherry_pick`, …), if any. */
  operation: string | null;
  files: GitFile[];
}

export interface DiffLine {
  tag: "equal" | "insert" | "delete";
  text: string;
  old_line: number | null;
  new_line: number | null;
}

export interface DiffHunk {
  old_start: number;
  old_lines: number;
  new_start: number;
  new_lines: number;
  lines: DiffLine[];
}

/** rules_workspace::fork::FileDiff */
export interface FileDiff {
  path: string;
  /** For a staged rename, the path the file had in HEAD. */
  old_path: string | null;
  old_text: string | null;
  new_text: string | null;
  binary: boolean;
  unified: string;
  hunks: DiffHunk[];
}

/** What git_commit answers (src-tauri commands::Committed). */
export interface Committed {
  oid: string;
  status: GitStatus;
}

/** rules_workspace::fork::Branch */
export interface Branch {
  name: string;
  current: boolean;
  upstream: string | null;
}

// ---- end of payload types ----

// ---- UI-only types ---------------------------------------------------------------------------

/**
 * Codes the front end gives errors that never came from the shell: `shell.unavailable` (the page
 * runs outside the Tauri window), `shell.invoke` (the invoke itself failed with something that is
 * no ErrorInfo, such as Tauri's own "command not found" string).
 */
export type ClientErrorCode = "shell.unavailable" | "shell.invoke";

// The types of ui/CONTRACT.md; every component and module imports them from here (through
// api.ts or with `import type`), never redeclares them.
// - payload types: generated from the Rust types (never written by hand);
// - UI-only types: what the front end adds around the payloads.

// ---- payload types: generated from the Rust types (src/lib/generated/contract.ts) ----------
// The shell's payloads are exactly these; `src-tauri/tests/contract.rs` fails when the generated
// file is stale. The names the UI has always used are aliases of the Rust names.

import type * as G from "./generated/contract";

export type {
  Alert,
  AlertBrief,
  AlertChange,
  AlertEvents,
  AnalysisType,
  Approval,
  Attempt,
  AuditCode,
  AuditProgress,
  AuditReport,
  AuditSeverity,
  AuditSourceKind,
  AuditSummary,
  AuditedItem,
  Branch,
  Change,
  CloneProgress,
  ClusterCheck,
  ClusterNode,
  ClusterRun,
  ClusterSettings,
  ClusterSettingsView,
  Cloned,
  Committed,
  DetectionForm,
  DetectionImpact,
  DetectionReport,
  EventTest,
  DetectionResult,
  Diagnostic,
  DiffLine,
  DynamicStatus,
  Edited,
  EnvSyncOutcome,
  EnvironmentView,
  ErrorInfo,
  Fatal,
  FileDiff,
  FileText,
  Impact,
  ImpactView,
  InstalledPackage,
  KeepLimits,
  KeptEvent,
  LeftOut,
  LostBatch,
  Manifest,
  Origin,
  OutOfBand,
  PlannedPackage,
  PyError,
  Reason,
  RecordedAttempt,
  Replacement,
  ReplayProgress,
  ReplayReport,
  ReplayView,
  DeleteOutcome,
  Deleted,
  DeployEvent,
  DeployLevel,
  DeployOutcome,
  DeployStage,
  Drift,
  DriftChange,
  DriftDifferent,
  DriftOneSide,
  DriftView,
  ProfileRow,
  RemoteConnection,
  RemoteView,
  TokenState,
  UnsupportedItem,
  UploadCounts,
  UploadSummary,
  Uploaded,
  UploadedItem,
  UpstreamAborted,
  UpstreamCheck,
  UpstreamClass,
  UpstreamCommitted,
  UpstreamDecision,
  UpstreamDecisionKind,
  UpstreamDecisionOption,
  UpstreamDone,
  UpstreamFetchProgress,
  UpstreamFetched,
  UpstreamFile,
  UpstreamInProgress,
  UpstreamItem,
  UpstreamItemCheck,
  UpstreamItemDetail,
  UpstreamItemTexts,
  UpstreamKeyConflict,
  UpstreamOutcome,
  UpstreamPlan,
  UpstreamStep,
  UpstreamTake,
  UpstreamTarget,
  UpstreamThreeWay,
  UpstreamUndone,
  UpstreamView,
  Saved,
  SkippedEntry,
  SourceInfo,
  Span,
  Summary,
  SuppressedError,
  TestEdit,
  TestReport,
  TrustReason,
  TrustState,
  Verdict,
  WorkspaceView,
} from "./generated/contract";

/** rules_workspace::error::Location: where an error points (1-based line and column). */
export type ErrorLocation = G.Location;
/** rules_workspace::spec::UnitTest: a test as the workspace view lists it. */
export type ItemTest = G.UnitTest;
/** rules_workspace::session::ItemView: an item and the packs listing it. */
export type Item = G.ItemView;
/** rules_workspace::workspace::recovery::Recovered */
export type RecoveredBuffer = G.Recovered;
/** rules_workspace::spec::edit::TestInfo: one test of a spec's text, from `list_tests`. */
export type SpecTest = G.TestInfo;
/** rules_workspace::spec::edit::Mock, as `set_mocks` takes it. */
export type MockSpec = G.Mock;
/** rules_workspace::session::shared::Changed: payload of `workspace://changed`. */
export type WorkspaceChanged = G.Changed;
/** rules_workspace::testing::Progress */
export type RunProgress = G.Progress;
/** rules_workspace::engine::messages::Frame */
export type TracebackFrame = G.Frame;
/** rules_workspace::engine::messages::FunctionOutput */
export type FunctionResult = G.FunctionOutput;
/** rules_workspace::engine::messages::UnitTestResult */
export type TestResult = G.UnitTestResult;
/** rules_workspace::fork::Conflict */
export type GitConflict = G.Conflict;
/** rules_workspace::fork::FileStatus */
export type GitFile = G.FileStatus;
/** rules_workspace::fork::Status */
export type GitStatus = G.Status;
/** rules_workspace::fork::Hunk */
export type DiffHunk = G.Hunk;
/** rules_workspace::audit::Finding: one finding of a pack's audit. */
export type AuditFinding = G.Finding;

/** A mock as `add` writes it into the YAML (PAT's own key names). */
export interface YamlMock {
  objectName: string;
  returnValue: string;
}

/** The test `add` takes (`TestEdit.add.test`): PAT's keys. */
export interface NewTest {
  Name: string;
  ExpectedResult: boolean;
  Log?: unknown;
  Resource?: unknown;
  Mocks?: YamlMock[];
}

// ---- end of payload types ----

// ---- UI-only types ---------------------------------------------------------------------------

/**
 * Codes the front end gives errors that never came from the shell: `shell.unavailable` (the page
 * runs outside the Tauri window), `shell.invoke` (the invoke itself failed with something that is
 * no ErrorInfo, such as Tauri's own "command not found" string).
 */
export type ClientErrorCode = "shell.unavailable" | "shell.invoke";

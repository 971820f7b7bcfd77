// Every call from the front end to the Rust shell, typed after ui/CONTRACT.md. Stores call
// these functions; no component calls `invoke` or `listen` with a string of its own.
//
// Outside the Tauri window (a plain browser, `vite dev`) there is no shell: every command
// rejects with a ShellError of code `shell.unavailable` that says so. There is deliberately no
// fake backend here.

import { Channel, invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import type {
  AlertEvents,
  AuditProgress,
  AuditReport,
  AuditSourceKind,
  DeleteOutcome,
  DeployEvent,
  DeployOutcome,
  DriftView,
  RemoteConnection,
  RemoteView,
  Branch,
  ClientErrorCode,
  ClusterCheck,
  ClusterSettingsView,
  CloneProgress,
  Cloned,
  Committed,
  Diagnostic,
  Edited,
  EnvSyncOutcome,
  EnvironmentView,
  ErrorInfo,
  EventTest,
  ErrorLocation,
  FileDiff,
  FileText,
  GitStatus,
  ImpactView,
  RecoveredBuffer,
  ReplayProgress,
  ReplayView,
  RunProgress,
  Saved,
  SpecTest,
  TestEdit,
  TestReport,
  TrustState,
  UpstreamDone,
  UpstreamFetchProgress,
  UpstreamItemDetail,
  UpstreamTake,
  UpstreamView,
  WorkspaceChanged,
  WorkspaceView,
} from "./contract";

export type * from "./contract";

/** The error every wrapper rejects with: the shell's ErrorInfo, as an Error with its fields. */
export class ShellError extends Error implements ErrorInfo {
  readonly code: string;
  readonly hint: string | null;
  readonly location: ErrorLocation | null;

  constructor(info: ErrorInfo) {
    super(info.message);
    this.name = "ShellError";
    this.code = info.code;
    this.hint = info.hint;
    this.location = info.location;
  }

  /** "file:line:column" (or "file:line", "file") when the error has a place, else null. */
  get place(): string | null {
    const at = this.location;
    if (!at) return null;
    if (at.line == null) return at.file;
    return at.column != null ? `${at.file}:${at.line}:${at.column}` : `${at.file}:${at.line}`;
  }
}

/** Whether the page runs inside the Tauri window (the shell injected its IPC bridge). */
export function inTauri(): boolean {
  return (
    typeof window !== "undefined" &&
    (window as unknown as { __TAURI_INTERNALS__?: unknown }).__TAURI_INTERNALS__ !== undefined
  );
}

function clientError(code: ClientErrorCode, message: string, hint: string | null = null): ShellError {
  return new ShellError({ code, message, hint, location: null });
}

function noShell(command: string): ShellError {
  return clientError(
    "shell.unavailable",
    `Prowl's desktop shell is not available, so \`${command}\` cannot run.`,
    "This page is running outside the Prowl window (for example in a browser from `vite dev`). Start the desktop app to open workspaces.",
  );
}

function locationOf(value: unknown): ErrorLocation | null {
  if (!value || typeof value !== "object") return null;
  const o = value as Record<string, unknown>;
  if (typeof o.file !== "string") return null;
  return {
    file: o.file,
    line: typeof o.line === "number" ? o.line : null,
    column: typeof o.column === "number" ? o.column : null,
  };
}

/**
 * Turns whatever a rejected `invoke` carries into a ShellError. The contract promises an
 * ErrorInfo; anything else (a string from Tauri itself, such as "command not found" or a denied
 * capability) becomes code `shell.invoke` with that text, so nothing is lost.
 */
export function toShellError(error: unknown): ShellError {
  if (error instanceof ShellError) return error;
  if (error && typeof error === "object") {
    const o = error as Record<string, unknown>;
    if (typeof o.message === "string") {
      return new ShellError({
        code: typeof o.code === "string" && o.code !== "" ? o.code : "shell.invoke",
        message: o.message,
        hint: typeof o.hint === "string" ? o.hint : null,
        location: locationOf(o.location),
      });
    }
  }
  return clientError("shell.invoke", typeof error === "string" ? error : String(error));
}

async function call<T>(command: string, args: Record<string, unknown> = {}): Promise<T> {
  if (!inTauri()) throw noShell(command);
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    throw toShellError(error);
  }
}

function channel<T>(command: string, onMessage: (message: T) => void): Channel<T> {
  if (!inTauri()) throw noShell(command);
  const ch = new Channel<T>();
  ch.onmessage = onMessage;
  return ch;
}

// ---- Workspace -------------------------------------------------------------------------------

export function openWorkspace(path: string): Promise<WorkspaceView> {
  return call("open_workspace", { path });
}

export function openDemo(): Promise<WorkspaceView> {
  return call("open_demo");
}

export function recentWorkspaces(): Promise<string[]> {
  return call("recent_workspaces");
}

export async function cloneWorkspace(
  url: string,
  dest: string,
  onProgress: (progress: CloneProgress) => void,
): Promise<Cloned> {
  const ch = channel("clone_workspace", onProgress);
  return call("clone_workspace", { url, dest, onProgress: ch });
}

/** The workspace the shell has open (given on the command line, or opened earlier), if any. */
export function workspaceView(): Promise<WorkspaceView | null> {
  return call("workspace_view");
}

// ---- Files and live validation ---------------------------------------------------------------

export function readFile(path: string): Promise<FileText> {
  return call("read_file", { path });
}

export function validateBuffer(path: string, text: string): Promise<Diagnostic[]> {
  return call("validate_buffer", { path, text });
}

export function saveFile(path: string, text: string, stamp: string | null): Promise<Saved> {
  return call("save_file", { path, text, stamp });
}

export function editTests(text: string, edit: TestEdit): Promise<Edited> {
  return call("edit_tests", { text, edit });
}

/**
 * The tests of a spec's text, as the core reads them. Rejects with an `edit.*` code when the
 * text cannot be read as a spec (`edit.parse` with the line, `edit.not_a_list`, …).
 */
export function listTests(text: string): Promise<SpecTest[]> {
  return call("list_tests", { text });
}

export function recoverySave(path: string, text: string): Promise<null> {
  return call("recovery_save", { path, text });
}

export function recoveryList(): Promise<RecoveredBuffer[]> {
  return call("recovery_list");
}

export function recoveryClear(path: string): Promise<null> {
  return call("recovery_clear", { path });
}

// ---- Tests -----------------------------------------------------------------------------------

export async function runTests(
  ids: string[] | null,
  testNames: string[] | null,
  onProgress: (progress: RunProgress) => void,
): Promise<TestReport> {
  const ch = channel("run_tests", onProgress);
  return call("run_tests", { ids, testNames, onProgress: ch });
}

export function cancelRun(): Promise<null> {
  return call("cancel_run");
}

// ---- Git -------------------------------------------------------------------------------------

export function gitStatus(): Promise<GitStatus> {
  return call("git_status");
}

export function gitDiff(path: string, staged: boolean): Promise<FileDiff> {
  return call("git_diff", { path, staged });
}

export function gitStage(paths: string[]): Promise<GitStatus> {
  return call("git_stage", { paths });
}

export function gitUnstage(paths: string[]): Promise<GitStatus> {
  return call("git_unstage", { paths });
}

/** Throws away worktree changes; the caller confirms with the user first. */
export function gitDiscard(paths: string[]): Promise<GitStatus> {
  return call("git_discard", { paths });
}

export function gitCommit(message: string): Promise<Committed> {
  return call("git_commit", { message });
}

export function gitBranches(): Promise<Branch[]> {
  return call("git_branches");
}

export function gitCheckout(branch: string): Promise<GitStatus> {
  return call("git_checkout", { branch });
}

// ---- Python environment --------------------------------------------------------------------

/** The open workspace's Python environment: status, problem, what it holds, what a sync would do. */
export function environmentView(): Promise<EnvironmentView> {
  return call("environment_view");
}

/**
 * Syncs the open workspace's environment; each progress line goes to `onProgress`. With
 * `approved: null` a workspace that asks for packages answers `needs_approval` with the exact
 * list and installs nothing; call again with that list (`name==version`, in the order received).
 * `allowBuilds`: packages allowed to build from source (after an `env.source_build` error).
 */
export async function syncEnvironment(
  approved: string[] | null,
  allowBuilds: string[] | null,
  onProgress: (line: string) => void,
): Promise<EnvSyncOutcome> {
  const ch = channel("sync_environment", onProgress);
  return call("sync_environment", { approved, allowBuilds, onProgress: ch });
}

/** Stops the sync going on; it then rejects with `env.cancelled` (the previous environment stays). */
export function cancelEnvironmentSync(): Promise<null> {
  return call("cancel_environment_sync");
}

// ---- Workspace trust -----------------------------------------------------------------------

/** Whether the open workspace is trusted, and why. */
export function trustView(): Promise<TrustState> {
  return call("trust_view");
}

/**
 * Trusts the open workspace's folder (remembering its git origin) or revokes that trust; the
 * shell restarts the test workers so the next run follows the decision.
 */
export function setTrust(trusted: boolean): Promise<TrustState> {
  return call("set_trust", { trusted });
}

// ---- Audit of a third-party pack -------------------------------------------------------------

/**
 * Audits a pack (a folder, a git URL or an archive) and keeps its files for `auditFile`.
 * `against: null` compares it with the open workspace. Rejects with `audit.cancelled` after
 * `cancelAudit`, `audit.busy` while another audit runs.
 */
export async function auditSource(
  source: string,
  kind: AuditSourceKind,
  against: string | null,
  dynamic: boolean,
  onProgress: (progress: AuditProgress) => void,
): Promise<AuditReport> {
  const ch = channel("audit_source", onProgress);
  return call("audit_source", { source, kind, against, dynamic, onProgress: ch });
}

/** Stops the audit going on; it then rejects with `audit.cancelled`. */
export function cancelAudit(): Promise<null> {
  return call("cancel_audit");
}

/** The text of a file of the last audited pack, `path` relative to its root (as findings name it). */
export function auditFile(path: string): Promise<string> {
  return call("audit_file", { path });
}

// ---- Replay ----------------------------------------------------------------------------------

/** The open workspace's conventional log folders (`sample_logs/`) that exist. */
export function replaySources(): Promise<string[]> {
  return call("replay_sources");
}

/**
 * Replays log files or folders (relative to the workspace, or absolute) through the workspace's
 * enabled rules (`filter`: `--filter` arguments, null for all), on this machine (`cluster`
 * null) or on the Ray cluster at `cluster` (`report.cluster` then says what it did). The report
 * says `cancelled` after `cancelReplay`; the events of the first alerts are kept for
 * `replayEvents`.
 */
export async function runReplay(
  sources: string[],
  filter: string[] | null,
  cluster: string | null,
  onProgress: (progress: ReplayProgress) => void,
): Promise<ReplayView> {
  const ch = channel("run_replay", onProgress);
  return call("run_replay", { sources, filter, cluster, onProgress: ch });
}

/**
 * "Impact": the same sources through the rules as they are in the last commit and in the
 * working tree, and the alerts each detection gains, loses and changes; on this machine's
 * workers, or (`cluster`: its address) both sides on the Ray cluster. `cancelReplay` stops it.
 */
export async function replayImpact(
  sources: string[],
  filter: string[] | null,
  cluster: string | null,
  onProgress: (progress: ReplayProgress) => void,
): Promise<ImpactView> {
  const ch = channel("replay_impact", onProgress);
  return call("replay_impact", { sources, filter, cluster, onProgress: ch });
}

/** Stops the replay going on; it then answers with what was done. */
export function cancelReplay(): Promise<null> {
  return call("cancel_replay");
}

/** The kept events of an alert of the last replay. */
export function replayEvents(alert: number): Promise<AlertEvents> {
  return call("replay_events", { alert });
}

/** The unit test made of a kept event: the edit for its detection's spec (`name` empty: the default). */
export function replayEventTest(alert: number, index: number, name: string, expected: boolean): Promise<EventTest> {
  return call("replay_event_test", { alert, index, name, expected });
}

// ---- The Ray cluster replays run on (Settings) ----------------------------------------------

/** The cluster the user set (kept per user in Prowl's config folder) and the default driver Python. */
export function clusterSettings(): Promise<ClusterSettingsView> {
  return call("cluster_settings");
}

/** Keeps the cluster's address and the driver's Python (null or empty: unset / the default). */
export function saveClusterSettings(address: string | null, python: string | null): Promise<ClusterSettingsView> {
  return call("save_cluster_settings", { address, python });
}

/** "Check connection": connects to the cluster at `address` and probes its nodes (no workspace is sent). */
export function checkCluster(address: string, python: string | null): Promise<ClusterCheck> {
  return call("check_cluster", { address, python });
}

// ---- Deploy to a Panther instance ----------------------------------------------------------------
// `profile: null` is PAT's environment variables (PANTHER_API_HOST and PANTHER_API_TOKEN), else
// the default profile, as `prowl remote` picks. Tokens go to the keyring and never come back.

/** The profiles (a token only as "in the keyring or not") and the environment's instance. */
export function remoteView(): Promise<RemoteView> {
  return call("remote_view");
}

/** Checks the token against the instance, then keeps the profile (host in Prowl's config, token in the keyring). */
export function remoteLogin(profile: string, apiHost: string, token: string, makeDefault: boolean): Promise<RemoteConnection> {
  return call("remote_login", { profile, apiHost, token, makeDefault });
}

/** Removes a profile's token from the keyring (and the profile with `forget`). */
export function remoteLogout(profile: string, forget: boolean): Promise<null> {
  return call("remote_logout", { profile, forget });
}

/** PAT's `check-connection`: the instance's Panther version. */
export function remoteCheck(profile: string | null): Promise<RemoteConnection> {
  return call("remote_check", { profile });
}

/** What an upload of the open workspace would change on the instance. */
export function remoteDrift(profile: string | null): Promise<DriftView> {
  return call("remote_drift", { profile });
}

/** Tests, then uploads the open workspace, as `prowl remote upload`; every step goes to `onEvent`. */
export async function remoteUpload(profile: string | null, skipTests: boolean, onEvent: (event: DeployEvent) => void): Promise<DeployOutcome> {
  const ch = channel("remote_upload", onEvent);
  return call("remote_upload", { profile, skipTests, onEvent: ch });
}

/** Deletes detections (IDs) and saved queries (names) from the instance; `dryRun` only says what would go. */
export function remoteDelete(profile: string | null, ids: string[], queries: string[], dryRun: boolean): Promise<DeleteOutcome> {
  return call("remote_delete", { profile, ids, queries, dryRun });
}

// ---- Upstream merge -----------------------------------------------------------------------------
// The fork's `upstream` remote, as `prowl upstream` uses it. `target`: a branch of the remote, a
// tag (a release) or a commit; null: the remote's default branch (ignored while a merge is in
// progress). Every write answers what it did and the view after it.

/** The remote, its releases, the plan of merging `target` (or of the merge in progress), what is open, the merged result's check. */
export function upstreamView(target: string | null): Promise<UpstreamView> {
  return call("upstream_view", { target });
}

/** Points the upstream remote at `url` (adding it when missing). */
export function upstreamSetRemote(url: string): Promise<UpstreamDone> {
  return call("upstream_set_remote", { url });
}

/** Fetches the upstream remote's branches and tags; progress on `onProgress`. */
export async function upstreamFetch(target: string | null, onProgress: (p: UpstreamFetchProgress) => void): Promise<UpstreamDone> {
  const ch = channel("upstream_fetch", onProgress);
  return call("upstream_fetch", { target, onProgress: ch });
}

/** Stops the fetch going on (it rejects with `upstream.fetch_cancelled`). */
export function cancelUpstreamFetch(): Promise<null> {
  return call("cancel_upstream_fetch");
}

/** One item of the plan with its three versions and the proposed result. */
export function upstreamItem(id: string, target: string | null): Promise<UpstreamItemDetail> {
  return call("upstream_item", { id, target });
}

/** Writes the merge into the working tree (`stash`: uncommitted changes stashed first) and checks the result. */
export function upstreamMerge(target: string | null, stash: boolean): Promise<UpstreamDone> {
  return call("upstream_merge", { target, stash });
}

/** Answers an item's (or a file's) decision or conflicts: a side for all of it, or per spec key. */
export function upstreamResolve(id: string, take: UpstreamTake | null, keys: Record<string, UpstreamTake> | null): Promise<UpstreamDone> {
  return call("upstream_resolve", { id, take, keys });
}

/** Takes Prowl's proposed answer for every open decision. */
export function upstreamAcceptProposed(): Promise<UpstreamDone> {
  return call("upstream_accept_proposed");
}

/** Makes the merge commit (both parents) once nothing is open; `message` null: the default. */
export function upstreamCommit(message: string | null): Promise<UpstreamDone> {
  return call("upstream_commit", { message });
}

/** Stops the merge in progress: the files it wrote go back to HEAD. */
export function upstreamAbort(): Promise<UpstreamDone> {
  return call("upstream_abort");
}

/** Takes back the last upstream merge commit. */
export function upstreamUndo(): Promise<UpstreamDone> {
  return call("upstream_undo");
}

// ---- Events ----------------------------------------------------------------------------------

export const WORKSPACE_CHANGED = "workspace://changed";

/**
 * Calls `handler` for every `workspace://changed` event. Outside Tauri there are no events:
 * the returned unlisten function does nothing (the first command already reports `shell.unavailable`).
 */
export async function onWorkspaceChanged(
  handler: (payload: WorkspaceChanged) => void,
): Promise<() => void> {
  if (!inTauri()) return () => {};
  try {
    return await listen<WorkspaceChanged>(WORKSPACE_CHANGED, (event) => handler(event.payload));
  } catch (error) {
    throw toShellError(error);
  }
}

// The app's state, composed of stores that each own one part of it (src/lib/stores/):
//
//   notices    what the app tells the user: notices, the output log, the confirmation dialog
//   layout     panel, sidebar, pickers, theme
//   workspace  the open workspace's view (items, diagnostics, git status) and its indexes
//   buffers    open files: text, saved text, stamps, conflicts, live diagnostics, recovery copies
//   recovery   unsaved buffers an earlier session left, offered for restoring
//   tabs       editor tabs, the active one, recently opened items
//   runs       test runs: progress, cancel, the last report, results per detection
//   facts      derived per-item facts and problem counts (no state of its own)
//   git        the git view: branches, the selected file's diff, stage/commit/checkout
//   environment  the workspace's Python environment: its view, sync, approval, progress
//   trust      whether the workspace is trusted: the restricted-mode banner, trusting, revoking
//   audit      the Audit view: a third-party pack's audit, its progress, report and files
//   replay     the Replay view: logs replayed through the rules, the alerts, their kept events
//   cluster    the Settings view's Ray cluster (kept per user): the address replays may run on, its check
//   deploy     the Deploy view: profiles, connection, drift preview, upload, deletion
//   upstream   the Upstream view: the upstream merge's plan, an item's three versions, the steps
//   launcher   the start screen: recent workspaces, open, demo, clone
//
// Components read state from the stores (`wb.buffers.get(path)`, `wb.runs.report`) and call the
// store that owns what they change (`wb.tabs.openItem(id)`, `wb.git.stage(paths)`); the methods
// here are the flows that span stores (entering and leaving a workspace, files changed on disk,
// saving the active tab, restoring a recovered buffer, showing and setting up the environment,
// adding a replayed event to its detection's spec as a unit test). Only stores and this file call api.ts.
// One instance, created by App.svelte and handed to components through context.

import { getContext, setContext } from "svelte";
import * as api from "./api";
import type { RecoveredBuffer, WorkspaceChanged, WorkspaceView } from "./contract";
import { isEnvironmentFile } from "./environment";
import { relativeTo } from "./paths";
import { OpenBuffers } from "./stores/buffers.svelte";
import { PackAudit } from "./stores/audit.svelte";
import { PythonEnvironment } from "./stores/environment.svelte";
import { WorkspaceFacts } from "./stores/facts.svelte";
import { SourceControl } from "./stores/git.svelte";
import { Launcher } from "./stores/launcher.svelte";
import { Layout } from "./stores/layout.svelte";
import { Notices } from "./stores/notices.svelte";
import { RecoveryOffers, savedAtText } from "./stores/recovery.svelte";
import { ReplayCluster } from "./stores/cluster.svelte";
import { LogReplay } from "./stores/replay.svelte";
import { Deploy } from "./stores/deploy.svelte";
import { UpstreamMerge } from "./stores/upstream.svelte";
import { TestRuns } from "./stores/runs.svelte";
import { EditorTabs } from "./stores/tabs.svelte";
import { WorkspaceTrust } from "./stores/trust.svelte";
import { OpenWorkspace } from "./stores/workspace.svelte";

export class Workbench {
  readonly notices = new Notices();
  readonly layout = new Layout();
  readonly workspace: OpenWorkspace;
  readonly buffers: OpenBuffers;
  readonly recovery: RecoveryOffers;
  readonly tabs: EditorTabs;
  readonly runs: TestRuns;
  readonly facts: WorkspaceFacts;
  readonly git: SourceControl;
  readonly environment: PythonEnvironment;
  readonly trust: WorkspaceTrust;
  readonly audit: PackAudit;
  readonly replay: LogReplay;
  readonly cluster: ReplayCluster;
  readonly deploy: Deploy;
  readonly upstream: UpstreamMerge;
  readonly launcher: Launcher;

  constructor() {
    this.workspace = new OpenWorkspace(this.notices, () => this.leave());
    this.buffers = new OpenBuffers(this.notices, this.workspace);
    this.recovery = new RecoveryOffers(this.notices);
    this.tabs = new EditorTabs(this.workspace, this.buffers, this.notices, this.layout);
    this.runs = new TestRuns(this.notices, this.workspace, this.buffers, this.layout, () => void this.setUpEnvironment());
    this.facts = new WorkspaceFacts(this.workspace, this.buffers, this.runs);
    this.git = new SourceControl(this.workspace, this.buffers, this.notices);
    this.environment = new PythonEnvironment(this.notices, this.workspace);
    this.trust = new WorkspaceTrust(this.notices);
    this.audit = new PackAudit(this.notices, this.workspace);
    this.cluster = new ReplayCluster(this.notices);
    this.replay = new LogReplay(this.notices, () => this.cluster.saved);
    this.deploy = new Deploy(this.notices);
    this.upstream = new UpstreamMerge(this.notices, this.workspace);
    this.launcher = new Launcher(
      (view) => void this.enter(view),
      (warning) => {
        this.notices.log("git", `Clone: ${warning}`);
        this.notices.inform(warning);
      },
    );
  }

  /**
   * At start: follows `workspace://changed` and enters the workspace the shell already has open
   * (`prowl app DIR`). Returns what stops it all.
   */
  start(): () => void {
    let unlisten: (() => void) | null = null;
    let stopped = false;
    api
      .onWorkspaceChanged((change) => void this.onDiskChanged(change))
      .then((u) => {
        if (stopped) u();
        else unlisten = u;
      })
      .catch((e) => this.notices.fail("Could not watch the workspace for changes", e));
    void this.resume();
    return () => {
      stopped = true;
      unlisten?.();
      this.buffers.stopRecoveryCopies();
    };
  }

  /** Enters the workspace the shell has open, if any and none is shown yet. */
  async resume(): Promise<void> {
    try {
      const view = await api.workspaceView();
      if (view && !this.workspace.view) await this.enter(view);
    } catch (e) {
      this.notices.fail("Could not read the open workspace", e, "workspace");
    }
  }

  async enter(view: WorkspaceView): Promise<void> {
    this.#reset();
    this.workspace.view = view;
    this.notices.log("workspace", `Opened ${view.name} (${view.root}): ${view.items.length} items, ${view.diagnostics.length} problems`);
    this.trust.enter(view.trust);
    this.buffers.startRecoveryCopies();
    await Promise.all([this.recovery.load(view.root), this.environment.load(), this.replay.load(), this.cluster.load()]);
  }

  leave(): void {
    this.#reset();
    this.workspace.view = null;
  }

  #reset(): void {
    this.buffers.stopRecoveryCopies();
    this.buffers.clear();
    this.tabs.clear();
    this.runs.clear();
    this.facts.clear();
    this.git.clear();
    this.environment.clear();
    this.recovery.clear();
    this.trust.clear();
    this.replay.clear();
    this.deploy.clear();
    this.upstream.clear();
  }

  /** Closes the workspace, after asking when files have unsaved changes. */
  async close(): Promise<void> {
    const dirty = this.buffers.dirtyPaths();
    if (dirty.length > 0) {
      const ok = await this.notices.confirm("Close the workspace?", `${dirty.length} file(s) have unsaved changes; they will be lost.`, "Close", true);
      if (!ok) return;
    }
    this.leave();
  }

  /**
   * `workspace://changed`: re-index, then bring open buffers up to date; re-read the
   * environment's view when a requirement or lock file changed (it may be stale now).
   */
  async onDiskChanged(change: WorkspaceChanged): Promise<void> {
    if (!this.workspace.view) return;
    const root = this.workspace.root;
    const requirements = change.paths.some((p) => isEnvironmentFile(root, p));
    await this.workspace.reread();
    if (!this.workspace.view) return;
    await Promise.all([this.buffers.onDiskChanged(change), requirements ? this.environment.load() : null]);
  }

  /** Shows the Python environment's view. */
  showEnvironment(): void {
    this.tabs.openEnvironment();
  }

  /** Shows the Python environment's view and starts a sync (which may first ask for approval). */
  async setUpEnvironment(): Promise<void> {
    this.tabs.openEnvironment();
    await this.environment.sync();
  }

  /** Saves the files of the active tab; returns whether all are saved. */
  async saveActive(): Promise<boolean> {
    const tab = this.tabs.active;
    return tab ? this.buffers.saveAll(this.tabs.pathsOf(tab)) : true;
  }

  /**
   * Adds kept event `index` of replayed alert `alert` to its detection's spec as a unit test
   * (named `name`, or the event's default name when empty; expecting `expected`), through the
   * path every test edit takes: `edit_tests` on the spec buffer, then `save_file` with the
   * buffer's stamp. A spec buffer with unsaved edits gets the test too but is not saved (the
   * user's edits are theirs to save). Then shows the detection with the new test selected.
   * Returns whether the test is in the spec buffer.
   */
  async addReplayedEventAsTest(alert: number, index: number, name: string, expected: boolean): Promise<boolean> {
    const made = await this.replay.eventTest(alert, index, name, expected);
    if (!made) return false;
    const item = this.workspace.itemById(made.detection);
    if (!item) {
      this.notices.inform(`${made.detection} is no longer in the workspace: the test was not added.`);
      return false;
    }
    const specPath = item.spec_path;
    const buffer = await this.buffers.ensure(specPath);
    if (buffer.loadError) {
      this.notices.fail(`Could not open ${item.rel_path}`, buffer.loadError, "replay");
      return false;
    }
    const hadEdits = this.buffers.isDirty(specPath);
    if (!(await this.buffers.editTests(specPath, [made.edit]))) return false;
    const added = made.edit.kind === "add" ? testNameOf(made.edit.test) : null;
    if (!hadEdits && !(await this.buffers.save(specPath))) return false;
    this.notices.log("replay", `Added the test "${added ?? name}" to ${item.rel_path}${hadEdits ? " (unsaved: the spec had unsaved edits)" : ""}`);
    if (hadEdits) this.notices.inform(`The test is in ${item.rel_path}, which has unsaved edits: save it to keep the test.`);
    this.tabs.revealTest(item.id, added ?? name);
    return true;
  }

  /** Opens the file of a recovered buffer and puts the recovered text in it, unsaved. */
  async restoreRecovered(entry: RecoveredBuffer): Promise<void> {
    this.tabs.openFile(entry.path);
    if (!(await this.buffers.restore(entry.path, entry.text))) return;
    this.recovery.remove(entry.path);
    const rel = relativeTo(this.workspace.root, entry.path) ?? entry.path;
    this.notices.log("workspace", `Restored unsaved changes of ${rel} (from ${savedAtText(entry.saved_at)}); save to keep them`);
  }
}

/** The context key (exported for tests that mount a component with a Workbench). */
export const WORKBENCH_CONTEXT = Symbol("workbench");

export function provideWorkbench(wb: Workbench): Workbench {
  return setContext(WORKBENCH_CONTEXT, wb);
}

export function useWorkbench(): Workbench {
  const wb = getContext<Workbench | undefined>(WORKBENCH_CONTEXT);
  if (!wb) throw new Error("useWorkbench() outside the app: no Workbench in context");
  return wb;
}

/** The `Name` of a test as an `add` edit carries it (PAT's keys), if it is a string. */
function testNameOf(test: unknown): string | null {
  if (!test || typeof test !== "object") return null;
  const name = (test as Record<string, unknown>).Name;
  return typeof name === "string" ? name : null;
}

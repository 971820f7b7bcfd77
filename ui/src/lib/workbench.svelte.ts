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
//   launcher   the start screen: recent workspaces, open, demo, clone
//
// Components read state from the stores (`wb.buffers.get(path)`, `wb.runs.report`) and call the
// store that owns what they change (`wb.tabs.openItem(id)`, `wb.git.stage(paths)`); the methods
// here are the flows that span stores (entering and leaving a workspace, files changed on disk,
// saving the active tab, restoring a recovered buffer, showing and setting up the environment). Only stores and this file call api.ts.
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
    await Promise.all([this.recovery.load(view.root), this.environment.load()]);
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

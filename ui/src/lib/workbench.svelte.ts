// The app's state while a workspace is open, in Svelte 5 runes: the workspace view, open
// buffers (one per file, shared by every view showing it), tabs, the last test run, the
// output log and notices. One instance, created by App.svelte and handed to components
// through context; components call its methods instead of the shell where state changes.

import { getContext, setContext } from "svelte";
import * as api from "./api";
import { ShellError } from "./api";
import type {
  DetectionResult,
  Diagnostic,
  GitStatus,
  Item,
  RecoveredBuffer,
  TestEdit,
  TestReport,
  WorkspaceChanged,
  WorkspaceView,
} from "./contract";
import type { CachedEditor } from "./editor";
import { countBySeverity, mergeDiagnostics, sortDiagnostics } from "./diagnostics";
import { normalize, relativeTo, resolve, samePath } from "./paths";
import { itemPathIndex, reportFailed, runLogLine } from "./results";
import { FactsMemo, gitMarksByItem, itemPaths, mergeResults, problemsByItem, type ItemFacts } from "./status";
import { applyTheme, loadTheme, otherTheme, saveTheme, type Theme } from "./theme";

export type Tab = { kind: "item"; id: string } | { kind: "file"; path: string } | { kind: "git" };
export type PanelTab = "problems" | "results" | "output";

export function tabKey(tab: Tab): string {
  return tab.kind === "item" ? `item:${tab.id}` : tab.kind === "file" ? `file:${tab.path}` : "git";
}

export interface BufferConflict {
  /** changed: the file changed on disk under unsaved edits; save_refused: save_file said conflict; deleted: gone from disk. */
  reason: "changed" | "save_refused" | "deleted";
  diskText: string | null;
  diskStamp: string | null;
}

export interface Buffer {
  path: string;
  text: string;
  /** The text as last read from or written to disk. */
  savedText: string;
  stamp: string | null;
  loaded: boolean;
  loadError: ShellError | null;
  /** Bumped whenever the text is replaced from outside the editor (reload, test edits, recovery). */
  revision: number;
  conflict: BufferConflict | null;
  /** A request to show a line; `seq` changes for every request. */
  jump: { line: number; col: number; seq: number } | null;
  saving: boolean;
  /** Text last sent to the recovery folder. */
  recoveryText: string | null;
}

export interface OutputLine {
  seq: number;
  time: string;
  source: "workspace" | "engine" | "git" | "app";
  level: "info" | "error";
  text: string;
}

export interface Notice {
  id: number;
  level: "error" | "info";
  title: string;
  error: ShellError | null;
}

export interface ConfirmRequest {
  title: string;
  message: string;
  okLabel: string;
  danger: boolean;
  resolve: (ok: boolean) => void;
}

export interface RunState {
  label: string;
  done: number;
  total: number;
  current: string;
  cancelling: boolean;
}

const RECOVERY_INTERVAL_MS = 15_000;
const OUTPUT_LIMIT = 2000;

function now(): string {
  return new Date().toLocaleTimeString([], { hour12: false });
}

function indexById(items: Item[]): Map<string, Item> {
  const index = new Map<string, Item>();
  for (const item of items) if (!index.has(item.id)) index.set(item.id, item);
  return index;
}

export class Workbench {
  /**
   * The workspace as the shell sent it. `$state.raw`: the view is replaced, never edited in place
   * (setGit makes a new one), so its 1,000+ items are plain objects rather than deep proxies
   * that every search, filter and badge would read through.
   */
  workspace = $state.raw<WorkspaceView | null>(null);
  buffers = $state<Record<string, Buffer>>({});
  /** Diagnostics of buffers as typed (validate_buffer), by path. */
  live = $state<Record<string, Diagnostic[]>>({});
  tabs = $state<Tab[]>([]);
  activeKey = $state<string | null>(null);
  /**
   * Latest result per detection over all runs; `report` is the last run. Both `$state.raw`
   * (replaced, never edited: a run of all tests is thousands of results, not worth proxying);
   * mergeResults keeps the other detections' result objects, so per-item facts stay the same.
   */
  results = $state.raw<Record<string, DetectionResult>>({});
  report = $state.raw<TestReport | null>(null);
  run = $state<RunState | null>(null);
  output = $state<OutputLine[]>([]);
  panel = $state<PanelTab>("problems");
  panelOpen = $state(true);
  sidebarOpen = $state(true);
  notices = $state<Notice[]>([]);
  recovered = $state<RecoveredBuffer[]>([]);
  theme = $state<Theme>("light");
  overlay = $state<"quick_open" | "command_palette" | null>(null);
  confirmRequest = $state<ConfirmRequest | null>(null);
  recentIds = $state<string[]>([]);
  /** A result row the results panel should reveal. */
  resultFocus = $state<{ key: string; seq: number } | null>(null);

  items = $derived(this.workspace?.items ?? []);
  root = $derived(this.workspace?.root ?? "");
  git = $derived<GitStatus | null>(this.workspace?.git ?? null);
  diagnostics = $derived(sortDiagnostics(mergeDiagnostics(this.workspace?.diagnostics ?? [], this.live)));
  problemCounts = $derived(countBySeverity(this.diagnostics));
  /** Item ID → item (the first of items sharing an ID, as a scan would find). */
  itemIndex = $derived(indexById(this.items));
  /** Normalised file path → the item owning it (traceback frames become links with it). */
  pathIndex = $derived(itemPathIndex(this.items));
  /** Item ID → its files' problem count; recomputed when diagnostics change, not on a run. */
  problemsById = $derived(problemsByItem(this.items, this.diagnostics));
  /** Item ID → git mark; recomputed when the git status changes, not on a run. */
  gitMarks = $derived(gitMarksByItem(this.items, this.git, this.root));
  /**
   * Every item's facts (for the explorer's test/git/problem filters and tests). Reading it
   * walks all items; a single item's view uses factsOf(), which stays proportional.
   */
  facts = $derived(new Map([...this.itemIndex].map(([id, item]) => [id, this.#factsOfItem(item)])));
  activeTab = $derived(this.tabs.find((t) => tabKey(t) === this.activeKey) ?? null);

  /** Editor states kept across tab switches (undo history, selection); not reactive on purpose. */
  readonly editorStates = new Map<string, CachedEditor>();
  /** Keeps each item's facts object while its inputs are unchanged (see FactsMemo). */
  readonly #factsMemo = new FactsMemo();
  #seq = 0;
  #recoveryTimer: ReturnType<typeof setInterval> | null = null;

  constructor() {
    this.theme = loadTheme();
    applyTheme(this.theme);
  }

  // ---- Theme, output, notices ------------------------------------------------------------

  toggleTheme(): void {
    this.theme = otherTheme(this.theme);
    saveTheme(this.theme);
    applyTheme(this.theme);
  }

  log(source: OutputLine["source"], text: string, level: OutputLine["level"] = "info"): void {
    this.output.push({ seq: ++this.#seq, time: now(), source, level, text });
    if (this.output.length > OUTPUT_LIMIT) this.output.splice(0, this.output.length - OUTPUT_LIMIT);
  }

  /** Shows an error (ShellError or anything thrown) with its place and hint, and logs it. */
  fail(title: string, error: unknown, source: OutputLine["source"] = "app"): void {
    const e = api.toShellError(error);
    const where = e.place ? ` (${e.place})` : "";
    this.log(source, `${title}: ${e.message}${where}${e.hint ? ` — hint: ${e.hint}` : ""}`, "error");
    this.notices.push({ id: ++this.#seq, level: "error", title, error: e });
  }

  inform(title: string): void {
    const id = ++this.#seq;
    this.notices.push({ id, level: "info", title, error: null });
    setTimeout(() => this.dismiss(id), 5000);
  }

  dismiss(id: number): void {
    const i = this.notices.findIndex((n) => n.id === id);
    if (i >= 0) this.notices.splice(i, 1);
  }

  confirm(title: string, message: string, okLabel = "OK", danger = false): Promise<boolean> {
    this.confirmRequest?.resolve(false);
    return new Promise((resolve) => {
      this.confirmRequest = {
        title,
        message,
        okLabel,
        danger,
        resolve: (ok) => {
          this.confirmRequest = null;
          resolve(ok);
        },
      };
    });
  }

  showPanel(panel: PanelTab): void {
    this.panel = panel;
    this.panelOpen = true;
  }

  // ---- Workspace -------------------------------------------------------------------------

  /** At start: enter the workspace the shell already has open (`prowl app DIR`). */
  async resume(): Promise<void> {
    try {
      const view = await api.workspaceView();
      if (view && !this.workspace) await this.enter(view);
    } catch (e) {
      this.fail("Could not read the open workspace", e, "workspace");
    }
  }

  async enter(view: WorkspaceView): Promise<void> {
    this.workspace = view;
    this.buffers = {};
    this.live = {};
    this.tabs = [];
    this.activeKey = null;
    this.#activation = [];
    this.results = {};
    this.report = null;
    this.recentIds = [];
    this.editorStates.clear();
    this.#factsMemo.clear();
    this.log("workspace", `Opened ${view.name} (${view.root}): ${view.items.length} items, ${view.diagnostics.length} problems`);
    this.startRecoveryTimer();
    try {
      const all = await api.recoveryList();
      this.recovered = all.filter((r) => relativeTo(view.root, r.path) !== null);
      if (this.recovered.length > 0) {
        this.log("workspace", `${this.recovered.length} unsaved buffer(s) from an earlier session can be restored`);
      }
    } catch (e) {
      this.fail("Could not list recovered buffers", e);
    }
  }

  leave(): void {
    this.stopRecoveryTimer();
    this.workspace = null;
    this.buffers = {};
    this.tabs = [];
    this.activeKey = null;
    this.recovered = [];
    this.editorStates.clear();
  }

  async refreshWorkspace(): Promise<void> {
    try {
      const view = await api.workspaceView();
      if (view) this.workspace = view;
      else this.leave();
    } catch (e) {
      this.fail("Could not re-read the workspace", e, "workspace");
    }
  }

  /** Re-reads git status quietly (after a save the explorer's marks change). */
  async refreshGit(): Promise<void> {
    if (!this.workspace?.git) return;
    try {
      this.setGit(await api.gitStatus());
    } catch {
      // The watcher's workspace://changed brings the status too; nothing to tell the user.
    }
  }

  setGit(status: GitStatus): void {
    if (this.workspace) this.workspace = { ...this.workspace, git: status };
  }

  itemById(id: string): Item | undefined {
    return this.itemIndex.get(id);
  }

  /**
   * One item's facts (test status, failing count, problems, git mark). Read inside a derived
   * (an explorer row's `{@const}`), it re-runs when results, diagnostics or git change, but
   * returns the very same object unless this item's own inputs changed, so nothing below it
   * updates: a run of one detection re-renders that detection's row and badge only.
   */
  factsOf(id: string): ItemFacts | undefined {
    const item = this.itemIndex.get(id);
    return item ? this.#factsOfItem(item) : undefined;
  }

  #factsOfItem(item: Item): ItemFacts {
    return this.#factsMemo.get(item, this.results[item.id], this.problemsById.get(item.id), this.gitMarks.get(item.id) ?? null);
  }

  /** The item whose spec or code is `path`. */
  itemOwning(path: string): Item | undefined {
    return this.items.find((i) => itemPaths(i).some((p) => samePath(p, path, this.root)));
  }

  // ---- Tabs ------------------------------------------------------------------------------

  /** Tab keys, most recently active last (to go back from the git view). */
  #activation: string[] = [];

  activate(key: string): void {
    this.activeKey = key;
    this.#activation = [...this.#activation.filter((k) => k !== key), key];
  }

  #addTab(tab: Tab): void {
    const key = tabKey(tab);
    if (!this.tabs.some((t) => tabKey(t) === key)) this.tabs.push(tab);
    this.activate(key);
  }

  /** Shows the explorer and, coming from the git view, the editor that was open before it. */
  showExplorer(): void {
    this.sidebarOpen = true;
    if (this.activeKey !== "git") return;
    const open = new Set(this.tabs.map(tabKey));
    const back = [...this.#activation].reverse().find((k) => k !== "git" && open.has(k));
    const fallback = this.tabs.find((t) => t.kind !== "git");
    const key = back ?? (fallback ? tabKey(fallback) : null);
    if (key) this.activate(key);
  }

  openItem(id: string): void {
    const item = this.itemById(id);
    if (!item) return;
    this.#addTab({ kind: "item", id });
    this.recentIds = [id, ...this.recentIds.filter((r) => r !== id)].slice(0, 30);
    for (const p of itemPaths(item)) void this.ensureBuffer(p);
  }

  openGit(): void {
    this.#addTab({ kind: "git" });
  }

  /** Opens the item owning `path` (or the file alone) and shows `line`. */
  openFile(path: string, line?: number, col = 1): void {
    const owner = this.itemOwning(path);
    const bufferPath = owner ? (itemPaths(owner).find((p) => samePath(p, path, this.root)) ?? path) : resolve(this.root, path);
    if (owner) this.openItem(owner.id);
    else {
      this.#addTab({ kind: "file", path: bufferPath });
      void this.ensureBuffer(bufferPath);
    }
    if (line !== undefined) this.jump(bufferPath, line, col);
  }

  jump(path: string, line: number, col = 1): void {
    const b = this.buffers[path];
    if (b) b.jump = { line, col, seq: ++this.#seq };
    else {
      void this.ensureBuffer(path).then(() => {
        const loaded = this.buffers[path];
        if (loaded) loaded.jump = { line, col, seq: ++this.#seq };
      });
    }
  }

  /** Files of a tab (to save, or to ask before closing). */
  tabPaths(tab: Tab): string[] {
    if (tab.kind === "file") return [tab.path];
    if (tab.kind === "item") {
      const item = this.itemById(tab.id);
      return item ? itemPaths(item) : [];
    }
    return [];
  }

  async closeTab(key: string): Promise<void> {
    const i = this.tabs.findIndex((t) => tabKey(t) === key);
    if (i < 0) return;
    const tab = this.tabs[i];
    const others = this.tabs.filter((_, k) => k !== i).flatMap((t) => this.tabPaths(t));
    const own = this.tabPaths(tab).filter((p) => !others.includes(p));
    const dirty = own.filter((p) => this.isDirty(p));
    if (dirty.length > 0) {
      const ok = await this.confirm(
        "Close with unsaved changes?",
        `${dirty.map((p) => relativeTo(this.root, p) ?? p).join(", ")} has unsaved changes. Closing throws them away.`,
        "Discard changes",
        true,
      );
      if (!ok) return;
    }
    for (const p of own) {
      if (this.isDirty(p)) void api.recoveryClear(p).catch(() => {});
      delete this.buffers[p];
      delete this.live[p];
      this.editorStates.delete(p);
    }
    const at = this.tabs.findIndex((t) => tabKey(t) === key);
    this.tabs.splice(at, 1);
    this.#activation = this.#activation.filter((k) => k !== key);
    if (this.activeKey === key) {
      const open = new Set(this.tabs.map(tabKey));
      const back = [...this.#activation].reverse().find((k) => open.has(k));
      const next = back ?? (this.tabs[Math.min(at, this.tabs.length - 1)] ? tabKey(this.tabs[Math.min(at, this.tabs.length - 1)]) : null);
      if (next) this.activate(next);
      else this.activeKey = null;
    }
  }

  // ---- Buffers ---------------------------------------------------------------------------

  async ensureBuffer(path: string): Promise<Buffer> {
    const existing = this.buffers[path];
    if (existing) return existing;
    this.buffers[path] = {
      path,
      text: "",
      savedText: "",
      stamp: null,
      loaded: false,
      loadError: null,
      revision: 0,
      conflict: null,
      jump: null,
      saving: false,
      recoveryText: null,
    };
    try {
      const file = await api.readFile(path);
      const b = this.buffers[path];
      if (b) {
        b.text = file.text;
        b.savedText = file.text;
        b.stamp = file.stamp;
        b.loaded = true;
        b.revision++;
      }
    } catch (e) {
      const b = this.buffers[path];
      if (b) {
        b.loadError = api.toShellError(e);
        b.loaded = true;
      }
    }
    return this.buffers[path];
  }

  isDirty(path: string): boolean {
    const b = this.buffers[path];
    return !!b && b.loaded && !b.loadError && b.text !== b.savedText;
  }

  dirtyPaths(): string[] {
    return Object.keys(this.buffers).filter((p) => this.isDirty(p));
  }

  /** The editor reports what the user typed. */
  setText(path: string, text: string): void {
    const b = this.buffers[path];
    if (b) b.text = text;
  }

  /** Replaces a buffer's text from outside its editor (test edits, reload, recovery). */
  replaceText(path: string, text: string): void {
    const b = this.buffers[path];
    if (!b) return;
    b.text = text;
    b.revision++;
  }

  /** Validates the buffer as typed; the diagnostics show inline and in the Problems panel. */
  async validate(path: string, text: string): Promise<Diagnostic[]> {
    if (!this.workspace) return [];
    try {
      const diagnostics = await api.validateBuffer(path, text);
      if (this.buffers[path]) this.live[path] = diagnostics;
      return diagnostics;
    } catch (e) {
      const err = api.toShellError(e);
      if (err.code !== "shell.unavailable") this.log("workspace", `Validation of ${relativeTo(this.root, path) ?? path} failed: ${err.message}`, "error");
      return [];
    }
  }

  /** Saves one buffer through save_file with its stamp. Returns whether it is saved. */
  async save(path: string): Promise<boolean> {
    const b = this.buffers[path];
    if (!b || !b.loaded || b.loadError) return false;
    if (!this.isDirty(path) && !b.conflict) return true;
    if (b.saving) return false;
    const text = b.text;
    const rel = relativeTo(this.root, path) ?? path;
    b.saving = true;
    try {
      const { stamp } = await api.saveFile(path, text, b.stamp);
      b.stamp = stamp;
      b.savedText = text;
      b.conflict = null;
      b.recoveryText = null;
      this.log("workspace", `Saved ${rel}`);
      void api.recoveryClear(path).catch(() => {});
      void this.refreshGit();
      return true;
    } catch (e) {
      const err = api.toShellError(e);
      if (err.code === "file.conflict") {
        await this.#markConflict(path, "save_refused");
        this.notices.push({
          id: ++this.#seq,
          level: "error",
          title: `Not saved: ${rel} changed on disk`,
          error: new ShellError({
            code: "file.conflict",
            message: `${rel} was changed on disk (by another editor or git) since Prowl read it, so saving would overwrite that change.`,
            hint: "Compare in the banner above the editor, then reload the disk version or keep yours and save again.",
            location: { file: path, line: null, column: null },
          }),
        });
        this.log("workspace", `Save of ${rel} refused: the file changed on disk since it was read`, "error");
      } else {
        this.fail(`Could not save ${rel}`, err, "workspace");
      }
      return false;
    } finally {
      const after = this.buffers[path];
      if (after) after.saving = false;
    }
  }

  /** Saves the files of the active tab. */
  async saveActive(): Promise<boolean> {
    const tab = this.activeTab;
    if (!tab) return true;
    let ok = true;
    for (const p of this.tabPaths(tab)) {
      if (this.isDirty(p)) ok = (await this.save(p)) && ok;
    }
    return ok;
  }

  async #markConflict(path: string, reason: BufferConflict["reason"]): Promise<void> {
    try {
      const disk = await api.readFile(path);
      const b = this.buffers[path];
      if (b) b.conflict = { reason, diskText: disk.text, diskStamp: disk.stamp };
    } catch (e) {
      const b = this.buffers[path];
      if (!b) return;
      if (api.toShellError(e).code === "file.not_found") b.conflict = { reason: "deleted", diskText: null, diskStamp: null };
      else this.fail("Could not read the file on disk", e, "workspace");
    }
  }

  /** Takes the disk version into the buffer (banner: Reload). */
  reloadFromDisk(path: string): void {
    const b = this.buffers[path];
    if (!b?.conflict) return;
    if (b.conflict.reason === "deleted") return;
    b.text = b.conflict.diskText ?? "";
    b.savedText = b.text;
    b.stamp = b.conflict.diskStamp;
    b.conflict = null;
    b.revision++;
    b.recoveryText = null;
    void api.recoveryClear(path).catch(() => {});
    this.log("workspace", `Reloaded ${relativeTo(this.root, path) ?? path} from disk`);
  }

  /** Keeps the buffer; the next save overwrites the disk version the user has now seen (banner: Keep). */
  keepMine(path: string): void {
    const b = this.buffers[path];
    if (!b?.conflict) return;
    b.savedText = b.conflict.diskText ?? "";
    b.stamp = b.conflict.diskStamp;
    b.conflict = null;
  }

  /** `workspace://changed`: re-index, then bring open buffers up to date. */
  async onDiskChanged(change: WorkspaceChanged): Promise<void> {
    if (!this.workspace) return;
    await this.refreshWorkspace();
    const changed = change.paths.map((p) => resolve(this.root, p));
    const open = Object.keys(this.buffers).filter(
      (p) => changed.length === 0 || changed.some((c) => normalize(c) === resolve(this.root, p)),
    );
    for (const path of open) {
      const b = this.buffers[path];
      if (!b || !b.loaded || b.saving) continue;
      try {
        const disk = await api.readFile(path);
        const cur = this.buffers[path];
        if (!cur) continue;
        if (disk.text === cur.savedText || disk.text === cur.text) {
          // Our own save, or nothing that differs from what we hold.
          if (disk.text === cur.text) cur.savedText = disk.text;
          cur.stamp = disk.stamp;
          if (disk.text === cur.text) cur.conflict = null;
          continue;
        }
        if (!this.isDirty(path)) {
          cur.text = disk.text;
          cur.savedText = disk.text;
          cur.stamp = disk.stamp;
          cur.loadError = null;
          cur.conflict = null;
          cur.revision++;
          this.log("workspace", `Reloaded ${relativeTo(this.root, path) ?? path}: it changed on disk`);
        } else {
          cur.conflict = { reason: "changed", diskText: disk.text, diskStamp: disk.stamp };
          this.log("workspace", `${relativeTo(this.root, path) ?? path} changed on disk while it has unsaved edits`);
        }
      } catch (e) {
        const cur = this.buffers[path];
        if (cur && api.toShellError(e).code === "file.not_found") {
          cur.conflict = { reason: "deleted", diskText: null, diskStamp: null };
          this.log("workspace", `${relativeTo(this.root, path) ?? path} was deleted on disk`);
        }
      }
    }
  }

  // ---- Test edits and runs ---------------------------------------------------------------

  /** Applies test edits to the spec buffer one after another; returns whether all applied. */
  async editTests(specPath: string, edits: TestEdit[]): Promise<boolean> {
    const b = this.buffers[specPath];
    if (!b || !b.loaded) return false;
    let text = b.text;
    try {
      for (const edit of edits) text = (await api.editTests(text, edit)).text;
    } catch (e) {
      this.fail("Could not edit the tests", e, "workspace");
      return false;
    }
    this.replaceText(specPath, text);
    return true;
  }

  /**
   * Runs tests (all of them when `ids` is null). The engine reads files from disk, so unsaved
   * buffers of the detections involved are saved first.
   */
  async runTests(ids: string[] | null, testNames: string[] | null, label: string): Promise<TestReport | null> {
    if (this.run) {
      this.inform("A test run is already going; cancel it or wait for it to finish.");
      return null;
    }
    const paths = ids === null ? this.dirtyPaths() : ids.flatMap((id) => this.tabPathsOfItem(id)).filter((p) => this.isDirty(p));
    for (const p of paths) {
      if (!(await this.save(p))) {
        this.log("engine", `Run not started: ${relativeTo(this.root, p) ?? p} could not be saved`, "error");
        return null;
      }
    }
    this.run = { label, done: 0, total: 0, current: "", cancelling: false };
    this.log("engine", `Running ${label}…`);
    try {
      const report = await api.runTests(ids, testNames, (p) => {
        if (this.run) {
          this.run.done = p.done;
          this.run.total = p.total;
          this.run.current = p.id;
        }
      });
      this.report = report;
      this.results = mergeResults(this.results, report.detections);
      for (const d of report.detections) {
        if (d.module_output.trim()) this.log("engine", `[${d.id}] ${d.module_output.trimEnd()}`);
        if (d.setup_error) this.log("engine", `[${d.id}] could not load: ${d.setup_error.type}: ${d.setup_error.message}`, "error");
      }
      this.log("engine", runLogLine(label, report), reportFailed(report) && !report.cancelled ? "error" : "info");
      this.showPanel("results");
      return report;
    } catch (e) {
      this.fail(`Test run failed (${label})`, e, "engine");
      return null;
    } finally {
      this.run = null;
    }
  }

  tabPathsOfItem(id: string): string[] {
    const item = this.itemById(id);
    return item ? itemPaths(item) : [];
  }

  async cancelRun(): Promise<void> {
    if (!this.run) return;
    this.run.cancelling = true;
    try {
      await api.cancelRun();
      this.log("engine", "Cancelling the test run…");
    } catch (e) {
      this.fail("Could not cancel the run", e, "engine");
    }
  }

  focusResult(key: string): void {
    this.showPanel("results");
    this.resultFocus = { key, seq: ++this.#seq };
  }

  // ---- Recovery --------------------------------------------------------------------------

  startRecoveryTimer(): void {
    this.stopRecoveryTimer();
    this.#recoveryTimer = setInterval(() => void this.saveRecovery(), RECOVERY_INTERVAL_MS);
  }

  stopRecoveryTimer(): void {
    if (this.#recoveryTimer) clearInterval(this.#recoveryTimer);
    this.#recoveryTimer = null;
  }

  /** Sends every unsaved buffer that changed since its last copy to the recovery folder. */
  async saveRecovery(): Promise<void> {
    for (const path of this.dirtyPaths()) {
      const b = this.buffers[path];
      if (!b || b.recoveryText === b.text) continue;
      const text = b.text;
      try {
        await api.recoverySave(path, text);
        const cur = this.buffers[path];
        if (cur) cur.recoveryText = text;
      } catch (e) {
        this.log("app", `Could not keep a recovery copy of ${relativeTo(this.root, path) ?? path}: ${api.toShellError(e).message}`, "error");
      }
    }
  }

  async restoreRecovered(entry: RecoveredBuffer): Promise<void> {
    this.openFile(entry.path);
    const b = await this.ensureBuffer(entry.path);
    if (b.loadError && b.loadError.code !== "file.not_found") {
      this.fail("Could not open the file to restore", b.loadError);
      return;
    }
    if (b.loadError) {
      // The file is gone: restore into a new file (saved with stamp null).
      b.loadError = null;
      b.savedText = "";
      b.stamp = null;
    }
    this.replaceText(entry.path, entry.text);
    this.recovered = this.recovered.filter((r) => r.path !== entry.path);
    this.log("workspace", `Restored unsaved changes of ${relativeTo(this.root, entry.path) ?? entry.path} (from ${entry.saved_at}); save to keep them`);
  }

  async discardRecovered(entry: RecoveredBuffer): Promise<void> {
    try {
      await api.recoveryClear(entry.path);
    } catch (e) {
      this.fail("Could not remove the recovered copy", e);
    }
    this.recovered = this.recovered.filter((r) => r.path !== entry.path);
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

// The start screen's model, before a workspace is open: recent workspaces, how many unsaved
// buffers an earlier session left, and the ways in (open a folder, open the demo, clone a fork
// with its progress). A workspace the shell opened is handed to `onopen` (the workbench enters it);
// a clone's warnings (plain http, credentials in the URL) go to `onwarning`.
//
// Invariants: one attempt at a time (`busy` names it); `error` is the last attempt's failure
// and is cleared by the next attempt; `progress` is set only while a clone runs.

import * as api from "../api";
import type { ShellError } from "../api";
import type { CloneProgress, WorkspaceView } from "../contract";

export type LaunchAttempt = "open" | "demo" | "clone";

export class Launcher {
  recent = $state<string[]>([]);
  /** Unsaved buffers left in the recovery folder (restored once their workspace is open). */
  recoveredCount = $state(0);
  busy = $state<LaunchAttempt | null>(null);
  error = $state.raw<ShellError | null>(null);
  progress = $state.raw<CloneProgress | null>(null);

  readonly #onopen: (view: WorkspaceView) => void;
  readonly #onwarning: (warning: string) => void;

  constructor(onopen: (view: WorkspaceView) => void, onwarning: (warning: string) => void = () => {}) {
    this.#onopen = onopen;
    this.#onwarning = onwarning;
  }

  /** Reads the recent workspaces and the recovery folder (when the start screen shows). */
  async load(): Promise<void> {
    try {
      this.recent = await api.recentWorkspaces();
      this.recoveredCount = (await api.recoveryList()).length;
    } catch (e) {
      this.error = api.toShellError(e);
    }
  }

  async #attempt(kind: LaunchAttempt, work: () => Promise<WorkspaceView>): Promise<void> {
    if (this.busy) return;
    this.busy = kind;
    this.error = null;
    try {
      this.#onopen(await work());
    } catch (e) {
      this.error = api.toShellError(e);
    } finally {
      this.busy = null;
      this.progress = null;
    }
  }

  openFolder(path: string): Promise<void> {
    const p = path.trim();
    if (!p) return Promise.resolve();
    return this.#attempt("open", () => api.openWorkspace(p));
  }

  openDemo(): Promise<void> {
    return this.#attempt("demo", () => api.openDemo());
  }

  clone(url: string, dest: string): Promise<void> {
    const u = url.trim();
    const d = dest.trim();
    if (!u || !d) return Promise.resolve();
    this.progress = null;
    return this.#attempt("clone", async () => {
      const cloned = await api.cloneWorkspace(u, d, (p) => (this.progress = p));
      cloned.warnings.forEach((w) => this.#onwarning(w));
      return cloned.view;
    });
  }
}

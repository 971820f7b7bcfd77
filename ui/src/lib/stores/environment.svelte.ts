// The open workspace's Python environment: its view (status, problem, packages, what a sync
// would leave out), the sync this window runs (its progress lines, cancelling it), the list the
// user is asked to approve, and the last sync's error.
//
// Invariants: one sync at a time, and none while an approval is pending; nothing is installed
// without approval when the workspace asks for packages: the first call sends `approved: null`,
// and only `approve()` sends the list back, exactly as received (a list that changed meanwhile
// comes back as a new approval, shown again). `progress` keeps the last PROGRESS_LIMIT lines.
// Leaving the workspace (`clear`) stops its sync; answers that arrive after it are dropped.

import * as api from "../api";
import type { ShellError } from "../api";
import type { Approval, EnvironmentView } from "../contract";
import { approvedList, sourceBuildPackage } from "../environment";
import type { Notices } from "./notices.svelte";
import type { OpenWorkspace } from "./workspace.svelte";

export const PROGRESS_LIMIT = 300;

export interface ProgressLine {
  seq: number;
  text: string;
}

export interface PendingApproval {
  approval: Approval;
  /** The packages allowed to build from source in the sync asking for it. */
  allowBuilds: string[] | null;
  /** It comes after an approval of an earlier list (the list changed meanwhile). */
  changed: boolean;
}

export class PythonEnvironment {
  /** The environment as `environment_view` last answered (or a sync returned it). */
  view = $state.raw<EnvironmentView | null>(null);
  loading = $state(false);
  /** Why the view could not be read, when it could not. */
  loadError = $state.raw<ShellError | null>(null);
  /** A sync started from this window is going on. */
  syncing = $state(false);
  cancelling = $state(false);
  /** The sync's progress lines, the last PROGRESS_LIMIT of them (they stay after it ends). */
  progress = $state<ProgressLine[]>([]);
  /** How many earlier lines were dropped to keep `progress` at PROGRESS_LIMIT. */
  dropped = $state(0);
  /** The list the workspace's sync waits for the user to approve. */
  pending = $state.raw<PendingApproval | null>(null);
  /** The last sync's error (a cancel is not one). */
  error = $state.raw<ShellError | null>(null);

  /** The package the last error would allow to build from source (`env.source_build`), if any. */
  buildToAllow = $derived(this.error ? sourceBuildPackage(this.error) : null);
  /** A sync of this window's is going on or waits for approval: no other starts. */
  busy = $derived(this.syncing || this.pending !== null);
  /** By the last view, a sync of this environment is going on elsewhere (another Prowl). */
  syncingElsewhere = $derived(!this.syncing && (this.view?.syncing ?? false));

  readonly #notices: Notices;
  readonly #workspace: OpenWorkspace;
  #generation = 0;
  #seq = 0;
  /** The packages the last sync allowed to build from source (kept when allowing one more). */
  #lastAllowBuilds: string[] = [];

  constructor(notices: Notices, workspace: OpenWorkspace) {
    this.#notices = notices;
    this.#workspace = workspace;
  }

  /** Reads the environment's view. */
  async load(): Promise<void> {
    if (!this.#workspace.view) return;
    const generation = this.#generation;
    this.loading = true;
    try {
      const view = await api.environmentView();
      if (generation !== this.#generation) return;
      this.view = view;
      this.loadError = null;
    } catch (e) {
      if (generation !== this.#generation) return;
      this.loadError = api.toShellError(e);
      this.#notices.log("env", `Could not read the Python environment: ${this.loadError.message}`, "error");
    } finally {
      if (generation === this.#generation) this.loading = false;
    }
  }

  /**
   * Starts a sync; `allowBuilds` names packages allowed to build from source. When the
   * workspace asks for packages, it stops at the list to approve (`pending`), nothing installed.
   */
  async sync(allowBuilds: string[] | null = null): Promise<void> {
    if (this.syncing || this.pending || !this.#workspace.view) return;
    this.progress = [];
    this.dropped = 0;
    this.error = null;
    this.#notices.log("env", "Syncing the Python environment…");
    await this.#attempt(null, allowBuilds);
  }

  /** The user approved the pending list: the sync goes on with exactly that list. */
  async approve(): Promise<void> {
    const pending = this.pending;
    if (!pending || this.syncing) return;
    this.pending = null;
    const list = approvedList(pending.approval);
    this.#notices.log("env", `Approved ${list.length} package(s) to install`);
    await this.#attempt(list, pending.allowBuilds);
  }

  /** The user declined the pending list: nothing is installed. */
  decline(): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = null;
    this.#notices.log("env", `Not approved: the ${pending.approval.packages.length} package(s) were not installed`);
  }

  /** After an `env.source_build` error: syncs again, allowing that package to build from source. */
  async allowBuild(): Promise<void> {
    const pkg = this.buildToAllow;
    if (!pkg) return;
    await this.sync([...this.#lastAllowBuilds.filter((p) => p !== pkg), pkg]);
  }

  /** Stops the sync going on (the previous environment stays). */
  async cancel(): Promise<void> {
    if (!this.syncing || this.cancelling) return;
    this.cancelling = true;
    try {
      await api.cancelEnvironmentSync();
      this.#notices.log("env", "Cancelling the environment sync…");
    } catch (e) {
      this.cancelling = false;
      this.#notices.fail("Could not cancel the environment sync", e, "env");
    }
  }

  async #attempt(approved: string[] | null, allowBuilds: string[] | null): Promise<void> {
    const generation = this.#generation;
    this.#lastAllowBuilds = allowBuilds ?? [];
    this.syncing = true;
    this.cancelling = false;
    let failed = false;
    try {
      const outcome = await api.syncEnvironment(approved, allowBuilds, (line) => {
        if (generation === this.#generation) this.#addLine(line);
      });
      if (generation !== this.#generation) return;
      if (outcome.kind === "synced") {
        this.view = outcome.environment;
        this.loadError = null;
        const count = outcome.environment.manifest?.packages.length ?? 0;
        this.#notices.log("env", `Synced the Python environment: ${count} package(s)`);
        this.#notices.inform("The Python environment is ready");
      } else {
        this.pending = { approval: outcome.approval, allowBuilds, changed: approved !== null };
        this.#notices.log("env", `The workspace asks for ${outcome.approval.asked.length} package(s): waiting for approval of ${outcome.approval.packages.length}`);
      }
    } catch (e) {
      if (generation !== this.#generation) return;
      failed = true;
      const err = api.toShellError(e);
      if (err.code === "env.cancelled") {
        this.#notices.log("env", `Sync cancelled: ${err.message}`);
        this.#notices.inform("Environment sync cancelled; the previous environment is unchanged");
      } else {
        this.error = err;
        const where = err.place ? ` (${err.place})` : "";
        this.#notices.log("env", `Sync failed: ${err.message}${where}${err.hint ? ` — hint: ${err.hint}` : ""}`, "error");
      }
    } finally {
      if (generation === this.#generation) {
        this.syncing = false;
        this.cancelling = false;
      }
    }
    // What a failed or cancelled sync left: the previous environment, maybe marked differently.
    if (failed) await this.load();
  }

  #addLine(text: string): void {
    this.progress.push({ seq: ++this.#seq, text });
    const over = this.progress.length - PROGRESS_LIMIT;
    if (over > 0) {
      this.progress.splice(0, over);
      this.dropped += over;
    }
  }

  /**
   * Forgets everything (the workspace was left): a sync going on is stopped, answers still to
   * come are dropped.
   */
  clear(): void {
    if (this.syncing) api.cancelEnvironmentSync().catch(() => {});
    this.#generation++;
    this.view = null;
    this.loading = false;
    this.loadError = null;
    this.syncing = false;
    this.cancelling = false;
    this.progress = [];
    this.dropped = 0;
    this.pending = null;
    this.error = null;
    this.#lastAllowBuilds = [];
  }
}

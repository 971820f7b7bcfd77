// The Ray cluster replays may run on (the Settings view's "Replay on a Ray cluster"): the
// settings the shell keeps for the user (address, and the driver's Python when not the
// default), the form that edits them, and the connection check of what the form holds.
//
// Invariants: the saved settings are only ever the shell's answer; the Replay view's cluster
// target is the saved address, never an unsaved one in the form; one check at a time, and an
// answer for an address the form no longer holds is kept with its own address (the result
// names what was checked). Settings are the user's, not the workspace's: leaving a workspace
// keeps them.

import * as api from "../api";
import type { ShellError } from "../api";
import type { ClusterCheck, ClusterSettingsView } from "../contract";
import { checkSummary, failedNodes } from "../cluster";
import type { Notices } from "./notices.svelte";

export class ReplayCluster {
  /** The shell's last answer: the saved settings. */
  view = $state.raw<ClusterSettingsView | null>(null);
  loadError = $state.raw<ShellError | null>(null);
  /** The form's address and Python (empty: unset / the default Python). */
  address = $state("");
  python = $state("");
  saving = $state(false);
  saveError = $state.raw<ShellError | null>(null);
  checking = $state(false);
  check = $state.raw<ClusterCheck | null>(null);
  checkError = $state.raw<ShellError | null>(null);

  /** The saved address: where the Replay view's cluster target replays. */
  saved = $derived(this.view?.settings.address ?? null);
  /** The form differs from what is saved. */
  dirty = $derived(this.address.trim() !== (this.view?.settings.address ?? "") || this.python.trim() !== (this.view?.settings.python ?? ""));

  readonly #notices: Notices;
  #checkSeq = 0;

  constructor(notices: Notices) {
    this.#notices = notices;
  }

  /** Reads the saved settings; the form shows them unless it holds unsaved edits. */
  async load(): Promise<void> {
    const keepForm = this.view !== null && this.dirty;
    try {
      const view = await api.clusterSettings();
      this.view = view;
      this.loadError = null;
      if (!keepForm) this.#fill(view);
    } catch (e) {
      this.loadError = api.toShellError(e);
    }
  }

  #fill(view: ClusterSettingsView): void {
    this.address = view.settings.address ?? "";
    this.python = view.settings.python ?? "";
  }

  /** Keeps the form's settings for the user; returns whether they were saved. */
  async save(): Promise<boolean> {
    if (this.saving) return false;
    this.saving = true;
    this.saveError = null;
    try {
      const view = await api.saveClusterSettings(this.address.trim() || null, this.python.trim() || null);
      this.view = view;
      this.#fill(view);
      const address = view.settings.address;
      this.#notices.log("replay", address ? `Cluster set: replays can run on ${address}` : "No cluster set: replays run on this machine");
      return true;
    } catch (e) {
      this.saveError = api.toShellError(e);
      return false;
    } finally {
      this.saving = false;
    }
  }

  /** Puts the saved settings back in the form. */
  revert(): void {
    if (this.view) this.#fill(this.view);
  }

  /** "Check connection": the form's address (and Python), saved or not. */
  async checkConnection(): Promise<ClusterCheck | null> {
    const address = this.address.trim();
    if (this.checking || !address) return null;
    const seq = ++this.#checkSeq;
    this.checking = true;
    this.check = null;
    this.checkError = null;
    this.#notices.log("replay", `Checking the Ray cluster at ${address}…`);
    try {
      const check = await api.checkCluster(address, this.python.trim() || null);
      if (seq !== this.#checkSeq) return null;
      this.check = check;
      const failed = failedNodes(check.nodes).length;
      this.#notices.log("replay", `Cluster ${check.address}: ${checkSummary(check)}${failed > 0 ? `; ${failed} did not answer` : ""}`, failed > 0 ? "error" : "info");
      return check;
    } catch (e) {
      if (seq !== this.#checkSeq) return null;
      const err = api.toShellError(e);
      this.checkError = err;
      this.#notices.log("replay", `Cluster check failed: ${err.message}${err.hint ? ` — hint: ${err.hint}` : ""}`, "error");
      return null;
    } finally {
      if (seq === this.#checkSeq) this.checking = false;
    }
  }
}

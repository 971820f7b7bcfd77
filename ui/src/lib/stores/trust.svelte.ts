// Whether the open workspace is trusted (rules_workspace::trust): the state the shell answered
// on open (`WorkspaceView.trust`) or after `set_trust`, the restricted-mode banner's
// visibility, and the two decisions, each confirmed once: trust the folder, stop trusting it.
//
// Invariants: the state is only ever the shell's answer (the window decides nothing about trust
// by itself); "Keep restricted" hides the banner for the rest of the app's session, for that
// workspace only, and changes nothing in the shell; answers that arrive after the workspace was
// left are dropped.

import * as api from "../api";
import type { TrustState } from "../contract";
import { revocable, revokeQuestion, trustQuestion } from "../trust";
import type { Notices } from "./notices.svelte";

export class WorkspaceTrust {
  /** The shell's last answer; null when no workspace is open. */
  state = $state.raw<TrustState | null>(null);
  /** A trust or revoke is being asked or sent. */
  busy = $state(false);
  /** The user chose "Keep restricted" for this workspace in this session. */
  dismissed = $state(false);

  restricted = $derived(this.state !== null && !this.state.trusted);
  showBanner = $derived(this.restricted && !this.dismissed);
  /** Trust the user gave this folder (not the demo's, nor PROWL_TRUST=1's) can be revoked here. */
  canRevoke = $derived(this.state !== null && revocable(this.state));

  readonly #notices: Notices;
  /** Workspaces kept restricted this session ("Keep restricted"), by root. */
  readonly #keptRestricted = new Set<string>();
  #generation = 0;

  constructor(notices: Notices) {
    this.#notices = notices;
  }

  /** A workspace was opened: its state as the workspace view carried it. */
  enter(state: TrustState): void {
    this.#generation++;
    this.state = state;
    this.busy = false;
    this.dismissed = this.#keptRestricted.has(state.workspace);
    if (!state.trusted) this.#notices.log("workspace", `Restricted mode: ${state.workspace} is not trusted; its code runs only in the sandbox`);
  }

  /** "Trust this folder": asks once, saying what it means, then trusts it. */
  async trust(): Promise<void> {
    const state = this.state;
    if (!state || state.trusted || this.busy) return;
    const generation = this.#generation;
    this.busy = true;
    const question = trustQuestion(state);
    if (!(await this.#notices.confirm(question.title, question.message, "Trust this folder"))) {
      if (generation === this.#generation) this.busy = false;
      return;
    }
    const now = await this.#set(true, generation);
    if (!now) return;
    if (now.trusted) {
      this.#keptRestricted.delete(now.workspace);
      this.#notices.log("workspace", `Trusted ${now.folder ?? now.workspace}${now.origin ? ` (origin ${now.origin})` : ""}`);
      this.#notices.inform("This folder is trusted; the test workers restart");
    } else {
      this.#notices.log("workspace", `Still restricted after trusting ${now.workspace} (${now.reason.kind})`, "error");
    }
  }

  /** Stops trusting the folder (from the status bar), after asking. */
  async revoke(): Promise<void> {
    const state = this.state;
    if (!state || !revocable(state) || this.busy) return;
    const generation = this.#generation;
    this.busy = true;
    const question = revokeQuestion(state);
    if (!(await this.#notices.confirm(question.title, question.message, "Stop trusting"))) {
      if (generation === this.#generation) this.busy = false;
      return;
    }
    const now = await this.#set(false, generation);
    if (!now) return;
    if (now.trusted) {
      // A trusted parent folder still covers it: revoking here cannot change that.
      const by = now.folder ?? "a parent folder";
      this.#notices.log("workspace", `Still trusted: ${by} is trusted and holds this workspace`);
      this.#notices.inform(`Still trusted: ${by} is trusted and holds this workspace (\`prowl trust ${by} --revoke\` stops that)`);
    } else {
      this.#notices.log("workspace", `Stopped trusting ${now.workspace}: restricted mode`);
      this.#notices.inform("This folder is no longer trusted; its code runs only in the sandbox");
    }
  }

  /** "Keep restricted": hides the banner for this workspace until the app is closed. */
  keepRestricted(): void {
    if (!this.state || this.state.trusted) return;
    this.#keptRestricted.add(this.state.workspace);
    this.dismissed = true;
    this.#notices.log("workspace", "Kept restricted for this session");
  }

  /** Shows the banner again (the status bar's "Restricted"). */
  showRestrictions(): void {
    this.dismissed = false;
  }

  /** Sends the decision, unless the workspace it was made for was left while the user was asked. */
  async #set(trusted: boolean, generation: number): Promise<TrustState | null> {
    if (generation !== this.#generation) return null;
    try {
      const state = await api.setTrust(trusted);
      if (generation !== this.#generation) return null;
      this.state = state;
      this.dismissed = !state.trusted && this.#keptRestricted.has(state.workspace);
      return state;
    } catch (e) {
      if (generation === this.#generation) this.#notices.fail(trusted ? "Could not trust the folder" : "Could not stop trusting the folder", e, "workspace");
      return null;
    } finally {
      if (generation === this.#generation) this.busy = false;
    }
  }

  /** The workspace was left. */
  clear(): void {
    this.#generation++;
    this.state = null;
    this.busy = false;
    this.dismissed = false;
  }
}

// What the window says about workspace trust (rules_workspace::trust): the restricted-mode
// banner's lines, the status bar's label and tooltip, and what the confirmations ask. Pure
// functions over the contract's TrustState; the trust store decides when they are shown.
//
// The wording follows the core's: an untrusted workspace's code runs only in the sandbox (even
// with PROWL_SANDBOX=off) and its packages are installed only after approval of the exact list;
// a trusted one's packages are installed as shown, and PROWL_SANDBOX=off applies to it.

import type { TrustState } from "./contract";

/** What restricted mode restricts, in one sentence. */
export const RESTRICTIONS =
  "Its code runs only in Prowl's sandbox — no network, no files outside the workspace, none of your environment variables — and its Python packages are installed only after you approve the exact list.";

/** Why Prowl asks at all, and what to do before trusting a pack from elsewhere. */
export const WHY_RESTRICTED =
  "Why: a detection's code reads every event it runs on, and anyone who can write a rule can read that data or send it elsewhere. Review third-party packs with `prowl audit` before you trust them.";

/** The banner's first line: restricted, and why this workspace is. */
export function restrictedHeadline(state: TrustState): string {
  if (state.reason.kind === "origin_changed") {
    const now = state.reason.now === null ? "it has no origin any more" : `its origin is now ${state.reason.now}`;
    return `Restricted mode: this folder was trusted as a clone of ${state.reason.trusted}, but ${now}, so it is no longer trusted.`;
  }
  return "Restricted mode: this workspace is not trusted.";
}

/** The status bar's word for the state. */
export function trustLabel(state: TrustState): string {
  return state.trusted ? "Trusted" : "Restricted";
}

/** Why a trusted workspace is trusted (or, restricted, what that means), for a tooltip. */
export function trustDetail(state: TrustState): string {
  switch (state.reason.kind) {
    case "folder":
      return state.folder && state.folder !== state.workspace
        ? `Trusted: the folder ${state.folder}, which holds this workspace, is trusted.`
        : "Trusted: you trusted this folder.";
    case "environment":
      return "Trusted for this session: PROWL_TRUST=1 is set in Prowl's environment.";
    case "demo":
      return "Trusted: Prowl's own demo workspace.";
    case "not_trusted":
    case "origin_changed":
      return `${restrictedHeadline(state)} ${RESTRICTIONS}`;
  }
}

/** Whether stopping trust here would change anything: only trust the user gave a folder can be revoked. */
export function revocable(state: TrustState): boolean {
  return state.trusted && state.reason.kind === "folder";
}

/** The question before trusting, with what it means and what is remembered. */
export function trustQuestion(state: TrustState): { title: string; message: string } {
  const origin =
    state.reason.kind === "origin_changed" && state.reason.now !== null
      ? ` and its git origin (${state.reason.now})`
      : " and its git origin, if it has one";
  return {
    title: "Trust this folder?",
    message:
      `Prowl will install the Python packages this workspace declares without asking you first, and its code may run outside the sandbox — with your network, your files and your environment variables — when you switch the sandbox off (PROWL_SANDBOX=off). ` +
      `Trust only code you would run yourself. This is remembered for ${state.workspace}${origin}; if the origin changes, Prowl stops trusting it.`,
  };
}

/** The question before revoking trust. */
export function revokeQuestion(state: TrustState): { title: string; message: string } {
  return {
    title: "Stop trusting this folder?",
    message: `${state.workspace} goes back to restricted mode. ${RESTRICTIONS} The test workers restart.`,
  };
}

// Unsaved buffers an earlier session left in the recovery folder (it ended without saving), offered
// in a banner for the open workspace: restore (the workbench puts the text in an editor) or
// discard. The copies this session makes are the buffers store's.
//
// Invariant: `offers` holds only copies of files inside the open workspace, each path once.

import * as api from "../api";
import type { RecoveredBuffer } from "../contract";
import { relativeTo } from "../paths";
import type { Notices } from "./notices.svelte";

/** When a copy was kept (`saved_at`: seconds since the epoch), in the user's local time. */
export function savedAtText(seconds: number): string {
  return new Date(seconds * 1000).toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
}

export class RecoveryOffers {
  offers = $state<RecoveredBuffer[]>([]);
  readonly #notices: Notices;

  constructor(notices: Notices) {
    this.#notices = notices;
  }

  /** Lists the recovery folder's copies of files under `root`. */
  async load(root: string): Promise<void> {
    try {
      const all = await api.recoveryList();
      this.offers = all.filter((r) => relativeTo(root, r.path) !== null);
      if (this.offers.length > 0) {
        this.#notices.log("workspace", `${this.offers.length} unsaved buffer(s) from an earlier session can be restored`);
      }
    } catch (e) {
      this.#notices.fail("Could not list recovered buffers", e);
    }
  }

  /** Takes an offer off the list (restored; its copy stays until the buffer is saved). */
  remove(path: string): void {
    this.offers = this.offers.filter((r) => r.path !== path);
  }

  /** Deletes the copy and takes the offer off the list. */
  async discard(entry: RecoveredBuffer): Promise<void> {
    try {
      await api.recoveryClear(entry.path);
    } catch (e) {
      this.#notices.fail("Could not remove the recovered copy", e);
    }
    this.remove(entry.path);
  }

  clear(): void {
    this.offers = [];
  }
}

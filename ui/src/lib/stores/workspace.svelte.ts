// The open workspace as the shell indexed it (`WorkspaceView`: items, saved files' diagnostics,
// git status) and the lookups built from it.
//
// Invariants: `view` is `$state.raw` and replaced, never edited in place (setGit makes a new
// one), so its 1,000+ items are plain objects rather than deep proxies that every search,
// filter and badge would read through; the indexes are derived, so they change only when the
// view does. The git status lives here, in the view; the git store writes it through setGit.

import * as api from "../api";
import type { GitStatus, Item, WorkspaceView } from "../contract";
import { samePath } from "../paths";
import { itemPathIndex } from "../results";
import { itemPaths } from "../status";
import type { Notices } from "./notices.svelte";

function indexById(items: Item[]): Map<string, Item> {
  const index = new Map<string, Item>();
  for (const item of items) if (!index.has(item.id)) index.set(item.id, item);
  return index;
}

export class OpenWorkspace {
  view = $state.raw<WorkspaceView | null>(null);

  items = $derived(this.view?.items ?? []);
  root = $derived(this.view?.root ?? "");
  name = $derived(this.view?.name ?? "");
  /** The git status; null when the workspace is not in a git repository. */
  git = $derived<GitStatus | null>(this.view?.git ?? null);
  /** Item ID → item (the first of items sharing an ID, as a scan would find). */
  itemIndex = $derived(indexById(this.items));
  /** Normalised file path → the item owning it (traceback frames become links with it). */
  pathIndex = $derived(itemPathIndex(this.items));

  readonly #notices: Notices;
  readonly #onGone: () => void;

  /** `onGone`: the shell has no workspace open any more (called by reread). */
  constructor(notices: Notices, onGone: () => void) {
    this.#notices = notices;
    this.#onGone = onGone;
  }

  itemById(id: string): Item | undefined {
    return this.itemIndex.get(id);
  }

  /** The item whose spec or code is `path`. */
  itemOwning(path: string): Item | undefined {
    return this.items.find((i) => itemPaths(i).some((p) => samePath(p, path, this.root)));
  }

  /** The spec and code files of an item (none for an unknown ID). */
  pathsOfItem(id: string): string[] {
    const item = this.itemById(id);
    return item ? itemPaths(item) : [];
  }

  /** Re-reads the view from the shell (after a checkout, a change on disk, the user's ask). */
  async reread(): Promise<void> {
    try {
      const view = await api.workspaceView();
      if (view) this.view = view;
      else this.#onGone();
    } catch (e) {
      this.#notices.fail("Could not re-read the workspace", e, "workspace");
    }
  }

  setGit(status: GitStatus): void {
    if (this.view) this.view = { ...this.view, git: status };
  }

  /** Re-reads the git status quietly (after a save the explorer's marks change). */
  async refreshGit(): Promise<void> {
    if (!this.view?.git) return;
    try {
      this.setGit(await api.gitStatus());
    } catch {
      // The watcher's workspace://changed brings the status too; nothing to tell the user.
    }
  }
}

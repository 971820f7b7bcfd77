// The editor tabs: which are open (an item, a lone file, the git view, the Python environment,
// the Audit, Replay, Deploy and Upstream views, Settings), which is active, the
// order they were used in (to go back), and the recently opened items (Ctrl+P ranks them first).
//
// Invariants: a tab is open at most once (by key); the active key is an open tab's or null;
// opening an item or a file also opens its buffers; closing a tab forgets the buffers no other
// tab shows, after the user agreed to lose unsaved changes.

import type { OpenBuffers } from "./buffers.svelte";
import type { Layout } from "./layout.svelte";
import type { Notices } from "./notices.svelte";
import type { OpenWorkspace } from "./workspace.svelte";
import { relativeTo, resolve, samePath } from "../paths";
import { itemPaths } from "../status";

export type Tab = { kind: "item"; id: string } | { kind: "file"; path: string } | { kind: "git" } | { kind: "environment" } | { kind: "audit" } | { kind: "replay" } | { kind: "deploy" } | { kind: "upstream" } | { kind: "settings" };

export function tabKey(tab: Tab): string {
  if (tab.kind === "item") return `item:${tab.id}`;
  if (tab.kind === "file") return `file:${tab.path}`;
  return tab.kind;
}

/** Tabs of a view (git, environment, audit, replay, deploy, upstream, settings) rather than of the workspace's files. */
export function isViewTab(key: string | null): boolean {
  return key === "git" || key === "environment" || key === "audit" || key === "replay" || key === "deploy" || key === "upstream" || key === "settings";
}

/** A request to show one test of an item's spec in its test editor (after a test was added elsewhere). */
export interface TestReveal {
  id: string;
  name: string;
  /** Changes with every request. */
  seq: number;
}

const RECENT_LIMIT = 30;

export class EditorTabs {
  open = $state<Tab[]>([]);
  activeKey = $state<string | null>(null);
  /** Item IDs, most recently opened first. */
  recentIds = $state<string[]>([]);
  /** The test the item's test editor should select (its DetectionView follows it). */
  testReveal = $state.raw<TestReveal | null>(null);
  active = $derived(this.open.find((t) => tabKey(t) === this.activeKey) ?? null);

  /** Tab keys, most recently active last (to go back from a view tab, or after a close). */
  #activation: string[] = [];
  readonly #workspace: OpenWorkspace;
  readonly #buffers: OpenBuffers;
  readonly #notices: Notices;
  readonly #layout: Layout;

  constructor(workspace: OpenWorkspace, buffers: OpenBuffers, notices: Notices, layout: Layout) {
    this.#workspace = workspace;
    this.#buffers = buffers;
    this.#notices = notices;
    this.#layout = layout;
  }

  activate(key: string): void {
    this.activeKey = key;
    this.#activation = [...this.#activation.filter((k) => k !== key), key];
  }

  #add(tab: Tab): void {
    const key = tabKey(tab);
    if (!this.open.some((t) => tabKey(t) === key)) this.open.push(tab);
    this.activate(key);
  }

  /**
   * Shows the explorer and, coming from the git, environment or audit view, the editor that was open
   * before it.
   */
  showExplorer(): void {
    this.#layout.sidebarOpen = true;
    if (!isViewTab(this.activeKey)) return;
    const open = new Set(this.open.map(tabKey));
    const back = [...this.#activation].reverse().find((k) => !isViewTab(k) && open.has(k));
    const fallback = this.open.find((t) => !isViewTab(tabKey(t)));
    const key = back ?? (fallback ? tabKey(fallback) : null);
    if (key) this.activate(key);
  }

  openItem(id: string): void {
    const item = this.#workspace.itemById(id);
    if (!item) return;
    this.#add({ kind: "item", id });
    this.recentIds = [id, ...this.recentIds.filter((r) => r !== id)].slice(0, RECENT_LIMIT);
    for (const p of itemPaths(item)) void this.#buffers.ensure(p);
  }

  openGit(): void {
    this.#add({ kind: "git" });
  }

  openEnvironment(): void {
    this.#add({ kind: "environment" });
  }

  openAudit(): void {
    this.#add({ kind: "audit" });
  }

  openReplay(): void {
    this.#add({ kind: "replay" });
  }

  openDeploy(): void {
    this.#add({ kind: "deploy" });
  }

  openUpstream(): void {
    this.#add({ kind: "upstream" });
  }

  openSettings(): void {
    this.#add({ kind: "settings" });
  }

  /** Opens item `id` and asks its test editor to select the test named `name`. */
  revealTest(id: string, name: string): void {
    this.openItem(id);
    this.testReveal = { id, name, seq: (this.testReveal?.seq ?? 0) + 1 };
  }

  /** Opens the item owning `path` (or the file alone) and shows `line`. */
  openFile(path: string, line?: number, col = 1): void {
    const root = this.#workspace.root;
    const owner = this.#workspace.itemOwning(path);
    const bufferPath = owner ? (itemPaths(owner).find((p) => samePath(p, path, root)) ?? path) : resolve(root, path);
    if (owner) this.openItem(owner.id);
    else {
      this.#add({ kind: "file", path: bufferPath });
      void this.#buffers.ensure(bufferPath);
    }
    if (line !== undefined) this.#buffers.jump(bufferPath, line, col);
  }

  /** Files of a tab (to save, or to ask before closing). */
  pathsOf(tab: Tab): string[] {
    if (tab.kind === "file") return [tab.path];
    if (tab.kind === "item") return this.#workspace.pathsOfItem(tab.id);
    return [];
  }

  isDirty(tab: Tab): boolean {
    return this.pathsOf(tab).some((p) => this.#buffers.isDirty(p));
  }

  async close(key: string): Promise<void> {
    const i = this.open.findIndex((t) => tabKey(t) === key);
    if (i < 0) return;
    const tab = this.open[i];
    const others = this.open.filter((_, k) => k !== i).flatMap((t) => this.pathsOf(t));
    const own = this.pathsOf(tab).filter((p) => !others.includes(p));
    const dirty = own.filter((p) => this.#buffers.isDirty(p));
    if (dirty.length > 0) {
      const root = this.#workspace.root;
      const ok = await this.#notices.confirm(
        "Close with unsaved changes?",
        `${dirty.map((p) => relativeTo(root, p) ?? p).join(", ")} has unsaved changes. Closing throws them away.`,
        "Discard changes",
        true,
      );
      if (!ok) return;
    }
    this.#buffers.close(own);
    const at = this.open.findIndex((t) => tabKey(t) === key);
    this.open.splice(at, 1);
    this.#activation = this.#activation.filter((k) => k !== key);
    if (this.activeKey === key) {
      const open = new Set(this.open.map(tabKey));
      const back = [...this.#activation].reverse().find((k) => open.has(k));
      const neighbour = this.open[Math.min(at, this.open.length - 1)];
      const next = back ?? (neighbour ? tabKey(neighbour) : null);
      if (next) this.activate(next);
      else this.activeKey = null;
    }
  }

  clear(): void {
    this.open = [];
    this.activeKey = null;
    this.#activation = [];
    this.recentIds = [];
    this.testReveal = null;
  }
}

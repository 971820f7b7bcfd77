// Source control for the git view: the branches, the file whose diff is shown and that diff, and
// the operations (stage, unstage, discard, commit, checkout). The status itself belongs to the
// workspace view; every operation here that returns a new status writes it there (setGit), so
// the explorer's marks and the status bar follow.
//
// Invariants: one operation at a time (`busy`); a diff is shown only for the file still
// selected when it arrives; discarding and switching branch with unsaved editors ask first.

import * as api from "../api";
import type { ShellError } from "../api";
import type { Branch, FileDiff, GitFile, GitStatus } from "../contract";
import type { OpenBuffers } from "./buffers.svelte";
import type { Notices } from "./notices.svelte";
import type { OpenWorkspace } from "./workspace.svelte";

export interface DiffSelection {
  path: string;
  /** true: index vs HEAD; false: working tree vs index. */
  staged: boolean;
}

function isStaged(f: GitFile): boolean {
  return f.index !== "unmodified" && f.index !== "untracked";
}

function isUnstaged(f: GitFile): boolean {
  return f.worktree !== "unmodified" || f.conflicted || f.index === "untracked";
}

export class SourceControl {
  branches = $state<Branch[]>([]);
  busy = $state(false);
  selected = $state<DiffSelection | null>(null);
  diff = $state.raw<FileDiff | null>(null);
  diffError = $state.raw<ShellError | null>(null);

  /** The git status (the workspace view's); null when the workspace is not in a repository. */
  status = $derived.by<GitStatus | null>(() => this.#workspace.git);
  staged = $derived(this.status?.files.filter(isStaged) ?? []);
  changes = $derived(this.status?.files.filter(isUnstaged) ?? []);
  currentBranch = $derived(this.branches.find((b) => b.current)?.name ?? "");

  readonly #workspace: OpenWorkspace;
  readonly #buffers: OpenBuffers;
  readonly #notices: Notices;

  constructor(workspace: OpenWorkspace, buffers: OpenBuffers, notices: Notices) {
    this.#workspace = workspace;
    this.#buffers = buffers;
    this.#notices = notices;
  }

  async #guarded<T>(title: string, work: () => Promise<T>): Promise<T | null> {
    this.busy = true;
    try {
      return await work();
    } catch (e) {
      this.#notices.fail(title, e, "git");
      return null;
    } finally {
      this.busy = false;
    }
  }

  /** Re-reads the status and the branches. */
  async refresh(): Promise<void> {
    await this.#guarded("Could not read the git status", async () => {
      this.#workspace.setGit(await api.gitStatus());
      this.branches = await api.gitBranches();
    });
  }

  async #loadDiff(sel: DiffSelection): Promise<void> {
    this.diffError = null;
    try {
      const d = await api.gitDiff(sel.path, sel.staged);
      if (this.selected && this.selected.path === sel.path && this.selected.staged === sel.staged) this.diff = d;
    } catch (e) {
      this.diff = null;
      this.diffError = api.toShellError(e);
    }
  }

  select(path: string, staged: boolean): void {
    this.selected = { path, staged };
    this.diff = null;
    void this.#loadDiff(this.selected);
  }

  /** The status changed (a stage, a save, a checkout): reloads the shown diff, or drops it. */
  followStatus(): void {
    const sel = this.selected;
    if (!sel) return;
    const f = this.status?.files.find((x) => x.path === sel.path);
    const stillThere = f && (sel.staged ? isStaged(f) : f.worktree !== "unmodified" || f.index === "untracked");
    if (stillThere) void this.#loadDiff(sel);
    else {
      this.selected = null;
      this.diff = null;
    }
  }

  async stage(paths: string[]): Promise<void> {
    if (paths.length === 0) return;
    const s = await this.#guarded("Could not stage", () => api.gitStage(paths));
    if (s) this.#workspace.setGit(s);
  }

  async unstage(paths: string[]): Promise<void> {
    if (paths.length === 0) return;
    const s = await this.#guarded("Could not unstage", () => api.gitUnstage(paths));
    if (s) this.#workspace.setGit(s);
  }

  /** Throws away a file's worktree changes (deletes it when untracked), after asking. */
  async discard(file: GitFile): Promise<void> {
    const untracked = file.worktree === "untracked" || file.index === "untracked";
    const ok = await this.#notices.confirm(
      untracked ? "Delete this untracked file?" : "Discard the changes?",
      untracked
        ? `${file.path} is not in git; discarding deletes it. This cannot be undone.`
        : `The uncommitted changes to ${file.path} will be lost. This cannot be undone.`,
      untracked ? "Delete file" : "Discard changes",
      true,
    );
    if (!ok) return;
    const s = await this.#guarded("Could not discard", () => api.gitDiscard([file.path]));
    if (s) {
      this.#workspace.setGit(s);
      this.#notices.log("git", `Discarded the changes to ${file.path}`);
    }
  }

  /** Commits the staged changes; returns whether a commit was made. */
  async commit(message: string): Promise<boolean> {
    const text = message.trim();
    if (!text || this.staged.length === 0) return false;
    const r = await this.#guarded("Could not commit", () => api.gitCommit(text));
    if (!r) return false;
    this.#workspace.setGit(r.status);
    this.#notices.log("git", `Committed ${r.oid.slice(0, 8)}: ${text.split("\n")[0]}`);
    this.#notices.inform(`Committed ${r.oid.slice(0, 8)}`);
    return true;
  }

  /** Switches branch (asking first when editors have unsaved changes), then re-reads the workspace. */
  async checkout(branch: string): Promise<void> {
    if (!branch || branch === this.currentBranch) return;
    const dirty = this.#buffers.dirtyPaths();
    if (dirty.length > 0) {
      const ok = await this.#notices.confirm(
        "Switch branch with unsaved editors?",
        `${dirty.length} open file(s) have unsaved changes. They stay in their editors; files that differ on the other branch will show a banner to compare.`,
        "Switch",
      );
      if (!ok) {
        this.#resetBranchSelect();
        return;
      }
    }
    const s = await this.#guarded(`Could not switch to ${branch}`, () => api.gitCheckout(branch));
    if (s) {
      this.#workspace.setGit(s);
      this.#notices.log("git", `Switched to branch ${branch}`);
      await this.refresh();
      await this.#workspace.reread();
    } else {
      this.#resetBranchSelect();
    }
  }

  /** A new list object, so the branch picker the user changed shows the current branch again. */
  #resetBranchSelect(): void {
    this.branches = [...this.branches];
  }

  clear(): void {
    this.branches = [];
    this.selected = null;
    this.diff = null;
    this.diffError = null;
  }
}

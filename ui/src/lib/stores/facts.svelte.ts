// What the views show about items, derived from the other stores and owning no state of its
// own: the workspace's problems (saved files' diagnostics with those of buffers as typed), their
// counts, and each item's facts (test status, failing count, problems, git mark).
//
// Performance: each derived reads only what it needs, so a run recomputes no problem counts and a
// new git status no test status; per-item facts keep their identity unless that item's inputs
// changed (FactsMemo), so a run of one detection re-renders that detection's row and badge only.

import { countBySeverity, mergeDiagnostics, sortDiagnostics } from "../diagnostics";
import type { Item } from "../contract";
import { FactsMemo, gitMarksByItem, problemsByItem, type ItemFacts } from "../status";
import type { OpenBuffers } from "./buffers.svelte";
import type { TestRuns } from "./runs.svelte";
import type { OpenWorkspace } from "./workspace.svelte";

export class WorkspaceFacts {
  readonly #workspace: OpenWorkspace;
  readonly #buffers: OpenBuffers;
  readonly #runs: TestRuns;
  /** Keeps each item's facts object while its inputs are unchanged (see FactsMemo). */
  readonly #memo = new FactsMemo();

  /** Every problem: saved files' diagnostics, with those of open buffers as typed instead. */
  diagnostics = $derived.by(() => sortDiagnostics(mergeDiagnostics(this.#workspace.view?.diagnostics ?? [], this.#buffers.live)));
  problemCounts = $derived(countBySeverity(this.diagnostics));
  /** Item ID → its files' problem count; recomputed when diagnostics change, not on a run. */
  problemsById = $derived.by(() => problemsByItem(this.#workspace.items, this.diagnostics));
  /** Item ID → git mark; recomputed when the git status changes, not on a run. */
  gitMarks = $derived.by(() => gitMarksByItem(this.#workspace.items, this.#workspace.git, this.#workspace.root));
  /**
   * Every item's facts (for the explorer's test/git/problem filters and tests). Reading it walks
   * all items; a single item's view uses of(), which stays proportional.
   */
  all = $derived.by(() => new Map([...this.#workspace.itemIndex].map(([id, item]) => [id, this.#factsOfItem(item)])));

  constructor(workspace: OpenWorkspace, buffers: OpenBuffers, runs: TestRuns) {
    this.#workspace = workspace;
    this.#buffers = buffers;
    this.#runs = runs;
  }

  /**
   * One item's facts. Read inside a derived (an explorer row's `{@const}`), it re-runs when
   * results, diagnostics or git change, but returns the very same object unless this item's own
   * inputs changed, so nothing below it updates.
   */
  of(id: string): ItemFacts | undefined {
    const item = this.#workspace.itemById(id);
    return item ? this.#factsOfItem(item) : undefined;
  }

  #factsOfItem(item: Item): ItemFacts {
    return this.#memo.get(item, this.#runs.results[item.id], this.problemsById.get(item.id), this.gitMarks.get(item.id) ?? null);
  }

  clear(): void {
    this.#memo.clear();
  }
}

// The Upstream view's state: the view the shell computes (remote, releases, the plan of the
// chosen target or of the merge in progress, what is open, the check of the merged result), the
// target picked, the list's filters, the selected item with its three versions, the fetch going
// on with its progress, and the step going on (merge, resolve, accept, commit, abort, undo).
//
// Invariants: one step at a time (`busy`); every step answers the view after it, which
// replaces the one shown; after a step that wrote files the workspace is read again (the
// explorer, the git status); an item's texts are shown only for the item still selected when
// they arrive; a merge over uncommitted changes is refused by the core and offered again with
// a stash; abort and undo ask first.

import * as api from "../api";
import type { ShellError } from "../api";
import type { UpstreamDone, UpstreamFetchProgress, UpstreamItemDetail, UpstreamTake, UpstreamView } from "../contract";
import { defaultGroup, rows, stepMessage, type Group, type Row } from "../upstream";
import type { Notices } from "./notices.svelte";
import type { OpenWorkspace } from "./workspace.svelte";

export type UpstreamBusy = "remote" | "fetch" | "merge" | "resolve" | "accept" | "commit" | "abort" | "undo";

export class UpstreamMerge {
  view = $state.raw<UpstreamView | null>(null);
  loading = $state(false);
  viewError = $state.raw<ShellError | null>(null);
  /** The target picked: a release tag, or null for the remote's default branch. */
  target = $state<string | null>(null);

  group = $state<Group>("needs_you");
  query = $state("");

  /** The selected row's key (an item's ID or a file's path). */
  selected = $state<string | null>(null);
  detail = $state.raw<UpstreamItemDetail | null>(null);
  detailError = $state.raw<ShellError | null>(null);

  busy = $state<UpstreamBusy | null>(null);
  fetchProgress = $state.raw<UpstreamFetchProgress | null>(null);
  /** The last step's failure (`upstream.dirty` is offered again with a stash). */
  stepError = $state.raw<ShellError | null>(null);

  rows = $derived<Row[]>(this.view ? rows(this.view) : []);
  selectedRow = $derived<Row | null>(this.rows.find((r) => r.key === this.selected) ?? null);

  readonly #notices: Notices;
  readonly #workspace: OpenWorkspace;
  /** Bumped on every selection: texts for an item no longer selected are dropped. */
  #selection = 0;

  constructor(notices: Notices, workspace: OpenWorkspace) {
    this.#notices = notices;
    this.#workspace = workspace;
  }

  /** Reads the view (for the target picked); the filter starts on what needs the user. */
  async load(): Promise<UpstreamView | null> {
    this.loading = true;
    try {
      const first = this.view === null;
      this.#show(await api.upstreamView(this.target));
      this.viewError = null;
      if (first) this.group = defaultGroup(this.rows);
      return this.view;
    } catch (e) {
      this.viewError = api.toShellError(e);
      return null;
    } finally {
      this.loading = false;
    }
  }

  /** Plans another target (ignored by the core while a merge is in progress). */
  async chooseTarget(target: string | null): Promise<void> {
    if (target === this.target) return;
    this.target = target;
    await this.load();
  }

  #show(view: UpstreamView): void {
    this.view = view;
    // Keep the selection while its row is still there; its texts may have changed.
    if (this.selected !== null && !this.rows.some((r) => r.key === this.selected)) {
      this.selected = null;
      this.detail = null;
    } else if (this.selected !== null) {
      void this.#loadDetail(this.selected);
    }
  }

  /** Selects a row; an item's three versions are read for the three-way view. */
  async select(key: string | null): Promise<void> {
    this.selected = key;
    this.detail = null;
    this.detailError = null;
    if (key !== null) await this.#loadDetail(key);
  }

  async #loadDetail(key: string): Promise<void> {
    const seq = ++this.#selection;
    const row = this.rows.find((r) => r.key === key);
    if (!row || row.kind !== "item") {
      this.detail = null;
      return;
    }
    try {
      const detail = await api.upstreamItem(key, this.target);
      if (seq !== this.#selection || this.selected !== key) return;
      this.detail = detail;
      this.detailError = null;
    } catch (e) {
      if (seq !== this.#selection || this.selected !== key) return;
      this.detail = null;
      this.detailError = api.toShellError(e);
    }
  }

  /** Runs one step; its answer replaces the view, its failure is kept (and logged). */
  async #step(kind: UpstreamBusy, what: string, run: () => Promise<UpstreamDone>, wrote = true): Promise<UpstreamDone | null> {
    if (this.busy) return null;
    this.busy = kind;
    this.stepError = null;
    try {
      const done = await run();
      this.#show(done.view);
      this.viewError = null;
      this.#notices.log("upstream", stepMessage(done.done));
      if (wrote) await this.#workspace.reread();
      return done;
    } catch (e) {
      const err = api.toShellError(e);
      this.stepError = err;
      this.#notices.log("upstream", `${what}: ${err.message}${err.hint ? ` — hint: ${err.hint}` : ""}`, "error");
      return null;
    } finally {
      this.busy = null;
    }
  }

  /** Points the upstream remote at `url`, then plans the default branch (fetch it first). */
  async setRemote(url: string): Promise<boolean> {
    const done = await this.#step("remote", "Could not set the upstream remote", () => api.upstreamSetRemote(url), false);
    if (done) this.target = null;
    return done !== null;
  }

  /** Fetches the remote's branches and tags, with progress. */
  async fetch(): Promise<boolean> {
    this.fetchProgress = null;
    const done = await this.#step(
      "fetch",
      "Fetch failed",
      () =>
        api.upstreamFetch(this.target, (p) => {
          this.fetchProgress = p;
        }),
      false,
    );
    this.fetchProgress = null;
    return done !== null;
  }

  async cancelFetch(): Promise<void> {
    if (this.busy !== "fetch") return;
    try {
      await api.cancelUpstreamFetch();
    } catch (e) {
      this.#notices.fail("Could not cancel the fetch", e, "upstream");
    }
  }

  /** Writes the merge into the working tree and checks it; `stash` puts uncommitted changes aside first. */
  async merge(stash = false): Promise<boolean> {
    const done = await this.#step("merge", "The merge did not start", () => api.upstreamMerge(this.target, stash));
    if (done) {
      this.group = defaultGroup(this.rows);
      const check = done.view.check;
      if (check && check.failed > 0) this.#notices.log("upstream", `The merged result has problems in ${check.failed} item(s): see them beside each item`, "error");
      if (done.view.check_problem) this.#notices.log("upstream", `The merged result could not be checked: ${done.view.check_problem.message}`, "error");
    }
    return done !== null;
  }

  /** Answers every conflict and the decision of an item (or a file) with one side. */
  async resolve(id: string, take: UpstreamTake): Promise<boolean> {
    return (await this.#step("resolve", `Could not answer ${id}`, () => api.upstreamResolve(id, take, null))) !== null;
  }

  /** Answers one conflicting key of an item's spec. */
  async resolveKey(id: string, key: string, take: UpstreamTake): Promise<boolean> {
    return (await this.#step("resolve", `Could not answer ${id} (${key})`, () => api.upstreamResolve(id, null, { [key]: take }))) !== null;
  }

  /** Takes Prowl's proposed answer for every open decision. */
  async acceptProposed(): Promise<boolean> {
    return (await this.#step("accept", "Could not take the proposed answers", () => api.upstreamAcceptProposed())) !== null;
  }

  /** Makes the merge commit (message empty: "Merge upstream TARGET (COMMIT)"). */
  async commit(message: string): Promise<boolean> {
    const text = message.trim();
    const done = await this.#step("commit", "Could not commit the merge", () => api.upstreamCommit(text === "" ? null : text));
    if (done?.done.kind === "committed") this.#notices.inform(`Merge commit ${done.done.committed.commit.slice(0, 8)} made`);
    return done !== null;
  }

  /** Stops the merge, after asking: the files it wrote go back to HEAD. */
  async abort(): Promise<boolean> {
    const ok = await this.#notices.confirm(
      "Abort the upstream merge?",
      "Every file the merge wrote goes back to what HEAD has. Files you edited since the merge are kept as copies in .git/prowl-upstream/aborted/.",
      "Abort the merge",
      true,
    );
    if (!ok) return false;
    return (await this.#step("abort", "Could not abort the merge", () => api.upstreamAbort())) !== null;
  }

  /** Takes back the last merge commit, after asking. */
  async undo(): Promise<boolean> {
    const ok = await this.#notices.confirm(
      "Undo the last upstream merge?",
      "HEAD goes back to the commit before the merge; the merge commit stays reachable as refs/prowl/upstream/undone.",
      "Undo the merge",
      true,
    );
    if (!ok) return false;
    return (await this.#step("undo", "Could not undo the merge", () => api.upstreamUndo())) !== null;
  }

  clear(): void {
    this.view = null;
    this.viewError = null;
    this.target = null;
    this.group = "needs_you";
    this.query = "";
    this.selected = null;
    this.detail = null;
    this.detailError = null;
    this.stepError = null;
    this.fetchProgress = null;
    ++this.#selection;
  }
}

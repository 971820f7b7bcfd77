// The Replay view's state: the form (log files or folders, a `--filter`-like detection filter,
// the workspace's own log folders offered as one-click sources), the replay going on (its
// progress, cancelling it), the last replay (report, kept-event limits), the alert table's sort
// and text filter, the selected alert and its kept events.
//
// Where it runs: this machine's workers, or the Ray cluster the user set in Settings (the
// saved address, read when a replay starts); "Impact" runs on this machine only.
//
// Invariants: one replay at a time; a new replay forgets the last one at once (the shell drops
// its kept events when the next starts); a cancelled replay still answers with a report (what
// was done, `cancelled`); answers that arrive after a newer request (another replay, another
// alert selected) are dropped. Every string of a replay comes from logs or detections (or, on
// a cluster, from Ray): components render it as text.

import * as api from "../api";
import type { ShellError } from "../api";
import type { Alert, AlertEvents, EventTest, ImpactView, ReplayProgress, ReplayView } from "../contract";
import { runSummary, type ReplayTarget } from "../cluster";
import { alertChart, filterAlerts, filterArgs, nextSort, sortAlerts, sourceList, type AlertColumn, type SortDirection } from "../replay";
import type { Notices } from "./notices.svelte";

/** The replay going on. */
export interface ReplayRun {
  progress: ReplayProgress | null;
  cancelling: boolean;
  /** "replay", or "impact" (the same logs through the last commit's rules, then the working tree's). */
  kind: "replay" | "impact";
  /** The cluster's address when it runs on one; null: this machine. */
  cluster: string | null;
}

export class LogReplay {
  /** Log files or folders, one per line (relative to the workspace, or absolute). */
  sources = $state("");
  /** `--filter` arguments, whitespace-separated (`LogTypes=Okta.SystemLog Severity=High`). */
  filter = $state("");
  /** The workspace's conventional log folders (`sample_logs/`), offered as one-click sources. */
  suggested = $state.raw<string[]>([]);
  /** Where the next replay runs: this machine, or the cluster set in Settings. */
  target = $state<ReplayTarget>("local");
  running = $state<ReplayRun | null>(null);
  view = $state.raw<ReplayView | null>(null);
  /** Why the last replay could not run. */
  error = $state.raw<ShellError | null>(null);
  sort = $state<{ column: AlertColumn; direction: SortDirection }>({ column: "first", direction: "asc" });
  /** The alert table's text filter. */
  query = $state("");
  /** The selected alert's number. */
  selected = $state<number | null>(null);
  events = $state.raw<AlertEvents | null>(null);
  eventsError = $state.raw<ShellError | null>(null);
  /** The last "Impact": what the working tree's edits do to the alerts, against the last commit. */
  impact = $state.raw<ImpactView | null>(null);

  /** The alerts the table shows: filtered by the query, sorted. */
  alerts = $derived(this.view ? sortAlerts(filterAlerts(this.view.report.alerts, this.query), this.sort.column, this.sort.direction) : []);
  chart = $derived(this.view ? alertChart(this.view.report.alerts) : null);
  selectedAlert = $derived(this.view?.report.alerts.find((a) => a.id === this.selected) ?? null);

  readonly #notices: Notices;
  readonly #clusterAddress: () => string | null;
  #generation = 0;
  #eventsSeq = 0;

  /** `clusterAddress`: the saved cluster address (Settings), null when none is set. */
  constructor(notices: Notices, clusterAddress: () => string | null = () => null) {
    this.#notices = notices;
    this.#clusterAddress = clusterAddress;
  }

  /** The cluster a replay would run on now: the saved address when the target is the cluster. */
  get cluster(): string | null {
    return this.target === "cluster" ? this.#clusterAddress() : null;
  }

  /** Chooses where the next replay runs. */
  setTarget(target: ReplayTarget): void {
    if (this.running) return;
    this.target = target;
  }

  /** Reads the workspace's log folders to offer; the first one fills an empty form. */
  async load(): Promise<void> {
    try {
      this.suggested = await api.replaySources();
    } catch {
      this.suggested = [];
    }
  }

  /** Puts a suggested folder in the form (a one-click source). */
  useSource(path: string): void {
    this.sources = path;
  }

  /** Replays the form's sources; returns the view, or null when there is none. */
  async run(): Promise<ReplayView | null> {
    const sources = sourceList(this.sources);
    const cluster = this.cluster;
    if (this.running || sources.length === 0 || (this.target === "cluster" && !cluster)) return null;
    const generation = ++this.#generation;
    this.view = null;
    this.error = null;
    this.selected = null;
    this.events = null;
    this.eventsError = null;
    this.running = { progress: null, cancelling: false, kind: "replay", cluster };
    this.#notices.log("replay", `Replaying ${sources.join(", ")}${cluster ? ` on the cluster ${cluster}` : ""}…`);
    try {
      const view = await api.runReplay(sources, filterArgs(this.filter), cluster, (progress) => {
        if (generation === this.#generation && this.running) this.running.progress = progress;
      });
      if (generation !== this.#generation) return null;
      this.view = view;
      const r = view.report;
      this.#notices.log(
        "replay",
        `Replay${r.cancelled ? " (stopped)" : ""}: ${r.read.events} events, ${r.matches} matches, ${r.rule_errors} rule errors, ${r.alerts_total} alerts in ${r.seconds.toFixed(2)} s`,
      );
      const run = r.cluster;
      if (run) {
        this.#notices.log("replay", `On the cluster ${run.address}: ${runSummary(run)}`, run.tasks_failed > 0 ? "error" : "info");
        if (run.lost) this.#notices.log("replay", `The cluster was lost before the end (${run.lost}): the results cover the tasks done`, "error");
      }
      return view;
    } catch (e) {
      if (generation !== this.#generation) return null;
      const err = api.toShellError(e);
      this.error = err;
      this.#notices.log("replay", `Replay failed: ${err.message}${err.hint ? ` — hint: ${err.hint}` : ""}`, "error");
      return null;
    } finally {
      if (generation === this.#generation) this.running = null;
    }
  }

  /**
   * "Impact": the form's sources through the rules of the last commit and of the working tree;
   * the comparison replaces the last one (the replay's table stays). Null when it could not run.
   */
  async runImpact(): Promise<ImpactView | null> {
    const sources = sourceList(this.sources);
    const cluster = this.cluster;
    if (this.running || sources.length === 0 || (this.target === "cluster" && !cluster)) return null;
    const generation = ++this.#generation;
    this.impact = null;
    this.error = null;
    this.running = { progress: null, cancelling: false, kind: "impact", cluster };
    this.#notices.log("replay", `Impact: replaying ${sources.join(", ")} through the last commit and the working tree${cluster ? ` on the cluster ${cluster}` : ""}…`);
    try {
      const view = await api.replayImpact(sources, filterArgs(this.filter), cluster, (progress) => {
        if (generation === this.#generation && this.running) this.running.progress = progress;
      });
      if (generation !== this.#generation) return null;
      this.impact = view;
      const i = view.impact;
      this.#notices.log(
        "replay",
        `Impact against ${i.commit.slice(0, 12)}${i.cancelled ? " (stopped)" : ""}: alerts ${i.alerts_before} → ${i.alerts_after}, ${i.added} added, ${i.removed} removed, ${i.changed} changed`,
      );
      return view;
    } catch (e) {
      if (generation !== this.#generation) return null;
      const err = api.toShellError(e);
      this.error = err;
      this.#notices.log("replay", `Impact failed: ${err.message}${err.hint ? ` — hint: ${err.hint}` : ""}`, "error");
      return null;
    } finally {
      if (generation === this.#generation) this.running = null;
    }
  }

  /** Closes the comparison. */
  closeImpact(): void {
    this.impact = null;
  }

  /** Stops the replay going on (it then answers with what was done). */
  async cancel(): Promise<void> {
    if (!this.running || this.running.cancelling) return;
    this.running.cancelling = true;
    try {
      await api.cancelReplay();
    } catch (e) {
      if (this.running) this.running.cancelling = false;
      this.#notices.fail("Could not stop the replay", e, "replay");
    }
  }

  sortBy(column: AlertColumn): void {
    this.sort = nextSort(this.sort, column);
  }

  /** Selects an alert and reads its kept events. */
  async select(alert: Alert): Promise<void> {
    const seq = ++this.#eventsSeq;
    this.selected = alert.id;
    this.events = null;
    this.eventsError = null;
    try {
      const events = await api.replayEvents(alert.id);
      if (seq === this.#eventsSeq) this.events = events;
    } catch (e) {
      if (seq === this.#eventsSeq) this.eventsError = api.toShellError(e);
    }
  }

  /** Closes the selected alert's events. */
  unselect(): void {
    ++this.#eventsSeq;
    this.selected = null;
    this.events = null;
    this.eventsError = null;
  }

  /** The unit test made of a kept event (the edit for its detection's spec); null when it fails (a notice says why). */
  async eventTest(alert: number, index: number, name: string, expected: boolean): Promise<EventTest | null> {
    try {
      return await api.replayEventTest(alert, index, name, expected);
    } catch (e) {
      this.#notices.fail("Could not make a unit test of the event", e, "replay");
      return null;
    }
  }

  clear(): void {
    ++this.#generation;
    ++this.#eventsSeq;
    this.sources = "";
    this.filter = "";
    this.suggested = [];
    this.target = "local";
    this.running = null;
    this.view = null;
    this.error = null;
    this.query = "";
    this.selected = null;
    this.events = null;
    this.eventsError = null;
    this.impact = null;
  }
}

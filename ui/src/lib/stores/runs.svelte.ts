// Test runs: the run going on (its progress from run_tests' Channel, and cancelling it), the
// last run's report, and the latest result of every detection over all runs.
//
// A run refused for want of a Python environment (`env.missing`, `env.stale`, `env.broken`)
// shows its error with the action "Set up the environment".
//
// Invariants: at most one run at a time; a run starts only after the unsaved files of the
// detections it runs are saved (the engine reads files from disk), and does not start when a
// save fails. `results` and `report` are `$state.raw`, replaced and never edited: a run of all
// tests is thousands of results, not worth proxying; mergeResults keeps the result objects of
// detections the run did not touch, so their per-item facts keep their identity.

import * as api from "../api";
import type { DetectionResult, TestReport } from "../contract";
import { ENV_SETUP_CODES } from "../environment";
import { relativeTo } from "../paths";
import { reportFailed, runLogLine } from "../results";
import { mergeResults } from "../status";
import type { OpenBuffers } from "./buffers.svelte";
import type { Layout } from "./layout.svelte";
import type { Notices } from "./notices.svelte";
import type { OpenWorkspace } from "./workspace.svelte";

export interface RunState {
  label: string;
  done: number;
  total: number;
  /** The detection the engine reported last. */
  current: string;
  cancelling: boolean;
}

export class TestRuns {
  /** Latest result per detection over all runs. */
  results = $state.raw<Record<string, DetectionResult>>({});
  /** The last finished (or cancelled) run. */
  report = $state.raw<TestReport | null>(null);
  /** The run going on, if any. */
  current = $state<RunState | null>(null);

  readonly #notices: Notices;
  readonly #workspace: OpenWorkspace;
  readonly #buffers: OpenBuffers;
  readonly #layout: Layout;
  readonly #setUpEnvironment: () => void;

  /** `setUpEnvironment`: what "Set up the environment" on a run's `env.*` error does. */
  constructor(notices: Notices, workspace: OpenWorkspace, buffers: OpenBuffers, layout: Layout, setUpEnvironment: () => void) {
    this.#notices = notices;
    this.#workspace = workspace;
    this.#buffers = buffers;
    this.#layout = layout;
    this.#setUpEnvironment = setUpEnvironment;
  }

  /**
   * Runs tests: of the detections `ids` (all of them when null), only `testNames` when given.
   * Returns the report, or null when the run did not start or failed.
   */
  async run(ids: string[] | null, testNames: string[] | null, label: string): Promise<TestReport | null> {
    if (this.current) {
      this.#notices.inform("A test run is already going; cancel it or wait for it to finish.");
      return null;
    }
    const paths = ids === null ? this.#buffers.dirtyPaths() : ids.flatMap((id) => this.#workspace.pathsOfItem(id));
    for (const p of paths.filter((p) => this.#buffers.isDirty(p))) {
      if (!(await this.#buffers.save(p))) {
        this.#notices.log("engine", `Run not started: ${relativeTo(this.#workspace.root, p) ?? p} could not be saved`, "error");
        return null;
      }
    }
    this.current = { label, done: 0, total: 0, current: "", cancelling: false };
    this.#notices.log("engine", `Running ${label}…`);
    try {
      const report = await api.runTests(ids, testNames, (p) => {
        if (this.current) {
          this.current.done = p.done;
          this.current.total = p.total;
          this.current.current = p.id;
        }
      });
      this.report = report;
      this.results = mergeResults(this.results, report.detections);
      for (const d of report.detections) {
        if (d.module_output.trim()) this.#notices.log("engine", `[${d.id}] ${d.module_output.trimEnd()}`);
        if (d.setup_error) this.#notices.log("engine", `[${d.id}] could not load: ${d.setup_error.type}: ${d.setup_error.message}`, "error");
      }
      this.#notices.log("engine", runLogLine(label, report), reportFailed(report) && !report.cancelled ? "error" : "info");
      this.#layout.showPanel("results");
      return report;
    } catch (e) {
      const err = api.toShellError(e);
      const actions = ENV_SETUP_CODES.has(err.code) ? [{ label: "Set up the environment", run: this.#setUpEnvironment }] : [];
      this.#notices.fail(`Test run failed (${label})`, err, "engine", actions);
      return null;
    } finally {
      this.current = null;
    }
  }

  async cancel(): Promise<void> {
    if (!this.current) return;
    this.current.cancelling = true;
    try {
      await api.cancelRun();
      this.#notices.log("engine", "Cancelling the test run…");
    } catch (e) {
      this.#notices.fail("Could not cancel the run", e, "engine");
    }
  }

  clear(): void {
    this.results = {};
    this.report = null;
  }
}

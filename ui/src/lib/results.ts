// The test results panel's model: one row per test (or per detection that failed before its
// tests ran), failures first, filterable; summaries for the status bar; traceback frames and
// what workspace code tried (the sandbox's audit record) resolved to files the editor can open.

import type { Attempt, DetectionResult, Item, PyError, TestReport, TracebackFrame } from "./contract";
import { normalize, relativeTo, resolve } from "./paths";

export interface ResultRow {
  key: string;
  detectionId: string;
  detection: DetectionResult;
  /** Null for a detection-level row (setup error, or no tests ran). */
  test: DetectionResult["results"][number] | null;
  passed: boolean;
}

export function resultRows(report: TestReport | null): ResultRow[] {
  if (!report) return [];
  const rows: ResultRow[] = [];
  for (const d of report.detections) {
    if (d.setup_error || d.results.length === 0) {
      rows.push({ key: `${d.id}\u0000`, detectionId: d.id, detection: d, test: null, passed: !d.setup_error });
    }
    for (const t of d.results) {
      rows.push({ key: `${d.id}\u0000${t.name}`, detectionId: d.id, detection: d, test: t, passed: t.passed });
    }
  }
  // Failures first; otherwise keep the report's order (PAT's).
  return rows.map((r, i) => ({ r, i })).sort((x, y) => Number(x.r.passed) - Number(y.r.passed) || x.i - y.i).map((x) => x.r);
}

export interface ResultFilter {
  text: string;
  show: "all" | "failed" | "passed";
}

export function filterRows(rows: ResultRow[], filter: ResultFilter): ResultRow[] {
  const words = filter.text.toLowerCase().split(/\s+/).filter(Boolean);
  return rows.filter((r) => {
    if (filter.show === "failed" && r.passed) return false;
    if (filter.show === "passed" && !r.passed) return false;
    const hay = `${r.detectionId}\n${r.test?.name ?? ""}`.toLowerCase();
    return words.every((w) => hay.includes(w));
  });
}

export interface RunCounts {
  passed: number;
  failed: number;
  errors: number;
}

/** Counts per report object (reports are never edited; the status bar and panel ask several times per render). */
const countsCache = new WeakMap<TestReport, RunCounts>();

/** Counts from the report's own results (the summary may be null when the run stopped early). */
export function runCounts(report: TestReport): RunCounts {
  const cached = countsCache.get(report);
  if (cached) return cached;
  const counts = countResults(report);
  countsCache.set(report, counts);
  return counts;
}

function countResults(report: TestReport): RunCounts {
  let passed = 0;
  let failed = 0;
  let errors = 0;
  for (const d of report.detections) {
    if (d.setup_error) errors++;
    for (const t of d.results) {
      if (t.passed) passed++;
      else failed++;
    }
  }
  return { passed, failed, errors };
}

/** One line for the status bar: "12 passed, 1 failed". */
export function runSummary(report: TestReport): string {
  const s = report.summary;
  const c = runCounts(report);
  const passed = s?.passed ?? c.passed;
  const failed = s?.failed ?? c.failed;
  const parts = [`${passed} passed`, `${failed} failed`];
  if (s && s.skipped > 0) parts.push(`${s.skipped} skipped`);
  if (s && s.invalid > 0) parts.push(`${s.invalid} invalid`);
  if (!s && c.errors > 0) parts.push(`${c.errors} could not load`);
  return parts.join(", ");
}

/** The run's line in the status bar and the results panel: the summary, marked when cancelled. */
export function runHeadline(report: TestReport): string {
  return report.cancelled ? `cancelled: ${runSummary(report)}` : runSummary(report);
}

/** The output log's line for a finished or cancelled run. */
export function runLogLine(label: string, report: TestReport): string {
  const took = durationText(report.elapsed_ms);
  return report.cancelled
    ? `${label}: cancelled after ${took} (${runSummary(report)} before the cancel)`
    : `${label}: ${runSummary(report)} in ${took}`;
}

export function reportFailed(report: TestReport): boolean {
  const c = runCounts(report);
  return report.exit_code !== 0 || c.failed > 0 || c.errors > 0;
}

/** Where a traceback frame points inside the workspace: the item owning the file, if any. */
export interface FrameTarget {
  path: string;
  line: number;
  itemId: string | null;
}

/** Normalised file path → the item owning it and the path as the item has it. */
export type ItemPathIndex = Map<string, { item: Item; path: string }>;

/** Every item's code and spec file (the first item wins a file two items claim, as a scan in order would find). */
export function itemPathIndex(items: Item[]): ItemPathIndex {
  const index: ItemPathIndex = new Map();
  for (const item of items) {
    for (const path of item.code_path ? [item.code_path, item.spec_path] : [item.spec_path]) {
      const key = normalize(path);
      if (!index.has(key)) index.set(key, { item, path });
    }
  }
  return index;
}

/** `items`: the workspace's items, or their itemPathIndex (built once: a traceback has a frame per call). */
export function frameTarget(frame: TracebackFrame, items: Item[] | ItemPathIndex): FrameTarget | null {
  if (!frame.file || frame.line === null || frame.line < 1) return null;
  const file = normalize(frame.file);
  const owner = (Array.isArray(items) ? itemPathIndex(items) : items).get(file);
  if (owner) return { path: owner.path, line: frame.line, itemId: owner.item.id };
  // Frames of files no item owns (Python's library) are not links; user files still are.
  return frame.user ? { path: frame.file, line: frame.line, itemId: null } : null;
}

/** "TypeError: message" */
export function errorHeadline(error: PyError): string {
  const type = error.type ?? "Error";
  return error.message ? `${type}: ${error.message}` : type;
}

/** A run's or a detection's time, for people. */
export function durationText(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;
}

// ---- What workspace code tried -----------------------------------------------------------------
// The sandbox's audit hook records what a detection's code tried beyond evaluating events
// (network, files, processes, native code, …) with the workspace line that did it: when its
// module was loaded (`DetectionResult.attempts`) and during each test (`UnitTestResult.attempts`).
// Every field comes from the pack's own code; the views show them as text only.

/** What a row's detection tried when loaded, and what it tried during the row's test. */
export interface RowAttempts {
  loading: Attempt[];
  test: Attempt[];
}

export function rowAttempts(row: ResultRow): RowAttempts {
  return { loading: row.detection.attempts ?? [], test: row.test?.attempts ?? [] };
}

/** How many attempts a row shows (its detection's loading and its test). */
export function rowAttemptCount(row: ResultRow): number {
  return (row.detection.attempts?.length ?? 0) + (row.test?.attempts?.length ?? 0);
}

/** How many attempts a detection's latest result records, loading and every test together. */
export function detectionAttemptCount(result: DetectionResult | undefined): number {
  if (!result) return 0;
  return result.results.reduce((n, t) => n + (t.attempts?.length ?? 0), result.attempts?.length ?? 0);
}

/** The rows a new report opens, at most `limit`: failures first, then rows with attempts. */
export function rowsToOpen(rows: ResultRow[], limit: number): ResultRow[] {
  const failed = rows.filter((r) => !r.passed);
  const tried = rows.filter((r) => r.passed && rowAttemptCount(r) > 0);
  return [...failed, ...tried].slice(0, limit);
}

/** "network — socket.connect(('127.0.0.1', 9))" */
export function attemptText(attempt: Attempt): string {
  return `${attempt.kind} — ${attempt.detail}`;
}

/** Where the attempt was made, for people: "rules/network.py:7" (relative to the workspace). */
export function attemptPlace(attempt: Attempt, root: string): string | null {
  if (!attempt.file) return null;
  const file = relativeTo(root, resolve(root, attempt.file)) ?? attempt.file;
  return attempt.line !== null && attempt.line > 0 ? `${file}:${attempt.line}` : file;
}

/**
 * The line to open for an attempt: the item owning its file, or the file itself when it lies in
 * the workspace; null for one without a file or outside the workspace (not a link).
 */
export function attemptTarget(attempt: Attempt, root: string, items: Item[] | ItemPathIndex): FrameTarget | null {
  if (!attempt.file) return null;
  const file = resolve(root, attempt.file);
  const line = attempt.line !== null && attempt.line > 0 ? attempt.line : 1;
  const owner = (Array.isArray(items) ? itemPathIndex(items) : items).get(file);
  if (owner) return { path: owner.path, line, itemId: owner.item.id };
  return relativeTo(root, file) !== null ? { path: file, line, itemId: null } : null;
}

// The Replay view's domain-free logic: the alert table's sorting and text filter, the chart's
// series (alerts over time per detection), the summary's numbers, and an event as text.
// Every string here comes from logs or detections: it is only ever rendered as text.

import type { Alert, ReplayProgress, ReplayReport } from "./contract";

export type AlertColumn = "detection" | "title" | "severity" | "first" | "last" | "events" | "dedup";
export type SortDirection = "asc" | "desc";

/** Panther's severities, most severe first (the summary's order, and the table's sort). */
export const SEVERITIES = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO"] as const;

function severityRank(severity: string): number {
  const i = (SEVERITIES as readonly string[]).indexOf(severity.toUpperCase());
  return i < 0 ? SEVERITIES.length : i;
}

function compare(a: Alert, b: Alert, column: AlertColumn): number {
  switch (column) {
    case "detection":
      return a.detection.localeCompare(b.detection);
    case "title":
      return a.title.localeCompare(b.title);
    case "severity":
      // Ascending = most severe first, as people read a severity column.
      return severityRank(a.severity) - severityRank(b.severity);
    case "first":
      return a.first_ns - b.first_ns;
    case "last":
      return a.last_ns - b.last_ns;
    case "events":
      return a.events - b.events;
    case "dedup":
      return a.dedup.localeCompare(b.dedup);
  }
}

/** The alerts sorted by a column (ties keep the order alerts were raised in). A new array. */
export function sortAlerts(alerts: readonly Alert[], column: AlertColumn, direction: SortDirection): Alert[] {
  const sign = direction === "asc" ? 1 : -1;
  return [...alerts].sort((a, b) => sign * compare(a, b, column) || a.id - b.id);
}

/** The alerts whose detection, title, severity, dedup string or origin contain every word of `query` (any case). */
export function filterAlerts(alerts: readonly Alert[], query: string): Alert[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [...alerts];
  return alerts.filter((a) => {
    const text = `${a.detection}\n${a.title}\n${a.severity}\n${a.dedup}\n${a.origin}`.toLowerCase();
    return words.every((w) => text.includes(w));
  });
}

/** A click on a column's header: the same column flips its direction, another starts ascending. */
export function nextSort(current: { column: AlertColumn; direction: SortDirection }, column: AlertColumn): { column: AlertColumn; direction: SortDirection } {
  if (current.column === column) return { column, direction: current.direction === "asc" ? "desc" : "asc" };
  return { column, direction: "asc" };
}

/** The report's alerts per severity, most severe first (severities with none left out; others after). */
export function severityCounts(report: ReplayReport): [string, number][] {
  const known: [string, number][] = SEVERITIES.filter((s) => (report.alerts_by_severity[s] ?? 0) > 0).map((s) => [s, report.alerts_by_severity[s] ?? 0]);
  const other = Object.entries(report.alerts_by_severity)
    .filter(([s, n]) => !(SEVERITIES as readonly string[]).includes(s) && (n ?? 0) > 0)
    .map(([s, n]): [string, number] => [s, n ?? 0]);
  return [...known, ...other];
}

/** Bucket widths the chart chooses from, in seconds. */
const BUCKETS = [60, 300, 900, 3600, 6 * 3600, 86400, 7 * 86400];
/** At most this many buckets on the time axis. */
export const MAX_BUCKETS = 120;

export interface AlertSeries {
  detection: string;
  /** Alerts whose first event falls in each bucket. */
  counts: number[];
}

export interface AlertChart {
  /** Each bucket's start, in seconds since the epoch (uPlot's x values). */
  xs: number[];
  /** Bucket width, seconds. */
  bucket: number;
  /** One series per detection, the detection with most alerts first. */
  series: AlertSeries[];
}

/**
 * Alerts (not error alerts) over time per detection: counted by the time of their first event,
 * in buckets of the narrowest width that keeps the axis within MAX_BUCKETS. Null when there is
 * no alert.
 */
export function alertChart(alerts: readonly Alert[]): AlertChart | null {
  const real = alerts.filter((a) => a.kind === "alert");
  if (real.length === 0) return null;
  const secs = real.map((a) => Math.floor(a.first_ns / 1e9));
  const min = Math.min(...secs);
  const max = Math.max(...secs);
  const bucket = BUCKETS.find((b) => Math.floor(max / b) - Math.floor(min / b) + 1 <= MAX_BUCKETS) ?? BUCKETS[BUCKETS.length - 1];
  const start = Math.floor(min / bucket) * bucket;
  const n = Math.floor((max - start) / bucket) + 1;
  const xs = Array.from({ length: n }, (_, i) => start + i * bucket);
  const byDetection = new Map<string, number[]>();
  real.forEach((a, i) => {
    let counts = byDetection.get(a.detection);
    if (!counts) {
      counts = new Array<number>(n).fill(0);
      byDetection.set(a.detection, counts);
    }
    counts[Math.floor((secs[i] - start) / bucket)]++;
  });
  const series = [...byDetection.entries()]
    .map(([detection, counts]) => ({ detection, counts }))
    .sort((a, b) => sum(b.counts) - sum(a.counts) || a.detection.localeCompare(b.detection));
  return { xs, bucket, series };
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

/** Distinct series colours (readable on the light and the dark theme). */
export const SERIES_COLORS = ["#3b82f6", "#ef4444", "#10b981", "#f59e0b", "#8b5cf6", "#ec4899", "#14b8a6", "#f97316", "#6366f1", "#84cc16"];

export function seriesColor(i: number): string {
  return SERIES_COLORS[i % SERIES_COLORS.length];
}

/** "1.2 MB", "512 B". */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

/** Events per second so far. */
export function eventsPerSecond(p: ReplayProgress): number {
  return p.seconds > 0 ? p.events_read / p.seconds : 0;
}

/** The share of the input read, 0..1, when its size is known. */
export function readFraction(p: ReplayProgress): number | null {
  if (p.total_bytes == null || p.total_bytes <= 0) return null;
  return Math.min(1, p.bytes_read / p.total_bytes);
}

/** `2026-03-01 12:00:05` of a Panther time (to the second, for the table). */
export function toSecond(time: string): string {
  return time.slice(0, 19);
}

/** An event as indented JSON text (for a `<pre>`: text, never markup). */
export function eventText(event: unknown): string {
  if (event === undefined) return "(not kept)";
  return JSON.stringify(event, null, 2) ?? String(event);
}

/** A user's filter text as `--filter` arguments (whitespace-separated `KEY=VALUE`s); null when empty. */
export function filterArgs(text: string): string[] | null {
  const args = text.split(/\s+/).filter(Boolean);
  return args.length > 0 ? args : null;
}

/** The source field's text as paths, one per line. */
export function sourceList(text: string): string[] {
  return text
    .split("\n")
    .map((s) => s.trim())
    .filter(Boolean);
}

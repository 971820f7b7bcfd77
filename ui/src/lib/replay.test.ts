import { describe, expect, it } from "vitest";
import type { Alert, ReplayProgress, ReplayReport } from "./contract";
import { MAX_BUCKETS, alertChart, eventText, filterAlerts, filterArgs, nextSort, readFraction, severityCounts, sortAlerts, sourceList } from "./replay";

const NS = 1e9;
const T0 = 1_772_366_400; // 2026-03-01 12:00:00 UTC

function alert(over: Partial<Alert> = {}): Alert {
  return {
    id: 0,
    detection: "Rule.A",
    kind: "alert",
    title: "t",
    severity: "HIGH",
    dedup: "d",
    first_event_time: "2026-03-01 12:00:00.000000000",
    last_event_time: "2026-03-01 12:00:00.000000000",
    first_ns: T0 * NS,
    last_ns: T0 * NS,
    events: 1,
    origin: "logs/a.jsonl:1",
    ...over,
  };
}

const ALERTS = [
  alert({ id: 0, detection: "B", title: "beta", severity: "LOW", first_ns: (T0 + 60) * NS, events: 3, dedup: "x" }),
  alert({ id: 1, detection: "A", title: "alpha", severity: "CRITICAL", first_ns: (T0 + 120) * NS, events: 1, dedup: "j.doe" }),
  alert({ id: 2, detection: "C", title: "gamma", severity: "MEDIUM", first_ns: T0 * NS, events: 12, dedup: "k.lee" }),
];

describe("the alert table", () => {
  it("sorts by each column both ways, ties in raising order", () => {
    expect(sortAlerts(ALERTS, "detection", "asc").map((a) => a.detection)).toEqual(["A", "B", "C"]);
    expect(sortAlerts(ALERTS, "detection", "desc").map((a) => a.detection)).toEqual(["C", "B", "A"]);
    expect(sortAlerts(ALERTS, "severity", "asc").map((a) => a.severity)).toEqual(["CRITICAL", "MEDIUM", "LOW"]);
    expect(sortAlerts(ALERTS, "events", "desc").map((a) => a.events)).toEqual([12, 3, 1]);
    expect(sortAlerts(ALERTS, "first", "asc").map((a) => a.id)).toEqual([2, 0, 1]);
    const same = [alert({ id: 5 }), alert({ id: 3 }), alert({ id: 4 })];
    expect(sortAlerts(same, "title", "desc").map((a) => a.id)).toEqual([3, 4, 5]);
    expect(ALERTS.map((a) => a.id)).toEqual([0, 1, 2]); // not sorted in place
  });

  it("filters by every word of the query in detection, title, severity or dedup, any case", () => {
    expect(filterAlerts(ALERTS, "").length).toBe(3);
    expect(filterAlerts(ALERTS, "J.DOE").map((a) => a.id)).toEqual([1]);
    expect(filterAlerts(ALERTS, "critical alpha").map((a) => a.id)).toEqual([1]);
    expect(filterAlerts(ALERTS, "critical beta")).toEqual([]);
    expect(filterAlerts(ALERTS, "  medium ").map((a) => a.id)).toEqual([2]);
  });

  it("flips the direction on the same column and starts ascending on another", () => {
    expect(nextSort({ column: "first", direction: "asc" }, "first")).toEqual({ column: "first", direction: "desc" });
    expect(nextSort({ column: "first", direction: "desc" }, "events")).toEqual({ column: "events", direction: "asc" });
  });
});

describe("the chart", () => {
  it("counts alerts per detection in buckets of their first event, error alerts left out", () => {
    const chart = alertChart([...ALERTS, alert({ id: 3, detection: "A", first_ns: (T0 + 150) * NS }), alert({ id: 4, kind: "error", detection: "E" })])!;
    expect(chart.bucket).toBe(60);
    expect(chart.xs).toEqual([T0, T0 + 60, T0 + 120]);
    expect(chart.series).toEqual([
      { detection: "A", counts: [0, 0, 2] },
      { detection: "B", counts: [0, 1, 0] },
      { detection: "C", counts: [1, 0, 0] },
    ]);
  });

  it("widens the buckets to keep the axis short, and has nothing to draw without alerts", () => {
    const day = alertChart([alert({ first_ns: T0 * NS }), alert({ id: 1, first_ns: (T0 + 86_000) * NS })])!;
    expect(day.xs.length).toBeLessThanOrEqual(MAX_BUCKETS);
    expect(day.bucket).toBe(900);
    expect(day.series[0].counts.reduce((a, b) => a + b)).toBe(2);
    expect(alertChart([])).toBeNull();
    expect(alertChart([alert({ kind: "error" })])).toBeNull();
  });
});

describe("the summary and the form", () => {
  it("lists alerts per severity, most severe first, unknown ones after", () => {
    const report = { alerts_by_severity: { LOW: 2, CRITICAL: 1, WEIRD: 4, INFO: 0 } } as unknown as ReplayReport;
    expect(severityCounts(report)).toEqual([
      ["CRITICAL", 1],
      ["LOW", 2],
      ["WEIRD", 4],
    ]);
  });

  it("reads the share of the input read when its size is known", () => {
    const p: ReplayProgress = { events_read: 10, bytes_read: 50, total_bytes: 200, events_done: 5, matches: 0, seconds: 1, tasks: null };
    expect(readFraction(p)).toBe(0.25);
    expect(readFraction({ ...p, total_bytes: null })).toBeNull();
  });

  it("splits sources by line and the filter by whitespace", () => {
    expect(sourceList(" sample_logs \n\n/var/log/my logs/a.jsonl\n")).toEqual(["sample_logs", "/var/log/my logs/a.jsonl"]);
    expect(filterArgs("  LogTypes=Okta.SystemLog   Severity=High ")).toEqual(["LogTypes=Okta.SystemLog", "Severity=High"]);
    expect(filterArgs("   ")).toBeNull();
  });

  it("writes an event as indented JSON text, hostile strings as they are", () => {
    const text = eventText({ a: "<img src=x onerror=alert(1)>", n: [1] });
    expect(text).toBe('{\n  "a": "<img src=x onerror=alert(1)>",\n  "n": [\n    1\n  ]\n}');
    expect(eventText(undefined)).toBe("(not kept)");
  });
});

// The Replay view mounted in jsdom on a Workbench whose shell is mocked at api.ts: the form
// offers the workspace's sample_logs/ and runs a replay with its progress and Cancel; the
// summary, the chart's legend and the alert table (sorted, filtered); an alert's kept events as
// JSON text, where hostile strings stay text; "Add as unit test", which goes through
// edit_tests and save_file on the detection's spec and then shows the detection with the test;
// and the cluster target: the saved address, Impact run there too, an untrusted workspace not
// sent, what the cluster did, a lost cluster and the inputs it did not cover.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { flushSync } from "svelte";
import * as api from "../../lib/api";
import ReplayView from "../ReplayView.svelte";
import type { Alert, AlertEvents, ClusterRun, ImpactView, ReplayProgress, ReplayView as ReplayResult } from "../../lib/contract";
import type { Workbench } from "../../lib/workbench.svelte";
import { ROOT, untrusted } from "../../test/fixtures";
import { FakeDisk, RULE, VIEW } from "../../test/fakeShell";
import { render, type Mounted } from "../../test/mount";
import { openWorkbench } from "../../test/workbench";

vi.mock("../../lib/api", async (importOriginal) => (await import("../../test/fakeShell")).fakeApi(await importOriginal()));

const mocked = vi.mocked(api);
const IMG = "<img src=x onerror=window.__pwned=true>";
const SCRIPT = "<script>window.__pwned = true</script><b>bold</b>";
let mounted: Mounted | null = null;

const byTestId = (t: HTMLElement, id: string) => t.querySelector<HTMLElement>(`[data-testid="${id}"]`);
const allByTestId = (t: HTMLElement, id: string) => [...t.querySelectorAll<HTMLElement>(`[data-testid="${id}"]`)];

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    flushSync();
  }
}

function show(wb: Workbench): HTMLElement {
  mounted = render(ReplayView, {}, wb);
  return mounted.target;
}

const T0 = 1_772_366_400;
function alert(over: Partial<Alert>): Alert {
  return {
    id: 0,
    detection: RULE.id,
    kind: "alert",
    title: "t",
    severity: "HIGH",
    dedup: "d",
    first_event_time: "2026-03-01 12:00:00.000000000",
    last_event_time: "2026-03-01 12:05:00.000000000",
    first_ns: T0 * 1e9,
    last_ns: (T0 + 300) * 1e9,
    events: 2,
    origin: `${ROOT}/sample_logs/okta.jsonl:1`,
    ...over,
  };
}

const ALERTS = [
  alert({ id: 0, title: `Brute force ${IMG}`, dedup: SCRIPT, severity: "MEDIUM", events: 12 }),
  alert({ id: 1, detection: "Rule.B", title: "Root login", severity: "CRITICAL", first_ns: (T0 + 3600) * 1e9, events: 1, dedup: "root" }),
];

function result(over: Partial<ReplayResult["report"]> = {}): ReplayResult {
  return {
    kept: { alerts: 200, events_per_alert: 20 },
    sources: [`${ROOT}/sample_logs`],
    report: {
      read: { files: 4, files_total: 4, events: 2691, events_by_log_type: {}, bytes_read: 1_600_000, bytes_decoded: 3_000_000, total_bytes: 1_600_000 },
      problems: [],
      problem_count: 0,
      unrouted: {},
      events_evaluated: 2691,
      runs: 5000,
      matches: 40,
      rule_errors: 0,
      detections: [],
      skipped: [],
      alerts_by_severity: { MEDIUM: 1, CRITICAL: 1 },
      alerts_total: 2,
      alerts: ALERTS,
      alerts_omitted: 0,
      lost: [],
      lost_events: 0,
      output: "",
      printed: 0,
      workers: 2,
      seconds: 1.5,
      events_per_second: 1794,
      mb_per_second: 1,
      cancelled: false,
      notes: [],
      cluster: null,
      ...over,
    },
  };
}

const EVENTS: AlertEvents = {
  alert: 0,
  detection: RULE.id,
  kept: true,
  events: [
    {
      kind: "alert",
      p_event_time: "2026-03-01 12:00:00.000000000",
      origin: `${ROOT}/sample_logs/okta.jsonl:7`,
      error: null,
      test_name: "Replayed event okta.jsonl:7",
      event: { actor: { alternateId: IMG }, note: SCRIPT, p_log_type: "Okta.SystemLog" },
    },
  ],
};

/** A replay of sample_logs/ run from the form, answering `answer`. */
async function replayed(target: HTMLElement, answer: ReplayResult): Promise<void> {
  mocked.runReplay.mockResolvedValueOnce(answer);
  byTestId(target, "replay-suggested")!.click();
  flushSync();
  byTestId(target, "replay-run")!.click();
  await settle();
}

beforeEach(() => {
  vi.clearAllMocks();
  mocked.replaySources.mockResolvedValue([`${ROOT}/sample_logs`]);
  mocked.replayEvents.mockResolvedValue(EVENTS);
});

afterEach(() => {
  mounted?.destroy();
  mounted = null;
  delete (window as unknown as { __pwned?: boolean }).__pwned;
});

describe("the form", () => {
  it("offers sample_logs/, replays it with its progress and cancels it", async () => {
    const wb = await openWorkbench();
    const target = show(wb);
    const suggested = byTestId(target, "replay-suggested")!;
    expect(suggested.textContent).toContain("Use sample_logs/");
    expect((byTestId(target, "replay-run") as HTMLButtonElement).disabled).toBe(true);
    suggested.click();
    flushSync();
    expect((byTestId(target, "replay-sources") as HTMLTextAreaElement).value).toBe(`${ROOT}/sample_logs`);
    const filter = byTestId(target, "replay-filter") as HTMLInputElement;
    filter.value = "LogTypes=Okta.SystemLog";
    filter.dispatchEvent(new Event("input", { bubbles: true }));
    let progress: (p: ReplayProgress) => void = () => {};
    let finish: (v: ReplayResult) => void = () => {};
    mocked.runReplay.mockImplementationOnce((_s, _f, _c, onProgress) => {
      progress = onProgress;
      return new Promise((resolve) => (finish = resolve));
    });
    byTestId(target, "replay-run")!.click();
    flushSync();
    expect(mocked.runReplay).toHaveBeenCalledWith([`${ROOT}/sample_logs`], ["LogTypes=Okta.SystemLog"], null, expect.any(Function));
    progress({ events_read: 1000, bytes_read: 400 * 1024, total_bytes: 1600 * 1024, events_done: 900, matches: 7, seconds: 0.5, tasks: null });
    flushSync();
    const box = byTestId(target, "replay-progress")!;
    expect(box.textContent).toContain("1,000 events read (2,000/s)");
    expect(box.textContent).toContain("400.0 KB of 1.6 MB");
    expect(box.querySelector<HTMLElement>(".progress > span")!.style.width).toBe("25%");
    byTestId(target, "replay-cancel")!.click();
    flushSync();
    expect(mocked.cancelReplay).toHaveBeenCalled();
    expect(byTestId(target, "replay-cancel")!.textContent).toContain("Stopping");
    finish(result({ cancelled: true }));
    await settle();
    expect(byTestId(target, "replay-progress")).toBeNull();
    expect(byTestId(target, "replay-summary")!.dataset.cancelled).toBe("true");
    expect(byTestId(target, "replay-summary")!.textContent).toContain("Stopped");
  });

  it("shows why a replay could not run", async () => {
    const wb = await openWorkbench();
    const target = show(wb);
    await settle();
    mocked.runReplay.mockRejectedValueOnce({ code: "replay.nothing_to_replay", message: "nothing to replay: no rule is selected", hint: "check the filter", location: null });
    byTestId(target, "replay-suggested")!.click();
    flushSync();
    byTestId(target, "replay-run")!.click();
    await settle();
    const error = byTestId(target, "replay-error")!;
    expect(error.dataset.code).toBe("replay.nothing_to_replay");
    expect(error.textContent).toContain("hint: check the filter");
  });
});

describe("the results", () => {
  it("summarises, charts and lists the alerts, sortable and filterable", async () => {
    const wb = await openWorkbench();
    const target = show(wb);
    await settle();
    await replayed(target, result());
    expect(byTestId(target, "replay-events-read")!.textContent).toContain("2,691 from 4 files");
    const count = byTestId(target, "replay-alert-count")!;
    expect(count.textContent!.trim().startsWith("2")).toBe(true);
    expect([...count.querySelectorAll(".sev")].map((s) => s.textContent)).toEqual(["1 CRITICAL", "1 MEDIUM"]);
    expect(byTestId(target, "replay-kept")!.textContent).toContain("first 200 alerts, up to 20 per alert");
    const chart = byTestId(target, "replay-chart")!;
    expect(chart.dataset.series).toBe("2");
    expect(allByTestId(target, "replay-chart-series").map((s) => s.textContent!.replace(/\s+/g, " ").trim())).toEqual([`${RULE.id} 1`, "Rule.B 1"]);
    const ids = () => allByTestId(target, "replay-alert").map((r) => r.dataset.id);
    expect(ids()).toEqual(["0", "1"]); // by first event
    target.querySelector<HTMLElement>('[data-testid="replay-sort"][data-column="severity"]')!.click();
    flushSync();
    expect(ids()).toEqual(["1", "0"]); // most severe first
    target.querySelector<HTMLElement>('[data-testid="replay-sort"][data-column="severity"]')!.click();
    flushSync();
    expect(ids()).toEqual(["0", "1"]);
    expect(target.querySelector('[data-column="severity"]')!.getAttribute("aria-sort")).toBe("descending");
    const filter = byTestId(target, "replay-alert-filter") as HTMLInputElement;
    filter.value = "root";
    filter.dispatchEvent(new Event("input", { bubbles: true }));
    flushSync();
    expect(ids()).toEqual(["1"]);
    expect(byTestId(target, "replay-alert-shown")!.textContent).toBe("1 of 2");
  });

  it("shows an alert's events as JSON text: hostile strings never become markup", async () => {
    const wb = await openWorkbench();
    const target = show(wb);
    await settle();
    await replayed(target, result());
    const row = target.querySelector<HTMLElement>('[data-testid="replay-alert"][data-id="0"]')!;
    expect(row.textContent).toContain(IMG);
    expect(row.textContent).toContain(SCRIPT);
    row.click();
    await settle();
    expect(mocked.replayEvents).toHaveBeenCalledWith(0);
    const json = byTestId(target, "replay-event-json")!;
    expect(json.tagName).toBe("PRE");
    expect(json.textContent).toBe(JSON.stringify(EVENTS.events[0].event, null, 2));
    expect(json.textContent).toContain(`"alternateId": "${IMG}"`);
    expect(json.children.length).toBe(0); // one text node, no elements
    expect(byTestId(target, "replay-events")!.textContent).toContain(`Brute force ${IMG}`);
    expect(target.querySelector("img")).toBeNull();
    expect(target.querySelector("script")).toBeNull();
    expect(target.querySelector("b")).toBeNull();
    expect((window as unknown as { __pwned?: boolean }).__pwned).toBeUndefined();
  });

  it("says when an alert's events were not kept", async () => {
    const wb = await openWorkbench();
    const target = show(wb);
    await settle();
    await replayed(target, result());
    mocked.replayEvents.mockResolvedValueOnce({ alert: 1, detection: "", kept: false, events: [] });
    target.querySelector<HTMLElement>('[data-testid="replay-alert"][data-id="1"]')!.click();
    await settle();
    expect(byTestId(target, "replay-events-not-kept")!.textContent).toContain("first 200 alerts only");
  });
});

describe("Add as unit test", () => {
  it("adds the event to the detection's spec through edit_tests and save_file, then shows the test", async () => {
    const wb = await openWorkbench();
    const disk = new FakeDisk(mocked, FakeDisk.ruleFiles());
    const target = show(wb);
    await settle();
    await replayed(target, result());
    target.querySelector<HTMLElement>('[data-testid="replay-alert"][data-id="0"]')!.click();
    await settle();
    byTestId(target, "replay-add-test")!.click();
    flushSync();
    const name = byTestId(target, "replay-test-name") as HTMLInputElement;
    expect(name.value).toBe("Replayed event okta.jsonl:7");
    name.value = "j.doe brute force";
    name.dispatchEvent(new Event("input", { bubbles: true }));
    const expected = byTestId(target, "replay-test-expected") as HTMLSelectElement;
    expect(expected.value).toBe("true");
    expected.value = "false";
    expected.dispatchEvent(new Event("change", { bubbles: true }));
    const edit = { kind: "add" as const, test: { Name: "j.doe brute force", ExpectedResult: false, Log: { p_log_type: "Okta.SystemLog" } } };
    mocked.replayEventTest.mockResolvedValueOnce({ detection: RULE.id, edit });
    mocked.editTests.mockImplementationOnce(async (text) => ({ text: `${text}Tests:\n  - Name: j.doe brute force\n` }));
    byTestId(target, "replay-test-save")!.click();
    await settle();
    expect(mocked.replayEventTest).toHaveBeenCalledWith(0, 0, "j.doe brute force", false);
    expect(mocked.editTests).toHaveBeenCalledWith("RuleID: Rule.A\n", edit);
    expect(mocked.saveFile).toHaveBeenCalledWith(RULE.spec_path, "RuleID: Rule.A\nTests:\n  - Name: j.doe brute force\n", "s1");
    expect(disk.text(RULE.spec_path)).toBe("RuleID: Rule.A\nTests:\n  - Name: j.doe brute force\n");
    expect(wb.tabs.activeKey).toBe(`item:${RULE.id}`);
    expect(wb.tabs.testReveal).toMatchObject({ id: RULE.id, name: "j.doe brute force" }); // for its test editor
    expect(byTestId(target, "replay-test-form")).toBeNull();
  });

  it("leaves a spec with unsaved edits unsaved, the test added to its buffer", async () => {
    const wb = await openWorkbench();
    new FakeDisk(mocked, FakeDisk.ruleFiles());
    await wb.buffers.ensure(RULE.spec_path);
    wb.buffers.setText(RULE.spec_path, "RuleID: Rule.A\n# mine\n");
    mocked.replayEventTest.mockResolvedValueOnce({ detection: RULE.id, edit: { kind: "add", test: { Name: "n" } } });
    mocked.editTests.mockImplementationOnce(async (text) => ({ text: `${text}Tests: []\n` }));
    expect(await wb.addReplayedEventAsTest(0, 0, "n", true)).toBe(true);
    expect(mocked.saveFile).not.toHaveBeenCalled();
    expect(wb.buffers.get(RULE.spec_path)!.text).toBe("RuleID: Rule.A\n# mine\nTests: []\n");
    expect(wb.notices.list.some((n) => n.title.includes("unsaved edits"))).toBe(true);
  });
});

// An Impact answer: one detection whose alerts move (the title of one holds markup).
const brief = (events: number, title: string) => ({
  kind: "alert" as const,
  title,
  severity: "LOW",
  dedup: "alice@acme.test",
  first_event_time: "2026-03-01 12:00:00.000000000",
  last_event_time: "2026-03-01 12:10:00.000000000",
  events,
  origin: `${ROOT}/sample_logs/okta.jsonl:3`,
});
const IMPACT: ImpactView = {
  events: 2691,
  sources: [`${ROOT}/sample_logs`],
  impact: {
    revision: "HEAD",
    commit: "0123456789abcdef0123456789abcdef01234567",
    summary: "Acme tuning",
    alerts_before: 25,
    alerts_after: 27,
    added: 2,
    removed: 0,
    changed: 1,
    unchanged_detections: 12,
    complete: true,
    cancelled: false,
    detections: [
      {
        id: "Demo.Okta.BruteForceLogins",
        in_revision: true,
        in_working_tree: true,
        matches_before: 36,
        matches_after: 36,
        alerts_before: 0,
        alerts_after: 2,
        added: 2,
        removed: 0,
        changed: 1,
        unchanged: 0,
        examples: [
          { before: null, after: brief(3, `Brute force ${IMG}`) },
          { before: brief(2, "Root login"), after: brief(5, "Root login") },
        ],
      },
    ],
  },
};

describe("impact", () => {
  it("compares the same logs with the last commit and lists what moves, as text", async () => {
    const wb = await openWorkbench();
    const target = show(wb);
    await settle();
    expect((byTestId(target, "replay-impact") as HTMLButtonElement).disabled).toBe(true);
    mocked.replayImpact.mockResolvedValueOnce(IMPACT);
    byTestId(target, "replay-suggested")!.click();
    flushSync();
    byTestId(target, "replay-impact")!.click();
    await settle();
    expect(mocked.replayImpact).toHaveBeenCalledWith([`${ROOT}/sample_logs`], null, null, expect.any(Function));
    const panel = byTestId(target, "replay-impact-panel")!;
    expect(panel.dataset.added).toBe("2");
    expect(panel.textContent).toContain("against 0123456789ab");
    expect(byTestId(target, "replay-impact-summary")!.textContent).toContain("alerts 25 → 27");
    const d = allByTestId(target, "replay-impact-detection");
    expect(d.map((e) => e.dataset.id)).toEqual(["Demo.Okta.BruteForceLogins"]);
    expect(d[0].textContent).toContain("alerts 0 → 2");
    expect(d[0].textContent).toContain("+ added");
    expect(d[0].textContent).toContain("(was 2)");
    // A hostile title stays text.
    expect(panel.querySelector("img")).toBeNull();
    expect(panel.textContent).toContain(IMG);
    expect((window as unknown as { __pwned?: boolean }).__pwned).toBeUndefined();
    panel.querySelector<HTMLElement>("[aria-label='Close the comparison']")!.click();
    flushSync();
    expect(byTestId(target, "replay-impact-panel")).toBeNull();
  });

  it("says when nothing changes and shows why it could not run", async () => {
    const wb = await openWorkbench();
    const target = show(wb);
    await settle();
    byTestId(target, "replay-suggested")!.click();
    flushSync();
    mocked.replayImpact.mockResolvedValueOnce({ ...IMPACT, impact: { ...IMPACT.impact, added: 0, changed: 0, alerts_after: 25, detections: [] } });
    byTestId(target, "replay-impact")!.click();
    await settle();
    expect(byTestId(target, "replay-impact-none")!.textContent).toContain("No detection's alerts change");
    mocked.replayImpact.mockRejectedValueOnce({ code: "git.revision_unreadable", message: "cannot compare with HEAD: no commit", hint: null, location: null });
    byTestId(target, "replay-impact")!.click();
    await settle();
    expect(byTestId(target, "replay-error")!.dataset.code).toBe("git.revision_unreadable");
    expect(byTestId(target, "replay-impact-panel")).toBeNull();
  });
});

describe("on a cluster", () => {
  const ADDRESS = "10.0.0.5:6379";
  const settings = (address: string | null) => ({ settings: { address, python: null }, default_python: "python3", file: "/home/me/.config/prowl/cluster.toml" });
  const node = (id: string, address: string, error: string | null = null) => ({ id, address, cpus: 4, python: error ? null : "3.11", ray: error ? null : "2.60.0", machine: error ? null : "x86_64", missing: [], error });
  const RUN: ClusterRun = { address: ADDRESS, ray: "2.60.0", nodes: [node("a1", "10.0.0.5"), node("b2", "10.0.0.6")], tasks: 4, tasks_done: 4, tasks_failed: 0, lost: null };

  async function onCluster(trust = VIEW.trust): Promise<{ wb: Workbench; target: HTMLElement }> {
    mocked.clusterSettings.mockResolvedValue(settings(ADDRESS));
    const wb = await openWorkbench({ ...VIEW, trust });
    const target = show(wb);
    await settle();
    byTestId(target, "replay-target-cluster")!.click();
    flushSync();
    byTestId(target, "replay-suggested")!.click();
    flushSync();
    return { wb, target };
  }

  it("offers the cluster only once an address is set, and points at Settings", async () => {
    const wb = await openWorkbench();
    const target = show(wb);
    await settle();
    const cluster = byTestId(target, "replay-target-cluster") as HTMLInputElement;
    expect(cluster.disabled).toBe(true);
    expect(cluster.parentElement!.textContent).toContain("Cluster (no address set)");
    expect(byTestId(target, "replay-target")!.dataset.target).toBe("local");
    byTestId(target, "replay-cluster-settings")!.click();
    flushSync();
    expect(wb.tabs.activeKey).toBe("settings");
  });

  it("replays on the saved address with progress", async () => {
    const { target } = await onCluster();
    expect(byTestId(target, "replay-target")!.dataset.target).toBe("cluster");
    expect(byTestId(target, "replay-target-cluster")!.parentElement!.textContent).toContain(`Cluster (${ADDRESS})`);
    let progress: (p: ReplayProgress) => void = () => {};
    let finish: (v: ReplayResult) => void = () => {};
    mocked.runReplay.mockImplementationOnce((_s, _f, _c, onProgress) => {
      progress = onProgress;
      return new Promise((resolve) => (finish = resolve));
    });
    byTestId(target, "replay-run")!.click();
    flushSync();
    expect(mocked.runReplay).toHaveBeenCalledWith([`${ROOT}/sample_logs`], null, ADDRESS, expect.any(Function));
    expect(byTestId(target, "replay-progress")!.textContent).toContain(`On the cluster ${ADDRESS}:`);
    expect(byTestId(target, "replay-progress")!.textContent).toContain("Connecting");
    progress({ events_read: 2000, bytes_read: 800 * 1024, total_bytes: 1600 * 1024, events_done: 2000, matches: 9, seconds: 1, tasks: { done: 3, failed: 1, total: 8 } });
    flushSync();
    expect(byTestId(target, "replay-progress")!.textContent).toContain("2,000 events evaluated");
    expect(byTestId(target, "replay-progress-tasks")!.textContent).toBe("tasks 3/8, 1 failed");
    // The target is fixed while it runs.
    expect((byTestId(target, "replay-target-local") as HTMLInputElement).disabled).toBe(true);
    finish(result({ cluster: RUN, workers: 8 }));
    await settle();
    const box = byTestId(target, "replay-cluster")!;
    expect(box.dataset).toMatchObject({ tasks: "4", done: "4", failed: "0", lost: "false", nodes: "2" });
    expect(byTestId(target, "replay-cluster-summary")!.textContent).toBe("4 of 4 tasks done on 2 nodes (8 CPUs, Ray 2.60.0)");
    expect(allByTestId(target, "replay-cluster-node").map((n) => n.dataset.address)).toEqual(["10.0.0.5", "10.0.0.6"]);
    expect(byTestId(target, "replay-cluster-lost")).toBeNull();
    expect(byTestId(target, "replay-partial")).toBeNull();
    // The same results view: the alerts and their events.
    expect(allByTestId(target, "replay-alert").length).toBe(2);
  });

  it("runs Impact on the saved cluster too, both sides there", async () => {
    const { target } = await onCluster();
    const impact = byTestId(target, "replay-impact") as HTMLButtonElement;
    expect(impact.disabled).toBe(false);
    expect(impact.title).toContain(`both on the cluster ${ADDRESS}`);
    const none: ImpactView = { ...IMPACT, impact: { ...IMPACT.impact, added: 0, changed: 0, alerts_after: 25, detections: [] } };
    let finish: (v: ImpactView) => void = () => {};
    mocked.replayImpact.mockImplementationOnce(() => new Promise((resolve) => (finish = resolve)));
    impact.click();
    flushSync();
    expect(mocked.replayImpact).toHaveBeenCalledWith([`${ROOT}/sample_logs`], null, ADDRESS, expect.any(Function));
    expect(byTestId(target, "replay-progress")!.textContent).toContain(`On the cluster ${ADDRESS}:`);
    expect(byTestId(target, "replay-progress")!.textContent).toContain("Impact:");
    finish(none);
    await settle();
    expect(byTestId(target, "replay-impact-summary")!.textContent).toContain("alerts 25 → 25");
    expect(byTestId(target, "replay-impact-none")).not.toBeNull();
  });

  it("says when the cluster was lost and which inputs were not covered", async () => {
    const { target } = await onCluster();
    const lostRun: ClusterRun = { ...RUN, nodes: [RUN.nodes[0], node("b2", "10.0.0.6", "node died")], tasks_done: 2, tasks_failed: 1, lost: `the connection to ${IMG} closed` };
    mocked.runReplay.mockResolvedValueOnce(
      result({
        cluster: lostRun,
        lost: [
          { events: 0, first: "okta.jsonl (bytes 0–67108864)", reason: "the task failed 3 times: worker died" },
          { events: 0, first: "aws.jsonl.gz and 2 more files", reason: "not run: the cluster was lost" },
        ],
      }),
    );
    byTestId(target, "replay-run")!.click();
    await settle();
    const box = byTestId(target, "replay-cluster")!;
    expect(box.dataset).toMatchObject({ done: "2", failed: "1", lost: "true" });
    expect(byTestId(target, "replay-cluster-summary")!.textContent).toContain("2 of 4 tasks done");
    expect(byTestId(target, "replay-cluster-summary")!.textContent).toContain("1 failed after their retries");
    const lost = byTestId(target, "replay-cluster-lost")!;
    expect(lost.textContent).toContain(`The cluster was lost before the end: the connection to ${IMG} closed`);
    expect(lost.textContent).toContain("The results cover the tasks done");
    expect(target.querySelector("img")).toBeNull();
    expect(byTestId(target, "replay-partial")!.textContent).toContain("the results are partial");
    expect(allByTestId(target, "replay-lost").map((l) => l.textContent)).toEqual([
      "okta.jsonl (bytes 0–67108864) was not covered: the task failed 3 times: worker died",
      "aws.jsonl.gz and 2 more files was not covered: not run: the cluster was lost",
    ]);
    const bad = allByTestId(target, "replay-cluster-node").find((n) => n.dataset.ok === "false")!;
    expect(bad.textContent).toContain("did not answer: node died");
  });

  it("does not send an untrusted workspace and offers the trust action", async () => {
    const { wb, target } = await onCluster(untrusted());
    const note = byTestId(target, "replay-cluster-untrusted")!;
    expect(note.textContent).toContain("its detections cannot be sent to a cluster");
    expect((byTestId(target, "replay-run") as HTMLButtonElement).disabled).toBe(true);
    expect((byTestId(target, "replay-impact") as HTMLButtonElement).disabled).toBe(true);
    // This machine still runs it, in the sandbox.
    byTestId(target, "replay-target-local")!.click();
    flushSync();
    expect(byTestId(target, "replay-cluster-untrusted")).toBeNull();
    expect((byTestId(target, "replay-run") as HTMLButtonElement).disabled).toBe(false);
    byTestId(target, "replay-target-cluster")!.click();
    flushSync();
    mocked.setTrust.mockResolvedValueOnce({ ...VIEW.trust });
    byTestId(target, "replay-trust")!.click();
    await settle();
    expect(wb.notices.confirmRequest?.okLabel).toBe("Trust this folder");
    wb.notices.confirmRequest!.resolve(true);
    await settle();
    expect(mocked.setTrust).toHaveBeenCalledWith(true);
    expect(byTestId(target, "replay-cluster-untrusted")).toBeNull();
    expect((byTestId(target, "replay-run") as HTMLButtonElement).disabled).toBe(false);
  });

  it("shows the shell's refusals with their next step", async () => {
    const { wb, target } = await onCluster();
    mocked.runReplay.mockRejectedValueOnce({ code: "cluster.untrusted", message: `${ROOT} is not trusted: its detections are not sent to a cluster`, hint: `review the workspace (\`prowl audit\`), then \`prowl trust ${ROOT}\``, location: null });
    byTestId(target, "replay-run")!.click();
    await settle();
    let error = byTestId(target, "replay-error")!;
    expect(error.dataset.code).toBe("cluster.untrusted");
    expect(error.textContent).toContain("not sent to a cluster");
    expect(byTestId(target, "replay-trust")).not.toBeNull();
    mocked.runReplay.mockRejectedValueOnce({ code: "cluster.no_environment", message: "the workspace's Python environment is not synced", hint: "run `prowl env sync` first", location: null });
    byTestId(target, "replay-run")!.click();
    await settle();
    expect(byTestId(target, "replay-error")!.dataset.code).toBe("cluster.no_environment");
    mocked.syncEnvironment.mockResolvedValueOnce({ kind: "synced", environment: (await api.environmentView())! });
    byTestId(target, "replay-set-up-env")!.click();
    await settle();
    expect(wb.tabs.activeKey).toBe("environment");
    mocked.runReplay.mockRejectedValueOnce({ code: "cluster.unreachable", message: `cannot reach the Ray cluster at ${ADDRESS}: nothing answers`, hint: "check the address", location: null });
    byTestId(target, "replay-run")!.click();
    await settle();
    error = byTestId(target, "replay-error")!;
    expect(error.dataset.code).toBe("cluster.unreachable");
    expect(error.textContent).toContain("hint: check the address");
    byTestId(target, "replay-open-settings")!.click();
    flushSync();
    expect(wb.tabs.activeKey).toBe("settings");
  });
});

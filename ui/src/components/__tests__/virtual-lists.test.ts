// The explorer and the test results on a panther-analysis-sized workspace (1,266 items, 3,730
// tests): only what is in view is in the DOM, whatever the search or the run. jsdom has no
// layout, so the lists fall back to an 800px viewport.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { flushSync } from "svelte";
import Explorer from "../Explorer.svelte";
import TestResultsPanel from "../TestResultsPanel.svelte";
import { Workbench } from "../../lib/workbench.svelte";
import type { Item, TestReport } from "../../lib/contract";
import { ROOT, detectionResult, largeWorkspace, testReport, testResult, trustState } from "../../test/fixtures";
import { render, type Mounted } from "../../test/mount";

/** Rows an 800px viewport holds at 22px, plus the explorer's overscan of 10 below. */
const SCREENFUL = Math.ceil(800 / 22) + 10;

let mounted: Mounted | null = null;
let items: Item[];

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
  items = largeWorkspace();
});
afterEach(() => {
  mounted?.destroy();
  mounted = null;
  vi.useRealTimers();
});

function workbench(): Workbench {
  const wb = new Workbench();
  wb.workspace.view = { root: ROOT, name: "generated", items, diagnostics: [], git: null, trust: trustState() };
  return wb;
}

const rows = (t: HTMLElement) => [...t.querySelectorAll<HTMLElement>('[data-testid="explorer-item"]')];
const treeRows = (t: HTMLElement) => [...t.querySelectorAll<HTMLElement>("[data-row-key]")];
const shownIds = (t: HTMLElement) => rows(t).map((r) => r.dataset.id);

function search(t: HTMLElement, text: string, settle = true) {
  const input = t.querySelector<HTMLInputElement>('[data-testid="explorer-search"]')!;
  input.value = text;
  input.dispatchEvent(new Event("input", { bubbles: true }));
  flushSync();
  if (settle) {
    vi.advanceTimersByTime(100);
    flushSync();
  }
}

function key(el: Element, k: string) {
  el.dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true, cancelable: true }));
  flushSync();
}

describe("the explorer on 1,266 items", () => {
  it("shows the top-level folders open and the rest closed, rendering a screenful", () => {
    mounted = render(Explorer, {}, workbench());
    const t = mounted.target;
    const all = treeRows(t);
    expect(all.length).toBeGreaterThan(20);
    expect(all.length).toBeLessThanOrEqual(SCREENFUL);
    expect(all[0].textContent).toContain("data_models");
    expect(all[0].getAttribute("aria-expanded")).toBe("true");
    // IDs sort case-insensitively, numbers by value.
    expect(shownIds(t).slice(0, 2)).toEqual(["Bench.Asana.Audit", "Bench.Atlassian.Audit"]);
    // The list is as tall as every row: 5 top folders, 35 + 45 + 6 + 80 items, 36 rule folders.
    const body = t.querySelector<HTMLElement>(".vl-body")!;
    expect(body.style.height).toBe(`${(5 + 35 + 45 + 6 + 80 + 36) * 22}px`);
  });

  it("a search matching every item opens every group but renders a screenful", () => {
    mounted = render(Explorer, {}, workbench());
    const t = mounted.target;
    search(t, "B");
    expect(t.querySelector(".narrowed")?.textContent).toBe("1266 of 1266 items");
    expect(treeRows(t).length).toBeLessThanOrEqual(SCREENFUL);
    expect(treeRows(t).every((r) => r.getAttribute("aria-expanded") !== "false")).toBe(true);
    // All 1,266 items and their 41 groups (5 top, 36 rule folders) are in the scroll height.
    expect(t.querySelector<HTMLElement>(".vl-body")!.style.height).toBe(`${(1266 + 41) * 22}px`);
  });

  it("applies the search once typing pauses, and a cleared box at once", () => {
    mounted = render(Explorer, {}, workbench());
    const t = mounted.target;
    search(t, "Bench.Okta", false);
    expect(t.querySelector(".narrowed")).toBeNull(); // not yet
    vi.advanceTimersByTime(59);
    flushSync();
    expect(t.querySelector(".narrowed")).toBeNull();
    vi.advanceTimersByTime(1);
    flushSync();
    expect(t.querySelector(".narrowed")).not.toBeNull();
    search(t, "", false);
    expect(t.querySelector(".narrowed")).toBeNull();
  });

  it("a searched ID is rendered, even one from the end of the workspace, and opens on click", () => {
    const wb = workbench();
    mounted = render(Explorer, {}, wb);
    const t = mounted.target;
    const id = "Bench.Linux.Auditd.Detection1014";
    search(t, id);
    expect(shownIds(t)).toEqual([id]);
    rows(t)[0].click();
    flushSync();
    expect(wb.tabs.active).toEqual({ kind: "item", id });
    expect(rows(t)[0].classList.contains("active")).toBe(true);
  });

  it("a row pressed while the search is pending opens that row; the search applies after the click", () => {
    const wb = workbench();
    mounted = render(Explorer, {}, wb);
    const t = mounted.target;
    const before = shownIds(t);
    const target = rows(t)[2];
    const id = target.dataset.id!;
    search(t, "Bench.Okta", false); // typed; the list still shows the whole tree
    target.dispatchEvent(new Event("pointerdown", { bubbles: true }));
    vi.advanceTimersByTime(100); // the search comes due during the press
    flushSync();
    expect(shownIds(t)).toEqual(before); // the rows stay put under the pointer
    window.dispatchEvent(new Event("pointerup"));
    target.click();
    flushSync();
    expect(wb.tabs.active).toEqual({ kind: "item", id });
    vi.advanceTimersByTime(1);
    flushSync();
    expect(t.querySelector(".narrowed")).not.toBeNull();
    expect(shownIds(t).every((i) => i?.startsWith("Bench.Okta"))).toBe(true);
  });

  it("a narrower search after scrolling far down starts at the top again", () => {
    mounted = render(Explorer, {}, workbench());
    const t = mounted.target;
    search(t, "Bench");
    const list = t.querySelector<HTMLElement>('[role="tree"]')!;
    list.scrollTop = 20_000;
    list.dispatchEvent(new Event("scroll"));
    flushSync();
    const far = shownIds(t);
    expect(far).not.toContain("Bench.AWS.CloudTrail");
    expect(far.length).toBeGreaterThan(0);
    search(t, "Bench.Zoom");
    expect(list.scrollTop).toBe(0);
    expect(shownIds(t)[0]).toBe("Bench.Zoom.Activity");
  });

  it("scrolling renders the rows in view instead", () => {
    mounted = render(Explorer, {}, workbench());
    const t = mounted.target;
    search(t, "Detection");
    const list = t.querySelector<HTMLElement>('[role="tree"]')!;
    const before = shownIds(t);
    list.scrollTop = 22 * 500;
    list.dispatchEvent(new Event("scroll"));
    flushSync();
    const after = shownIds(t);
    expect(after.length).toBeLessThanOrEqual(SCREENFUL + 10);
    expect(after.some((id) => before.includes(id))).toBe(false);
    // Spacer above: the rows start where the scroll position says.
    const first = Number(t.querySelector<HTMLElement>(".vl-body")!.style.paddingTop.replace("px", "")) / 22;
    expect(first).toBe(500 - 10);
  });

  it("collapsing a group removes its rows; opening it brings them back", () => {
    mounted = render(Explorer, {}, workbench());
    const t = mounted.target;
    const group = treeRows(t).find((r) => r.dataset.rowKey === "folder:data_models")!;
    group.click();
    flushSync();
    expect(shownIds(t)).not.toContain("Bench.Asana.Audit");
    expect(shownIds(t)[0]).toBe("bench_helpers_00");
    treeRows(t)[0].click();
    flushSync();
    expect(shownIds(t)[0]).toBe("Bench.Asana.Audit");
  });

  it("keyboard: Arrow Down from the search goes to the first match, arrows walk and open the tree", async () => {
    const wb = workbench();
    mounted = render(Explorer, {}, wb);
    const t = mounted.target;
    const focused = () => document.activeElement as HTMLElement;
    search(t, "Okta");
    key(t.querySelector('[data-testid="explorer-search"]')!, "ArrowDown");
    await vi.waitFor(() => expect(focused().dataset.id).toBe("Bench.Okta.SystemLog"));
    // Only the focused row is a tab stop.
    expect(treeRows(t).filter((r) => r.getAttribute("tabindex") === "0")).toEqual([focused()]);
    key(focused(), "ArrowUp"); // to its folder
    await vi.waitFor(() => expect(focused().dataset.rowKey).toBe("folder:data_models"));
    key(focused(), "ArrowLeft"); // closes it
    expect(shownIds(t)).not.toContain("Bench.Okta.SystemLog");
    key(focused(), "ArrowRight"); // opens it
    expect(shownIds(t)).toContain("Bench.Okta.SystemLog");
    key(focused(), "End"); // the last match, far below: scrolled to and rendered
    await vi.waitFor(() => expect(focused().dataset.id).toBe("Bench.Okta.SystemLog.Detection1019"));
    key(focused(), "Enter"); // a button's own key (its click), not the tree's
    expect(wb.tabs.active).toBeNull();
  });

  it("a run of one detection badges its row", () => {
    const wb = workbench();
    mounted = render(Explorer, {}, wb);
    const t = mounted.target;
    search(t, "Bench.AWS.CloudTrail");
    expect(t.querySelectorAll('[data-testid="badge-failing"]')).toHaveLength(0);
    wb.runs.results = { "Bench.AWS.CloudTrail.Detection0000": detectionResult("Bench.AWS.CloudTrail.Detection0000", [testResult("case 0", false)]) };
    flushSync();
    const badges = [...t.querySelectorAll<HTMLElement>('[data-testid="badge-failing"]')];
    expect(badges.map((b) => b.closest<HTMLElement>('[data-testid="explorer-item"]')?.dataset.id)).toEqual(["Bench.AWS.CloudTrail.Detection0000"]);
    expect(badges[0].textContent).toBe("✕1");
  });
});

describe("the test results of a run of all 3,730 tests", () => {
  function runAll(): TestReport {
    const detections = items
      .filter((i) => i.tests.length > 0)
      .map((i, k) =>
        detectionResult(
          i.id,
          i.tests.map((t, j) =>
            testResult(t.name, !(k % 100 === 3 && j === 0), {
              functions: [{ name: "rule", passed: true, output_text: "True", error: null }],
            }),
          ),
        ),
      );
    return testReport(detections, { exit_code: 1, elapsed_ms: 9000 });
  }

  const resultRows = (t: HTMLElement) => [...t.querySelectorAll<HTMLElement>('[data-testid="result-row"]')];

  it("renders the failures first and a screenful of rows, the first failures open", () => {
    const wb = workbench();
    mounted = render(TestResultsPanel, {}, wb);
    const report = runAll();
    expect(report.detections.reduce((n, d) => n + d.results.length, 0)).toBe(3730);
    wb.runs.report = report;
    flushSync();
    const t = mounted.target;
    const shown = resultRows(t);
    expect(shown.length).toBeGreaterThan(5);
    expect(shown.length).toBeLessThan(60);
    // 11 failures (every 100th detection's first test), then passes.
    const verdicts = shown.map((r) => r.querySelector(".verdict")?.textContent);
    expect(verdicts.slice(0, 11).every((v) => v === "FAIL")).toBe(true);
    expect(verdicts[11]).toBe("PASS");
    expect(shown[0].dataset.id).toBe("Bench.AWS.GuardDuty.Detection0003");
    expect(t.querySelectorAll(".result.failed .body")).toHaveLength(8);
    expect(t.querySelector(".summary")?.textContent).toContain("3719 passed, 11 failed");
  });

  it("a verdict clicked elsewhere reveals its row, far down the list, open", async () => {
    const wb = workbench();
    mounted = render(TestResultsPanel, {}, wb);
    wb.runs.report = runAll();
    flushSync();
    const t = mounted.target;
    const id = "Bench.Scheduled.079";
    expect(resultRows(t).some((r) => r.dataset.id === id)).toBe(false);
    wb.layout.revealResult(`${id}\u0000quiet actor`);
    flushSync();
    await vi.waitFor(() => {
      const row = resultRows(t).find((r) => r.dataset.id === id && r.dataset.name === "quiet actor");
      expect(row).toBeDefined();
      expect(row!.querySelector('[data-testid="result-function"]')).not.toBeNull();
    });
    expect(resultRows(t).length).toBeLessThan(60);
  });

  it("filters to the failed tests", () => {
    const wb = workbench();
    mounted = render(TestResultsPanel, {}, wb);
    wb.runs.report = runAll();
    flushSync();
    const t = mounted.target;
    const select = t.querySelector<HTMLSelectElement>('select[aria-label="Show"]')!;
    select.value = "failed";
    select.dispatchEvent(new Event("change", { bubbles: true }));
    flushSync();
    expect(resultRows(t).map((r) => r.querySelector(".verdict")?.textContent)).toEqual(Array(11).fill("FAIL"));
  });
});

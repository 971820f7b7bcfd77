// Log and event values are hostile: they must show as text and never become markup.
import { afterEach, describe, expect, it, vi } from "vitest";
import EventFields from "../EventFields.svelte";
import TestResultView from "../TestResultView.svelte";
import { Workbench } from "../../lib/workbench.svelte";
import { ROOT, detectionResult, item, testResult, trustState } from "../../test/fixtures";
import { render, type Mounted } from "../../test/mount";
import type { ResultRow } from "../../lib/results";
import type { Attempt } from "../../lib/contract";

const IMG = "<img src=x onerror=alert(1)>";
const SCRIPT = "<script>window.__pwned = true</script><b>bold</b>";

let mounted: Mounted | null = null;
afterEach(() => {
  mounted?.destroy();
  mounted = null;
  delete (window as unknown as { __pwned?: boolean }).__pwned;
});

describe("EventFields", () => {
  it("renders an <img onerror> log value as text, creating no element", () => {
    mounted = render(EventFields, { event: { userAgent: IMG, nested: { html: SCRIPT }, list: [IMG] } });
    const { target } = mounted;
    expect(target.querySelector("img")).toBeNull();
    expect(target.querySelector("script")).toBeNull();
    expect(target.querySelector("b")).toBeNull();
    const values = [...target.querySelectorAll('[data-testid="event-value"]')].map((e) => e.textContent);
    expect(values).toEqual([IMG, SCRIPT, IMG]);
    expect(target.textContent).toContain("<img src=x onerror=alert(1)>");
    expect((window as unknown as { __pwned?: boolean }).__pwned).toBeUndefined();
  });

  it("renders hostile keys as text too", () => {
    mounted = render(EventFields, { event: { [IMG]: "v" } });
    expect(mounted.target.querySelector("img")).toBeNull();
    expect(mounted.target.querySelector("th")?.textContent).toContain(IMG);
  });
});

describe("TestResultView", () => {
  it("renders alert titles, contexts, captured output and errors from hostile logs as text", () => {
    const wb = new Workbench();
    const test = testResult("hostile", false, {
      captured: `printed ${IMG}`,
      functions: [
        { name: "title", passed: true, output_text: `Login from ${IMG}`, error: null },
        { name: "alert_context", passed: true, output_text: JSON.stringify({ ua: SCRIPT }), error: null },
        {
          name: "rule",
          passed: false,
          output_text: "",
          error: { type: "KeyError", message: IMG, traceback: [{ file: `/ws/${IMG}.py`, line: 3, function: IMG, user: true }] },
        },
      ],
    });
    const row: ResultRow = { key: "k", detectionId: "Rule.X", detection: detectionResult("Rule.X", [test]), test, passed: false };
    mounted = render(TestResultView, { row, expanded: true, ontoggle: () => {} }, wb);
    const { target } = mounted;
    expect(target.querySelector("img")).toBeNull();
    expect(target.querySelector("script")).toBeNull();
    expect(target.querySelector("b")).toBeNull();
    const functions = [...target.querySelectorAll('[data-testid="result-function"]')];
    expect(functions).toHaveLength(3);
    expect(functions[0].textContent).toContain(`Login from ${IMG}`);
    expect(target.textContent).toContain(`printed ${IMG}`);
    expect(target.textContent).toContain(`KeyError: ${IMG}`);
  });
});

describe("what workspace code tried, in a test's result", () => {
  const rule = item({ id: "Sandbox.Network", code_path: `${ROOT}/rules/network.py`, spec_path: `${ROOT}/rules/network.yml` });

  function show(attempts: Attempt[] | undefined, loading: Attempt[] | undefined = undefined) {
    const wb = new Workbench();
    wb.workspace.view = { root: ROOT, name: "ws", items: [rule], diagnostics: [], git: null, trust: trustState() };
    const test = testResult("cannot connect", true, { attempts });
    const row: ResultRow = { key: "k", detectionId: rule.id, detection: detectionResult(rule.id, [test], { attempts: loading }), test, passed: true };
    mounted = render(TestResultView, { row, expanded: true, ontoggle: () => {} }, wb);
    return { wb, target: mounted.target };
  }

  it("marks the row with a count and lists each attempt with its place as a link to the line", () => {
    const { wb, target } = show([{ kind: "network", event: "socket.connect", detail: "socket.connect(('127.0.0.1', 9))", file: `${ROOT}/rules/network.py`, line: 7 }]);
    const badge = target.querySelector<HTMLElement>('[data-testid="result-attempts"]')!;
    expect(badge.dataset.count).toBe("1");
    const attempts = [...target.querySelectorAll('[data-testid="attempt"]')];
    expect(attempts.map((a) => a.textContent?.replace(/\s+/g, " ").trim())).toEqual(["network — socket.connect(('127.0.0.1', 9)) at rules/network.py:7"]);
    const openFile = vi.spyOn(wb.tabs, "openFile").mockImplementation(() => {});
    target.querySelector<HTMLElement>('[data-testid="attempt-place"]')!.click();
    expect(openFile).toHaveBeenCalledWith(`${ROOT}/rules/network.py`, 7);
  });

  it("shows what the module tried when it was loaded apart from what the test tried", () => {
    const { target } = show(undefined, [{ kind: "environment", event: "os.getenv", detail: "os.getenv('TOKEN')", file: `${ROOT}/rules/network.py`, line: 2 }]);
    expect(target.querySelector<HTMLElement>('[data-testid="result-attempts"]')!.dataset.count).toBe("1");
    expect(target.textContent).toContain("When it was loaded, the detection's code tried:");
    expect(target.textContent).not.toContain("Workspace code tried:");
  });

  it("renders a hostile pack's details, events, kinds and file names as text, and no marker when nothing was tried", () => {
    const { target } = show([{ kind: IMG, event: SCRIPT, detail: `open ${IMG}`, file: `${ROOT}/rules/${IMG}.py`, line: 3 }]);
    expect(target.querySelector("img")).toBeNull();
    expect(target.querySelector("script")).toBeNull();
    expect(target.querySelector("b")).toBeNull();
    expect(target.querySelector('[data-testid="attempt"]')!.textContent).toContain(`${IMG} — open ${IMG} at rules/${IMG}.py:3`);
    expect((window as unknown as { __pwned?: boolean }).__pwned).toBeUndefined();
    mounted?.destroy();
    mounted = null;
    const quiet = show(undefined);
    expect(quiet.target.querySelector('[data-testid="result-attempts"]')).toBeNull();
    expect(quiet.target.querySelector('[data-testid="attempts"]')).toBeNull();
  });
});

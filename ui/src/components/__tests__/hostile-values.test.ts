// Log and event values are hostile: they must show as text and never become markup.
import { afterEach, describe, expect, it } from "vitest";
import EventFields from "../EventFields.svelte";
import TestResultView from "../TestResultView.svelte";
import { Workbench } from "../../lib/workbench.svelte";
import { detectionResult, testResult } from "../../test/fixtures";
import { render, type Mounted } from "../../test/mount";
import type { ResultRow } from "../../lib/results";

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

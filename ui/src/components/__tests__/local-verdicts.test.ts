// Tests Prowl evaluated itself (PAT needs a Panther backend for them) are marked as such.
import { afterEach, describe, expect, it } from "vitest";
import TestResultView from "../TestResultView.svelte";
import { Workbench } from "../../lib/workbench.svelte";
import { detectionResult, testResult } from "../../test/fixtures";
import { render, type Mounted } from "../../test/mount";
import type { ResultRow } from "../../lib/results";

let mounted: Mounted | null = null;
afterEach(() => {
  mounted?.destroy();
  mounted = null;
});

function show(local: "simple_detection" | "inline_filters" | "correlation_rule" | undefined) {
  const test = testResult("sequence completes", true);
  const row: ResultRow = {
    key: "k",
    detectionId: "Corr.X",
    detection: detectionResult("Corr.X", [test], local ? { local } : {}),
    test,
    passed: true,
  };
  mounted = render(TestResultView, { row, expanded: false, ontoggle: () => {} }, new Workbench());
  return mounted.target;
}

describe("a result evaluated locally", () => {
  it("says so, and what was evaluated", () => {
    for (const [kind, words] of [
      ["simple_detection", "Simple Detection"],
      ["inline_filters", "InlineFilters applied"],
      ["correlation_rule", "correlation rule"],
    ] as const) {
      const target = show(kind);
      const badge = target.querySelector('[data-testid="result-local"]');
      expect(badge?.textContent).toBe("evaluated locally");
      expect(badge?.getAttribute("title")).toContain(words);
      mounted?.destroy();
      mounted = null;
    }
  });

  it("is not marked when PAT's own run gave it", () => {
    expect(show(undefined).querySelector('[data-testid="result-local"]')).toBeNull();
  });
});

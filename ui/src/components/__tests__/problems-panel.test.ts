// The Problems panel on a workspace with thousands of broken files: errors first, at most a
// thousand rows in the DOM, the rest counted and reachable through the filter.
import { afterEach, describe, expect, it } from "vitest";
import { flushSync } from "svelte";
import ProblemsPanel from "../ProblemsPanel.svelte";
import { Workbench } from "../../lib/workbench.svelte";
import type { Diagnostic } from "../../lib/contract";
import { ROOT, diagnostic, trustState } from "../../test/fixtures";
import { render, type Mounted } from "../../test/mount";

let mounted: Mounted | null = null;
afterEach(() => {
  mounted?.destroy();
  mounted = null;
});

function broken(n: number): Diagnostic[] {
  return Array.from({ length: n }, (_, i) => {
    const rel = `rules/broken/rule_${String(i).padStart(4, "0")}.yml`;
    return diagnostic({
      file: `${ROOT}/${rel}`,
      rel_path: rel,
      severity: i % 5 === 0 ? "warning" : "error",
      code: i % 5 === 0 ? "duplicate-key" : "yaml-syntax",
      summary: `problem ${i}`,
      span: { line: 3, col: 1 },
    });
  });
}

function mountWith(diagnostics: Diagnostic[]): HTMLElement {
  const wb = new Workbench();
  wb.workspace.view = { root: ROOT, name: "broken", items: [], diagnostics, git: null, trust: trustState() };
  mounted = render(ProblemsPanel, {}, wb);
  return mounted.target;
}

const rows = (t: HTMLElement) => [...t.querySelectorAll<HTMLElement>('[data-testid="problem-item"]')];

describe("the Problems panel", () => {
  it("renders at most 1,000 rows, errors first, and says how many more there are", () => {
    const t = mountWith(broken(5000));
    const shown = rows(t);
    expect(shown).toHaveLength(1000);
    expect(shown.every((r) => r.querySelector(".sev.error"))).toBe(true);
    expect(t.querySelector('[data-testid="problems-more"]')?.textContent).toContain("4,000 more not shown");
    expect(t.textContent).toContain("4000 errors, 1000 warnings");
  });

  it("the filter reaches problems beyond the first thousand", () => {
    const t = mountWith(broken(5000));
    const input = t.querySelector<HTMLInputElement>('input[aria-label="Filter problems"]')!;
    input.value = "rule_4999.yml";
    input.dispatchEvent(new Event("input", { bubbles: true }));
    flushSync();
    const shown = rows(t);
    expect(shown).toHaveLength(1);
    expect(shown[0].dataset.file).toBe("rules/broken/rule_4999.yml");
    expect(t.querySelector('[data-testid="problems-more"]')).toBeNull();
  });

  it("a short list has no note", () => {
    const t = mountWith(broken(12));
    expect(rows(t)).toHaveLength(12);
    expect(t.querySelector('[data-testid="problems-more"]')).toBeNull();
  });
});

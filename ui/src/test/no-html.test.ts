// A guard for the rule that log content is only ever text: no component or module renders
// markup from a string.
import { describe, expect, it } from "vitest";

const sources = {
  ...import.meta.glob("../**/*.svelte", { query: "?raw", import: "default", eager: true }),
  ...import.meta.glob(["../**/*.ts", "!../**/*.test.ts", "!../test/**"], { query: "?raw", import: "default", eager: true }),
} as Record<string, string>;

describe("no HTML from strings", () => {
  it("finds the sources", () => {
    expect(Object.keys(sources).some((f) => f.endsWith("EventFields.svelte"))).toBe(true);
    expect(Object.keys(sources).some((f) => f.endsWith("api.ts"))).toBe(true);
  });

  it.each(["{@html", "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write"])("no source uses %s", (needle) => {
    const offenders = Object.entries(sources)
      .filter(([, text]) => text.includes(needle))
      .map(([file]) => file);
    expect(offenders).toEqual([]);
  });
});

// A guard for who talks to the shell: only api.ts imports Tauri, and only the stores (and the
// workbench composing them) import api.ts; components render store state and call store methods.
import { describe, expect, it } from "vitest";

const sources = {
  ...import.meta.glob("../**/*.svelte", { query: "?raw", import: "default", eager: true }),
  ...import.meta.glob(["../**/*.ts", "!../**/*.test.ts", "!../test/**"], { query: "?raw", import: "default", eager: true }),
} as Record<string, string>;

/** Sources whose text matches `pattern` (type-only imports too: types come from contract.ts). */
function importing(pattern: RegExp): string[] {
  return Object.entries(sources)
    .filter(([, text]) => pattern.test(text))
    .map(([file]) => file.replace(/^\.\.\//, ""))
    .sort();
}

describe("calls to the shell", () => {
  it("only api.ts imports @tauri-apps", () => {
    expect(importing(/from "@tauri-apps\//)).toEqual(["lib/api.ts"]);
  });

  it("only the stores and the workbench import api.ts", () => {
    const callers = importing(/from "(\.\.?\/)+(lib\/)?api"/);
    expect(callers.filter((f) => !f.startsWith("lib/stores/") && f !== "lib/workbench.svelte.ts")).toEqual([]);
    expect(callers).toContain("lib/stores/buffers.svelte.ts");
  });
});

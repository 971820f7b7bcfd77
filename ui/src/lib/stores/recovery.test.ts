import { describe, expect, it } from "vitest";
import { savedAtText } from "./recovery.svelte";

describe("savedAtText", () => {
  it("shows when a copy was kept as a date and time, not as seconds since the epoch", () => {
    // The shell sends `saved_at` as seconds (rules_workspace::workspace::recovery::Recovered).
    const text = savedAtText(1714557600);
    expect(text).toContain("2024");
    expect(text).not.toContain("1714557600");
  });
});

import { describe, expect, it } from "vitest";
import { minimalChange } from "./editor";

function apply(text: string, c: { from: number; to: number; insert: string } | null): string {
  return c ? text.slice(0, c.from) + c.insert + text.slice(c.to) : text;
}

describe("minimalChange", () => {
  it("replaces only the part that differs", () => {
    const before = "Tests:\n  - Name: a\n    ExpectedResult: true\n";
    const after = "Tests:\n  - Name: a\n    ExpectedResult: false\n";
    const c = minimalChange(before, after)!;
    expect(c.insert).toBe("fals");
    expect(apply(before, c)).toBe(after);
  });

  it("handles insertions, deletions and no change", () => {
    expect(apply("abc", minimalChange("abc", "abXc"))).toBe("abXc");
    expect(apply("abXc", minimalChange("abXc", "abc"))).toBe("abc");
    expect(minimalChange("same", "same")).toBeNull();
    expect(apply("", minimalChange("", "new"))).toBe("new");
  });
});

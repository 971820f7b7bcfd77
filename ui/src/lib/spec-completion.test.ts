import { describe, expect, it } from "vitest";
import { CompletionContext } from "@codemirror/autocomplete";
import { EditorState } from "@codemirror/state";
import { MATCH_CONDITIONS } from "./generated/contract";
import { enclosingTopKey, specCompletions } from "./spec-completion";

/** The labels offered at the `|` of `text`. */
function offered(text: string, explicit = true): string[] {
  const pos = text.indexOf("|");
  const doc = text.slice(0, pos) + text.slice(pos + 1);
  const state = EditorState.create({ doc });
  const result = specCompletions(new CompletionContext(state, pos, explicit));
  return result ? result.options.map((o) => o.label) : [];
}

describe("completion in specs", () => {
  it("offers the conditions the core knows after Condition:", () => {
    const labels = offered("Detection:\n  - KeyPath: a\n    Condition: Is|");
    expect(labels).toEqual([...MATCH_CONDITIONS]);
    expect(labels).toContain("IsIPAddressInCIDR");
    expect(labels).toContain("AnyElement");
    expect(offered("Detection:\n  - {KeyPath: a, Condition: |}")).toContain("Equals");
  });

  it("offers match-expression keys inside Detection, filter keys inside InlineFilters", () => {
    const detection = offered("AnalysisType: rule\nDetection:\n  - |");
    expect(detection).toContain("KeyPath");
    expect(detection).toContain("OnlyOne");
    expect(detection).not.toContain("RuleID");
    const filters = offered("InlineFilters:\n  - KeyPath: a\n    |");
    expect(filters).toContain("Condition");
    expect(filters).not.toContain("OnlyOne");
    expect(filters).not.toContain("DeepKey");
  });

  it("offers a correlation rule's keys in its Detection, and top-level keys at column 0", () => {
    const keys = offered("AnalysisType: correlation_rule\nDetection:\n  - Sequence:\n      - |");
    expect(keys).toContain("RuleID");
    expect(keys).toContain("WithinTimeFrameMinutes");
    expect(offered("AnalysisType: rule\n|")).toContain("Detection");
    expect(offered("Severity: |")).toEqual(["Info", "Low", "Medium", "High", "Critical"]);
  });

  it("finds the block a line is in", () => {
    const lines = ["RuleID: x", "Detection:", "  - All:", "      - Key: a"];
    expect(enclosingTopKey(lines, 3)).toBe("Detection");
    expect(enclosingTopKey(lines, 1)).toBeNull();
  });
});

import { Text } from "@codemirror/state";
import { describe, expect, it } from "vitest";
import { ROOT, diagnostic } from "../test/fixtures";
import { countBySeverity, diagnosticRange, diagnosticText, mergeDiagnostics, sortDiagnostics } from "./diagnostics";

const doc = Text.of(["AnalysisType: rule", "Severity: Hgh", "Tests:", "  - Name: émoji 🙂 x", ""]);

describe("diagnosticRange", () => {
  it("marks the word at the 1-based line and column", () => {
    const r = diagnosticRange(doc, { line: 2, col: 11 });
    expect(doc.sliceString(r.from, r.to)).toBe("Hgh");
  });

  it("counts columns in characters, not UTF-16 units", () => {
    // "  - Name: émoji 🙂 x": the x is character 19 (the emoji is one character, two units).
    const r = diagnosticRange(doc, { line: 4, col: 19 });
    expect(doc.sliceString(r.from, r.to)).toBe("x");
  });

  it("clamps spans past the end and marks the first line without a span", () => {
    const past = diagnosticRange(doc, { line: 99, col: 99 });
    expect(past.from).toBeLessThanOrEqual(doc.length);
    const none = diagnosticRange(doc, null);
    expect(doc.sliceString(none.from, none.to)).toBe("AnalysisType: rule");
  });

  it("marks the line's text when the column is past its end", () => {
    const r = diagnosticRange(doc, { line: 3, col: 40 });
    expect(doc.sliceString(r.from, r.to)).toBe("Tests:");
  });

  it("works on an empty document", () => {
    expect(diagnosticRange(Text.of([""]), { line: 3, col: 2 })).toEqual({ from: 0, to: 0 });
  });
});

describe("diagnostic lists", () => {
  const a = `${ROOT}/a.yml`;
  const b = `${ROOT}/b.yml`;

  it("replaces a file's saved diagnostics with its live ones", () => {
    const merged = mergeDiagnostics(
      [diagnostic({ file: a, summary: "old a" }), diagnostic({ file: b, summary: "b" })],
      { [a]: [diagnostic({ file: a, summary: "new a" })] },
    );
    expect(merged.map((d) => d.summary).sort()).toEqual(["b", "new a"]);
  });

  it("an empty live list clears the file's problems", () => {
    expect(mergeDiagnostics([diagnostic({ file: a })], { [a]: [] })).toEqual([]);
  });

  it("sorts errors first, then by file and line, and counts", () => {
    const list = [
      diagnostic({ file: b, severity: "warning", span: { line: 1, col: 1 } }),
      diagnostic({ file: b, span: { line: 9, col: 1 } }),
      diagnostic({ file: a, span: { line: 5, col: 1 } }),
      diagnostic({ file: b, span: { line: 2, col: 1 } }),
    ];
    expect(sortDiagnostics(list).map((d) => `${d.severity[0]}:${d.rel_path}:${d.span?.line}`)).toEqual([
      "e:a.yml:5",
      "e:b.yml:2",
      "e:b.yml:9",
      "w:b.yml:1",
    ]);
    expect(countBySeverity(list)).toEqual({ errors: 3, warnings: 1 });
  });

  it("shows summary, PAT's message and the hint", () => {
    const text = diagnosticText(diagnostic({ file: a, summary: "Unknown severity", message: "Hgh is not valid", hint: "use High" }));
    expect(text).toBe("Unknown severity\nPAT: Hgh is not valid\nhint: use High");
  });
});

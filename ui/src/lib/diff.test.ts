import { describe, expect, it } from "vitest";
import { diffStats, hunkHeader, lineDiff, splitLines, toHunks } from "./diff";
import type { DiffLine } from "./contract";

/** Applies a line diff to check it rebuilds both sides. */
function sides(lines: DiffLine[]): { old: string[]; new: string[] } {
  return {
    old: lines.filter((l) => l.tag !== "insert").map((l) => l.text),
    new: lines.filter((l) => l.tag !== "delete").map((l) => l.text),
  };
}

describe("lineDiff", () => {
  it("finds a changed line between equal ones", () => {
    const d = lineDiff("a\nb\nc\n", "a\nB\nc\n");
    expect(d.map((l) => `${l.tag}:${l.text}`)).toEqual(["equal:a", "delete:b", "insert:B", "equal:c"]);
    expect(d[1]).toMatchObject({ old_line: 2, new_line: null });
    expect(d[2]).toMatchObject({ old_line: null, new_line: 2 });
    expect(d[3]).toMatchObject({ old_line: 3, new_line: 3 });
  });

  it("handles empty sides", () => {
    expect(lineDiff("", "x\ny").map((l) => l.tag)).toEqual(["insert", "insert"]);
    expect(lineDiff("x\ny", "").map((l) => l.tag)).toEqual(["delete", "delete"]);
    expect(lineDiff("", "")).toEqual([]);
  });

  it("is a minimal edit script that rebuilds both texts", () => {
    const a = "def rule(event):\n    return True\n\ndef title(event):\n    return 'x'\n";
    const b = "import os\ndef rule(event):\n    return False\n\ndef title(event):\n    return 'x'\n# end\n";
    const d = lineDiff(a, b);
    expect(sides(d)).toEqual({ old: splitLines(a), new: splitLines(b) });
    expect(d.filter((l) => l.tag !== "equal")).toHaveLength(4);
  });

  it("rebuilds both texts for random edits", () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let round = 0; round < 50; round++) {
      const a = Array.from({ length: Math.floor(rnd() * 20) }, () => String.fromCharCode(97 + Math.floor(rnd() * 4)));
      const b = a.filter(() => rnd() > 0.3).concat(rnd() > 0.5 ? ["z"] : []);
      const d = lineDiff(a.join("\n"), b.join("\n"));
      expect(sides(d)).toEqual({ old: a, new: b });
    }
  });

  it("ignores CR of CRLF line ends", () => {
    expect(lineDiff("a\r\nb\r\n", "a\nb\n").every((l) => l.tag === "equal")).toBe(true);
  });
});

describe("toHunks", () => {
  const old = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join("\n");

  it("keeps three lines of context and numbers hunks like unified diff", () => {
    const changed = old.replace("line 10", "line ten");
    const hunks = toHunks(lineDiff(old, changed));
    expect(hunks).toHaveLength(1);
    expect(hunkHeader(hunks[0])).toBe("@@ -7,7 +7,7 @@");
    expect(hunks[0].lines[0].text).toBe("line 7");
    expect(diffStats(hunks)).toEqual({ added: 1, removed: 1 });
  });

  it("splits distant changes into separate hunks and merges close ones", () => {
    const far = old.replace("line 2", "two").replace("line 18", "eighteen");
    expect(toHunks(lineDiff(old, far))).toHaveLength(2);
    const near = old.replace("line 5", "five").replace("line 9", "nine");
    expect(toHunks(lineDiff(old, near))).toHaveLength(1);
  });

  it("gives no hunks for equal texts", () => {
    expect(toHunks(lineDiff(old, old))).toEqual([]);
  });
});

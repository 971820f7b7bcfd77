// What the Audit view derives from a report: the kind a source text names, findings errors
// first (the report's order kept within a severity) and filtered, places, progress, attempts
// grouped by detection and test.
import { describe, expect, it } from "vitest";
import {
  attemptGroupTitle,
  findingKey,
  findingPlace,
  groupAttempts,
  guessSourceKind,
  progressFraction,
  progressText,
  sortFindings,
  visibleFindings,
} from "./audit";
import { finding } from "../test/fixtures";
import type { Attempt, AuditSeverity } from "./contract";

describe("guessSourceKind", () => {
  it("reads a source text as prowl audit does", () => {
    expect(guessSourceKind("https://github.com/org/pack.git")).toBe("git");
    expect(guessSourceKind("file:///srv/pack")).toBe("git");
    expect(guessSourceKind("/tmp/pack.zip")).toBe("archive");
    expect(guessSourceKind(" pack.TAR.GZ ")).toBe("archive");
    expect(guessSourceKind("pack.tgz")).toBe("archive");
    expect(guessSourceKind("/home/me/packs/acme")).toBe("folder");
    expect(guessSourceKind("")).toBe("folder");
  });
});

describe("findings", () => {
  const note = finding({ code: "PA202", severity: "note", file: "rules/a.yml", line: 1 });
  const warnA = finding({ code: "PA110", severity: "warning", file: "rules/a.py", line: 4 });
  const errB = finding({ code: "PA102", severity: "error", file: "rules/b.py", line: 9 });
  const warnC = finding({ code: "PA205", severity: "warning", file: "rules/c.yml", line: 2 });
  const errPack = finding({ code: "PA304", severity: "error", file: null, line: null, column: null, item: null });
  const report = [note, warnA, errB, warnC, errPack];

  it("sorts errors first, then warnings, then notes, keeping the report's order within each", () => {
    expect(sortFindings(report).map((f) => f.code)).toEqual(["PA102", "PA304", "PA110", "PA205", "PA202"]);
    expect(report.map((f) => f.code)).toEqual(["PA202", "PA110", "PA102", "PA205", "PA304"]);
  });

  it("shows only the severities chosen", () => {
    const only = (...s: AuditSeverity[]) => visibleFindings(report, new Set(s)).map((f) => f.code);
    expect(only("warning")).toEqual(["PA110", "PA205"]);
    expect(only("error", "note")).toEqual(["PA102", "PA304", "PA202"]);
    expect(only()).toEqual([]);
  });

  it("places a finding at file:line:column, as far as known", () => {
    expect(findingPlace(errB)).toBe("rules/b.py:9:5");
    expect(findingPlace({ file: "rules/b.py", line: 9, column: null })).toBe("rules/b.py:9");
    expect(findingPlace({ file: "requirements.txt", line: null, column: null })).toBe("requirements.txt");
    expect(findingPlace(errPack)).toBeNull();
  });

  it("keys findings apart even when two differ only by test", () => {
    const a = finding({ code: "PA401", test: "one" });
    const b = finding({ code: "PA401", test: "two" });
    expect(findingKey(a)).not.toBe(findingKey(b));
    expect(findingKey(a)).toBe(findingKey({ ...a }));
  });
});

describe("progress", () => {
  it("says what the audit is doing, and how far the tests are", () => {
    expect(progressText(null)).toMatch(/quarantine/);
    expect(progressText({ stage: "preparing" })).toMatch(/quarantine/);
    expect(progressText({ stage: "static", files: 1 })).toBe("Reading 1 Python file and the specs…");
    expect(progressText({ stage: "static", files: 11 })).toBe("Reading 11 Python files and the specs…");
    expect(progressText({ stage: "dynamic", done: 3, total: 12, id: "X" })).toBe("Running the pack's tests in the sandbox: 3 of 12 detections");
    expect(progressFraction({ stage: "static", files: 3 })).toBeNull();
    expect(progressFraction({ stage: "dynamic", done: 3, total: 12, id: "X" })).toBe(0.25);
    expect(progressFraction({ stage: "dynamic", done: 0, total: 0, id: "" })).toBeNull();
  });
});

describe("recorded attempts", () => {
  const attempt = (detail: string): Attempt => ({ kind: "network", event: "socket.connect", detail, file: "rules/n.py", line: 7 });

  it("groups them by detection and test, in the report's order", () => {
    const groups = groupAttempts([
      { item: null, test: null, attempt: attempt("at load") },
      { item: "Net", test: "alerts", attempt: attempt("a1") },
      { item: "Net", test: "alerts", attempt: attempt("a2") },
      { item: "Net", test: "quiet", attempt: attempt("q1") },
      { item: "Net", test: null, attempt: attempt("module") },
    ]);
    expect(groups.map((g) => [g.item, g.test, g.attempts.map((a) => a.detail)])).toEqual([
      [null, null, ["at load"]],
      ["Net", "alerts", ["a1", "a2"]],
      ["Net", "quiet", ["q1"]],
      ["Net", null, ["module"]],
    ]);
    expect(groups.map(attemptGroupTitle)).toEqual([
      "While helpers and data models were loaded",
      "Net, in the test “alerts”",
      "Net, in the test “quiet”",
      "Net, when its module was loaded",
    ]);
  });
});

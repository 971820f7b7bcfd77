import { describe, expect, it } from "vitest";
import { ROOT, detectionResult, item, testResult } from "../test/fixtures";
import type { TestReport } from "./contract";
import { durationText, errorHeadline, filterRows, frameTarget, reportFailed, resultRows, runSummary } from "./results";

const report: TestReport = {
  exit_code: 1,
  elapsed_ms: 1234,
  summary: { passed: 2, failed: 1, skipped: 0, invalid: 0, skipped_detections: [], failed_tests: [["B", ["b2"]]], invalid_specs: [] },
  detections: [
    detectionResult("A", [testResult("a1", true)]),
    detectionResult("B", [testResult("b1", true), testResult("b2", false)]),
    detectionResult("C", [], { setup_error: { type: "SyntaxError", message: "invalid syntax", traceback: [] } }),
  ],
};

describe("result rows", () => {
  it("lists failures first, then the rest in the report's order", () => {
    const rows = resultRows(report);
    expect(rows.map((r) => `${r.detectionId}/${r.test?.name ?? "-"}:${r.passed}`)).toEqual(["B/b2:false", "C/-:false", "A/a1:true", "B/b1:true"]);
  });

  it("filters by verdict and by text", () => {
    const rows = resultRows(report);
    expect(filterRows(rows, { text: "", show: "failed" })).toHaveLength(2);
    expect(filterRows(rows, { text: "", show: "passed" }).map((r) => r.test?.name)).toEqual(["a1", "b1"]);
    expect(filterRows(rows, { text: "b b1", show: "all" }).map((r) => r.test?.name)).toEqual(["b1"]);
  });

  it("summarises the run", () => {
    expect(runSummary(report)).toBe("2 passed, 1 failed");
    expect(runSummary({ ...report, summary: null })).toBe("2 passed, 1 failed, 1 could not load");
    expect(reportFailed(report)).toBe(true);
    expect(reportFailed({ ...report, exit_code: 0, detections: [report.detections[0]] })).toBe(false);
  });

  it("has no rows without a report", () => {
    expect(resultRows(null)).toEqual([]);
  });
});

describe("traceback frames", () => {
  const rule = item({ id: "Rule.A" });
  const helper = item({ id: "helpers", analysis_type: "global", code_path: `${ROOT}/global_helpers/helpers.py`, spec_path: `${ROOT}/global_helpers/helpers.yml` });

  it("resolve to the item owning the file", () => {
    expect(frameTarget({ file: rule.code_path!, line: 12, function: "rule", user: true }, [rule, helper])).toEqual({
      path: rule.code_path,
      line: 12,
      itemId: "Rule.A",
    });
    expect(frameTarget({ file: `${ROOT}/global_helpers/helpers.py`, line: 3, function: "f", user: true }, [rule, helper])?.itemId).toBe("helpers");
  });

  it("are not links into Python's own library", () => {
    expect(frameTarget({ file: "/usr/lib/python3.11/json/__init__.py", line: 3, function: "loads", user: false }, [rule])).toBeNull();
  });

  it("formats errors and times", () => {
    expect(errorHeadline({ type: "KeyError", message: "'x'", traceback: [] })).toBe("KeyError: 'x'");
    expect(durationText(15)).toBe("15 ms");
    expect(durationText(1234)).toBe("1.23 s");
  });
});

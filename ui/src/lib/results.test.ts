import { describe, expect, it } from "vitest";
import { ROOT, detectionResult, item, testReport, testResult } from "../test/fixtures";
import type { Attempt, TestReport } from "./contract";
import {
  attemptPlace,
  attemptTarget,
  attemptText,
  detectionAttemptCount,
  durationText,
  errorHeadline,
  filterRows,
  frameTarget,
  itemPathIndex,
  reportFailed,
  resultRows,
  rowAttemptCount,
  rowAttempts,
  rowsToOpen,
  runCounts,
  runHeadline,
  runLogLine,
  runSummary,
} from "./results";

const report: TestReport = testReport(
  [
    detectionResult("A", [testResult("a1", true)]),
    detectionResult("B", [testResult("b1", true), testResult("b2", false)]),
    detectionResult("C", [], { setup_error: { type: "SyntaxError", message: "invalid syntax", traceback: [] } }),
  ],
  {
    exit_code: 1,
    elapsed_ms: 1234,
    summary: { passed: 2, failed: 1, skipped: 0, invalid: 0, skipped_detections: [], failed_tests: [["B", ["b2"]]], invalid_specs: [] },
  },
);

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

  it("says a cancelled run was cancelled, in the log and the status line, not that it finished", () => {
    const cancelled = { ...report, cancelled: true };
    expect(runLogLine("all tests", report)).toBe("all tests: 2 passed, 1 failed in 1.23 s");
    expect(runLogLine("all tests", cancelled)).toBe("all tests: cancelled after 1.23 s (2 passed, 1 failed before the cancel)");
    expect(runHeadline(report)).toBe("2 passed, 1 failed");
    expect(runHeadline(cancelled)).toBe("cancelled: 2 passed, 1 failed");
  });

  it("a run of all tests: every failure (tests and detections that could not load) before any pass, each part in the report's order", () => {
    const setup = { type: "ImportError", message: "no module", traceback: [] };
    const detections = Array.from({ length: 300 }, (_, d) =>
      d % 97 === 50
        ? detectionResult(`D${d}`, [], { setup_error: setup })
        : detectionResult(
            `D${d}`,
            Array.from({ length: 3 }, (_, t) => testResult(`t${t}`, !(d % 40 === 7 && t === 1))),
          ),
    );
    const rows = resultRows(testReport(detections, { exit_code: 1, elapsed_ms: 1 }));
    expect(rows).toHaveLength(297 * 3 + 3);
    const firstPass = rows.findIndex((r) => r.passed);
    const failures = rows.slice(0, firstPass);
    expect(rows.slice(firstPass).every((r) => r.passed)).toBe(true);
    expect(failures.map((r) => `${r.detectionId}/${r.test?.name ?? "-"}`)).toEqual([
      "D7/t1", "D47/t1", "D50/-", "D87/t1", "D127/t1", "D147/-", "D167/t1", "D207/t1", "D244/-", "D247/t1", "D287/t1",
    ]);
    // Passes keep the report's order.
    expect(rows.slice(firstPass, firstPass + 4).map((r) => `${r.detectionId}/${r.test?.name}`)).toEqual(["D0/t0", "D0/t1", "D0/t2", "D1/t0"]);
    expect(new Set(rows.map((r) => r.key)).size).toBe(rows.length);
  });

  it("counts a report once however often it is asked", () => {
    expect(runCounts(report)).toBe(runCounts(report));
    expect(runCounts(report)).toEqual({ passed: 2, failed: 1, errors: 1 });
    expect(runCounts({ ...report, detections: [report.detections[0]] })).toEqual({ passed: 1, failed: 0, errors: 0 });
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

  it("resolve through a path index as through the list, the first item claiming a file winning", () => {
    const twin = item({ id: "Rule.A.Copy", code_path: rule.code_path, spec_path: `${ROOT}/rules/copy.yml` });
    const index = itemPathIndex([rule, helper, twin]);
    for (const file of [rule.code_path!, rule.spec_path, `${ROOT}/rules/./copy.yml`, `${ROOT}/global_helpers/helpers.py`, "/usr/lib/x.py"]) {
      const frame = { file, line: 4, function: "f", user: true };
      expect(frameTarget(frame, index)).toEqual(frameTarget(frame, [rule, helper, twin]));
    }
    expect(frameTarget({ file: rule.code_path!, line: 4, function: "rule", user: true }, index)?.itemId).toBe("Rule.A");
    expect(frameTarget({ file: `${ROOT}/rules/copy.yml`, line: 4, function: "f", user: true }, index)).toEqual({
      path: `${ROOT}/rules/copy.yml`,
      line: 4,
      itemId: "Rule.A.Copy",
    });
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

describe("what workspace code tried", () => {
  const rule = item({ id: "Sandbox.Network", code_path: `${ROOT}/rules/network.py`, spec_path: `${ROOT}/rules/network.yml` });
  const connect: Attempt = { kind: "network", event: "socket.connect", detail: "socket.connect(('127.0.0.1', 9))", file: `${ROOT}/rules/network.py`, line: 7 };
  const env: Attempt = { kind: "environment", event: "os.getenv", detail: "os.getenv('AWS_SECRET_ACCESS_KEY')", file: `${ROOT}/rules/network.py`, line: 2 };
  const tried = detectionResult("Sandbox.Network", [testResult("cannot connect", true, { attempts: [connect] }), testResult("quiet", true)], { attempts: [env] });

  it("counts a detection's loading and tests together, and a row's loading and its own test", () => {
    expect(detectionAttemptCount(tried)).toBe(2);
    expect(detectionAttemptCount(detectionResult("A", [testResult("a", true)]))).toBe(0);
    expect(detectionAttemptCount(undefined)).toBe(0);
    const rows = resultRows(testReport([tried]));
    const connecting = rows.find((r) => r.test?.name === "cannot connect")!;
    expect(rowAttempts(connecting)).toEqual({ loading: [env], test: [connect] });
    expect(rowAttemptCount(connecting)).toBe(2);
    expect(rowAttemptCount(rows.find((r) => r.test?.name === "quiet")!)).toBe(1);
  });

  it("says what and where, relative to the workspace", () => {
    expect(`${attemptText(connect)} at ${attemptPlace(connect, ROOT)}`).toBe("network — socket.connect(('127.0.0.1', 9)) at rules/network.py:7");
    expect(attemptPlace({ ...connect, line: null }, ROOT)).toBe("rules/network.py");
    expect(attemptPlace({ ...connect, file: "rules/network.py" }, ROOT)).toBe("rules/network.py:7");
    expect(attemptPlace({ ...connect, file: null, line: null }, ROOT)).toBeNull();
  });

  it("links to the line in the item owning the file, or in a workspace file; never outside the workspace", () => {
    expect(attemptTarget(connect, ROOT, [rule])).toEqual({ path: rule.code_path, line: 7, itemId: "Sandbox.Network" });
    expect(attemptTarget(connect, ROOT, itemPathIndex([rule]))).toEqual({ path: rule.code_path, line: 7, itemId: "Sandbox.Network" });
    expect(attemptTarget({ ...connect, file: `${ROOT}/global_helpers/h.py` }, ROOT, [rule])).toEqual({ path: `${ROOT}/global_helpers/h.py`, line: 7, itemId: null });
    expect(attemptTarget({ ...connect, file: "/usr/lib/python3.11/socket.py" }, ROOT, [rule])).toBeNull();
    expect(attemptTarget({ ...connect, file: `${ROOT}/../elsewhere.py` }, ROOT, [rule])).toBeNull();
    expect(attemptTarget({ ...connect, file: null }, ROOT, [rule])).toBeNull();
  });

  it("opens failures first, then the rows whose code tried something, up to the limit", () => {
    const rows = resultRows(testReport([tried, detectionResult("B", [testResult("b1", false), testResult("b2", true)])]));
    expect(rowsToOpen(rows, 8).map((r) => r.test?.name)).toEqual(["b1", "cannot connect", "quiet"]);
    expect(rowsToOpen(rows, 2).map((r) => r.test?.name)).toEqual(["b1", "cannot connect"]);
  });
});

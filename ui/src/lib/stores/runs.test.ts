// Test runs: unsaved files saved first, progress, the report and results kept as sent, a
// cancelled run logged as cancelled. The shell is mocked at api.ts, with a fake disk.
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as api from "../api";
import { FakeDisk, RULE } from "../../test/fakeShell";
import { detectionResult, testReport, testResult } from "../../test/fixtures";
import { openWorkbench } from "../../test/workbench";

vi.mock("../api", async (importOriginal) => (await import("../../test/fakeShell")).fakeApi(await importOriginal()));

const mocked = vi.mocked(api);
let disk: FakeDisk;

beforeEach(() => {
  vi.clearAllMocks();
  disk = new FakeDisk(mocked, FakeDisk.ruleFiles());
});

describe("test runs", () => {
  it("saves the detection's unsaved files before running, then records the results", async () => {
    const wb = await openWorkbench();
    await wb.buffers.ensure(RULE.spec_path);
    await wb.buffers.ensure(RULE.code_path!);
    wb.buffers.setText(RULE.code_path!, "def rule(e):\n    return False\n");
    const report = testReport([detectionResult("Rule.A", [testResult("t", false)])], { exit_code: 1 });
    const progress: unknown[] = [];
    mocked.runTests.mockImplementation(async (_ids, _names, onProgress) => {
      expect(disk.text(RULE.code_path!)).toContain("return False");
      onProgress({ done: 1, total: 1, id: "Rule.A" });
      progress.push({ ...wb.runs.current });
      return report;
    });
    const result = await wb.runs.run(["Rule.A"], null, "Rule.A");
    expect(result).toBe(report);
    expect(mocked.runTests).toHaveBeenCalledWith(["Rule.A"], null, expect.any(Function));
    expect(progress).toEqual([{ label: "Rule.A", done: 1, total: 1, current: "Rule.A", cancelling: false }]);
    expect(wb.runs.report).toEqual(report);
    expect(wb.facts.all.get("Rule.A")?.testStatus).toBe("failing");
    expect(wb.layout.panel).toBe("results");
    expect(wb.runs.current).toBeNull();
  });

  it("does not run when a save is refused", async () => {
    const wb = await openWorkbench();
    await wb.buffers.ensure(RULE.spec_path);
    wb.buffers.setText(RULE.spec_path, "mine\n");
    disk.write(RULE.spec_path, "theirs\n", "s5");
    expect(await wb.runs.run(["Rule.A"], null, "Rule.A")).toBeNull();
    expect(mocked.runTests).not.toHaveBeenCalled();
    expect(wb.notices.output.at(-1)?.text).toBe("Run not started: rules/rule_a.yml could not be saved");
  });

  it("starts no second run while one is going", async () => {
    const wb = await openWorkbench();
    let finish: (r: api.TestReport) => void = () => {};
    mocked.runTests.mockImplementationOnce(() => new Promise((resolve) => (finish = resolve)));
    const first = wb.runs.run(null, null, "all tests");
    await vi.waitFor(() => expect(mocked.runTests).toHaveBeenCalledTimes(1));
    expect(await wb.runs.run(["Rule.A"], null, "Rule.A")).toBeNull();
    expect(wb.notices.list.at(-1)?.title).toMatch(/already going/);
    await wb.runs.cancel();
    expect(mocked.cancelRun).toHaveBeenCalled();
    expect(wb.runs.current?.cancelling).toBe(true);
    finish(testReport([], { cancelled: true }));
    await first;
    expect(wb.runs.current).toBeNull();
  });

  it("logs a cancelled run as cancelled, not as finished", async () => {
    const wb = await openWorkbench();
    mocked.runTests.mockResolvedValue(testReport([], { cancelled: true, exit_code: 1, elapsed_ms: 40 }));
    await wb.runs.run(null, null, "all tests");
    const last = wb.notices.output.at(-1)!;
    expect(last.text).toBe("all tests: cancelled after 40 ms (0 passed, 0 failed before the cancel)");
    expect(last.level).toBe("info");
  });

  it("keeps reports and items as the shell sent them (no deep proxies over thousands of results)", async () => {
    const wb = await openWorkbench();
    const report = testReport([detectionResult("Rule.A", [testResult("t", true)])]);
    mocked.runTests.mockResolvedValue(report);
    await wb.runs.run(["Rule.A"], null, "Rule.A");
    expect(wb.runs.report).toBe(report);
    expect(wb.runs.results["Rule.A"]).toBe(report.detections[0]);
    expect(wb.workspace.items[0]).toBe(RULE);
  });
});

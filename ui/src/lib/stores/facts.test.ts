// Per-item facts derived from the workspace, the runs and the git status keep their identity
// unless the item's own inputs change; lookups by ID find the first item, as a scan would.
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as api from "../api";
import { FakeDisk, RULE, VIEW } from "../../test/fakeShell";
import { detectionResult, gitFile, gitStatus, item, testReport, testResult } from "../../test/fixtures";
import { openWorkbench } from "../../test/workbench";

vi.mock("../api", async (importOriginal) => (await import("../../test/fakeShell")).fakeApi(await importOriginal()));

const mocked = vi.mocked(api);

beforeEach(() => {
  vi.clearAllMocks();
  new FakeDisk(mocked, FakeDisk.ruleFiles());
});

describe("item facts", () => {
  it("a run of one detection changes that detection's facts only", async () => {
    const others = Array.from({ length: 50 }, (_, i) =>
      item({ id: `Rule.${i}`, tests: [{ name: "t", expected_result: true, mocks: [], span: { line: 1, col: 1 } }] }),
    );
    const wb = await openWorkbench({ ...VIEW, items: [RULE, ...others] });
    mocked.runTests.mockResolvedValueOnce(testReport(others.map((o) => detectionResult(o.id, [testResult("t", true)]))));
    await wb.runs.run(null, null, "all tests");
    const before = new Map([RULE, ...others].map((i) => [i.id, wb.facts.of(i.id)]));
    expect(before.get("Rule.7")?.testStatus).toBe("passing");
    expect(before.get("Rule.A")?.testStatus).toBe("not_run");

    mocked.runTests.mockResolvedValueOnce(testReport([detectionResult("Rule.A", [testResult("t", false)])], { exit_code: 1 }));
    await wb.runs.run(["Rule.A"], null, "Rule.A");
    expect(wb.facts.of("Rule.A")).toMatchObject({ testStatus: "failing", failing: 1 });
    const same = others.filter((o) => wb.facts.of(o.id) === before.get(o.id));
    expect(same).toHaveLength(others.length);
    expect(wb.facts.all.get("Rule.7")).toBe(before.get("Rule.7"));
  });

  it("a new git status marks items without replacing them", async () => {
    const wb = await openWorkbench();
    const items = wb.workspace.items;
    expect(wb.facts.of("Rule.A")?.git).toBeNull();
    wb.workspace.setGit(gitStatus([gitFile({ path: RULE.rel_path })]));
    expect(wb.workspace.items).toBe(items);
    expect(wb.workspace.git?.files).toHaveLength(1);
    expect(wb.facts.of("Rule.A")?.git).toBe("M");
  });

  it("counts problems of buffers as typed instead of their saved files'", async () => {
    const wb = await openWorkbench();
    await wb.buffers.ensure(RULE.spec_path);
    expect(wb.facts.problemCounts).toEqual({ errors: 0, warnings: 0 });
    mocked.validateBuffer.mockResolvedValueOnce([
      { severity: "error", code: "yaml-syntax", file: RULE.spec_path, rel_path: RULE.rel_path, span: { line: 1, col: 1 }, summary: "bad", message: "", hint: null, pat: true },
    ]);
    await wb.buffers.validate(RULE.spec_path, "RuleID: [\n");
    expect(wb.facts.problemCounts).toEqual({ errors: 1, warnings: 0 });
    expect(wb.facts.of("Rule.A")).toMatchObject({ errors: 1 });
  });

  it("finds items by ID, the first one when two share an ID", async () => {
    const twin = item({ id: "Rule.A", rel_path: "rules/twin.yml" });
    const wb = await openWorkbench({ ...VIEW, items: [RULE, twin] });
    expect(wb.workspace.itemById("Rule.A")).toBe(RULE);
    expect(wb.workspace.itemById("Nope")).toBeUndefined();
  });
});

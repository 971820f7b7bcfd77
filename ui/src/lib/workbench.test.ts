// The workbench's handling of buffers against the shell: saves with stamps and conflicts,
// files changing on disk, test edits, runs and recovery. The shell is mocked at api.ts.
import { beforeEach, describe, expect, it, vi } from "vitest";
import { ShellError } from "./api";
import * as api from "./api";
import type { TestReport, WorkspaceView } from "./contract";
import { Workbench } from "./workbench.svelte";
import { detectionResult, gitFile, gitStatus, item, testReport, testResult } from "../test/fixtures";

vi.mock("./api", async (importOriginal) => {
  const real = await importOriginal<typeof import("./api")>();
  return {
    ...real,
    readFile: vi.fn(),
    saveFile: vi.fn(),
    workspaceView: vi.fn(),
    recoveryList: vi.fn(async () => []),
    recoveryClear: vi.fn(async () => null),
    recoverySave: vi.fn(async () => null),
    editTests: vi.fn(),
    runTests: vi.fn(),
    validateBuffer: vi.fn(async () => []),
  };
});

const mocked = vi.mocked(api);
const rule = item({ id: "Rule.A", tests: [{ name: "t", expected_result: true, mocks: [], span: { line: 5, col: 5 } }] });
const view: WorkspaceView = { root: "/ws", name: "ws", items: [rule], diagnostics: [], git: null };

/** Disk contents by path, with a stamp per version. */
let disk: Record<string, { text: string; stamp: string }>;

async function openWorkbench(): Promise<Workbench> {
  const wb = new Workbench();
  await wb.enter(view);
  wb.stopRecoveryTimer();
  return wb;
}

function conflict(): ShellError {
  return new ShellError({ code: "file.conflict", message: "changed on disk", hint: null, location: { file: rule.spec_path, line: null, column: null } });
}

beforeEach(() => {
  vi.clearAllMocks();
  disk = {
    [rule.spec_path]: { text: "RuleID: Rule.A\n", stamp: "s1" },
    [rule.code_path!]: { text: "def rule(e):\n    return True\n", stamp: "c1" },
  };
  mocked.readFile.mockImplementation(async (path: string) => {
    const f = disk[path];
    if (!f) throw new ShellError({ code: "file.not_found", message: "no such file", hint: null, location: { file: path, line: null, column: null } });
    return { path, ...f };
  });
  mocked.saveFile.mockImplementation(async (path: string, text: string, stamp: string | null) => {
    if (disk[path] && disk[path].stamp !== stamp) throw conflict();
    const next = `${stamp ?? "new"}+`;
    disk[path] = { text, stamp: next };
    return { stamp: next };
  });
  mocked.workspaceView.mockResolvedValue(view);
});

describe("buffers", () => {
  it("opening an item loads its spec and code with their stamps", async () => {
    const wb = await openWorkbench();
    wb.openItem("Rule.A");
    await vi.waitFor(() => expect(wb.buffers[rule.code_path!]?.loaded).toBe(true));
    expect(wb.buffers[rule.spec_path]).toMatchObject({ text: "RuleID: Rule.A\n", stamp: "s1" });
    expect(wb.activeTab).toEqual({ kind: "item", id: "Rule.A" });
    expect(wb.isDirty(rule.spec_path)).toBe(false);
  });

  it("saves with the stamp from read_file, then is clean with the new stamp", async () => {
    const wb = await openWorkbench();
    await wb.ensureBuffer(rule.spec_path);
    wb.setText(rule.spec_path, "RuleID: Rule.B\n");
    expect(wb.isDirty(rule.spec_path)).toBe(true);
    expect(await wb.save(rule.spec_path)).toBe(true);
    expect(mocked.saveFile).toHaveBeenCalledWith(rule.spec_path, "RuleID: Rule.B\n", "s1");
    expect(wb.buffers[rule.spec_path].stamp).toBe("s1+");
    expect(wb.isDirty(rule.spec_path)).toBe(false);
    expect(mocked.recoveryClear).toHaveBeenCalledWith(rule.spec_path);
  });

  it("a refused save keeps the edits, shows the disk version and a clear message", async () => {
    const wb = await openWorkbench();
    await wb.ensureBuffer(rule.spec_path);
    wb.setText(rule.spec_path, "mine\n");
    disk[rule.spec_path] = { text: "theirs\n", stamp: "s9" };
    expect(await wb.save(rule.spec_path)).toBe(false);
    const b = wb.buffers[rule.spec_path];
    expect(b.text).toBe("mine\n");
    expect(b.conflict).toEqual({ reason: "save_refused", diskText: "theirs\n", diskStamp: "s9" });
    expect(wb.notices.at(-1)?.title).toMatch(/Not saved: .* changed on disk/);
    // Keep mine: the next save overwrites the version the user has seen.
    wb.keepMine(rule.spec_path);
    expect(await wb.save(rule.spec_path)).toBe(true);
    expect(disk[rule.spec_path].text).toBe("mine\n");
  });

  it("reload from disk drops the edits", async () => {
    const wb = await openWorkbench();
    await wb.ensureBuffer(rule.spec_path);
    wb.setText(rule.spec_path, "mine\n");
    disk[rule.spec_path] = { text: "theirs\n", stamp: "s9" };
    await wb.save(rule.spec_path);
    const revision = wb.buffers[rule.spec_path].revision;
    wb.reloadFromDisk(rule.spec_path);
    expect(wb.buffers[rule.spec_path]).toMatchObject({ text: "theirs\n", stamp: "s9", conflict: null });
    expect(wb.buffers[rule.spec_path].revision).toBe(revision + 1);
    expect(wb.isDirty(rule.spec_path)).toBe(false);
  });
});

describe("tabs", () => {
  it("going back to the explorer from the git view shows the editor open before it", async () => {
    const helper = item({ id: "Helper", analysis_type: "global" });
    const wb = new Workbench();
    await wb.enter({ ...view, items: [rule, helper] });
    wb.stopRecoveryTimer();
    wb.openItem("Helper");
    wb.openItem("Rule.A");
    wb.activate("item:Helper");
    wb.sidebarOpen = false;
    wb.openGit();
    expect(wb.activeKey).toBe("git");
    wb.showExplorer();
    expect(wb.activeKey).toBe("item:Helper");
    expect(wb.sidebarOpen).toBe(true);
  });

  it("closing the active tab goes back to the one used before", async () => {
    const other = item({ id: "Rule.B" });
    const wb = new Workbench();
    await wb.enter({ ...view, items: [rule, other] });
    wb.stopRecoveryTimer();
    wb.openItem("Rule.A");
    wb.openItem("Rule.B");
    wb.openGit();
    wb.activate("item:Rule.A");
    await wb.closeTab("item:Rule.A");
    expect(wb.activeKey).toBe("git");
    expect(wb.tabs.map((t) => t.kind)).toEqual(["item", "git"]);
  });
});

describe("workspace://changed", () => {
  it("reloads a clean buffer silently", async () => {
    const wb = await openWorkbench();
    await wb.ensureBuffer(rule.spec_path);
    disk[rule.spec_path] = { text: "RuleID: Changed\n", stamp: "s2" };
    await wb.onDiskChanged({ paths: [rule.spec_path], reindexed: true });
    expect(wb.buffers[rule.spec_path]).toMatchObject({ text: "RuleID: Changed\n", stamp: "s2", conflict: null });
    expect(mocked.workspaceView).toHaveBeenCalled();
  });

  it("shows a conflict for a dirty buffer and keeps its text", async () => {
    const wb = await openWorkbench();
    await wb.ensureBuffer(rule.spec_path);
    wb.setText(rule.spec_path, "mine\n");
    disk[rule.spec_path] = { text: "theirs\n", stamp: "s2" };
    await wb.onDiskChanged({ paths: ["rules/rule_a.yml"], reindexed: true });
    expect(wb.buffers[rule.spec_path].text).toBe("mine\n");
    expect(wb.buffers[rule.spec_path].conflict).toEqual({ reason: "changed", diskText: "theirs\n", diskStamp: "s2" });
  });

  it("takes our own save's event quietly (only the stamp moves)", async () => {
    const wb = await openWorkbench();
    await wb.ensureBuffer(rule.spec_path);
    wb.setText(rule.spec_path, "saved\n");
    await wb.save(rule.spec_path);
    wb.setText(rule.spec_path, "saved\nand typing\n");
    await wb.onDiskChanged({ paths: [rule.spec_path], reindexed: false });
    expect(wb.buffers[rule.spec_path].conflict).toBeNull();
    expect(wb.buffers[rule.spec_path].text).toBe("saved\nand typing\n");
  });

  it("marks a deleted file", async () => {
    const wb = await openWorkbench();
    await wb.ensureBuffer(rule.spec_path);
    delete disk[rule.spec_path];
    await wb.onDiskChanged({ paths: [rule.spec_path], reindexed: true });
    expect(wb.buffers[rule.spec_path].conflict?.reason).toBe("deleted");
  });

  it("leaves buffers of other files alone", async () => {
    const wb = await openWorkbench();
    await wb.ensureBuffer(rule.spec_path);
    mocked.readFile.mockClear();
    await wb.onDiskChanged({ paths: ["/ws/other.yml"], reindexed: true });
    expect(mocked.readFile).not.toHaveBeenCalled();
  });
});

describe("tests", () => {
  it("applies test edits one after another into the spec buffer", async () => {
    const wb = await openWorkbench();
    await wb.ensureBuffer(rule.spec_path);
    mocked.editTests.mockImplementation(async (text, edit) => ({ text: `${text}# ${edit.kind}\n` }));
    const ok = await wb.editTests(rule.spec_path, [
      { kind: "rename", index: 0, name: "x" },
      { kind: "set_expected", index: 0, expected: false },
    ]);
    expect(ok).toBe(true);
    expect(wb.buffers[rule.spec_path].text).toBe("RuleID: Rule.A\n# rename\n# set_expected\n");
    expect(wb.isDirty(rule.spec_path)).toBe(true);
  });

  it("saves the detection's unsaved files before running, then records the results", async () => {
    const wb = await openWorkbench();
    await wb.ensureBuffer(rule.spec_path);
    await wb.ensureBuffer(rule.code_path!);
    wb.setText(rule.code_path!, "def rule(e):\n    return False\n");
    const report: TestReport = testReport([detectionResult("Rule.A", [testResult("t", false)])], { exit_code: 1 });
    mocked.runTests.mockImplementation(async (_ids, _names, onProgress) => {
      expect(disk[rule.code_path!].text).toContain("return False");
      onProgress({ done: 1, total: 1, id: "Rule.A" });
      return report;
    });
    const result = await wb.runTests(["Rule.A"], null, "Rule.A");
    expect(result).toBe(report);
    expect(mocked.runTests).toHaveBeenCalledWith(["Rule.A"], null, expect.any(Function));
    expect(wb.report).toEqual(report);
    expect(wb.facts.get("Rule.A")?.testStatus).toBe("failing");
    expect(wb.panel).toBe("results");
    expect(wb.run).toBeNull();
  });

  it("logs a cancelled run as cancelled, not as finished", async () => {
    const wb = await openWorkbench();
    mocked.runTests.mockResolvedValue(testReport([], { cancelled: true, exit_code: 1, elapsed_ms: 40 }));
    await wb.runTests(null, null, "all tests");
    const last = wb.output.at(-1)!;
    expect(last.text).toBe("all tests: cancelled after 40 ms (0 passed, 0 failed before the cancel)");
    expect(last.level).toBe("info");
  });

  it("keeps reports and items as the shell sent them (no deep proxies over thousands of results)", async () => {
    const wb = await openWorkbench();
    const report: TestReport = testReport([detectionResult("Rule.A", [testResult("t", true)])], { exit_code: 0 });
    mocked.runTests.mockResolvedValue(report);
    await wb.runTests(["Rule.A"], null, "Rule.A");
    expect(wb.report).toBe(report);
    expect(wb.results["Rule.A"]).toBe(report.detections[0]);
    expect(wb.items[0]).toBe(rule);
  });

  it("a run of one detection changes that detection's facts only", async () => {
    const others = Array.from({ length: 50 }, (_, i) =>
      item({ id: `Rule.${i}`, tests: [{ name: "t", expected_result: true, mocks: [], span: { line: 1, col: 1 } }] }),
    );
    const wb = new Workbench();
    await wb.enter({ ...view, items: [rule, ...others] });
    wb.stopRecoveryTimer();
    mocked.runTests.mockResolvedValueOnce(testReport(others.map((o) => detectionResult(o.id, [testResult("t", true)]))));
    await wb.runTests(null, null, "all tests");
    const before = new Map([rule, ...others].map((i) => [i.id, wb.factsOf(i.id)]));
    expect(before.get("Rule.7")?.testStatus).toBe("passing");
    expect(before.get("Rule.A")?.testStatus).toBe("not_run");

    mocked.runTests.mockResolvedValueOnce(testReport([detectionResult("Rule.A", [testResult("t", false)])], { exit_code: 1 }));
    await wb.runTests(["Rule.A"], null, "Rule.A");
    expect(wb.factsOf("Rule.A")).toMatchObject({ testStatus: "failing", failing: 1 });
    const same = others.filter((o) => wb.factsOf(o.id) === before.get(o.id));
    expect(same).toHaveLength(others.length);
    expect(wb.facts.get("Rule.7")).toBe(before.get("Rule.7"));
  });

  it("a new git status marks items without replacing them", async () => {
    const wb = await openWorkbench();
    const items = wb.items;
    expect(wb.factsOf("Rule.A")?.git).toBeNull();
    wb.setGit(gitStatus([gitFile({ path: rule.rel_path })]));
    expect(wb.items).toBe(items);
    expect(wb.git?.files).toHaveLength(1);
    expect(wb.factsOf("Rule.A")?.git).toBe("M");
  });

  it("finds items by ID, the first one when two share an ID", async () => {
    const twin = item({ id: "Rule.A", rel_path: "rules/twin.yml" });
    const wb = new Workbench();
    await wb.enter({ ...view, items: [rule, twin] });
    wb.stopRecoveryTimer();
    expect(wb.itemById("Rule.A")).toBe(rule);
    expect(wb.itemById("Nope")).toBeUndefined();
  });

  it("does not run when a save is refused", async () => {
    const wb = await openWorkbench();
    await wb.ensureBuffer(rule.spec_path);
    wb.setText(rule.spec_path, "mine\n");
    disk[rule.spec_path] = { text: "theirs\n", stamp: "s5" };
    expect(await wb.runTests(["Rule.A"], null, "Rule.A")).toBeNull();
    expect(mocked.runTests).not.toHaveBeenCalled();
  });
});

describe("recovery", () => {
  it("sends each changed unsaved buffer once", async () => {
    const wb = await openWorkbench();
    await wb.ensureBuffer(rule.spec_path);
    wb.setText(rule.spec_path, "unsaved\n");
    await wb.saveRecovery();
    await wb.saveRecovery();
    expect(mocked.recoverySave).toHaveBeenCalledTimes(1);
    expect(mocked.recoverySave).toHaveBeenCalledWith(rule.spec_path, "unsaved\n");
  });

  it("offers recovered buffers of this workspace and restores one as unsaved text", async () => {
    mocked.recoveryList.mockResolvedValueOnce([
      { path: rule.spec_path, text: "recovered\n", saved_at: "2024-05-01T10:00:00Z" },
      { path: "/elsewhere/x.yml", text: "other\n", saved_at: "2024-05-01T10:00:00Z" },
    ]);
    const wb = await openWorkbench();
    expect(wb.recovered.map((r) => r.path)).toEqual([rule.spec_path]);
    await wb.restoreRecovered(wb.recovered[0]);
    expect(wb.buffers[rule.spec_path].text).toBe("recovered\n");
    expect(wb.isDirty(rule.spec_path)).toBe(true);
    expect(wb.recovered).toEqual([]);
  });
});

describe("resume at start", () => {
  it("enters the workspace the shell opened from the command line", async () => {
    mocked.workspaceView.mockResolvedValue(view);
    const wb = new Workbench();
    await wb.resume();
    expect(wb.workspace?.root).toBe("/ws");
    expect(wb.workspace?.items.map((i) => i.id)).toEqual(["Rule.A"]);
  });

  it("stays on the start screen when the shell has nothing open", async () => {
    mocked.workspaceView.mockResolvedValue(null);
    const wb = new Workbench();
    await wb.resume();
    expect(wb.workspace).toBeNull();
  });
});

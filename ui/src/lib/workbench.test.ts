// The flows that span stores: entering and leaving a workspace, files changed on disk, restoring
// a recovered buffer, resuming the workspace the shell has open. The shell is mocked at api.ts,
// with a fake disk.
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as api from "./api";
import { Workbench } from "./workbench.svelte";
import { FakeDisk, RULE, VIEW } from "../test/fakeShell";
import { detectionResult, testReport, testResult } from "../test/fixtures";
import { openWorkbench } from "../test/workbench";

vi.mock("./api", async (importOriginal) => (await import("../test/fakeShell")).fakeApi(await importOriginal()));

const mocked = vi.mocked(api);
const spec = RULE.spec_path;
let disk: FakeDisk;

beforeEach(() => {
  vi.clearAllMocks();
  disk = new FakeDisk(mocked, FakeDisk.ruleFiles());
  mocked.workspaceView.mockResolvedValue(VIEW);
});

describe("workspace://changed", () => {
  it("re-reads the workspace and reloads a clean buffer silently", async () => {
    const wb = await openWorkbench();
    await wb.buffers.ensure(spec);
    disk.write(spec, "RuleID: Changed\n", "s2");
    await wb.onDiskChanged({ paths: [spec], reindexed: true });
    expect(wb.buffers.get(spec)).toMatchObject({ text: "RuleID: Changed\n", stamp: "s2", conflict: null });
    expect(mocked.workspaceView).toHaveBeenCalled();
  });

  it("shows a conflict for a dirty buffer and keeps its text", async () => {
    const wb = await openWorkbench();
    await wb.buffers.ensure(spec);
    wb.buffers.setText(spec, "mine\n");
    disk.write(spec, "theirs\n", "s2");
    await wb.onDiskChanged({ paths: ["rules/rule_a.yml"], reindexed: true });
    expect(wb.buffers.get(spec)?.text).toBe("mine\n");
    expect(wb.buffers.get(spec)?.conflict).toEqual({ reason: "changed", diskText: "theirs\n", diskStamp: "s2" });
  });

  it("takes our own save's event quietly (only the stamp moves)", async () => {
    const wb = await openWorkbench();
    await wb.buffers.ensure(spec);
    wb.buffers.setText(spec, "saved\n");
    await wb.buffers.save(spec);
    wb.buffers.setText(spec, "saved\nand typing\n");
    await wb.onDiskChanged({ paths: [spec], reindexed: false });
    expect(wb.buffers.get(spec)?.conflict).toBeNull();
    expect(wb.buffers.get(spec)?.text).toBe("saved\nand typing\n");
  });

  it("marks a deleted file (read_file's file.not_found)", async () => {
    const wb = await openWorkbench();
    await wb.buffers.ensure(spec);
    disk.remove(spec);
    await wb.onDiskChanged({ paths: [spec], reindexed: true });
    expect(wb.buffers.get(spec)?.conflict?.reason).toBe("deleted");
  });

  it("leaves buffers of other files alone", async () => {
    const wb = await openWorkbench();
    await wb.buffers.ensure(spec);
    mocked.readFile.mockClear();
    await wb.onDiskChanged({ paths: ["/ws/other.yml"], reindexed: true });
    expect(mocked.readFile).not.toHaveBeenCalled();
  });

  it("goes back to the start screen when the shell has no workspace open any more", async () => {
    const wb = await openWorkbench();
    wb.tabs.openItem("Rule.A");
    mocked.workspaceView.mockResolvedValue(null);
    await wb.onDiskChanged({ paths: [], reindexed: true });
    expect(wb.workspace.view).toBeNull();
    expect(wb.tabs.open).toEqual([]);
  });
});

describe("entering and leaving", () => {
  it("entering another workspace forgets the last one's buffers, tabs and results", async () => {
    const wb = await openWorkbench();
    wb.tabs.openItem("Rule.A");
    await vi.waitFor(() => expect(wb.buffers.get(spec)?.loaded).toBe(true));
    mocked.runTests.mockResolvedValue(testReport([detectionResult("Rule.A", [testResult("t", true)])]));
    await wb.runs.run(["Rule.A"], null, "Rule.A");
    await wb.enter({ ...VIEW, name: "other" });
    wb.buffers.stopRecoveryCopies();
    expect(wb.workspace.name).toBe("other");
    expect(wb.buffers.get(spec)).toBeUndefined();
    expect(wb.tabs.open).toEqual([]);
    expect(wb.runs.report).toBeNull();
    expect(wb.runs.results).toEqual({});
  });

  it("closing with unsaved changes asks first", async () => {
    const wb = await openWorkbench();
    await wb.buffers.ensure(spec);
    wb.buffers.setText(spec, "unsaved\n");
    const closing = wb.close();
    expect(wb.notices.confirmRequest?.title).toBe("Close the workspace?");
    wb.notices.confirmRequest!.resolve(true);
    await closing;
    expect(wb.workspace.view).toBeNull();
  });
});

describe("recovered buffers", () => {
  it("offers recovered buffers of this workspace and restores one as unsaved text", async () => {
    mocked.recoveryList.mockResolvedValueOnce([
      { path: spec, text: "recovered\n", saved_at: 1714557600 },
      { path: "/elsewhere/x.yml", text: "other\n", saved_at: 1714557600 },
    ]);
    const wb = await openWorkbench();
    expect(wb.recovery.offers.map((r) => r.path)).toEqual([spec]);
    await wb.restoreRecovered(wb.recovery.offers[0]);
    expect(wb.tabs.active).toEqual({ kind: "item", id: "Rule.A" });
    expect(wb.buffers.get(spec)?.text).toBe("recovered\n");
    expect(wb.buffers.isDirty(spec)).toBe(true);
    expect(wb.recovery.offers).toEqual([]);
  });

  it("restores a file that is gone as a new file (saved with stamp null)", async () => {
    disk.remove(spec);
    mocked.recoveryList.mockResolvedValueOnce([{ path: spec, text: "recovered\n", saved_at: 1714557600 }]);
    const wb = await openWorkbench();
    await wb.restoreRecovered(wb.recovery.offers[0]);
    expect(wb.buffers.get(spec)).toMatchObject({ text: "recovered\n", loadError: null, stamp: null });
    expect(await wb.buffers.save(spec)).toBe(true);
    expect(mocked.saveFile).toHaveBeenCalledWith(spec, "recovered\n", null);
  });
});

describe("at start", () => {
  it("enters the workspace the shell opened from the command line", async () => {
    const wb = new Workbench();
    await wb.resume();
    wb.buffers.stopRecoveryCopies();
    expect(wb.workspace.view?.root).toBe("/ws");
    expect(wb.workspace.items.map((i) => i.id)).toEqual(["Rule.A"]);
  });

  it("stays on the start screen when the shell has nothing open", async () => {
    mocked.workspaceView.mockResolvedValue(null);
    const wb = new Workbench();
    await wb.resume();
    expect(wb.workspace.view).toBeNull();
  });

  it("follows workspace://changed until stopped", async () => {
    const unlisten = vi.fn();
    let handler: ((change: api.WorkspaceChanged) => void) | null = null;
    mocked.onWorkspaceChanged.mockImplementationOnce(async (h) => {
      handler = h;
      return unlisten;
    });
    const wb = new Workbench();
    const stop = wb.start();
    await vi.waitFor(() => expect(wb.workspace.view).not.toBeNull());
    wb.buffers.stopRecoveryCopies();
    await wb.buffers.ensure(spec);
    disk.write(spec, "RuleID: Outside\n", "s3");
    handler!({ paths: [spec], reindexed: true });
    await vi.waitFor(() => expect(wb.buffers.get(spec)?.text).toBe("RuleID: Outside\n"));
    stop();
    expect(unlisten).toHaveBeenCalled();
  });
});

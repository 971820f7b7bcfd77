// The start screen's store: recent workspaces, the ways in, a failed attempt's error kept with
// its code until the next attempt, clone progress only while cloning.
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as api from "../api";
import type { CloneProgress } from "../contract";
import { Workbench } from "../workbench.svelte";
import { VIEW } from "../../test/fakeShell";

vi.mock("../api", async (importOriginal) => (await import("../../test/fakeShell")).fakeApi(await importOriginal()));

const mocked = vi.mocked(api);

beforeEach(() => {
  vi.clearAllMocks();
});

describe("the launcher", () => {
  it("reads the recent workspaces and how many unsaved buffers were kept", async () => {
    mocked.recentWorkspaces.mockResolvedValue(["/a", "/b"]);
    mocked.recoveryList.mockResolvedValue([{ path: "/a/x.yml", text: "", saved_at: 1714557600 }]);
    const wb = new Workbench();
    await wb.launcher.load();
    expect(wb.launcher.recent).toEqual(["/a", "/b"]);
    expect(wb.launcher.recoveredCount).toBe(1);
  });

  it("opening a folder enters the workspace the shell opened", async () => {
    mocked.openWorkspace.mockResolvedValue(VIEW);
    const wb = new Workbench();
    await wb.launcher.openFolder("  /ws  ");
    wb.buffers.stopRecoveryCopies();
    expect(mocked.openWorkspace).toHaveBeenCalledWith("/ws");
    expect(wb.workspace.view).toBe(VIEW);
    expect(wb.launcher.busy).toBeNull();
  });

  it("keeps a failed attempt's error with its code and hint, until the next attempt", async () => {
    mocked.openWorkspace.mockRejectedValueOnce({ code: "workspace.not_found", message: "no such folder", hint: "check the path", location: null });
    const wb = new Workbench();
    await wb.launcher.openFolder("/nope");
    expect(wb.launcher.error).toMatchObject({ code: "workspace.not_found", message: "no such folder", hint: "check the path" });
    expect(wb.workspace.view).toBeNull();
    mocked.openDemo.mockResolvedValue(VIEW);
    await wb.launcher.openDemo();
    wb.buffers.stopRecoveryCopies();
    expect(wb.launcher.error).toBeNull();
    expect(wb.workspace.view).toBe(VIEW);
  });

  it("shows clone progress while cloning, and none after", async () => {
    const seen: (CloneProgress | null)[] = [];
    const wb = new Workbench();
    mocked.cloneWorkspace.mockImplementation(async (_url, _dest, onProgress) => {
      onProgress({ received_objects: 5, total_objects: 10, indexed_objects: 2, received_bytes: 1024 });
      seen.push(wb.launcher.progress);
      expect(wb.launcher.busy).toBe("clone");
      return { view: VIEW, warnings: [] };
    });
    await wb.launcher.clone("https://example.invalid/fork.git", "/tmp/fork");
    wb.buffers.stopRecoveryCopies();
    expect(mocked.cloneWorkspace).toHaveBeenCalledWith("https://example.invalid/fork.git", "/tmp/fork", expect.any(Function));
    expect(seen).toEqual([{ received_objects: 5, total_objects: 10, indexed_objects: 2, received_bytes: 1024 }]);
    expect(wb.launcher.progress).toBeNull();
    expect(wb.workspace.view).toBe(VIEW);
  });

  it("shows a clone's warnings and still enters the workspace", async () => {
    const warning = "`http://example.invalid/fork.git` is plain http://: the repository travels unencrypted";
    mocked.cloneWorkspace.mockResolvedValue({ view: VIEW, warnings: [warning] });
    const wb = new Workbench();
    await wb.launcher.clone("http://example.invalid/fork.git", "/tmp/fork");
    wb.buffers.stopRecoveryCopies();
    expect(wb.workspace.view).toBe(VIEW);
    expect(wb.notices.list.map((n) => n.title)).toContain(warning);
    expect(wb.notices.output.map((l) => l.text)).toContain(`Clone: ${warning}`);
  });
});

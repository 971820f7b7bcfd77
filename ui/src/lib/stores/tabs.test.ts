// Editor tabs: opening items and files with their buffers, going back, closing with unsaved
// changes. The shell is mocked at api.ts, with a fake disk.
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as api from "../api";
import { FakeDisk, RULE, VIEW } from "../../test/fakeShell";
import { item } from "../../test/fixtures";
import { openWorkbench } from "../../test/workbench";

vi.mock("../api", async (importOriginal) => (await import("../../test/fakeShell")).fakeApi(await importOriginal()));

const mocked = vi.mocked(api);

beforeEach(() => {
  vi.clearAllMocks();
  new FakeDisk(mocked, FakeDisk.ruleFiles());
});

describe("tabs", () => {
  it("opening an item loads its spec and code with their stamps", async () => {
    const wb = await openWorkbench();
    wb.tabs.openItem("Rule.A");
    await vi.waitFor(() => expect(wb.buffers.get(RULE.code_path!)?.loaded).toBe(true));
    expect(wb.buffers.get(RULE.spec_path)).toMatchObject({ text: "RuleID: Rule.A\n", stamp: "s1" });
    expect(wb.tabs.active).toEqual({ kind: "item", id: "Rule.A" });
    expect(wb.tabs.recentIds).toEqual(["Rule.A"]);
    expect(wb.buffers.isDirty(RULE.spec_path)).toBe(false);
  });

  it("a traceback's file opens the item owning it, at the line", async () => {
    const wb = await openWorkbench();
    wb.tabs.openFile(RULE.code_path!, 2);
    expect(wb.tabs.active).toEqual({ kind: "item", id: "Rule.A" });
    await vi.waitFor(() => expect(wb.buffers.get(RULE.code_path!)?.jump).toMatchObject({ line: 2, col: 1 }));
  });

  it("going back to the explorer from the git view shows the editor open before it", async () => {
    const helper = item({ id: "Helper", analysis_type: "global" });
    const wb = await openWorkbench({ ...VIEW, items: [RULE, helper] });
    wb.tabs.openItem("Helper");
    wb.tabs.openItem("Rule.A");
    wb.tabs.activate("item:Helper");
    wb.layout.sidebarOpen = false;
    wb.tabs.openGit();
    expect(wb.tabs.activeKey).toBe("git");
    wb.tabs.showExplorer();
    expect(wb.tabs.activeKey).toBe("item:Helper");
    expect(wb.layout.sidebarOpen).toBe(true);
  });

  it("going back to the explorer from the environment view skips the git view too", async () => {
    const wb = await openWorkbench();
    wb.tabs.openItem("Rule.A");
    wb.tabs.openGit();
    wb.tabs.openEnvironment();
    expect(wb.tabs.active).toEqual({ kind: "environment" });
    wb.tabs.showExplorer();
    expect(wb.tabs.activeKey).toBe("item:Rule.A");
  });

  it("the Audit view is a view tab: opened once, and the explorer goes back past it", async () => {
    const wb = await openWorkbench();
    wb.tabs.openItem("Rule.A");
    wb.tabs.openAudit();
    wb.tabs.openGit();
    wb.tabs.openAudit();
    expect(wb.tabs.open.filter((t) => t.kind === "audit")).toHaveLength(1);
    expect(wb.tabs.activeKey).toBe("audit");
    wb.tabs.showExplorer();
    expect(wb.tabs.activeKey).toBe("item:Rule.A");
  });

  it("closing the active tab goes back to the one used before", async () => {
    const other = item({ id: "Rule.B" });
    const wb = await openWorkbench({ ...VIEW, items: [RULE, other] });
    wb.tabs.openItem("Rule.A");
    wb.tabs.openItem("Rule.B");
    wb.tabs.openGit();
    wb.tabs.activate("item:Rule.A");
    await wb.tabs.close("item:Rule.A");
    expect(wb.tabs.activeKey).toBe("git");
    expect(wb.tabs.open.map((t) => t.kind)).toEqual(["item", "git"]);
  });

  it("closing a tab with unsaved changes asks, and keeps the tab when the user says no", async () => {
    const wb = await openWorkbench();
    wb.tabs.openItem("Rule.A");
    await vi.waitFor(() => expect(wb.buffers.get(RULE.spec_path)?.loaded).toBe(true));
    wb.buffers.setText(RULE.spec_path, "unsaved\n");
    const closing = wb.tabs.close("item:Rule.A");
    expect(wb.notices.confirmRequest?.title).toBe("Close with unsaved changes?");
    wb.notices.confirmRequest!.resolve(false);
    await closing;
    expect(wb.tabs.open).toHaveLength(1);
    const again = wb.tabs.close("item:Rule.A");
    wb.notices.confirmRequest!.resolve(true);
    await again;
    expect(wb.tabs.open).toHaveLength(0);
    expect(wb.buffers.get(RULE.spec_path)).toBeUndefined();
    expect(mocked.recoveryClear).toHaveBeenCalledWith(RULE.spec_path);
  });
});

// The Environment view, its approval dialog, the status bar's item and the run error's set-up
// action, mounted in jsdom on a Workbench whose shell is mocked at api.ts.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { flushSync, type Component } from "svelte";
import * as api from "../../lib/api";
import type { EnvSyncOutcome } from "../../lib/contract";
import EnvApprovalDialog from "../EnvApprovalDialog.svelte";
import EnvironmentView from "../EnvironmentView.svelte";
import Notifications from "../Notifications.svelte";
import StatusBar from "../StatusBar.svelte";
import type { Workbench } from "../../lib/workbench.svelte";
import { VIEW } from "../../test/fakeShell";
import { approval, envView, installedPackage, manifest, missingEnvView } from "../../test/fixtures";
import { render, type Mounted } from "../../test/mount";
import { openWorkbench } from "../../test/workbench";

vi.mock("../../lib/api", async (importOriginal) => (await import("../../test/fakeShell")).fakeApi(await importOriginal()));

const mocked = vi.mocked(api);
const IMG = "<img src=x onerror=alert(1)>";
const mounted: Mounted[] = [];

function show<P extends Record<string, unknown>>(component: Component<P>, wb: Workbench, props: P): HTMLElement {
  const m = render(component, props, wb);
  mounted.push(m);
  return m.target;
}

const byTestId = (t: HTMLElement, id: string) => t.querySelector<HTMLElement>(`[data-testid="${id}"]`);
const allByTestId = (t: HTMLElement, id: string) => [...t.querySelectorAll<HTMLElement>(`[data-testid="${id}"]`)];

async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 0));
  flushSync();
}

beforeEach(() => {
  vi.clearAllMocks();
  mocked.workspaceView.mockResolvedValue(VIEW);
});

afterEach(() => {
  for (const m of mounted.splice(0)) m.destroy();
});

describe("the Environment view", () => {
  it("shows the status, where it is, when it was synced and each package with why it is there", async () => {
    mocked.environmentView.mockResolvedValueOnce(
      envView({
        manifest: manifest({
          packages: [
            installedPackage("panther-core", "0.16.2"),
            installedPackage("requests", "2.32.3", { reason: { kind: "asked", origin: { file: "Pipfile", line: 23 } } }),
            installedPackage("urllib3", "2.2.3", { reason: { kind: "dependency", of: ["requests", "typer"] } }),
            installedPackage("leftpad", "1.0", { built_from_source: true, reason: { kind: "asked", origin: { file: "Pipfile", line: 24 } } }),
          ],
          left_out: [{ name: "panther-analysis-tool", origin: { file: "Pipfile", line: 30 }, why: "a dev tool Prowl replaces" }],
          notes: ["the lock's pin of requests was stale"],
        }),
      }),
    );
    const wb = await openWorkbench();
    const t = show(EnvironmentView, wb, {});
    expect(byTestId(t, "env-status")?.textContent).toBe("ready");
    expect(t.textContent).toContain("/cache/prowl/envs/ws-0123");
    expect(t.textContent).toContain("/opt/prowl/python3.11");
    expect(byTestId(t, "env-synced")?.textContent).toMatch(/with uv 0\.13\.9, for Python 3\.11,\s+from Pipfile/);
    const rows = allByTestId(t, "env-package-row") as HTMLTableRowElement[];
    expect(rows.map((r) => r.dataset.name)).toEqual(["panther-core", "requests", "urllib3", "leftpad"]);
    const why = rows.map((r) => r.cells[2].textContent?.replace(/\s+/g, " ").trim());
    expect(why).toEqual(["Prowl's runtime", "asked at Pipfile:23", "needed by requests, typer", "asked at Pipfile:24"]);
    expect(rows[3].textContent).toContain("built from source");
    expect(rows[0].textContent).not.toContain("built from source");
    expect(byTestId(t, "env-left-out")?.textContent).toContain("Pipfile:30");
    expect(byTestId(t, "env-left-out")?.textContent).toContain("a dev tool Prowl replaces");
    expect(t.textContent).toContain("the lock's pin of requests was stale");
  });

  it("a requirement's place opens the file at its line", async () => {
    const wb = await openWorkbench();
    const open = vi.spyOn(wb.tabs, "openFile").mockImplementation(() => {});
    const t = show(EnvironmentView, wb, {});
    const link = [...t.querySelectorAll<HTMLButtonElement>("button.link")].find((b) => b.textContent === "Pipfile:23")!;
    link.click();
    expect(open).toHaveBeenCalledWith("Pipfile", 23);
  });

  it("shows a missing environment's problem with its hint, and Sync starts the approval round", async () => {
    mocked.environmentView.mockResolvedValueOnce(missingEnvView());
    const wb = await openWorkbench();
    const t = show(EnvironmentView, wb, {});
    expect(byTestId(t, "env-status")?.textContent).toBe("missing");
    expect(byTestId(t, "env-problem")?.textContent).toContain("the Python environment for /ws is missing");
    expect(byTestId(t, "env-problem")?.textContent).toContain("hint: run `prowl env sync /ws` once");
    expect(byTestId(t, "env-problem")?.textContent).toContain("Sync installs what the workspace needs.");
    expect(allByTestId(t, "env-package-row")).toHaveLength(0);
    mocked.syncEnvironment.mockResolvedValueOnce({ kind: "needs_approval", approval: approval() });
    byTestId(t, "env-sync")!.click();
    await settle();
    expect(mocked.syncEnvironment).toHaveBeenCalledWith(null, null, expect.any(Function));
    expect(wb.environment.pending).not.toBeNull();
    expect((byTestId(t, "env-sync") as HTMLButtonElement).disabled).toBe(true);
  });

  it("shows the progress lines and Cancel while syncing; Cancel asks the shell to stop", async () => {
    const wb = await openWorkbench();
    const t = show(EnvironmentView, wb, {});
    let line: (text: string) => void = () => {};
    let fail: (e: unknown) => void = () => {};
    mocked.syncEnvironment.mockImplementationOnce(async (_a, _b, onProgress) => {
      line = onProgress;
      return new Promise<EnvSyncOutcome>((_resolve, reject) => (fail = reject));
    });
    void wb.environment.sync();
    await settle();
    line("creating the environment");
    line("Resolved 27 packages in 441ms");
    flushSync();
    expect(byTestId(t, "env-progress")).not.toBeNull();
    expect(allByTestId(t, "env-progress-line").map((l) => l.textContent)).toEqual(["creating the environment", "Resolved 27 packages in 441ms"]);
    expect(byTestId(t, "env-sync")).toBeNull();
    byTestId(t, "env-cancel")!.click();
    await settle();
    expect(mocked.cancelEnvironmentSync).toHaveBeenCalledTimes(1);
    expect(byTestId(t, "env-cancel")?.textContent).toContain("Cancelling");
    fail({ code: "env.cancelled", message: "cancelled", hint: null, location: null });
    await settle();
    expect(byTestId(t, "env-cancel")).toBeNull();
    expect(byTestId(t, "env-sync")).not.toBeNull();
    expect(byTestId(t, "env-error")).toBeNull();
  });

  it("says how many earlier progress lines it no longer shows", async () => {
    const wb = await openWorkbench();
    const t = show(EnvironmentView, wb, {});
    mocked.syncEnvironment.mockImplementationOnce(async (_a, _b, onProgress) => {
      for (let i = 0; i < 305; i++) onProgress(`Downloading ${i}`);
      return { kind: "synced", environment: envView() };
    });
    await wb.environment.sync();
    flushSync();
    expect(allByTestId(t, "env-progress-line")).toHaveLength(300);
    expect(byTestId(t, "env-progress")?.textContent).toContain("5 earlier line(s) not shown");
  });

  it("after env.source_build offers Allow building <package>, which syncs again allowing it", async () => {
    const wb = await openWorkbench();
    const t = show(EnvironmentView, wb, {});
    mocked.syncEnvironment.mockRejectedValueOnce({
      code: "env.source_build",
      message: "`leftpad` is published only as source code, and building it would run its setup code (asked for at Pipfile:7)",
      hint: "if you trust it, allow it by name: `prowl env sync --allow-build leftpad` (or PROWL_ALLOW_BUILD=leftpad)",
      location: { file: "Pipfile", line: 7, column: null },
    });
    await wb.environment.sync();
    flushSync();
    const error = byTestId(t, "env-error")!;
    expect(error.dataset.code).toBe("env.source_build");
    expect(error.textContent).toContain("Pipfile:7");
    const allow = byTestId(t, "env-allow-build")!;
    expect(allow.textContent?.trim()).toBe("Allow building leftpad");
    mocked.syncEnvironment.mockResolvedValueOnce({ kind: "synced", environment: envView() });
    allow.click();
    await settle();
    expect(mocked.syncEnvironment).toHaveBeenLastCalledWith(null, ["leftpad"], expect.any(Function));
    expect(byTestId(t, "env-error")).toBeNull();
  });

  it("renders hostile names, reasons, notes and problems as text", async () => {
    mocked.environmentView.mockResolvedValueOnce(
      envView({
        status: "broken",
        problem: { code: "env.broken", message: IMG, hint: IMG, location: { file: IMG, line: 1, column: null } },
        manifest: manifest({
          installer: IMG,
          packages: [installedPackage(IMG, IMG, { reason: { kind: "dependency", of: [IMG] } })],
          left_out: [{ name: IMG, origin: { file: IMG, line: 2 }, why: IMG }],
          notes: [IMG],
        }),
      }),
    );
    const wb = await openWorkbench();
    const t = show(EnvironmentView, wb, {});
    expect(t.querySelector("img")).toBeNull();
    expect(allByTestId(t, "env-package-row")[0].textContent).toContain(IMG);
    expect(byTestId(t, "env-problem")?.textContent).toContain(IMG);
  });
});

describe("the approval dialog", () => {
  async function pendingWorkbench(): Promise<Workbench> {
    const wb = await openWorkbench();
    mocked.syncEnvironment.mockResolvedValueOnce({
      kind: "needs_approval",
      approval: approval({
        packages: [
          { name: "panther-core", version: "0.16.2", from_source: false },
          { name: "requests", version: "2.32.3", from_source: false },
          { name: "leftpad", version: "1.0", from_source: true },
        ],
        asked: [
          ["requests", { file: "Pipfile", line: 23 }],
          ["leftpad", { file: "Pipfile", line: 24 }],
        ],
      }),
    });
    await wb.environment.sync();
    return wb;
  }

  function dialog(wb: Workbench): HTMLElement {
    return show(EnvApprovalDialog, wb, {
      pending: wb.environment.pending!,
      onapprove: () => void wb.environment.approve(),
      ondecline: () => wb.environment.decline(),
    });
  }

  it("lists what the workspace asks for and exactly what will be installed", async () => {
    const t = dialog(await pendingWorkbench());
    const box = byTestId(t, "env-approval")!;
    expect(box.textContent?.replace(/\s+/g, " ")).toContain(
      "This workspace asks for 2 packages. Installing it means installing exactly these 3 packages:",
    );
    expect(byTestId(t, "env-approval-asked")?.textContent?.replace(/\s+/g, " ")).toContain("requests Pipfile:23");
    const packages = allByTestId(t, "env-approval-package");
    expect(packages.map((p) => p.textContent?.replace(/\s+/g, " ").trim())).toEqual([
      "panther-core==0.16.2",
      "requests==2.32.3",
      "leftpad==1.0 built from source",
    ]);
    expect(document.activeElement).toBe(byTestId(t, "env-decline"));
  });

  it("Approve sends the list back as shown", async () => {
    const wb = await pendingWorkbench();
    const t = dialog(wb);
    mocked.syncEnvironment.mockResolvedValueOnce({ kind: "synced", environment: envView() });
    byTestId(t, "env-approve")!.click();
    await settle();
    expect(mocked.syncEnvironment).toHaveBeenLastCalledWith(["panther-core==0.16.2", "requests==2.32.3", "leftpad==1.0"], null, expect.any(Function));
    expect(wb.environment.pending).toBeNull();
  });

  it("Cancel and Escape install nothing", async () => {
    const wb = await pendingWorkbench();
    const t = dialog(wb);
    byTestId(t, "env-decline")!.click();
    expect(wb.environment.pending).toBeNull();
    expect(mocked.syncEnvironment).toHaveBeenCalledTimes(1);

    const wb2 = await pendingWorkbench();
    const t2 = dialog(wb2);
    byTestId(t2, "env-approval")!.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    expect(wb2.environment.pending).toBeNull();
    expect(mocked.syncEnvironment).toHaveBeenCalledTimes(2);
  });
});

describe("the status bar's environment item", () => {
  it("shows a missing environment as a warning and opens the Environment view", async () => {
    mocked.environmentView.mockResolvedValueOnce(missingEnvView());
    const wb = await openWorkbench();
    const t = show(StatusBar, wb, {});
    const item = byTestId(t, "status-env")!;
    expect(item.textContent?.trim()).toBe("env: missing");
    expect(item.classList.contains("warn")).toBe(true);
    item.click();
    expect(wb.tabs.activeKey).toBe("environment");
  });

  it("shows a ready environment plainly", async () => {
    const wb = await openWorkbench();
    const item = byTestId(show(StatusBar, wb, {}), "status-env")!;
    expect(item.textContent?.trim()).toBe("env: ready");
    expect(item.classList.contains("warn")).toBe(false);
  });
});

describe("a run refused for want of an environment", () => {
  it("its notice offers Set up the environment, which opens the view and starts the sync", async () => {
    const wb = await openWorkbench();
    const t = show(Notifications, wb, {});
    mocked.runTests.mockRejectedValueOnce({ code: "env.missing", message: "the Python environment for /ws is missing", hint: "sync it", location: null });
    await wb.runs.run(null, null, "all tests");
    flushSync();
    const action = byTestId(t, "notice-action")!;
    expect(action.textContent).toBe("Set up the environment");
    mocked.syncEnvironment.mockResolvedValueOnce({ kind: "needs_approval", approval: approval() });
    action.click();
    await settle();
    expect(wb.tabs.activeKey).toBe("environment");
    expect(mocked.syncEnvironment).toHaveBeenCalledWith(null, null, expect.any(Function));
    expect(byTestId(t, "notice-action")).toBeNull();
  });
});

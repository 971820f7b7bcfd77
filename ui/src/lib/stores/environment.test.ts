// The environment store: the view read when a workspace opens and when a requirement file
// changes; a sync that asks first (the exact list sent back on approval, nothing installed on
// decline); progress lines capped; cancel; the allow-build retry after env.source_build; a run
// refused for want of an environment offers setting it up. The shell is mocked at api.ts.
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as api from "../api";
import type { EnvSyncOutcome } from "../contract";
import { PROGRESS_LIMIT } from "./environment.svelte";
import { FakeDisk, VIEW } from "../../test/fakeShell";
import { ROOT, approval, envView, missingEnvView } from "../../test/fixtures";
import { openWorkbench } from "../../test/workbench";

vi.mock("../api", async (importOriginal) => (await import("../../test/fakeShell")).fakeApi(await importOriginal()));

const mocked = vi.mocked(api);
const synced = (): EnvSyncOutcome => ({ kind: "synced", environment: envView() });
const needsApproval = (a = approval()): EnvSyncOutcome => ({ kind: "needs_approval", approval: a });

beforeEach(() => {
  vi.clearAllMocks();
  new FakeDisk(mocked, FakeDisk.ruleFiles());
  mocked.workspaceView.mockResolvedValue(VIEW);
});

describe("the environment's view", () => {
  it("is read when a workspace opens", async () => {
    mocked.environmentView.mockResolvedValueOnce(missingEnvView());
    const wb = await openWorkbench();
    expect(mocked.environmentView).toHaveBeenCalledTimes(1);
    expect(wb.environment.view?.status).toBe("missing");
    expect(wb.environment.loading).toBe(false);
  });

  it("is read again when a requirement or lock file changes on disk, not for other files", async () => {
    const wb = await openWorkbench();
    mocked.environmentView.mockClear();
    await wb.onDiskChanged({ paths: [`${ROOT}/rules/rule_a.py`], reindexed: false });
    expect(mocked.environmentView).not.toHaveBeenCalled();
    mocked.environmentView.mockResolvedValueOnce(envView({ status: "stale" }));
    await wb.onDiskChanged({ paths: [`${ROOT}/Pipfile.lock`], reindexed: false });
    expect(mocked.environmentView).toHaveBeenCalledTimes(1);
    expect(wb.environment.view?.status).toBe("stale");
    await wb.onDiskChanged({ paths: ["requirements.txt"], reindexed: false });
    expect(mocked.environmentView).toHaveBeenCalledTimes(2);
  });

  it("keeps a failed read as the load error", async () => {
    mocked.environmentView.mockRejectedValueOnce({ code: "session.no_workspace", message: "no workspace is open", hint: null, location: null });
    const wb = await openWorkbench();
    expect(wb.environment.view).toBeNull();
    expect(wb.environment.loadError?.code).toBe("session.no_workspace");
    expect(wb.notices.output.at(-1)?.source).toBe("env");
  });

  it("drops an answer that arrives after the workspace was left", async () => {
    const wb = await openWorkbench();
    let answer: (v: api.EnvironmentView) => void = () => {};
    mocked.environmentView.mockImplementationOnce(() => new Promise((resolve) => (answer = resolve)));
    const loading = wb.environment.load();
    wb.leave();
    answer(envView());
    await loading;
    expect(wb.environment.view).toBeNull();
  });
});

describe("a sync", () => {
  it("asks first: nothing installed until the exact list is approved, then sent back as shown", async () => {
    const wb = await openWorkbench();
    mocked.syncEnvironment.mockResolvedValueOnce(needsApproval()).mockResolvedValueOnce(synced());
    await wb.environment.sync();
    expect(mocked.syncEnvironment).toHaveBeenCalledTimes(1);
    expect(mocked.syncEnvironment).toHaveBeenLastCalledWith(null, null, expect.any(Function));
    expect(wb.environment.pending?.approval.packages.map((p) => p.name)).toEqual(["panther-core", "requests", "urllib3"]);
    expect(wb.environment.pending?.changed).toBe(false);
    expect(wb.environment.syncing).toBe(false);
    expect(wb.environment.busy).toBe(true);

    await wb.environment.approve();
    expect(mocked.syncEnvironment).toHaveBeenCalledTimes(2);
    expect(mocked.syncEnvironment).toHaveBeenLastCalledWith(["panther-core==0.16.2", "requests==2.32.3", "urllib3==2.2.3"], null, expect.any(Function));
    expect(wb.environment.pending).toBeNull();
    expect(wb.environment.view?.status).toBe("ready");
    expect(wb.environment.busy).toBe(false);
    expect(wb.notices.output.some((l) => l.text === "Synced the Python environment: 3 package(s)")).toBe(true);
  });

  it("shows the list again when it changed between the two calls", async () => {
    const wb = await openWorkbench();
    const newer = approval({ packages: [...approval().packages, { name: "idna", version: "3.10", from_source: false }] });
    mocked.syncEnvironment.mockResolvedValueOnce(needsApproval()).mockResolvedValueOnce(needsApproval(newer)).mockResolvedValueOnce(synced());
    await wb.environment.sync();
    await wb.environment.approve();
    expect(wb.environment.pending?.changed).toBe(true);
    expect(wb.environment.pending?.approval.packages).toHaveLength(4);
    await wb.environment.approve();
    expect(mocked.syncEnvironment).toHaveBeenLastCalledWith(
      ["panther-core==0.16.2", "requests==2.32.3", "urllib3==2.2.3", "idna==3.10"],
      null,
      expect.any(Function),
    );
    expect(wb.environment.view?.status).toBe("ready");
  });

  it("installs nothing when the user declines", async () => {
    const wb = await openWorkbench();
    mocked.syncEnvironment.mockResolvedValueOnce(needsApproval());
    await wb.environment.sync();
    wb.environment.decline();
    expect(wb.environment.pending).toBeNull();
    expect(mocked.syncEnvironment).toHaveBeenCalledTimes(1);
    expect(wb.notices.output.at(-1)?.text).toBe("Not approved: the 3 package(s) were not installed");
    await wb.environment.approve();
    expect(mocked.syncEnvironment).toHaveBeenCalledTimes(1);
  });

  it("shows its progress lines as they come, keeping the last PROGRESS_LIMIT", async () => {
    const wb = await openWorkbench();
    const seen: string[][] = [];
    mocked.syncEnvironment.mockImplementationOnce(async (_a, _b, onProgress) => {
      onProgress("creating the environment");
      onProgress("Resolved 27 packages in 441ms");
      seen.push(wb.environment.progress.map((l) => l.text));
      for (let i = 0; i < PROGRESS_LIMIT + 20; i++) onProgress(`Downloading package ${i}`);
      return synced();
    });
    await wb.environment.sync();
    expect(seen).toEqual([["creating the environment", "Resolved 27 packages in 441ms"]]);
    expect(wb.environment.progress).toHaveLength(PROGRESS_LIMIT);
    expect(wb.environment.dropped).toBe(22);
    expect(wb.environment.progress.at(-1)?.text).toBe(`Downloading package ${PROGRESS_LIMIT + 19}`);
    expect(wb.environment.progress[0].text).toBe("Downloading package 20");
  });

  it("cancel asks the shell to stop; the cancelled sync is no error and the view is read again", async () => {
    const wb = await openWorkbench();
    let fail: (e: unknown) => void = () => {};
    mocked.syncEnvironment.mockImplementationOnce(() => new Promise((_resolve, reject) => (fail = reject)));
    const syncing = wb.environment.sync();
    await vi.waitFor(() => expect(mocked.syncEnvironment).toHaveBeenCalled());
    expect(wb.environment.syncing).toBe(true);
    mocked.environmentView.mockClear();
    await wb.environment.cancel();
    expect(mocked.cancelEnvironmentSync).toHaveBeenCalledTimes(1);
    expect(wb.environment.cancelling).toBe(true);
    fail({ code: "env.cancelled", message: "the environment sync was cancelled; the previous environment is unchanged", hint: null, location: null });
    await syncing;
    expect(wb.environment.syncing).toBe(false);
    expect(wb.environment.error).toBeNull();
    expect(wb.notices.list.at(-1)?.title).toMatch(/cancelled/);
    expect(mocked.environmentView).toHaveBeenCalledTimes(1);
  });

  it("starts no second sync while one is going", async () => {
    const wb = await openWorkbench();
    let finish: (o: EnvSyncOutcome) => void = () => {};
    mocked.syncEnvironment.mockImplementationOnce(() => new Promise((resolve) => (finish = resolve)));
    const first = wb.environment.sync();
    await wb.environment.sync();
    expect(mocked.syncEnvironment).toHaveBeenCalledTimes(1);
    finish(synced());
    await first;
  });

  it("after env.source_build offers allowing that package, and retries with it allowed", async () => {
    const wb = await openWorkbench();
    mocked.syncEnvironment.mockRejectedValueOnce({
      code: "env.source_build",
      message: "`leftpad` is published only as source code, and building it would run its setup code (asked for at Pipfile:7)",
      hint: "if you trust it, allow it by name: `prowl env sync --allow-build leftpad` (or PROWL_ALLOW_BUILD=leftpad)",
      location: { file: "Pipfile", line: 7, column: null },
    });
    await wb.environment.sync();
    expect(wb.environment.error?.code).toBe("env.source_build");
    expect(wb.environment.error?.place).toBe("Pipfile:7");
    expect(wb.environment.buildToAllow).toBe("leftpad");
    expect(wb.notices.output.at(-1)?.level).toBe("error");

    mocked.syncEnvironment.mockResolvedValueOnce(needsApproval(approval({ packages: [{ name: "leftpad", version: "1.0", from_source: true }] })));
    mocked.syncEnvironment.mockResolvedValueOnce(synced());
    await wb.environment.allowBuild();
    expect(mocked.syncEnvironment).toHaveBeenLastCalledWith(null, ["leftpad"], expect.any(Function));
    expect(wb.environment.error).toBeNull();
    await wb.environment.approve();
    expect(mocked.syncEnvironment).toHaveBeenLastCalledWith(["leftpad==1.0"], ["leftpad"], expect.any(Function));
  });

  it("keeps other errors with their code, place and hint, and offers no build", async () => {
    const wb = await openWorkbench();
    mocked.syncEnvironment.mockRejectedValueOnce({ code: "env.offline", message: "cannot reach the package index", hint: "connect", location: null });
    await wb.environment.sync();
    expect(wb.environment.error).toMatchObject({ code: "env.offline", hint: "connect" });
    expect(wb.environment.buildToAllow).toBeNull();
    expect(wb.environment.syncing).toBe(false);
  });

  it("leaving the workspace stops its sync", async () => {
    const wb = await openWorkbench();
    mocked.syncEnvironment.mockImplementationOnce(() => new Promise(() => {}));
    void wb.environment.sync();
    await vi.waitFor(() => expect(wb.environment.syncing).toBe(true));
    wb.leave();
    expect(mocked.cancelEnvironmentSync).toHaveBeenCalled();
    expect(wb.environment.syncing).toBe(false);
  });
});

describe("a test run without an environment", () => {
  it("offers setting it up, which opens the environment view and starts a sync", async () => {
    const wb = await openWorkbench();
    mocked.runTests.mockRejectedValueOnce({
      code: "env.missing",
      message: "the Python environment for /ws is missing",
      hint: "run `prowl env sync /ws` once",
      location: null,
    });
    expect(await wb.runs.run(null, null, "all tests")).toBeNull();
    const notice = wb.notices.list.at(-1)!;
    expect(notice.error?.code).toBe("env.missing");
    expect(notice.actions.map((a) => a.label)).toEqual(["Set up the environment"]);
    mocked.syncEnvironment.mockResolvedValueOnce(needsApproval());
    wb.notices.act(notice.id, notice.actions[0]);
    expect(wb.notices.list).not.toContain(notice);
    expect(wb.tabs.activeKey).toBe("environment");
    await vi.waitFor(() => expect(wb.environment.pending).not.toBeNull());
    expect(mocked.syncEnvironment).toHaveBeenCalledWith(null, null, expect.any(Function));
  });

  it("offers nothing for other run errors", async () => {
    const wb = await openWorkbench();
    mocked.runTests.mockRejectedValueOnce({ code: "engine.crashed", message: "the worker died", hint: null, location: null });
    await wb.runs.run(null, null, "all tests");
    expect(wb.notices.list.at(-1)?.actions).toEqual([]);
  });
});

// The Settings view's cluster store: the saved settings fill the form, a save sends the trimmed
// form (empty fields unset) and the Replay view's target follows the saved address only, a
// check keeps what the cluster answered (or the error with its hint), and an answer to an
// older check is dropped. The shell is mocked at api.ts.
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as api from "../api";
import { openWorkbench } from "../../test/workbench";
import type { ClusterCheck, ClusterSettingsView } from "../contract";

vi.mock("../api", async (importOriginal) => (await import("../../test/fakeShell")).fakeApi(await importOriginal()));

const mocked = vi.mocked(api);
const FILE = "/home/me/.config/prowl/cluster.toml";
const view = (address: string | null, python: string | null = null): ClusterSettingsView => ({ settings: { address, python }, default_python: "/opt/ray/bin/python", file: FILE });
const CHECK: ClusterCheck = {
  address: "10.0.0.5:6379",
  ray: "2.60.0",
  nodes: [{ id: "n1", address: "10.0.0.5", cpus: 8, python: "3.11", ray: "2.60.0", machine: "x86_64", missing: [], error: null }],
  cpus: 8,
};

beforeEach(() => {
  vi.clearAllMocks();
});

describe("the cluster settings", () => {
  it("fill the form from what is saved, and the replay target follows the saved address", async () => {
    mocked.clusterSettings.mockResolvedValueOnce(view("10.0.0.5:6379", "/opt/ray/bin/python"));
    const wb = await openWorkbench();
    expect(wb.cluster.saved).toBe("10.0.0.5:6379");
    expect(wb.cluster.address).toBe("10.0.0.5:6379");
    expect(wb.cluster.python).toBe("/opt/ray/bin/python");
    expect(wb.cluster.dirty).toBe(false);
    wb.replay.setTarget("cluster");
    expect(wb.replay.cluster).toBe("10.0.0.5:6379");
    // An unsaved edit is not where replays go.
    wb.cluster.address = "10.9.9.9:6379";
    expect(wb.cluster.dirty).toBe(true);
    expect(wb.replay.cluster).toBe("10.0.0.5:6379");
    wb.cluster.revert();
    expect(wb.cluster.address).toBe("10.0.0.5:6379");
  });

  it("are saved trimmed, empty fields unset", async () => {
    const wb = await openWorkbench();
    expect(wb.cluster.saved).toBeNull();
    wb.cluster.address = "  ray://head:10001 ";
    wb.cluster.python = "  ";
    mocked.saveClusterSettings.mockResolvedValueOnce(view("ray://head:10001"));
    expect(await wb.cluster.save()).toBe(true);
    expect(mocked.saveClusterSettings).toHaveBeenCalledWith("ray://head:10001", null);
    expect(wb.cluster.saved).toBe("ray://head:10001");
    expect(wb.cluster.dirty).toBe(false);
    expect(wb.notices.output.some((l) => l.text.includes("replays can run on ray://head:10001"))).toBe(true);
    mocked.saveClusterSettings.mockRejectedValueOnce({ code: "cluster.settings_file", message: `${FILE}: permission denied`, hint: "fix or remove the file", location: null });
    wb.cluster.address = "x:1";
    expect(await wb.cluster.save()).toBe(false);
    expect(wb.cluster.saveError?.code).toBe("cluster.settings_file");
    expect(wb.cluster.saved).toBe("ray://head:10001");
  });

  it("stay when the workspace is left (they are the user's)", async () => {
    mocked.clusterSettings.mockResolvedValueOnce(view("10.0.0.5:6379"));
    const wb = await openWorkbench();
    wb.replay.setTarget("cluster");
    wb.leave();
    expect(wb.cluster.saved).toBe("10.0.0.5:6379");
    expect(wb.replay.target).toBe("local");
  });
});

describe("the connection check", () => {
  it("checks what the form holds and keeps the cluster's answer", async () => {
    const wb = await openWorkbench();
    expect(await wb.cluster.checkConnection()).toBeNull(); // no address
    expect(mocked.checkCluster).not.toHaveBeenCalled();
    wb.cluster.address = " 10.0.0.5:6379 ";
    wb.cluster.python = "/opt/ray/bin/python";
    mocked.checkCluster.mockResolvedValueOnce(CHECK);
    expect(await wb.cluster.checkConnection()).toEqual(CHECK);
    expect(mocked.checkCluster).toHaveBeenCalledWith("10.0.0.5:6379", "/opt/ray/bin/python");
    expect(wb.cluster.check).toEqual(CHECK);
    expect(wb.cluster.checking).toBe(false);
    expect(wb.notices.output.some((l) => l.text === "Cluster 10.0.0.5:6379: Ray 2.60.0 · 1 node · 8 CPUs")).toBe(true);
  });

  it("keeps the error with its hint", async () => {
    const wb = await openWorkbench();
    wb.cluster.address = "127.0.0.1:1";
    mocked.checkCluster.mockRejectedValueOnce({ code: "cluster.unreachable", message: "cannot reach the Ray cluster at 127.0.0.1:1: nothing answers", hint: "check the address", location: null });
    expect(await wb.cluster.checkConnection()).toBeNull();
    expect(wb.cluster.check).toBeNull();
    expect(wb.cluster.checkError?.code).toBe("cluster.unreachable");
    expect(wb.cluster.checkError?.hint).toBe("check the address");
    expect(wb.notices.output.some((l) => l.level === "error" && l.text.includes("hint: check the address"))).toBe(true);
  });

  it("runs one check at a time", async () => {
    const wb = await openWorkbench();
    wb.cluster.address = "a:1";
    let answer: (c: ClusterCheck) => void = () => {};
    mocked.checkCluster.mockImplementationOnce(() => new Promise((resolve) => (answer = resolve)));
    const first = wb.cluster.checkConnection();
    expect(wb.cluster.checking).toBe(true);
    expect(await wb.cluster.checkConnection()).toBeNull();
    expect(mocked.checkCluster).toHaveBeenCalledTimes(1);
    answer(CHECK);
    expect(await first).toEqual(CHECK);
    expect(wb.cluster.checking).toBe(false);
  });
});

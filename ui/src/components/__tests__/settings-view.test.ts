// The Settings view mounted in jsdom on a Workbench whose shell is mocked at api.ts: the Ray
// cluster's address saved for the user, "Check connection" on what the form holds — the
// cluster's Ray, each node (one that did not answer said so) and the CPUs in all — or the error
// with its hint. What the cluster answers stays text.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { flushSync } from "svelte";
import * as api from "../../lib/api";
import SettingsView from "../SettingsView.svelte";
import type { ClusterCheck } from "../../lib/contract";
import type { Workbench } from "../../lib/workbench.svelte";
import { render, type Mounted } from "../../test/mount";
import { openWorkbench } from "../../test/workbench";

vi.mock("../../lib/api", async (importOriginal) => (await import("../../test/fakeShell")).fakeApi(await importOriginal()));

const mocked = vi.mocked(api);
const IMG = "<img src=x onerror=window.__pwned=true>";
let mounted: Mounted | null = null;

const byTestId = (t: HTMLElement, id: string) => t.querySelector<HTMLElement>(`[data-testid="${id}"]`);
const allByTestId = (t: HTMLElement, id: string) => [...t.querySelectorAll<HTMLElement>(`[data-testid="${id}"]`)];

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    flushSync();
  }
}

function show(wb: Workbench): HTMLElement {
  mounted = render(SettingsView, {}, wb);
  return mounted.target;
}

function type(el: HTMLElement, value: string): void {
  (el as HTMLInputElement).value = value;
  el.dispatchEvent(new Event("input", { bubbles: true }));
  flushSync();
}

const FILE = "/home/me/.config/prowl/cluster.toml";
const CHECK: ClusterCheck = {
  address: "10.0.0.5:6379",
  ray: "2.60.0",
  nodes: [
    { id: "n1", address: "10.0.0.5", cpus: 8, python: "3.11", ray: "2.60.0", machine: "x86_64", missing: [], error: null },
    { id: "n2", address: "10.0.0.6", cpus: 4, python: "3.11", ray: "2.60.0", machine: "aarch64", missing: [], error: null },
    { id: "n3", address: "10.0.0.7", cpus: 2, python: null, ray: null, machine: null, missing: [], error: `the probe timed out ${IMG}` },
  ],
  cpus: 14,
};

beforeEach(() => {
  vi.clearAllMocks();
});

afterEach(() => {
  mounted?.destroy();
  mounted = null;
  delete (window as unknown as { __pwned?: boolean }).__pwned;
});

describe("the Ray cluster settings", () => {
  it("save the address for the user", async () => {
    const wb = await openWorkbench();
    const t = show(wb);
    await settle();
    expect(byTestId(t, "cluster-settings")!.textContent).toContain("No cluster is set: replays run on this machine");
    expect(byTestId(t, "cluster-settings")!.textContent).toContain(FILE);
    expect((byTestId(t, "cluster-python") as HTMLInputElement).placeholder).toBe("default: python3");
    const save = byTestId(t, "cluster-save") as HTMLButtonElement;
    expect(save.disabled).toBe(true);
    type(byTestId(t, "cluster-address")!, "10.0.0.5:6379");
    expect(save.disabled).toBe(false);
    mocked.saveClusterSettings.mockResolvedValueOnce({ settings: { address: "10.0.0.5:6379", python: null }, default_python: "python3", file: FILE });
    save.click();
    await settle();
    expect(mocked.saveClusterSettings).toHaveBeenCalledWith("10.0.0.5:6379", null);
    expect(byTestId(t, "cluster-settings")!.dataset.saved).toBe("10.0.0.5:6379");
    expect(byTestId(t, "cluster-settings")!.textContent).toContain("Replays can run on 10.0.0.5:6379");
    expect(save.disabled).toBe(true);
  });

  it("check the connection: the cluster's Ray, every node and the CPUs in all", async () => {
    const wb = await openWorkbench();
    const t = show(wb);
    await settle();
    expect((byTestId(t, "cluster-check") as HTMLButtonElement).disabled).toBe(true);
    type(byTestId(t, "cluster-address")!, "10.0.0.5:6379");
    let answer: (c: ClusterCheck) => void = () => {};
    mocked.checkCluster.mockImplementationOnce(() => new Promise((resolve) => (answer = resolve)));
    byTestId(t, "cluster-check")!.click();
    flushSync();
    expect(mocked.checkCluster).toHaveBeenCalledWith("10.0.0.5:6379", null);
    expect(byTestId(t, "cluster-check")!.textContent).toContain("Checking");
    answer(CHECK);
    await settle();
    const result = byTestId(t, "cluster-check-result")!;
    expect(result.dataset).toMatchObject({ ray: "2.60.0", cpus: "14", nodes: "3", failed: "1" });
    expect(result.textContent).toContain("Ray 2.60.0 · 3 nodes · 14 CPUs · 1 did not answer");
    const rows = allByTestId(t, "cluster-node");
    expect(rows.map((r) => [r.dataset.address, r.dataset.ok])).toEqual([
      ["10.0.0.5", "true"],
      ["10.0.0.6", "true"],
      ["10.0.0.7", "false"],
    ]);
    expect([...rows[1].querySelectorAll("td")].map((c) => c.textContent!.trim())).toEqual(["10.0.0.6", "4", "3.11", "2.60.0", "aarch64"]);
    expect(rows[2].textContent).toContain(`did not answer: the probe timed out ${IMG}`);
    expect(byTestId(t, "cluster-cpus")!.textContent).toBe("14");
    expect(t.querySelector("img")).toBeNull();
    expect((window as unknown as { __pwned?: boolean }).__pwned).toBeUndefined();
    // Checking does not save.
    expect(mocked.saveClusterSettings).not.toHaveBeenCalled();
  });

  it("show why the cluster did not answer, with the hint", async () => {
    const wb = await openWorkbench();
    const t = show(wb);
    await settle();
    type(byTestId(t, "cluster-address")!, "127.0.0.1:1");
    type(byTestId(t, "cluster-python")!, "/no/such/python");
    mocked.checkCluster.mockRejectedValueOnce({
      code: "cluster.start_failed",
      message: "cannot start /no/such/python (the Python driving the cluster): No such file or directory",
      hint: "set PROWL_RAY_PYTHON to a Python with Ray installed (the cluster's Ray version)",
      location: null,
    });
    byTestId(t, "cluster-check")!.click();
    await settle();
    expect(mocked.checkCluster).toHaveBeenCalledWith("127.0.0.1:1", "/no/such/python");
    const error = byTestId(t, "cluster-error")!;
    expect(error.dataset.code).toBe("cluster.start_failed");
    expect(error.textContent).toContain("The cluster did not answer: cannot start /no/such/python");
    expect(error.textContent).toContain("hint: set PROWL_RAY_PYTHON");
    expect(byTestId(t, "cluster-check-result")).toBeNull();
  });
});

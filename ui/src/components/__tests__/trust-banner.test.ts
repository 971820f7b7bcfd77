// Restricted mode in the window: the banner (what is restricted, why, the two choices) and the
// status bar's indicator, mounted in jsdom on a Workbench whose shell is mocked at api.ts.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { flushSync, type Component } from "svelte";
import * as api from "../../lib/api";
import StatusBar from "../StatusBar.svelte";
import TrustBanner from "../TrustBanner.svelte";
import type { Workbench } from "../../lib/workbench.svelte";
import { VIEW } from "../../test/fakeShell";
import { trustState, untrusted } from "../../test/fixtures";
import { render, type Mounted } from "../../test/mount";
import { openWorkbench } from "../../test/workbench";

vi.mock("../../lib/api", async (importOriginal) => (await import("../../test/fakeShell")).fakeApi(await importOriginal()));

const mocked = vi.mocked(api);
const mounted: Mounted[] = [];
const IMG = "<img src=x onerror=alert(1)>";

function show(component: Component<Record<string, never>>, wb: Workbench): HTMLElement {
  const m = render(component, {}, wb);
  mounted.push(m);
  return m.target;
}

const byTestId = (t: HTMLElement, id: string) => t.querySelector<HTMLElement>(`[data-testid="${id}"]`);

async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 0));
  flushSync();
}

beforeEach(() => {
  vi.clearAllMocks();
});

afterEach(() => {
  for (const m of mounted.splice(0)) m.destroy();
});

describe("the restricted-mode banner", () => {
  it("says what is restricted and why, with both choices, for an untrusted workspace", async () => {
    const wb = await openWorkbench({ ...VIEW, trust: untrusted() });
    const t = show(TrustBanner, wb);
    const banner = byTestId(t, "trust-banner")!;
    expect(banner.dataset.reason).toBe("not_trusted");
    expect(banner.textContent).toContain("Restricted mode: this workspace is not trusted.");
    expect(banner.textContent).toContain("no network, no files outside the workspace, none of your environment variables");
    expect(banner.textContent).toContain("prowl audit");
    expect(byTestId(t, "trust-folder")).not.toBeNull();
    expect(byTestId(t, "trust-keep-restricted")).not.toBeNull();
  });

  it("is not shown for a trusted workspace", async () => {
    const wb = await openWorkbench();
    expect(byTestId(show(TrustBanner, wb), "trust-banner")).toBeNull();
  });

  it("shows an origin as text, whatever it holds", async () => {
    const wb = await openWorkbench({ ...VIEW, trust: untrusted({ reason: { kind: "origin_changed", trusted: "https://a/x.git", now: IMG } }) });
    const t = show(TrustBanner, wb);
    expect(byTestId(t, "trust-headline")!.textContent).toContain(IMG);
    expect(t.querySelector("img")).toBeNull();
  });

  it("goes away on Keep restricted; trusting asks first, then the status bar says Trusted", async () => {
    const wb = await openWorkbench({ ...VIEW, trust: untrusted() });
    const t = show(TrustBanner, wb);
    const bar = show(StatusBar, wb);
    expect(byTestId(bar, "status-trust")!.dataset.trusted).toBe("false");
    expect(byTestId(bar, "status-trust")!.textContent).toContain("Restricted");

    byTestId(t, "trust-keep-restricted")!.click();
    flushSync();
    expect(byTestId(t, "trust-banner")).toBeNull();
    // The status bar's Restricted brings the choices back.
    byTestId(bar, "status-trust")!.click();
    flushSync();
    expect(byTestId(t, "trust-banner")).not.toBeNull();

    mocked.setTrust.mockResolvedValueOnce(trustState());
    byTestId(t, "trust-folder")!.click();
    flushSync();
    expect(wb.notices.confirmRequest?.title).toBe("Trust this folder?");
    expect(mocked.setTrust).not.toHaveBeenCalled();
    wb.notices.confirmRequest!.resolve(true);
    await settle();
    expect(mocked.setTrust).toHaveBeenCalledWith(true);
    expect(byTestId(t, "trust-banner")).toBeNull();
    expect(byTestId(bar, "status-trust")!.dataset.trusted).toBe("true");
    expect(byTestId(bar, "status-trust")!.textContent).toContain("Trusted");
  });

  it("the status bar's Trusted offers to stop trusting the folder", async () => {
    const wb = await openWorkbench();
    const bar = show(StatusBar, wb);
    mocked.setTrust.mockResolvedValueOnce(untrusted());
    byTestId(bar, "status-trust")!.click();
    flushSync();
    expect(wb.notices.confirmRequest?.title).toBe("Stop trusting this folder?");
    wb.notices.confirmRequest!.resolve(true);
    await settle();
    expect(mocked.setTrust).toHaveBeenCalledWith(false);
    expect(byTestId(bar, "status-trust")!.dataset.trusted).toBe("false");
  });
});

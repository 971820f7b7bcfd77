// The trust store: the state the workspace view carried on open, the banner shown only while
// restricted and not kept restricted this session, trusting and revoking each confirmed once and
// sent as set_trust, the shell's answer as the new state, nothing sent when the user cancels or
// left the workspace meanwhile. The shell is mocked at api.ts.
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as api from "../api";
import { VIEW } from "../../test/fakeShell";
import { ROOT, trustState, untrusted } from "../../test/fixtures";
import { openWorkbench } from "../../test/workbench";
import type { Workbench } from "../workbench.svelte";

vi.mock("../api", async (importOriginal) => (await import("../../test/fakeShell")).fakeApi(await importOriginal()));

const mocked = vi.mocked(api);
const restrictedView = () => ({ ...VIEW, trust: untrusted() });

/** Answers the confirmation dialog the store opened (it must have opened one). */
async function answer(wb: Workbench, ok: boolean): Promise<{ title: string; message: string }> {
  await vi.waitFor(() => expect(wb.notices.confirmRequest).not.toBeNull());
  const request = wb.notices.confirmRequest!;
  request.resolve(ok);
  return { title: request.title, message: request.message };
}

beforeEach(() => {
  vi.clearAllMocks();
});

describe("on open", () => {
  it("takes the state the workspace view carries, and shows the banner only when restricted", async () => {
    const trusted = await openWorkbench();
    expect(trusted.trust.state?.trusted).toBe(true);
    expect(trusted.trust.showBanner).toBe(false);

    const wb = await openWorkbench(restrictedView());
    expect(wb.trust.restricted).toBe(true);
    expect(wb.trust.showBanner).toBe(true);
    expect(wb.notices.output.some((l) => l.text.startsWith("Restricted mode:"))).toBe(true);
    expect(mocked.setTrust).not.toHaveBeenCalled();
  });

  it("forgets the state when the workspace is left", async () => {
    const wb = await openWorkbench(restrictedView());
    wb.leave();
    expect(wb.trust.state).toBeNull();
    expect(wb.trust.showBanner).toBe(false);
  });
});

describe("keep restricted", () => {
  it("hides the banner for the rest of the session, for that workspace only, and tells the shell nothing", async () => {
    const wb = await openWorkbench(restrictedView());
    wb.trust.keepRestricted();
    expect(wb.trust.showBanner).toBe(false);
    expect(wb.trust.restricted).toBe(true);
    expect(mocked.setTrust).not.toHaveBeenCalled();

    // Opened again in this session: still kept restricted.
    await wb.enter(restrictedView());
    expect(wb.trust.showBanner).toBe(false);
    // Another workspace: its own banner.
    await wb.enter({ ...VIEW, root: "/other", trust: untrusted({ workspace: "/other" }) });
    expect(wb.trust.showBanner).toBe(true);
  });

  it("comes back when the status bar asks for the choices again", async () => {
    const wb = await openWorkbench(restrictedView());
    wb.trust.keepRestricted();
    wb.trust.showRestrictions();
    expect(wb.trust.showBanner).toBe(true);
  });
});

describe("trust this folder", () => {
  it("asks once, saying what trusting means and what is remembered, then sends set_trust(true) and takes the answer", async () => {
    const wb = await openWorkbench(restrictedView());
    mocked.setTrust.mockResolvedValueOnce(trustState());
    const trusting = wb.trust.trust();
    const asked = await answer(wb, true);
    await trusting;
    expect(asked.title).toBe("Trust this folder?");
    expect(asked.message).toContain("without asking you first");
    expect(asked.message).toContain(`remembered for ${ROOT} and its git origin`);
    expect(mocked.setTrust).toHaveBeenCalledTimes(1);
    expect(mocked.setTrust).toHaveBeenCalledWith(true);
    expect(wb.trust.state?.trusted).toBe(true);
    expect(wb.trust.showBanner).toBe(false);
    expect(wb.trust.canRevoke).toBe(true);
    expect(wb.trust.busy).toBe(false);
  });

  it("sends nothing when the user cancels", async () => {
    const wb = await openWorkbench(restrictedView());
    const trusting = wb.trust.trust();
    await answer(wb, false);
    await trusting;
    expect(mocked.setTrust).not.toHaveBeenCalled();
    expect(wb.trust.restricted).toBe(true);
    expect(wb.trust.busy).toBe(false);
  });

  it("sends nothing when the workspace was left while the user was asked", async () => {
    const wb = await openWorkbench(restrictedView());
    const trusting = wb.trust.trust();
    await vi.waitFor(() => expect(wb.notices.confirmRequest).not.toBeNull());
    const request = wb.notices.confirmRequest!;
    await wb.enter({ ...VIEW, root: "/other", trust: untrusted({ workspace: "/other" }) });
    request.resolve(true);
    await trusting;
    expect(mocked.setTrust).not.toHaveBeenCalled();
    expect(wb.trust.state?.workspace).toBe("/other");
  });

  it("keeps the restricted state and shows the error when the shell refuses", async () => {
    const wb = await openWorkbench(restrictedView());
    mocked.setTrust.mockRejectedValueOnce({ code: "trust.io", message: "cannot write the trust store", hint: null, location: null });
    const trusting = wb.trust.trust();
    await answer(wb, true);
    await trusting;
    expect(wb.trust.restricted).toBe(true);
    expect(wb.notices.list.at(-1)?.error?.code).toBe("trust.io");
    expect(wb.trust.busy).toBe(false);
  });

  it("names the origin the folder has now when its trust lapsed because the origin changed", async () => {
    const lapsed = untrusted({
      reason: { kind: "origin_changed", trusted: "https://github.com/acme/rules.git", now: "https://github.com/evil/rules.git" },
      folder: ROOT,
      origin: "https://github.com/acme/rules.git",
    });
    const wb = await openWorkbench({ ...VIEW, trust: lapsed });
    expect(wb.trust.showBanner).toBe(true);
    const trusting = wb.trust.trust();
    const asked = await answer(wb, false);
    await trusting;
    expect(asked.message).toContain("its git origin (https://github.com/evil/rules.git)");
  });
});

describe("stop trusting", () => {
  it("asks, sends set_trust(false) and goes back to restricted mode with the banner", async () => {
    const wb = await openWorkbench();
    mocked.setTrust.mockResolvedValueOnce(untrusted());
    const revoking = wb.trust.revoke();
    const asked = await answer(wb, true);
    await revoking;
    expect(asked.title).toBe("Stop trusting this folder?");
    expect(mocked.setTrust).toHaveBeenCalledWith(false);
    expect(wb.trust.restricted).toBe(true);
    expect(wb.trust.showBanner).toBe(true);
  });

  it("says so when a trusted parent folder still covers the workspace", async () => {
    const wb = await openWorkbench();
    mocked.setTrust.mockResolvedValueOnce(trustState({ folder: "/home/u/src" }));
    const revoking = wb.trust.revoke();
    await answer(wb, true);
    await revoking;
    expect(wb.trust.state?.trusted).toBe(true);
    expect(wb.notices.list.at(-1)?.title).toContain("Still trusted: /home/u/src is trusted and holds this workspace");
  });

  it("is not offered for the demo or PROWL_TRUST=1, where revoking would change nothing", async () => {
    for (const reason of [{ kind: "demo" }, { kind: "environment" }] as const) {
      const wb = await openWorkbench({ ...VIEW, trust: trustState({ reason, folder: null }) });
      expect(wb.trust.canRevoke).toBe(false);
      await wb.trust.revoke();
      expect(wb.notices.confirmRequest).toBeNull();
    }
    expect(mocked.setTrust).not.toHaveBeenCalled();
  });
});

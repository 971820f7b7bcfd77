// The Upstream view's store: the view read for the picked target with the filter on what needs
// the user, an item's texts kept only for the item still selected, fetch progress streamed,
// every step's answer replacing the view and the workspace read again after a write, a merge
// over uncommitted changes failing with its code and offered again with a stash, abort and undo
// only after the user agrees, one step at a time. The shell is mocked at api.ts.
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as api from "../api";
import { openWorkbench } from "../../test/workbench";
import type { UpstreamDone, UpstreamItemDetail } from "../contract";
import { THEIRS, demoItems, itemDetail, mergedView, upstreamView } from "../../test/fixtures";

vi.mock("../api", async (importOriginal) => (await import("../../test/fakeShell")).fakeApi(await importOriginal()));

const mocked = vi.mocked(api);
const OKTA = "Demo.Okta.BruteForceLogins";

function done(view = mergedView()): UpstreamDone {
  return { done: { kind: "merged", target: { label: "upstream/main", commit: THEIRS }, files: 15, stashed: null, resumed: false }, view };
}

beforeEach(() => {
  vi.clearAllMocks();
  mocked.upstreamView.mockResolvedValue(upstreamView());
});

describe("the upstream store", () => {
  it("reads the view for the picked target and starts on what needs the user", async () => {
    const wb = await openWorkbench();
    const up = wb.upstream;
    await up.load();
    expect(mocked.upstreamView).toHaveBeenCalledWith(null);
    expect(up.group).toBe("needs_you");
    expect(up.rows.filter((r) => r.open)).toHaveLength(2);
    await up.chooseTarget("v2.0.0");
    expect(mocked.upstreamView).toHaveBeenLastCalledWith("v2.0.0");
    expect(up.target).toBe("v2.0.0");
    // Nothing asked again for the same target.
    await up.chooseTarget("v2.0.0");
    expect(mocked.upstreamView).toHaveBeenCalledTimes(2);
    mocked.upstreamView.mockRejectedValueOnce({ code: "upstream.not_a_repository", message: "/ws is not in a git repository", hint: null, location: null });
    await up.load();
    expect(up.viewError?.code).toBe("upstream.not_a_repository");
  });

  it("keeps an item's texts only for the item still selected", async () => {
    const wb = await openWorkbench();
    const up = wb.upstream;
    await up.load();
    const [stopped, okta] = demoItems();
    let answer: (d: UpstreamItemDetail) => void = () => {};
    mocked.upstreamItem.mockImplementationOnce(() => new Promise((r) => (answer = r)));
    mocked.upstreamItem.mockResolvedValueOnce(itemDetail(okta));
    const first = up.select(stopped.id);
    await up.select(OKTA);
    answer(itemDetail(stopped));
    await first;
    expect(up.selected).toBe(OKTA);
    expect(up.detail?.item.id).toBe(OKTA);
    expect(mocked.upstreamItem).toHaveBeenLastCalledWith(OKTA, null);
    // A file has no texts to read.
    await up.select("README.md");
    expect(up.detail).toBeNull();
    expect(mocked.upstreamItem).toHaveBeenCalledTimes(2);
  });

  it("streams the fetch's progress and shows the view it answers", async () => {
    const wb = await openWorkbench();
    const up = wb.upstream;
    const seen: (number | undefined)[] = [];
    mocked.upstreamFetch.mockImplementation(async (_target, onProgress) => {
      onProgress({ received_objects: 3, total_objects: 9, received_bytes: 100 });
      seen.push(up.fetchProgress?.received_objects);
      expect(up.busy).toBe("fetch");
      return { done: { kind: "fetched", fetched: { remote: "upstream", url: "/u", head: THEIRS, releases: ["v2.1.0"], received_objects: 9 } }, view: upstreamView({ releases: ["v2.1.0"] }) };
    });
    expect(await up.fetch()).toBe(true);
    expect(seen).toEqual([3]);
    expect(up.fetchProgress).toBeNull();
    expect(up.busy).toBeNull();
    expect(up.view?.releases).toEqual(["v2.1.0"]);
    expect(wb.notices.output.at(-1)?.text).toContain("Fetched upstream (/u): 9 objects");
    // A fetch does not change the working tree: the workspace is not read again.
    expect(mocked.workspaceView).not.toHaveBeenCalled();
  });

  it("merges, answers, accepts and commits, reading the workspace again after each write", async () => {
    const wb = await openWorkbench();
    const up = wb.upstream;
    await up.load();
    mocked.upstreamMerge.mockResolvedValue(done());
    mocked.workspaceView.mockResolvedValue(wb.workspace.view);
    expect(await up.merge()).toBe(true);
    expect(mocked.upstreamMerge).toHaveBeenCalledWith(null, false);
    expect(up.view?.merge?.target.label).toBe("upstream/main");
    expect(mocked.workspaceView).toHaveBeenCalledTimes(1);
    expect(wb.notices.output.some((l) => l.level === "error" && l.text.includes("problems in 2 item(s)"))).toBe(true);

    mocked.upstreamResolve.mockResolvedValue({ done: { kind: "resolved", id: OKTA }, view: mergedView({ open: ["Demo.AWS.CloudTrail.Stopped"] }) });
    expect(await up.resolveKey(OKTA, "Threshold", "ours")).toBe(true);
    expect(mocked.upstreamResolve).toHaveBeenCalledWith(OKTA, null, { Threshold: "ours" });
    expect(await up.resolve("Demo.AWS.CloudTrail.Stopped", "theirs")).toBe(true);
    expect(mocked.upstreamResolve).toHaveBeenLastCalledWith("Demo.AWS.CloudTrail.Stopped", "theirs", null);

    mocked.upstreamAcceptProposed.mockResolvedValue({ done: { kind: "accepted", decisions: 1 }, view: mergedView({ open: [] }) });
    expect(await up.acceptProposed()).toBe(true);
    expect(up.view?.open).toEqual([]);

    mocked.upstreamCommit.mockResolvedValue({
      done: { kind: "committed", committed: { commit: "5add1fa42bbafa25", pre_merge: "951eb723d5e6", files: 15, stash_note: null } },
      view: upstreamView({ merge: null, undo: "5add1fa42bbafa25" }),
    });
    expect(await up.commit("  ")).toBe(true);
    expect(mocked.upstreamCommit).toHaveBeenCalledWith(null);
    expect(up.view?.undo).toBe("5add1fa42bbafa25");
    expect(wb.notices.output.at(-1)?.text).toContain("Merge commit 5add1fa42b (15 files)");
    expect(mocked.workspaceView).toHaveBeenCalledTimes(5);
  });

  it("keeps a refused merge's error and offers it again with a stash", async () => {
    const wb = await openWorkbench();
    const up = wb.upstream;
    await up.load();
    mocked.upstreamMerge.mockRejectedValueOnce({
      code: "upstream.dirty",
      message: "the working tree has uncommitted changes: README.md",
      hint: "commit or stash your changes first",
      location: null,
    });
    expect(await up.merge()).toBe(false);
    expect(up.stepError?.code).toBe("upstream.dirty");
    expect(wb.notices.output.at(-1)).toMatchObject({ source: "upstream", level: "error" });
    mocked.upstreamMerge.mockResolvedValueOnce(done());
    expect(await up.merge(true)).toBe(true);
    expect(mocked.upstreamMerge).toHaveBeenLastCalledWith(null, true);
    expect(up.stepError).toBeNull();
  });

  it("runs one step at a time", async () => {
    const wb = await openWorkbench();
    const up = wb.upstream;
    await up.load();
    let finish: (d: UpstreamDone) => void = () => {};
    mocked.upstreamMerge.mockImplementationOnce(() => new Promise((r) => (finish = r)));
    const merging = up.merge();
    expect(up.busy).toBe("merge");
    expect(await up.acceptProposed()).toBe(false);
    expect(mocked.upstreamAcceptProposed).not.toHaveBeenCalled();
    finish(done());
    expect(await merging).toBe(true);
    expect(up.busy).toBeNull();
  });

  it("aborts and undoes only after the user agrees", async () => {
    const wb = await openWorkbench();
    const up = wb.upstream;
    mocked.upstreamView.mockResolvedValue(mergedView());
    await up.load();
    mocked.upstreamAbort.mockResolvedValue({ done: { kind: "aborted", aborted: { restored: 14, kept: [], stash_note: null } }, view: upstreamView() });
    const declined = up.abort();
    expect(wb.notices.confirmRequest?.title).toBe("Abort the upstream merge?");
    wb.notices.confirmRequest!.resolve(false);
    expect(await declined).toBe(false);
    expect(mocked.upstreamAbort).not.toHaveBeenCalled();
    const agreed = up.abort();
    wb.notices.confirmRequest!.resolve(true);
    expect(await agreed).toBe(true);
    expect(up.view?.merge).toBeNull();

    mocked.upstreamUndo.mockResolvedValue({ done: { kind: "undone", undone: { merge: "5add1fa42b", head: "951eb723d5" } }, view: upstreamView() });
    const undo = up.undo();
    expect(wb.notices.confirmRequest?.title).toBe("Undo the last upstream merge?");
    wb.notices.confirmRequest!.resolve(true);
    expect(await undo).toBe(true);
    expect(mocked.upstreamUndo).toHaveBeenCalledTimes(1);
  });

  it("forgets everything when the workspace is left", async () => {
    const wb = await openWorkbench();
    await wb.upstream.load();
    await wb.upstream.select(OKTA);
    wb.leave();
    expect(wb.upstream.view).toBeNull();
    expect(wb.upstream.selected).toBeNull();
    expect(wb.upstream.target).toBeNull();
  });
});

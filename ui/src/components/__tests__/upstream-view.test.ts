// The Upstream view mounted in jsdom on a Workbench whose shell is mocked at api.ts: the remote,
// the counts and the rows grouped (needs you first), the Threshold conflict with its three sides
// and fork / upstream / both, the deleted rule's question with its options and the proposed
// one, a review explained, the check beside each item after the merge, the three-way view of the
// spec and the code (CodeMirror's merge view), the buttons enabled only when their step makes
// sense (commit only with nothing open), the dirty-tree error offering a stash, and strings
// from the repository rendered as text.
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { flushSync } from "svelte";
import * as api from "../../lib/api";
import UpstreamView from "../UpstreamView.svelte";
import type { Workbench } from "../../lib/workbench.svelte";
import { render, type Mounted } from "../../test/mount";
import { openWorkbench } from "../../test/workbench";
import { demoItems, itemDetail, mergedView, upstreamItem, upstreamView, THEIRS } from "../../test/fixtures";

vi.mock("../../lib/api", async (importOriginal) => (await import("../../test/fakeShell")).fakeApi(await importOriginal()));

const mocked = vi.mocked(api);
const IMG = "<img src=x onerror=window.__pwned=true>";
const OKTA = "Demo.Okta.BruteForceLogins";
const STOPPED = "Demo.AWS.CloudTrail.Stopped";
let mounted: Mounted | null = null;

const byTestId = (t: HTMLElement, id: string) => t.querySelector<HTMLElement>(`[data-testid="${id}"]`);
const allByTestId = (t: HTMLElement, id: string) => [...t.querySelectorAll<HTMLElement>(`[data-testid="${id}"]`)];
const row = (t: HTMLElement, id: string) => t.querySelector<HTMLButtonElement>(`[data-testid="upstream-row"][data-id="${id}"]`);
const button = (t: HTMLElement, id: string) => byTestId(t, id) as HTMLButtonElement;

async function settle(): Promise<void> {
  for (let i = 0; i < 4; i++) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    flushSync();
  }
}

function show(wb: Workbench): HTMLElement {
  // A step that wrote files reads the workspace again: the same one.
  mocked.workspaceView.mockResolvedValue(wb.workspace.view);
  mounted = render(UpstreamView, {}, wb);
  return mounted.target;
}

// jsdom lays nothing out: CodeMirror's merge view measures text through ranges, which jsdom
// does not give rectangles.
beforeAll(() => {
  const none = { x: 0, y: 0, width: 0, height: 0, top: 0, left: 0, right: 0, bottom: 0, toJSON: () => ({}) } as DOMRect;
  Range.prototype.getClientRects ??= () => Object.assign([], { item: () => null }) as unknown as DOMRectList;
  Range.prototype.getBoundingClientRect ??= () => none;
});

beforeEach(() => {
  vi.clearAllMocks();
  mocked.upstreamView.mockResolvedValue(upstreamView());
  mocked.upstreamItem.mockImplementation(async (id) => itemDetail(demoItems().find((i) => i.id === id) ?? upstreamItem({ id })));
});

afterEach(() => {
  mounted?.destroy();
  mounted = null;
  delete (window as unknown as Record<string, unknown>).__pwned;
});

describe("the Upstream view", () => {
  it("shows the remote, the counts and what needs the user first", async () => {
    const t = show(await openWorkbench());
    await settle();
    expect((byTestId(t, "upstream-url") as HTMLInputElement).value).toBe("/ws/.git/prowl-demo-upstream.git");
    const counts = allByTestId(t, "upstream-count").map((c) => [c.dataset.class, c.dataset.count]);
    expect(counts).toEqual([
      ["changed_both", "3"],
      ["deleted_upstream", "1"],
      ["new_upstream", "1"],
      ["new_in_fork", "1"],
      ["unchanged", "23"],
    ]);
    expect(byTestId(t, "upstream-filter-needs_you")?.dataset.count).toBe("2");
    expect(allByTestId(t, "upstream-row").map((r) => r.dataset.id)).toEqual([STOPPED, OKTA]);
    expect(byTestId(t, "upstream-status")?.textContent).toContain("Merging upstream/main (3953320d42)");
    // Before a merge: merge only.
    expect(button(t, "upstream-merge").disabled).toBe(false);
    for (const id of ["upstream-accept", "upstream-commit", "upstream-abort", "upstream-undo"]) expect(button(t, id).disabled, id).toBe(true);
    // Every item under "all", filtered by text.
    byTestId(t, "upstream-filter-all")!.click();
    flushSync();
    expect(allByTestId(t, "upstream-row")).toHaveLength(7);
    const query = byTestId(t, "upstream-query") as HTMLInputElement;
    query.value = "tampered";
    query.dispatchEvent(new Event("input"));
    flushSync();
    expect(allByTestId(t, "upstream-row").map((r) => r.dataset.id)).toEqual(["Demo.AWS.CloudTrail.LoggingTampered"]);
  });

  it("shows a conflict's three sides and answers one key for the fork", async () => {
    mocked.upstreamView.mockResolvedValue(mergedView());
    mocked.upstreamResolve.mockResolvedValue({ done: { kind: "resolved", id: OKTA }, view: mergedView({ open: [STOPPED], markers: [] }) });
    const wb = await openWorkbench();
    const t = show(wb);
    await settle();
    row(t, OKTA)!.click();
    await settle();
    const conflict = byTestId(t, "upstream-conflict")!;
    expect(conflict.dataset.key).toBe("Threshold");
    expect(conflict.dataset.state).toBe("open");
    expect(byTestId(conflict, "upstream-conflict-fork")?.textContent).toContain("Threshold: 20 # Acme");
    expect(byTestId(conflict, "upstream-conflict-upstream")?.textContent).toContain("Threshold: 10");
    expect(byTestId(conflict, "upstream-conflict-base")?.textContent).toContain("Threshold: 5");
    expect(allByTestId(conflict, "upstream-take").map((b) => b.textContent?.trim())).toEqual(["fork", "upstream", "both"]);
    // The check after the merge, beside the item: its spec could not load.
    const check = byTestId(t, "upstream-item-check")!;
    expect(check.dataset.ok).toBe("false");
    expect(check.textContent).toContain("conflict markers");
    // The three-way view of the spec: fork beside the proposed result, then upstream beside it.
    const merge = byTestId(t, "upstream-merge-view")!;
    expect(merge.querySelectorAll(".cm-editor")).toHaveLength(2);
    expect(merge.textContent).toContain("<<<<<<< fork");
    expect(byTestId(merge, "merge-label-a")?.textContent).toBe("fork");
    t.querySelector<HTMLElement>('[data-testid="upstream-compare"][data-compare="upstream"]')!.click();
    await settle();
    expect(byTestId(t, "merge-label-a")?.textContent).toBe("upstream");
    // Commit stays off while anything is open.
    expect(button(t, "upstream-commit").disabled).toBe(true);
    expect(button(t, "upstream-accept").disabled).toBe(false);

    (conflict.querySelector('[data-take="ours"]') as HTMLButtonElement).click();
    await settle();
    expect(mocked.upstreamResolve).toHaveBeenCalledWith(OKTA, null, { Threshold: "ours" });
    expect(allByTestId(t, "upstream-row").map((r) => r.dataset.id)).toEqual([STOPPED]);
  });

  it("asks the deleted rule's question with its options, the proposed one marked", async () => {
    mocked.upstreamView.mockResolvedValue(mergedView());
    mocked.upstreamResolve.mockResolvedValue({ done: { kind: "resolved", id: STOPPED }, view: mergedView({ open: [OKTA] }) });
    const t = show(await openWorkbench());
    await settle();
    row(t, STOPPED)!.click();
    await settle();
    const decision = byTestId(t, "upstream-decision")!;
    expect(decision.dataset.kind).toBe("deleted_upstream");
    expect(decision.textContent).toContain("keep it as a local item, or take the deletion?");
    expect(decision.textContent).toContain("Upstream no longer ships this item");
    const options = allByTestId(decision, "upstream-decision-option");
    expect(options.map((o) => o.textContent?.trim())).toEqual(["keep it as a local item", "take the deletion (proposed)"]);
    options[0].click();
    await settle();
    expect(mocked.upstreamResolve).toHaveBeenCalledWith(STOPPED, "ours", null);
  });

  it("explains a review and shows failing tests with their reasons", async () => {
    mocked.upstreamView.mockResolvedValue(mergedView());
    const t = show(await openWorkbench());
    await settle();
    byTestId(t, "upstream-filter-review")!.click();
    flushSync();
    row(t, "Demo.AWS.Review")!.click();
    await settle();
    const review = byTestId(t, "upstream-review")!;
    expect(review.textContent).toContain("both sides changed `rule()`: the lines merged, the logic may not");
    expect(review.textContent).toContain("no one wrote the logic of the result");
    byTestId(t, "upstream-filter-merged")!.click();
    flushSync();
    const mfa = row(t, "Demo.AWS.ConsoleLoginWithoutMFA")!;
    expect(byTestId(mfa, "upstream-row-check")?.dataset.ok).toBe("false");
    mfa.click();
    await settle();
    expect(byTestId(t, "upstream-check-failing")?.textContent).toBe("test MFA used: the detection matched; the test expects no alert");
    expect(byTestId(t, "upstream-check")?.dataset.failed).toBe("2");
    // The code file too.
    t.querySelector<HTMLElement>('[data-testid="upstream-file-tab"][data-file="code"]')!.click();
    await settle();
    expect(byTestId(t, "upstream-merge-view")?.textContent).toContain("def rule(e):");
  });

  it("enables commit once nothing is open, and undo after a merge commit", async () => {
    mocked.upstreamView.mockResolvedValue(mergedView({ open: [] }));
    mocked.upstreamCommit.mockResolvedValue({
      done: { kind: "committed", committed: { commit: "5add1fa42bbafa25", pre_merge: "951eb723d5e6", files: 15, stash_note: null } },
      view: upstreamView({ open: [], undo: "5add1fa42bbafa25", plan: { ...upstreamView().plan!, base: THEIRS } }),
    });
    const t = show(await openWorkbench());
    await settle();
    expect(button(t, "upstream-commit").disabled).toBe(false);
    expect(button(t, "upstream-undo").disabled).toBe(true);
    expect((byTestId(t, "upstream-commit-message") as HTMLInputElement).placeholder).toBe("Merge upstream upstream/main (3953320d42)");
    button(t, "upstream-commit").click();
    await settle();
    expect(mocked.upstreamCommit).toHaveBeenCalledWith(null);
    expect(button(t, "upstream-undo").disabled).toBe(false);
    expect(button(t, "upstream-abort").disabled).toBe(true);
    // Nothing left to merge from that target.
    expect(byTestId(t, "upstream-status")?.dataset.state).toBe("up_to_date");
    expect(byTestId(t, "upstream-status")?.textContent).toContain("The fork already contains upstream/main");
    expect(button(t, "upstream-merge").disabled).toBe(true);
  });

  it("offers a stash when the working tree has changes, and says when there is no remote", async () => {
    mocked.upstreamMerge.mockRejectedValueOnce({ code: "upstream.dirty", message: "the working tree has uncommitted changes: README.md", hint: "commit or stash your changes first", location: null });
    mocked.upstreamMerge.mockResolvedValueOnce({ done: { kind: "merged", target: { label: "upstream/main", commit: THEIRS }, files: 3, stashed: "abc", resumed: false }, view: mergedView() });
    const t = show(await openWorkbench());
    await settle();
    button(t, "upstream-merge").click();
    await settle();
    const err = byTestId(t, "upstream-error")!;
    expect(err.dataset.code).toBe("upstream.dirty");
    expect(err.textContent).toContain("hint: commit or stash");
    button(t, "upstream-merge-stash").click();
    await settle();
    expect(mocked.upstreamMerge).toHaveBeenLastCalledWith(null, true);
    expect(byTestId(t, "upstream-error")).toBeNull();

    mounted?.destroy();
    mocked.upstreamView.mockResolvedValue(
      upstreamView({ url: null, plan: null, open: [], default_target: null, target: null, problem: { code: "upstream.no_remote", message: "the fork has no remote `upstream`", hint: null, location: null } }),
    );
    mocked.upstreamSetRemote.mockResolvedValue({ done: { kind: "remote_set" }, view: upstreamView() });
    const t2 = show(await openWorkbench());
    await settle();
    expect(byTestId(t2, "upstream-problem")?.dataset.code).toBe("upstream.no_remote");
    expect(button(t2, "upstream-fetch").disabled).toBe(true);
    const url = byTestId(t2, "upstream-url") as HTMLInputElement;
    url.value = "https://github.com/panther-labs/panther-analysis";
    url.dispatchEvent(new Event("input", { bubbles: true }));
    flushSync();
    expect(button(t2, "upstream-url-save").disabled).toBe(false);
    button(t2, "upstream-url-save").click();
    await settle();
    expect(mocked.upstreamSetRemote).toHaveBeenCalledWith("https://github.com/panther-labs/panther-analysis");
    expect(byTestId(t2, "upstream-problem")).toBeNull();
  });

  it("renders IDs, questions and file texts from the repository as text", async () => {
    const hostile = upstreamItem({
      id: `Evil${IMG}`,
      class: "changed_both",
      outcome: "conflict",
      conflicts: [{ path: `Key${IMG}`, base: IMG, ours: IMG, theirs: IMG, reason: IMG }],
      notes: [IMG],
    });
    mocked.upstreamView.mockResolvedValue(upstreamView({ plan: { ...upstreamView().plan!, items: [hostile] }, open: [hostile.id] }));
    mocked.upstreamItem.mockResolvedValue(itemDetail(hostile, { ours: IMG, result: IMG }));
    const t = show(await openWorkbench());
    await settle();
    row(t, hostile.id)!.click();
    await settle();
    expect(t.querySelector("img")).toBeNull();
    expect((window as unknown as Record<string, unknown>).__pwned).toBeUndefined();
    expect(byTestId(t, "upstream-detail")?.textContent).toContain(IMG);
  });
});

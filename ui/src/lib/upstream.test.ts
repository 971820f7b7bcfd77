// The Upstream view's derivations: rows grouped by what they ask of the user (open first, then
// review, merged or answered, taken from upstream, fork-only under "all"), filters, counts per
// class in the core's order, an item's check found by ID or by the spec that could not load,
// what a decision means, the targets offered, when a merge can be committed, and the log lines.
import { describe, expect, it } from "vitest";
import type { UpstreamStep } from "./contract";
import {
  canCommit,
  checkFor,
  classCounts,
  decisionExplanation,
  defaultGroup,
  fetchText,
  filterRows,
  groupCounts,
  groupOf,
  itemDetail,
  openConflicts,
  openDecisions,
  rows,
  stepMessage,
  targetOptions,
  upToDate,
} from "./upstream";
import { THEIRS, deletedUpstream, itemCheck, mergedView, upstreamCheck, upstreamItem, upstreamView, THRESHOLD } from "../test/fixtures";

describe("rows", () => {
  it("groups the demo's plan by what each item asks of the user", () => {
    const all = rows(upstreamView());
    const groups = Object.fromEntries(all.map((r) => [r.key, r.group]));
    expect(groups).toEqual({
      "Demo.AWS.CloudTrail.Stopped": "needs_you",
      "Demo.Okta.BruteForceLogins": "needs_you",
      "Demo.AWS.Review": "review",
      "Demo.AWS.ConsoleLoginWithoutMFA": "merged",
      "Demo.AWS.CloudTrail.LoggingTampered": "from_upstream",
      "Acme.Local": "other",
      "README.md": "from_upstream",
    });
    expect(all.filter((r) => r.open).map((r) => r.key)).toEqual(["Demo.AWS.CloudTrail.Stopped", "Demo.Okta.BruteForceLogins"]);
    expect(all.at(-1)).toMatchObject({ kind: "file", type: "file" });
    expect(groupCounts(all)).toEqual({ needs_you: 2, review: 1, merged: 1, from_upstream: 2, all: 7 });
    expect(defaultGroup(all)).toBe("needs_you");
  });

  it("puts an answered conflict or decision under merged once it is no longer open", () => {
    const okta = upstreamItem({ id: "O", class: "changed_both", outcome: "conflict", conflicts: [THRESHOLD] });
    expect(groupOf(okta, true)).toBe("needs_you");
    // Markers edited away in the file: still a conflict in the plan, not open.
    expect(groupOf(okta, false)).toBe("merged");
    const answered = upstreamItem({ id: "S", class: "deleted_upstream", outcome: "clean", decision: deletedUpstream({ chosen: "theirs" }) });
    expect(groupOf(answered, false)).toBe("merged");
    expect(itemDetail(answered)).toBe("decided: take the deletion");
    const resolved = { ...okta, outcome: "merged" as const, resolved: { Threshold: "ours" as const } };
    expect(openConflicts(resolved)).toEqual([]);
    expect(itemDetail(okta)).toBe("conflict on Threshold");
  });

  it("filters by group and by text in the ID, path, type, class or detail", () => {
    const all = rows(upstreamView());
    expect(filterRows(all, "all", "").length).toBe(7);
    expect(filterRows(all, "needs_you", "okta").map((r) => r.key)).toEqual(["Demo.Okta.BruteForceLogins"]);
    expect(filterRows(all, "all", "NEW UPSTREAM").map((r) => r.key)).toEqual(["Demo.AWS.CloudTrail.LoggingTampered"]);
    expect(filterRows(all, "all", "logic may not").map((r) => r.key)).toEqual(["Demo.AWS.Review"]);
    expect(filterRows(all, "review", "okta")).toEqual([]);
    expect(defaultGroup(all.filter((r) => !r.open))).toBe("review");
    expect(defaultGroup(all.filter((r) => !r.open && r.group !== "review"))).toBe("all");
  });

  it("finds each item's check by ID, or by its spec when the spec could not load", () => {
    const view = mergedView();
    const all = rows(view);
    const okta = all.find((r) => r.key === "Demo.Okta.BruteForceLogins")!;
    expect(okta.check?.invalid[0]).toContain("conflict markers");
    expect(all.find((r) => r.key === "Demo.AWS.ConsoleLoginWithoutMFA")!.check?.failing).toHaveLength(1);
    expect(all.find((r) => r.key === "Acme.Local")!.check).toBeNull();
    const renamed = upstreamItem({ id: "Old.ID", renamed_to: "New.ID" });
    expect(checkFor(upstreamCheck([itemCheck({ id: "New.ID" })]), renamed)?.id).toBe("New.ID");
    expect(checkFor(null, renamed)).toBeNull();
  });

  it("has none without a plan", () => {
    expect(rows(upstreamView({ plan: null }))).toEqual([]);
  });
});

describe("the view's words", () => {
  it("counts classes in the core's report order", () => {
    expect(classCounts(upstreamView()).map((c) => `${c.count} ${c.label}`)).toEqual([
      "3 changed on both sides",
      "1 deleted upstream",
      "1 new upstream",
      "1 new in the fork",
      "23 unchanged",
    ]);
  });

  it("explains every kind of decision", () => {
    for (const kind of ["deleted_upstream", "renamed_upstream", "deleted_in_fork", "moved_both", "whole_file"] as const) {
      expect(decisionExplanation(kind).length).toBeGreaterThan(40);
    }
    expect(decisionExplanation("renamed_upstream")).toContain("new ID");
  });

  it("offers the default branch and each release as targets", () => {
    expect(targetOptions(upstreamView())).toEqual([
      { value: null, label: "upstream/main (default branch)" },
      { value: "v2.0.0", label: "v2.0.0" },
      { value: "v1.0.0", label: "v1.0.0" },
    ]);
    expect(targetOptions(upstreamView({ default_target: null, releases: [] }))[0].label).toBe("the default branch");
  });

  it("allows a commit only during a written merge with nothing open", () => {
    expect(canCommit(null)).toBe(false);
    expect(canCommit(upstreamView({ open: [] }))).toBe(false);
    expect(canCommit(mergedView())).toBe(false);
    expect(canCommit(mergedView({ open: [] }))).toBe(true);
    const interrupted = mergedView({ open: [] });
    interrupted.merge = { ...interrupted.merge!, interrupted: true };
    expect(canCommit(interrupted)).toBe(false);
    expect(openDecisions(mergedView())).toBe(1);
    expect(upToDate(upstreamView())).toBe(false);
    const done = upstreamView({ open: [] });
    done.plan = { ...done.plan!, base: THEIRS };
    expect(upToDate(done)).toBe(true);
    expect(upToDate(mergedView())).toBe(false);
    expect(openDecisions(null)).toBe(0);
  });

  it("says what a fetch and each step did", () => {
    expect(fetchText(null)).toBe("Fetching…");
    expect(fetchText({ received_objects: 5, total_objects: 10, received_bytes: 4096 })).toBe("Fetching: 5/10 objects, 4 kB");
    const steps: [UpstreamStep, string][] = [
      [{ kind: "remote_set" }, "Upstream remote set"],
      [{ kind: "fetched", fetched: { remote: "upstream", url: "/u", head: THEIRS, releases: ["v2.0.0"], received_objects: 12 } }, "Fetched upstream (/u): 12 objects, default branch at 3953320d42; releases: v2.0.0"],
      [{ kind: "merged", target: { label: "upstream/main", commit: THEIRS }, files: 15, stashed: null, resumed: false }, "Merged upstream/main (3953320d42) into the working tree: 15 files written"],
      [{ kind: "resolved", id: "Demo.Okta.BruteForceLogins" }, "Answered Demo.Okta.BruteForceLogins"],
      [{ kind: "accepted", decisions: 1 }, "Took the proposed answer for 1 decision"],
      [{ kind: "committed", committed: { commit: "5add1fa42bbafa", pre_merge: "951eb723d5e6", files: 15, stash_note: null } }, 'Merge commit 5add1fa42b (15 files); "Undo last merge" goes back to 951eb723d5'],
      [{ kind: "aborted", aborted: { restored: 14, kept: [], stash_note: null } }, "Merge aborted: 14 files restored from HEAD"],
      [{ kind: "undone", undone: { merge: "5add1fa42bbafa", head: "951eb723d5e6" } }, "Undone: HEAD is back at 951eb723d5 (the merge commit 5add1fa42b stays in refs/prowl/upstream/undone)"],
    ];
    for (const [step, text] of steps) expect(stepMessage(step)).toBe(text);
  });
});

// What the Upstream view derives from the shell's answers: the plan's items and files as rows
// grouped by what they ask of the user (needs you, review, merged, from upstream), the counts
// per class, the check of the merged result beside each item, what a decision or a review
// means in words, the targets offered, and a line for the output log per step. Pure functions,
// tested in upstream.test.ts. The words for classes follow the core's (`ChangeClass::label`).
import type {
  UpstreamCheck,
  UpstreamClass,
  UpstreamDecision,
  UpstreamDecisionKind,
  UpstreamFetchProgress,
  UpstreamFile,
  UpstreamItem,
  UpstreamItemCheck,
  UpstreamKeyConflict,
  UpstreamOutcome,
  UpstreamStep,
  UpstreamTake,
  UpstreamView,
} from "./contract";

/** The list's filters. */
export type Group = "needs_you" | "review" | "merged" | "from_upstream" | "all";
/** Where a row belongs (`other`: only the fork changed it; shown under "all"). */
export type RowGroup = Exclude<Group, "all"> | "other";

export const GROUPS: { group: Group; label: string; title: string }[] = [
  { group: "needs_you", label: "Needs you", title: "Decisions to take and conflicts still in the files" },
  { group: "review", label: "Review", title: "Merged without a conflict, but both sides changed the same function" },
  { group: "merged", label: "Merged", title: "Both sides' changes merged, or answered by you" },
  { group: "from_upstream", label: "From upstream", title: "Taken from upstream as it is (new, changed, moved, deleted there)" },
  { group: "all", label: "All", title: "Every item and file that changed on some side" },
];

/** The classes in the order reports list them (the core's `ChangeClass::ALL`). */
export const CLASS_ORDER: UpstreamClass[] = [
  "changed_both",
  "deleted_upstream",
  "renamed_upstream",
  "deleted_in_fork",
  "added_both",
  "changed_upstream",
  "new_upstream",
  "changed_in_fork",
  "new_in_fork",
  "deleted_both",
  "unchanged",
];

export const CLASS_LABEL: Record<UpstreamClass, string> = {
  unchanged: "unchanged",
  changed_upstream: "changed upstream",
  changed_in_fork: "changed in the fork",
  changed_both: "changed on both sides",
  new_upstream: "new upstream",
  new_in_fork: "new in the fork",
  added_both: "added on both sides",
  deleted_upstream: "deleted upstream",
  renamed_upstream: "ID changed upstream",
  deleted_in_fork: "deleted in the fork",
  deleted_both: "deleted on both sides",
};

export const OUTCOME_LABEL: Record<UpstreamOutcome, string> = {
  clean: "taken as it is",
  merged: "merged",
  review: "merged: review it",
  conflict: "conflict",
  decision: "needs a decision",
};

/** The counts per class, in report order, those with items only. */
export function classCounts(view: UpstreamView): { cls: UpstreamClass; label: string; count: number }[] {
  const counts = view.plan?.counts ?? {};
  return CLASS_ORDER.filter((c) => (counts[c] ?? 0) > 0).map((c) => ({ cls: c, label: CLASS_LABEL[c], count: counts[c] ?? 0 }));
}

/** One line of the list: an analysis item, or another file the merge changes. */
export interface Row {
  /** The ID (items) or the path (files): what `upstream_resolve` takes. */
  key: string;
  kind: "item" | "file";
  cls: UpstreamClass;
  outcome: UpstreamOutcome;
  group: RowGroup;
  /** Still needs the user (in `view.open`). */
  open: boolean;
  /** `rule`, `policy`, … (items); `file` for other files. */
  type: string;
  path: string;
  /** What happened to it, in words. */
  detail: string;
  item: UpstreamItem | null;
  file: UpstreamFile | null;
  /** Its entry in the check of the merged result. */
  check: UpstreamItemCheck | null;
}

const FROM_UPSTREAM: UpstreamClass[] = ["changed_upstream", "new_upstream", "deleted_upstream", "renamed_upstream", "deleted_in_fork", "added_both", "changed_both"];

function answered(item: UpstreamItem): boolean {
  return item.decision?.chosen != null || Object.keys(item.resolved).length > 0;
}

/** Where an item belongs: open first, then by what the merge did with it. */
export function groupOf(item: UpstreamItem, open: boolean): RowGroup {
  if (open) return "needs_you";
  if (item.outcome === "review") return "review";
  // A conflict or decision not open any more was answered (or its markers edited away).
  if (item.outcome !== "clean" || answered(item)) return "merged";
  return FROM_UPSTREAM.includes(item.class) ? "from_upstream" : "other";
}

function fileGroup(file: UpstreamFile, open: boolean): RowGroup {
  if (open) return "needs_you";
  if (file.outcome !== "clean" || file.decision?.chosen != null) return "merged";
  return FROM_UPSTREAM.includes(file.class) ? "from_upstream" : "other";
}

/** The conflicts of an item not yet answered. */
export function openConflicts(item: UpstreamItem): UpstreamKeyConflict[] {
  return item.conflicts.filter((c) => !(c.path in item.resolved));
}

/** What happened to an item, in words (as `prowl upstream status` says it). */
export function itemDetail(item: UpstreamItem): string {
  const parts: string[] = [];
  const d = item.decision;
  if (d) {
    if (d.chosen) parts.push(`decided: ${optionLabel(d, d.chosen)}`);
    else parts.push(d.question);
  }
  const open = openConflicts(item).map((c) => c.path);
  if (open.length) parts.push(`conflict on ${open.join(", ")}`);
  if (item.line_conflict) parts.push("conflicting lines (markers in the file)");
  parts.push(...item.review);
  if (item.merged.length && parts.length === 0) parts.push(`merged: ${item.merged.join("; ")}`);
  if (item.moved) parts.push(item.moved);
  if (item.renamed_to) parts.push(`now ${item.renamed_to} upstream`);
  parts.push(...item.notes);
  return parts.join("; ");
}

/** The words of a decision's option (`take` itself when the decision has no such option). */
export function optionLabel(decision: UpstreamDecision, take: UpstreamTake): string {
  return decision.options.find((o) => o.take === take)?.label ?? take;
}

/** An item's entry in the check: by its ID (or the ID it takes upstream), or by its files for a spec that could not load. */
export function checkFor(check: UpstreamCheck | null, item: UpstreamItem): UpstreamItemCheck | null {
  if (!check) return null;
  return (
    check.items.find((c) => c.id === item.id || (item.renamed_to !== null && c.id === item.renamed_to)) ??
    check.items.find((c) => c.path === item.path || (item.code_path !== null && c.path === item.code_path)) ??
    null
  );
}

/** Whether a check entry has problems. */
export function checkFailed(c: UpstreamItemCheck): boolean {
  return c.invalid.length > 0 || c.failing.length > 0;
}

/** The plan's items and files as rows, in the plan's order (decisions, conflicts, reviews, merges, the rest), files last. */
export function rows(view: UpstreamView): Row[] {
  const plan = view.plan;
  if (!plan) return [];
  const open = new Set(view.open);
  const items: Row[] = plan.items.map((item) => {
    const isOpen = open.has(item.id);
    return {
      key: item.id,
      kind: "item",
      cls: item.class,
      outcome: item.outcome,
      group: groupOf(item, isOpen),
      open: isOpen,
      type: item.analysis_type,
      path: item.path,
      detail: itemDetail(item),
      item,
      file: null,
      check: checkFor(view.check, item),
    };
  });
  const files: Row[] = plan.files.map((file) => {
    const isOpen = open.has(file.path);
    return {
      key: file.path,
      kind: "file",
      cls: file.class,
      outcome: file.outcome,
      group: fileGroup(file, isOpen),
      open: isOpen,
      type: file.binary ? "binary file" : "file",
      path: file.path,
      detail: file.decision && !file.decision.chosen ? file.decision.question : "",
      item: null,
      file,
      check: view.check?.items.find((c) => c.path === file.path) ?? null,
    };
  });
  return [...items, ...files];
}

/** Rows of `group` (every row for `all`) whose ID, path, type, class or detail holds `query`. */
export function filterRows(all: Row[], group: Group, query: string): Row[] {
  const q = query.trim().toLowerCase();
  return all.filter(
    (r) =>
      (group === "all" || r.group === group) &&
      (!q || [r.key, r.path, r.type, CLASS_LABEL[r.cls], r.detail].some((s) => s.toLowerCase().includes(q))),
  );
}

/** How many rows each filter shows. */
export function groupCounts(all: Row[]): Record<Group, number> {
  const counts: Record<Group, number> = { needs_you: 0, review: 0, merged: 0, from_upstream: 0, all: all.length };
  for (const r of all) if (r.group !== "other") counts[r.group] += 1;
  return counts;
}

/** The filter to start on: what needs the user, else what to review, else everything. */
export function defaultGroup(all: Row[]): Group {
  const c = groupCounts(all);
  if (c.needs_you > 0) return "needs_you";
  if (c.review > 0) return "review";
  return "all";
}

/** A decision's kind explained: what each answer does. */
export function decisionExplanation(kind: UpstreamDecisionKind): string {
  switch (kind) {
    case "deleted_upstream":
      return "Upstream no longer ships this item (deleted, or listed in deprecated.txt). Keeping it makes it a local item of the fork that upstream will not update; taking the deletion removes its files.";
    case "renamed_upstream":
      return "Upstream gave this item a new ID in the same file. Following the rename moves the fork's changes onto the new ID; keeping the old ID leaves a local copy beside upstream's; taking upstream's drops the fork's changes.";
    case "deleted_in_fork":
      return "The fork deleted this item, and upstream has changed it since. Keep it deleted, or bring upstream's new version back.";
    case "moved_both":
      return "Both sides moved this item's files, to different places: choose whose place it keeps.";
    case "whole_file":
      return "This file cannot be merged by lines (binary, or deleted on one side and changed on the other): take one side's version as a whole.";
  }
}

/** Why an item merged "by lines" still needs reading. */
export const REVIEW_EXPLANATION =
  "Both sides changed the same function. The lines merged without a conflict, but no one wrote the logic of the result: read it, and check its tests below.";

/** The sides a per-key answer can take, in the words of the view. */
export const TAKES: { take: UpstreamTake; label: string; title: string }[] = [
  { take: "ours", label: "fork", title: "Keep the fork's version of this key" },
  { take: "theirs", label: "upstream", title: "Take upstream's version of this key" },
  { take: "both", label: "both", title: "The fork's lines, then upstream's (for lists; a single value would be written twice)" },
];

/** The targets the picker offers: the remote's default branch (value null) and each release tag. */
export function targetOptions(view: UpstreamView): { value: string | null; label: string }[] {
  const out: { value: string | null; label: string }[] = [];
  out.push({ value: null, label: view.default_target ? `${view.default_target.label} (default branch)` : "the default branch" });
  for (const r of view.releases) out.push({ value: r, label: r });
  return out;
}

/** A commit's short form. */
export function short(oid: string | null | undefined): string {
  return (oid ?? "").slice(0, 10);
}

/** Whether the fork already has everything of the target (its merge base is the target): nothing to merge. */
export function upToDate(view: UpstreamView | null): boolean {
  return !!view?.plan && !view.merge && view.plan.base === view.plan.theirs;
}

/** Whether the merge in progress can be committed: written, and nothing open. */
export function canCommit(view: UpstreamView | null): boolean {
  return !!view?.merge && !view.merge.interrupted && view.open.length === 0;
}

/** How many decisions are still open (what "Accept proposed decisions" answers). */
export function openDecisions(view: UpstreamView | null): number {
  const plan = view?.plan;
  if (!plan) return 0;
  const undecided = (d: UpstreamDecision | null) => !!d && d.chosen === null;
  return plan.items.filter((i) => undecided(i.decision)).length + plan.files.filter((f) => undecided(f.decision)).length;
}

/** A fetch's progress as text. */
export function fetchText(p: UpstreamFetchProgress | null): string {
  if (!p || p.total_objects === 0) return "Fetching…";
  return `Fetching: ${p.received_objects}/${p.total_objects} objects, ${Math.round(p.received_bytes / 1024)} kB`;
}

/** What a step did, for the output log. */
export function stepMessage(done: UpstreamStep): string {
  switch (done.kind) {
    case "remote_set":
      return "Upstream remote set";
    case "fetched": {
      const f = done.fetched;
      const releases = f.releases.length ? `; releases: ${f.releases.slice(0, 5).join(", ")}${f.releases.length > 5 ? ", …" : ""}` : "";
      return `Fetched ${f.remote} (${f.url}): ${f.received_objects} objects${f.head ? `, default branch at ${short(f.head)}` : ""}${releases}`;
    }
    case "merged":
      return `${done.resumed ? "Resumed the merge of" : "Merged"} ${done.target.label} (${short(done.target.commit)}) into the working tree: ${done.files} files written${done.stashed ? `; your uncommitted changes were stashed (${short(done.stashed)}) and come back after the commit or abort` : ""}`;
    case "resolved":
      return `Answered ${done.id}`;
    case "accepted":
      return `Took the proposed answer for ${done.decisions} decision${done.decisions === 1 ? "" : "s"}`;
    case "committed": {
      const c = done.committed;
      return `Merge commit ${short(c.commit)} (${c.files} files); "Undo last merge" goes back to ${short(c.pre_merge)}${c.stash_note ? `; ${c.stash_note}` : ""}`;
    }
    case "aborted": {
      const a = done.aborted;
      return `Merge aborted: ${a.restored} files restored from HEAD${a.kept.length ? `; your edited copies kept at ${a.kept.join(", ")}` : ""}${a.stash_note ? `; ${a.stash_note}` : ""}`;
    }
    case "undone":
      return `Undone: HEAD is back at ${short(done.undone.head)} (the merge commit ${short(done.undone.merge)} stays in refs/prowl/upstream/undone)`;
  }
}

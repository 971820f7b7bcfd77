// What the explorer's badges and filters know about an item: its test status from the runs so
// far, what its code tried that the sandbox does not allow, its validation problems, and its
// uncommitted git changes. Pure functions over the contract's shapes.

import type { Change, DetectionResult, Diagnostic, GitFile, GitStatus, Item } from "./contract";
import { normalize, relativeTo } from "./paths";
import { detectionAttemptCount } from "./results";

export type TestStatus = "passing" | "failing" | "not_run" | "no_tests";

export const TEST_STATUS_LABELS: Record<TestStatus, string> = {
  passing: "Passing",
  failing: "Failing",
  not_run: "Not run",
  no_tests: "No tests",
};

/** The item's tests as of the latest run that included it (`result`), if any. */
export function testStatus(item: Item, result: DetectionResult | undefined): TestStatus {
  if (result) {
    if (result.setup_error || result.results.some((r) => !r.passed)) return "failing";
    if (result.results.length > 0) return "passing";
  }
  return item.tests.length > 0 ? "not_run" : "no_tests";
}

/** Number of failing tests in a result (a setup error with no results counts as one). */
export function failingCount(result: DetectionResult | undefined): number {
  if (!result) return 0;
  const failed = result.results.filter((r) => !r.passed).length;
  return failed === 0 && result.setup_error ? 1 : failed;
}

/** Test name → passed, for the test list's verdicts. */
export function verdicts(result: DetectionResult | undefined): Map<string, boolean> {
  const map = new Map<string, boolean>();
  for (const r of result?.results ?? []) map.set(r.name, r.passed);
  return map;
}

/** Keeps each detection's latest result: a run of one detection leaves the others' results. */
export function mergeResults(
  previous: Record<string, DetectionResult>,
  latest: DetectionResult[],
): Record<string, DetectionResult> {
  const next = { ...previous };
  for (const d of latest) next[d.id] = d;
  return next;
}

/** The absolute paths of an item's files (spec first). */
export function itemPaths(item: Item): string[] {
  return item.code_path ? [item.spec_path, item.code_path] : [item.spec_path];
}

/** The item's files relative to the workspace root. */
export function itemRelPaths(item: Item, root: string): string[] {
  const rel = [normalize(item.rel_path)];
  if (item.code_path) rel.push(relativeTo(root, item.code_path) ?? normalize(item.code_path));
  return rel;
}

export interface ProblemCount {
  errors: number;
  warnings: number;
}

/** Item ID → its files' problems. */
export function problemsByItem(items: Item[], diagnostics: Diagnostic[]): Map<string, ProblemCount> {
  const byFile = new Map<string, ProblemCount>();
  for (const d of diagnostics) {
    const key = normalize(d.file);
    const c = byFile.get(key) ?? { errors: 0, warnings: 0 };
    if (d.severity === "error") c.errors++;
    else c.warnings++;
    byFile.set(key, c);
  }
  const result = new Map<string, ProblemCount>();
  for (const item of items) {
    const total = { errors: 0, warnings: 0 };
    for (const p of itemPaths(item)) {
      const c = byFile.get(normalize(p));
      if (c) {
        total.errors += c.errors;
        total.warnings += c.warnings;
      }
    }
    if (total.errors + total.warnings > 0) result.set(item.id, total);
  }
  return result;
}

/** One-letter git marks, as editors show them. */
export type GitMark = "M" | "A" | "D" | "R" | "U" | "T" | "C";

const CHANGE_MARK: Record<Change, GitMark | null> = {
  unmodified: null,
  added: "A",
  modified: "M",
  deleted: "D",
  renamed: "R",
  untracked: "U",
  type_change: "T",
};

/** The mark of one status entry: conflict first, then the worktree change, then the index's. */
export function gitMark(file: GitFile): GitMark | null {
  if (file.conflicted) return "C";
  return CHANGE_MARK[file.worktree] ?? CHANGE_MARK[file.index];
}

/**
 * Changed files by every path a workspace file could be known by: a git status path is relative
 * to the repository root and the workspace may be a folder inside it, so `a/b/c.yml` is also
 * `b/c.yml` and `c.yml`. The first file in git's order wins, as a scan in that order would find.
 */
function changedBySuffix(files: GitFile[]): Map<string, GitFile> {
  const bySuffix = new Map<string, GitFile>();
  for (const f of files) {
    const g = normalize(f.path);
    for (let at = 0; at >= 0; at = g.indexOf("/", at) + 1 || -1) {
      const suffix = g.slice(at);
      if (suffix && !bySuffix.has(suffix)) bySuffix.set(suffix, f);
    }
  }
  return bySuffix;
}

/** Item ID → its git mark when one of its files has uncommitted changes. */
export function gitMarksByItem(items: Item[], git: GitStatus | null, root: string): Map<string, GitMark> {
  const result = new Map<string, GitMark>();
  if (!git) return result;
  const changed = git.files.filter((f) => gitMark(f) !== null);
  if (changed.length === 0) return result;
  const bySuffix = changedBySuffix(changed);
  for (const item of items) {
    for (const rel of itemRelPaths(item, root)) {
      const f = bySuffix.get(rel);
      if (f) {
        const mark = gitMark(f)!;
        const prev = result.get(item.id);
        // A conflict outranks everything; otherwise the first changed file decides.
        if (!prev || mark === "C") result.set(item.id, mark);
      }
    }
  }
  return result;
}

/** Everything the explorer shows or filters on besides the item's own fields. */
export interface ItemFacts {
  testStatus: TestStatus;
  failing: number;
  errors: number;
  warnings: number;
  git: GitMark | null;
  /** What its code tried that the sandbox does not allow, in its latest result (loading and tests). */
  attempts: number;
}

/** One item's facts from its latest result, its files' problem count and its git mark. */
export function factsFor(item: Item, result: DetectionResult | undefined, problems: ProblemCount | undefined, git: GitMark | null): ItemFacts {
  return {
    testStatus: testStatus(item, result),
    failing: failingCount(result),
    errors: problems?.errors ?? 0,
    warnings: problems?.warnings ?? 0,
    git,
    attempts: detectionAttemptCount(result),
  };
}

/**
 * Hands out the same ItemFacts object for an item as long as what it is made of is the same
 * (the item, its result, its problem count and git mark, compared by identity). A run of one
 * detection then yields a new object for that detection only, and whatever compares facts by
 * identity (a derived value, an explorer row) stops there for every other item.
 */
export class FactsMemo {
  #entries = new Map<
    string,
    { item: Item; result: DetectionResult | undefined; problems: ProblemCount | undefined; git: GitMark | null; facts: ItemFacts }
  >();

  get(item: Item, result: DetectionResult | undefined, problems: ProblemCount | undefined, git: GitMark | null): ItemFacts {
    const e = this.#entries.get(item.id);
    if (e && e.item === item && e.result === result && e.problems === problems && e.git === git) return e.facts;
    const facts = factsFor(item, result, problems, git);
    this.#entries.set(item.id, { item, result, problems, git, facts });
    return facts;
  }

  clear(): void {
    this.#entries.clear();
  }
}

export function itemFacts(
  items: Item[],
  results: Record<string, DetectionResult>,
  diagnostics: Diagnostic[],
  git: GitStatus | null,
  root: string,
  memo: FactsMemo = new FactsMemo(),
): Map<string, ItemFacts> {
  const problems = problemsByItem(items, diagnostics);
  const marks = gitMarksByItem(items, git, root);
  const facts = new Map<string, ItemFacts>();
  for (const item of items) facts.set(item.id, memo.get(item, results[item.id], problems.get(item.id), marks.get(item.id) ?? null));
  return facts;
}

// What the explorer's badges and filters know about an item: its test status from the runs so
// far, its validation problems, and its uncommitted git changes. Pure functions over the
// contract's shapes.

import type { Change, DetectionResult, Diagnostic, GitFile, GitStatus, Item } from "./contract";
import { normalize, relativeTo } from "./paths";

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
 * Whether a git status path (relative to the repository root) is the workspace file `rel`.
 * The workspace may be a folder inside the repository, so a path ending in `/rel` counts too.
 */
function gitPathIs(gitPath: string, rel: string): boolean {
  const g = normalize(gitPath);
  return g === rel || g.endsWith(`/${rel}`);
}

/** Item ID → its git mark when one of its files has uncommitted changes. */
export function gitMarksByItem(items: Item[], git: GitStatus | null, root: string): Map<string, GitMark> {
  const result = new Map<string, GitMark>();
  if (!git) return result;
  const changed = git.files.filter((f) => gitMark(f) !== null);
  if (changed.length === 0) return result;
  for (const item of items) {
    for (const rel of itemRelPaths(item, root)) {
      const f = changed.find((c) => gitPathIs(c.path, rel));
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
}

export function itemFacts(
  items: Item[],
  results: Record<string, DetectionResult>,
  diagnostics: Diagnostic[],
  git: GitStatus | null,
  root: string,
): Map<string, ItemFacts> {
  const problems = problemsByItem(items, diagnostics);
  const marks = gitMarksByItem(items, git, root);
  const facts = new Map<string, ItemFacts>();
  for (const item of items) {
    const result = results[item.id];
    const p = problems.get(item.id);
    facts.set(item.id, {
      testStatus: testStatus(item, result),
      failing: failingCount(result),
      errors: p?.errors ?? 0,
      warnings: p?.warnings ?? 0,
      git: marks.get(item.id) ?? null,
    });
  }
  return facts;
}

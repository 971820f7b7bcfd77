import { describe, expect, it } from "vitest";
import { ROOT, detectionResult, diagnostic, gitFile, gitStatus, item, testResult } from "../test/fixtures";
import type { GitStatus } from "./contract";
import { FactsMemo, failingCount, gitMark, gitMarksByItem, itemFacts, mergeResults, problemsByItem, testStatus, verdicts } from "./status";

const rule = item({ id: "Rule.A", tests: [{ name: "t1", expected_result: true, mocks: [], span: { line: 10, col: 5 } }] });
const untested = item({ id: "Rule.B", tests: [] });

describe("test status", () => {
  it("is not_run for an item with tests and no result, no_tests without tests", () => {
    expect(testStatus(rule, undefined)).toBe("not_run");
    expect(testStatus(untested, undefined)).toBe("no_tests");
  });

  it("is failing when any test failed or the detection could not load", () => {
    expect(testStatus(rule, detectionResult("Rule.A", [testResult("t1", true), testResult("t2", false)]))).toBe("failing");
    const setup = { type: "ImportError", message: "no module", traceback: [] };
    expect(testStatus(rule, detectionResult("Rule.A", [], { setup_error: setup }))).toBe("failing");
  });

  it("is passing when every test passed", () => {
    expect(testStatus(rule, detectionResult("Rule.A", [testResult("t1", true)]))).toBe("passing");
  });

  it("counts failing tests, a setup error as one", () => {
    expect(failingCount(detectionResult("x", [testResult("a", false), testResult("b", false), testResult("c", true)]))).toBe(2);
    expect(failingCount(detectionResult("x", [], { setup_error: { type: "E", message: "", traceback: [] } }))).toBe(1);
    expect(failingCount(undefined)).toBe(0);
  });

  it("maps verdicts by test name", () => {
    const v = verdicts(detectionResult("x", [testResult("a", true), testResult("b", false)]));
    expect(v.get("a")).toBe(true);
    expect(v.get("b")).toBe(false);
    expect(v.has("c")).toBe(false);
  });

  it("keeps other detections' results when a run covers one detection", () => {
    const first = mergeResults({}, [detectionResult("A", [testResult("t", false)]), detectionResult("B", [testResult("t", true)])]);
    const second = mergeResults(first, [detectionResult("A", [testResult("t", true)])]);
    expect(second.A.results[0].passed).toBe(true);
    expect(second.B.results[0].passed).toBe(true);
  });
});

describe("problems per item", () => {
  it("adds up errors and warnings of an item's spec and code", () => {
    const diags = [
      diagnostic({ file: rule.spec_path, severity: "error" }),
      diagnostic({ file: rule.code_path!, severity: "warning" }),
      diagnostic({ file: rule.spec_path, severity: "warning" }),
      diagnostic({ file: `${ROOT}/other.yml` }),
    ];
    const m = problemsByItem([rule, untested], diags);
    expect(m.get("Rule.A")).toEqual({ errors: 1, warnings: 2 });
    expect(m.has("Rule.B")).toBe(false);
  });
});

describe("git marks", () => {
  const status = (files: GitStatus["files"]): GitStatus => gitStatus(files);

  it("prefers the worktree change, then the index's, and conflicts over all", () => {
    expect(gitMark(gitFile({ path: "a", index: "added", worktree: "modified", conflicted: false }))).toBe("M");
    expect(gitMark(gitFile({ path: "a", index: "added", worktree: "unmodified", conflicted: false }))).toBe("A");
    expect(gitMark(gitFile({ path: "a", index: "unmodified", worktree: "untracked", conflicted: false }))).toBe("U");
    expect(gitMark(gitFile({ path: "a", index: "modified", worktree: "modified", conflicted: true }))).toBe("C");
    expect(gitMark(gitFile({ path: "a", index: "unmodified", worktree: "unmodified", conflicted: false }))).toBeNull();
  });

  it("marks an item when its spec or its Python file changed", () => {
    const codeRel = rule.code_path!.replace(`${ROOT}/`, "");
    const marks = gitMarksByItem([rule, untested], status([gitFile({ path: codeRel, index: "unmodified", worktree: "modified", conflicted: false })]), ROOT);
    expect(marks.get("Rule.A")).toBe("M");
    expect(marks.has("Rule.B")).toBe(false);
  });

  it("matches when the workspace is a folder inside the repository", () => {
    const marks = gitMarksByItem([untested], status([gitFile({ path: `content/${untested.rel_path}`, index: "added", worktree: "unmodified" })]), ROOT);
    expect(marks.get("Rule.B")).toBe("A");
  });

  it("matches whole path segments only, and the first changed file in git's order decides", () => {
    const specRel = rule.rel_path; // rules/rule_a.yml
    const codeRel = rule.code_path!.replace(`${ROOT}/`, "");
    const change = (path: string, worktree: "modified" | "untracked" | "deleted") => gitFile({ path, worktree });
    // "xrules/rule_a.yml" and "old_rules/rule_a.yml" end with the text but are other files.
    expect(gitMarksByItem([rule], status([change(`x${specRel}`, "modified"), change(`old_${specRel}`, "modified")]), ROOT).has("Rule.A")).toBe(false);
    const marks = gitMarksByItem([rule], status([change(`a/${codeRel}`, "deleted"), change(specRel, "untracked")]), ROOT);
    expect(marks.get("Rule.A")).toBe("U"); // the spec is looked at first
    const conflict = gitFile({ path: codeRel, index: "modified", worktree: "modified", conflicted: true, conflict: "both_modified" });
    expect(gitMarksByItem([rule], status([change(specRel, "modified"), conflict]), ROOT).get("Rule.A")).toBe("C");
  });

  it("puts everything together in the item facts", () => {
    const facts = itemFacts(
      [rule],
      { "Rule.A": detectionResult("Rule.A", [testResult("t1", false)]) },
      [diagnostic({ file: rule.spec_path })],
      status([gitFile({ path: rule.rel_path, index: "unmodified", worktree: "modified", conflicted: false })]),
      ROOT,
    );
    expect(facts.get("Rule.A")).toEqual({ testStatus: "failing", failing: 1, errors: 1, warnings: 0, git: "M", attempts: 0 });
  });

  it("counts what the item's code tried that the sandbox does not allow, loading and every test (the explorer's shield)", () => {
    const tried = { kind: "file", event: "open", detail: "open /home/u/.ssh/id_rsa", file: rule.code_path, line: 9 };
    const result = detectionResult("Rule.A", [testResult("t1", true, { attempts: [tried, tried] }), testResult("t2", true, { attempts: [tried] })], { attempts: [tried] });
    const facts = itemFacts([rule], { "Rule.A": result }, [], null, ROOT);
    expect(facts.get("Rule.A")).toMatchObject({ testStatus: "passing", attempts: 4 });
  });
});

describe("facts kept between runs", () => {
  const other = item({ id: "Rule.C", tests: [{ name: "c", expected_result: true, mocks: [], span: { line: 1, col: 1 } }] });

  it("a run of one detection gives that detection new facts and every other item the same object", () => {
    const memo = new FactsMemo();
    const first = { "Rule.A": detectionResult("Rule.A", [testResult("t1", true)]), "Rule.C": detectionResult("Rule.C", [testResult("c", true)]) };
    const before = itemFacts([rule, untested, other], first, [], null, ROOT, memo);
    const second = mergeResults(first, [detectionResult("Rule.A", [testResult("t1", false)])]);
    const after = itemFacts([rule, untested, other], second, [], null, ROOT, memo);
    expect(after.get("Rule.A")).not.toBe(before.get("Rule.A"));
    expect(after.get("Rule.A")).toMatchObject({ testStatus: "failing", failing: 1 });
    expect(after.get("Rule.B")).toBe(before.get("Rule.B"));
    expect(after.get("Rule.C")).toBe(before.get("Rule.C"));
  });

  it("new facts when the item, its problems or its git mark change", () => {
    const memo = new FactsMemo();
    const result = detectionResult("Rule.A", [testResult("t1", true)]);
    const base = memo.get(rule, result, undefined, null);
    expect(memo.get(rule, result, undefined, null)).toBe(base);
    expect(memo.get({ ...rule }, result, undefined, null)).not.toBe(base);
    const problems = { errors: 1, warnings: 0 };
    expect(memo.get(rule, result, problems, null)).toMatchObject({ errors: 1, testStatus: "passing" });
    expect(memo.get(rule, result, problems, "M")).toMatchObject({ errors: 1, git: "M" });
    memo.clear();
    expect(memo.get(rule, result, problems, "M")).toEqual({ testStatus: "passing", failing: 0, errors: 1, warnings: 0, git: "M", attempts: 0 });
  });
});

// The git store: every operation's new status lands in the workspace view (so the explorer's
// marks follow), the diff shown is the selected file's, destructive operations ask first.
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as api from "../api";
import type { FileDiff } from "../contract";
import { FakeDisk, RULE, VIEW } from "../../test/fakeShell";
import { gitFile, gitStatus } from "../../test/fixtures";
import { openWorkbench } from "../../test/workbench";

vi.mock("../api", async (importOriginal) => (await import("../../test/fakeShell")).fakeApi(await importOriginal()));

const mocked = vi.mocked(api);
const modified = gitFile({ path: RULE.rel_path });
const staged = gitFile({ path: RULE.rel_path, index: "modified", worktree: "unmodified" });
const gitView = { ...VIEW, git: gitStatus([modified]) };

function diffOf(path: string): FileDiff {
  return { path, old_path: null, old_text: "a\n", new_text: "b\n", binary: false, unified: "", hunks: [] };
}

beforeEach(() => {
  vi.clearAllMocks();
  new FakeDisk(mocked, FakeDisk.ruleFiles());
});

describe("the git store", () => {
  it("refresh puts the status in the workspace view and reads the branches", async () => {
    const wb = await openWorkbench(gitView);
    mocked.gitStatus.mockResolvedValue(gitStatus([modified], { operation: "merge" }));
    mocked.gitBranches.mockResolvedValue([{ name: "main", current: true, upstream: "origin/main" }, { name: "dev", current: false, upstream: null }]);
    await wb.git.refresh();
    expect(wb.workspace.git?.operation).toBe("merge");
    expect(wb.git.currentBranch).toBe("main");
    expect(wb.git.changes.map((f) => f.path)).toEqual([RULE.rel_path]);
    expect(wb.git.busy).toBe(false);
  });

  it("staging writes the returned status into the workspace view, so the item's git mark follows", async () => {
    const wb = await openWorkbench(gitView);
    expect(wb.facts.of("Rule.A")?.git).toBe("M");
    mocked.gitStage.mockResolvedValue(gitStatus([staged]));
    await wb.git.stage([RULE.rel_path]);
    expect(mocked.gitStage).toHaveBeenCalledWith([RULE.rel_path]);
    expect(wb.git.staged.map((f) => f.path)).toEqual([RULE.rel_path]);
    expect(wb.git.changes).toEqual([]);
    expect(wb.workspace.git?.files).toEqual([staged]);
  });

  it("shows the selected file's diff, and drops it when the file is no longer changed", async () => {
    const wb = await openWorkbench(gitView);
    mocked.gitDiff.mockImplementation(async (path) => diffOf(path));
    wb.git.select(RULE.rel_path, false);
    await vi.waitFor(() => expect(wb.git.diff?.path).toBe(RULE.rel_path));
    expect(mocked.gitDiff).toHaveBeenCalledWith(RULE.rel_path, false);
    wb.workspace.setGit(gitStatus([]));
    wb.git.followStatus();
    expect(wb.git.selected).toBeNull();
    expect(wb.git.diff).toBeNull();
  });

  it("drops a diff that arrives after another file was selected", async () => {
    const other = gitFile({ path: "rules/other.yml" });
    const wb = await openWorkbench({ ...VIEW, git: gitStatus([modified, other]) });
    let first: (d: FileDiff) => void = () => {};
    mocked.gitDiff.mockImplementationOnce(() => new Promise((resolve) => (first = resolve)));
    mocked.gitDiff.mockImplementationOnce(async (path) => diffOf(path));
    wb.git.select(RULE.rel_path, false);
    wb.git.select(other.path, false);
    await vi.waitFor(() => expect(wb.git.diff?.path).toBe(other.path));
    first(diffOf(RULE.rel_path));
    await Promise.resolve();
    expect(wb.git.diff?.path).toBe(other.path);
  });

  it("keeps a diff that fails as a ShellError with its place", async () => {
    const wb = await openWorkbench(gitView);
    mocked.gitDiff.mockRejectedValue({ code: "git.diff", message: "cannot diff", hint: "retry", location: { file: RULE.rel_path, line: null, column: null } });
    wb.git.select(RULE.rel_path, true);
    await vi.waitFor(() => expect(wb.git.diffError?.code).toBe("git.diff"));
    expect(wb.git.diffError?.place).toBe(RULE.rel_path);
  });

  it("discards only after the user agrees", async () => {
    const wb = await openWorkbench(gitView);
    const no = wb.git.discard(modified);
    expect(wb.notices.confirmRequest?.title).toBe("Discard the changes?");
    wb.notices.confirmRequest!.resolve(false);
    await no;
    expect(mocked.gitDiscard).not.toHaveBeenCalled();
    mocked.gitDiscard.mockResolvedValue(gitStatus([]));
    const yes = wb.git.discard(modified);
    wb.notices.confirmRequest!.resolve(true);
    await yes;
    expect(mocked.gitDiscard).toHaveBeenCalledWith([RULE.rel_path]);
    expect(wb.workspace.git?.files).toEqual([]);
  });

  it("commits the staged changes with the trimmed message", async () => {
    const wb = await openWorkbench({ ...VIEW, git: gitStatus([staged]) });
    mocked.gitCommit.mockResolvedValue({ oid: "0123456789abcdef", status: gitStatus([]) });
    expect(await wb.git.commit("  ")).toBe(false);
    expect(await wb.git.commit("  Tune the rule\n")).toBe(true);
    expect(mocked.gitCommit).toHaveBeenCalledWith("Tune the rule");
    expect(wb.workspace.git?.files).toEqual([]);
    expect(wb.notices.output.at(-1)?.text).toBe("Committed 01234567: Tune the rule");
  });

  it("switching branch with unsaved editors asks, then re-reads the workspace", async () => {
    const wb = await openWorkbench(gitView);
    mocked.gitBranches.mockResolvedValue([{ name: "main", current: true, upstream: null }, { name: "dev", current: false, upstream: null }]);
    mocked.gitStatus.mockResolvedValue(gitStatus([]));
    await wb.git.refresh();
    await wb.buffers.ensure(RULE.spec_path);
    wb.buffers.setText(RULE.spec_path, "unsaved\n");
    mocked.gitCheckout.mockResolvedValue(gitStatus([], { branch: "dev" }));
    mocked.workspaceView.mockResolvedValue({ ...gitView, git: gitStatus([], { branch: "dev" }) });
    const switching = wb.git.checkout("dev");
    expect(wb.notices.confirmRequest?.title).toBe("Switch branch with unsaved editors?");
    wb.notices.confirmRequest!.resolve(true);
    await switching;
    expect(mocked.gitCheckout).toHaveBeenCalledWith("dev");
    expect(mocked.workspaceView).toHaveBeenCalled();
    expect(wb.workspace.git?.branch).toBe("dev");
  });

  it("a failed operation is an error notice from git, with the shell's code", async () => {
    const wb = await openWorkbench(gitView);
    mocked.gitStage.mockRejectedValue({ code: "git.index_locked", message: "index.lock exists", hint: "remove .git/index.lock", location: null });
    await wb.git.stage([RULE.rel_path]);
    expect(wb.notices.list.at(-1)).toMatchObject({ title: "Could not stage", error: { code: "git.index_locked" } });
    expect(wb.notices.output.at(-1)?.source).toBe("git");
    expect(wb.workspace.git?.files).toEqual([modified]);
  });
});

// Open buffers against the shell: saves with stamps and conflicts, reloads, test edits and
// recovery copies. The shell is mocked at api.ts, with a fake disk.
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as api from "../api";
import { FakeDisk, RULE } from "../../test/fakeShell";
import { openWorkbench } from "../../test/workbench";

vi.mock("../api", async (importOriginal) => (await import("../../test/fakeShell")).fakeApi(await importOriginal()));

const mocked = vi.mocked(api);
const spec = RULE.spec_path;
let disk: FakeDisk;

beforeEach(() => {
  vi.clearAllMocks();
  disk = new FakeDisk(mocked, FakeDisk.ruleFiles());
});

describe("saving", () => {
  it("saves with the stamp from read_file, then is clean with the new stamp", async () => {
    const wb = await openWorkbench();
    await wb.buffers.ensure(spec);
    wb.buffers.setText(spec, "RuleID: Rule.B\n");
    expect(wb.buffers.isDirty(spec)).toBe(true);
    expect(await wb.buffers.save(spec)).toBe(true);
    expect(mocked.saveFile).toHaveBeenCalledWith(spec, "RuleID: Rule.B\n", "s1");
    expect(wb.buffers.get(spec)?.stamp).toBe("s1+");
    expect(wb.buffers.isDirty(spec)).toBe(false);
    expect(mocked.recoveryClear).toHaveBeenCalledWith(spec);
  });

  it("a save refused with file.conflict keeps the edits, shows the disk version and a clear message", async () => {
    const wb = await openWorkbench();
    await wb.buffers.ensure(spec);
    wb.buffers.setText(spec, "mine\n");
    disk.write(spec, "theirs\n", "s9");
    expect(await wb.buffers.save(spec)).toBe(false);
    const b = wb.buffers.get(spec)!;
    expect(b.text).toBe("mine\n");
    expect(b.conflict).toEqual({ reason: "save_refused", diskText: "theirs\n", diskStamp: "s9" });
    const notice = wb.notices.list.at(-1)!;
    expect(notice.title).toMatch(/Not saved: .* changed on disk/);
    expect(notice.error).toMatchObject({ code: "file.conflict", location: { file: spec, line: null, column: null } });
    // Keep mine: the next save overwrites the version the user has seen.
    wb.buffers.keepMine(spec);
    expect(await wb.buffers.save(spec)).toBe(true);
    expect(disk.text(spec)).toBe("mine\n");
  });

  it("any other refusal is an error notice with the shell's message, place and hint, and no conflict", async () => {
    const wb = await openWorkbench();
    await wb.buffers.ensure(spec);
    wb.buffers.setText(spec, "mine\n");
    // The message mentions a conflict, but the code decides.
    const error = { code: "file.permission", message: "conflict: read-only file", hint: "check its permissions", location: { file: spec, line: null, column: null } };
    mocked.saveFile.mockRejectedValueOnce(new api.ShellError(error));
    expect(await wb.buffers.save(spec)).toBe(false);
    expect(wb.buffers.get(spec)?.conflict).toBeNull();
    expect(wb.notices.list.at(-1)).toMatchObject({ level: "error", title: "Could not save rules/rule_a.yml", error });
    expect(wb.notices.output.at(-1)?.text).toBe(`Could not save rules/rule_a.yml: conflict: read-only file (${spec}) — hint: check its permissions`);
  });

  it("reload from disk drops the edits", async () => {
    const wb = await openWorkbench();
    await wb.buffers.ensure(spec);
    wb.buffers.setText(spec, "mine\n");
    disk.write(spec, "theirs\n", "s9");
    await wb.buffers.save(spec);
    const revision = wb.buffers.get(spec)!.revision;
    wb.buffers.reloadFromDisk(spec);
    expect(wb.buffers.get(spec)).toMatchObject({ text: "theirs\n", stamp: "s9", conflict: null });
    expect(wb.buffers.get(spec)?.revision).toBe(revision + 1);
    expect(wb.buffers.isDirty(spec)).toBe(false);
  });

  it("a file that cannot be read keeps its error (code file.not_found) and is never dirty", async () => {
    const wb = await openWorkbench();
    disk.remove(spec);
    const b = await wb.buffers.ensure(spec);
    expect(b.loadError?.code).toBe("file.not_found");
    wb.buffers.setText(spec, "typed\n");
    expect(wb.buffers.isDirty(spec)).toBe(false);
    expect(await wb.buffers.save(spec)).toBe(false);
  });
});

describe("test edits", () => {
  it("applies test edits one after another into the spec buffer", async () => {
    const wb = await openWorkbench();
    await wb.buffers.ensure(spec);
    const revision = wb.buffers.get(spec)!.revision;
    mocked.editTests.mockImplementation(async (text, edit) => ({ text: `${text}# ${edit.kind}\n` }));
    const ok = await wb.buffers.editTests(spec, [
      { kind: "rename", index: 0, name: "x" },
      { kind: "set_expected", index: 0, expected: false },
    ]);
    expect(ok).toBe(true);
    expect(wb.buffers.get(spec)?.text).toBe("RuleID: Rule.A\n# rename\n# set_expected\n");
    expect(wb.buffers.get(spec)?.revision).toBe(revision + 1);
    expect(wb.buffers.isDirty(spec)).toBe(true);
  });

  it("leaves the buffer as it was when an edit fails", async () => {
    const wb = await openWorkbench();
    await wb.buffers.ensure(spec);
    mocked.editTests.mockRejectedValueOnce({ code: "edit.parse", message: "bad YAML", hint: null, location: { file: spec, line: 3, column: 1 } });
    expect(await wb.buffers.editTests(spec, [{ kind: "delete", index: 0 }])).toBe(false);
    expect(wb.buffers.get(spec)?.text).toBe("RuleID: Rule.A\n");
    expect(wb.notices.list.at(-1)?.error?.place).toBe(`${spec}:3:1`);
  });
});

describe("recovery copies", () => {
  it("sends each changed unsaved buffer once", async () => {
    const wb = await openWorkbench();
    await wb.buffers.ensure(spec);
    wb.buffers.setText(spec, "unsaved\n");
    await wb.buffers.copyToRecovery();
    await wb.buffers.copyToRecovery();
    expect(mocked.recoverySave).toHaveBeenCalledTimes(1);
    expect(mocked.recoverySave).toHaveBeenCalledWith(spec, "unsaved\n");
  });

  it("removes the copy once the buffer is saved, and copies the next unsaved text", async () => {
    const wb = await openWorkbench();
    await wb.buffers.ensure(spec);
    wb.buffers.setText(spec, "first\n");
    await wb.buffers.copyToRecovery();
    await wb.buffers.save(spec);
    expect(mocked.recoveryClear).toHaveBeenCalledWith(spec);
    await wb.buffers.copyToRecovery();
    wb.buffers.setText(spec, "second\n");
    await wb.buffers.copyToRecovery();
    expect(mocked.recoverySave.mock.calls.map((c) => c[1])).toEqual(["first\n", "second\n"]);
  });
});

import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  ShellError,
  auditFile,
  auditSource,
  cancelAudit,
  cancelEnvironmentSync,
  editTests,
  environmentView,
  inTauri,
  listTests,
  onWorkspaceChanged,
  openWorkspace,
  runTests,
  saveFile,
  setTrust,
  syncEnvironment,
  toShellError,
  trustView,
} from "./api";

type Internals = {
  invoke: ReturnType<typeof vi.fn>;
  transformCallback: ReturnType<typeof vi.fn>;
  unregisterCallback: ReturnType<typeof vi.fn>;
};
const w = window as unknown as { __TAURI_INTERNALS__?: Internals };

describe("outside Tauri", () => {
  it("knows it is not in the shell", () => {
    expect(inTauri()).toBe(false);
  });

  it("rejects every command with a shell.unavailable ShellError that names the command", async () => {
    const err = await openWorkspace("/tmp/x").catch((e) => e);
    expect(err).toBeInstanceOf(ShellError);
    expect(err.code).toBe("shell.unavailable");
    expect(err.message).toContain("open_workspace");
    expect(err.hint).toMatch(/desktop app/);
  });

  it("rejects commands with a Channel the same way", async () => {
    const err = await runTests(null, null, () => {}).catch((e) => e);
    expect(err).toBeInstanceOf(ShellError);
    expect(err.code).toBe("shell.unavailable");
  });

  it("listens to no events and does not throw", async () => {
    const unlisten = await onWorkspaceChanged(() => {});
    expect(() => unlisten()).not.toThrow();
  });
});

describe("inside Tauri", () => {
  let internals: Internals;
  const callbacks = new Map<number, (m: unknown) => void>();

  beforeEach(() => {
    let next = 1;
    internals = {
      invoke: vi.fn(),
      transformCallback: vi.fn((cb: (m: unknown) => void) => {
        const id = next++;
        callbacks.set(id, cb);
        return id;
      }),
      unregisterCallback: vi.fn(),
    };
    w.__TAURI_INTERNALS__ = internals;
  });

  afterEach(() => {
    delete w.__TAURI_INTERNALS__;
    callbacks.clear();
  });

  it("passes the contract's camelCase arguments", async () => {
    internals.invoke.mockResolvedValue({ stamp: "s2" });
    await expect(saveFile("/ws/a.yml", "text", "s1")).resolves.toEqual({ stamp: "s2" });
    expect(internals.invoke).toHaveBeenCalledWith("save_file", { path: "/ws/a.yml", text: "text", stamp: "s1" }, undefined);
  });

  it("sends test edits as the TestEdit object", async () => {
    internals.invoke.mockResolvedValue({ text: "new" });
    await editTests("old", { kind: "rename", index: 2, name: "n" });
    expect(internals.invoke).toHaveBeenCalledWith("edit_tests", { text: "old", edit: { kind: "rename", index: 2, name: "n" } }, undefined);
  });

  it("asks the core for a spec's tests, and passes on its edit.parse error with the line", async () => {
    internals.invoke.mockResolvedValueOnce([]);
    await listTests("Tests: []\n");
    expect(internals.invoke).toHaveBeenCalledWith("list_tests", { text: "Tests: []\n" }, undefined);
    internals.invoke.mockRejectedValueOnce({ code: "edit.parse", message: "mapping values are not allowed here", hint: null, location: { file: "", line: 4, column: 9 } });
    const err = await listTests("a: b: c").catch((e) => e);
    expect(err).toBeInstanceOf(ShellError);
    expect(err).toMatchObject({ code: "edit.parse", location: { line: 4, column: 9 } });
  });

  it("streams run progress from the Channel to the callback", async () => {
    const seen: unknown[] = [];
    internals.invoke.mockImplementation(async (_cmd: string, args: { onProgress: { id: number } }) => {
      const deliver = callbacks.get(args.onProgress.id)!;
      deliver({ index: 0, message: { done: 1, total: 2, id: "A" } });
      deliver({ index: 1, message: { done: 2, total: 2, id: "B" } });
      return { exit_code: 0, summary: null, detections: [], elapsed_ms: 3, cancelled: false };
    });
    const report = await runTests(["A", "B"], ["t"], (p) => seen.push(p));
    expect(report.elapsed_ms).toBe(3);
    expect(seen).toEqual([
      { done: 1, total: 2, id: "A" },
      { done: 2, total: 2, id: "B" },
    ]);
    const [command, args] = internals.invoke.mock.calls[0];
    expect(command).toBe("run_tests");
    expect(args.ids).toEqual(["A", "B"]);
    expect(args.testNames).toEqual(["t"]);
  });

  it("syncs the environment with the approved list and allowed builds, streaming its progress lines", async () => {
    const lines: string[] = [];
    internals.invoke.mockImplementation(async (_cmd: string, args: { onProgress: { id: number } }) => {
      const deliver = callbacks.get(args.onProgress.id)!;
      deliver({ index: 0, message: "resolving" });
      deliver({ index: 1, message: "Resolved 27 packages in 441ms" });
      return { kind: "synced", environment: {} };
    });
    const outcome = await syncEnvironment(["requests==2.32.3"], ["pyyaml"], (line) => lines.push(line));
    expect(outcome.kind).toBe("synced");
    expect(lines).toEqual(["resolving", "Resolved 27 packages in 441ms"]);
    const [command, args] = internals.invoke.mock.calls[0];
    expect(command).toBe("sync_environment");
    expect(args.approved).toEqual(["requests==2.32.3"]);
    expect(args.allowBuilds).toEqual(["pyyaml"]);
  });

  it("reads the environment's view and cancels its sync with no arguments", async () => {
    internals.invoke.mockResolvedValue(null);
    await environmentView();
    await cancelEnvironmentSync();
    expect(internals.invoke.mock.calls.map((c) => [c[0], c[1]])).toEqual([
      ["environment_view", {}],
      ["cancel_environment_sync", {}],
    ]);
  });

  it("reads the workspace's trust with no arguments and sets it with `trusted`", async () => {
    internals.invoke.mockResolvedValue(null);
    await trustView();
    await setTrust(true);
    await setTrust(false);
    expect(internals.invoke.mock.calls.map((c) => [c[0], c[1]])).toEqual([
      ["trust_view", {}],
      ["set_trust", { trusted: true }],
      ["set_trust", { trusted: false }],
    ]);
  });

  it("audits a pack with the contract's arguments, streaming its progress, and reads its files by relative path", async () => {
    const seen: unknown[] = [];
    internals.invoke.mockImplementation(async (cmd: string, args: { onProgress?: { id: number } }) => {
      if (cmd !== "audit_source") return cmd === "audit_file" ? "text" : null;
      const deliver = callbacks.get(args.onProgress!.id)!;
      deliver({ index: 0, message: { stage: "preparing" } });
      deliver({ index: 1, message: { stage: "static", files: 3 } });
      return { summary: { verdict: "clean" } };
    });
    const report = await auditSource("/packs/p", "folder", null, true, (p) => seen.push(p));
    expect(report.summary.verdict).toBe("clean");
    expect(seen).toEqual([{ stage: "preparing" }, { stage: "static", files: 3 }]);
    const [command, args] = internals.invoke.mock.calls[0];
    expect(command).toBe("audit_source");
    expect(args).toMatchObject({ source: "/packs/p", kind: "folder", against: null, dynamic: true });
    await expect(auditFile("rules/a.py")).resolves.toBe("text");
    await cancelAudit();
    expect(internals.invoke.mock.calls.slice(1).map((c) => [c[0], c[1]])).toEqual([
      ["audit_file", { path: "rules/a.py" }],
      ["cancel_audit", {}],
    ]);
  });

  it("turns the shell's ErrorInfo into a ShellError with its code and fields", async () => {
    const location = { file: "/ws/a.yml", line: null, column: null };
    internals.invoke.mockRejectedValue({ code: "file.conflict", message: "changed on disk", hint: "reload", location });
    const err = await saveFile("/ws/a.yml", "x", "s").catch((e) => e);
    expect(err).toBeInstanceOf(ShellError);
    expect(err).toMatchObject({ code: "file.conflict", message: "changed on disk", hint: "reload", location });
    expect(err.place).toBe("/ws/a.yml");
  });

  it("keeps a bare string rejection (from Tauri itself) as a shell.invoke ShellError", async () => {
    internals.invoke.mockRejectedValue("command save_file not allowed");
    const err = await saveFile("/a", "x", null).catch((e) => e);
    expect(err).toMatchObject({ code: "shell.invoke", message: "command save_file not allowed", location: null });
  });
});

describe("toShellError", () => {
  it("places an error at file:line:column, or as much of it as is known", () => {
    const at = (line: number | null, column: number | null) =>
      toShellError({ code: "edit.parse", message: "m", hint: null, location: { file: "/a.yml", line, column } }).place;
    expect(at(3, 7)).toBe("/a.yml:3:7");
    expect(at(3, null)).toBe("/a.yml:3");
    expect(at(null, null)).toBe("/a.yml");
    expect(toShellError({ code: "git.remote", message: "m", hint: null, location: null }).place).toBeNull();
  });

  it("gives an object without a code the client code shell.invoke, keeping its message", () => {
    expect(toShellError({ message: "m" })).toMatchObject({ code: "shell.invoke", message: "m", hint: null, location: null });
  });
});

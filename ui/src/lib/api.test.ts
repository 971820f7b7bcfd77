import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AppError, editTests, inTauri, onWorkspaceChanged, openWorkspace, runTests, saveFile, toAppError } from "./api";

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

  it("rejects every command with a no_shell AppError that names the command", async () => {
    const err = await openWorkspace("/tmp/x").catch((e) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err.kind).toBe("no_shell");
    expect(err.message).toContain("open_workspace");
    expect(err.hint).toMatch(/desktop app/);
  });

  it("rejects commands with a Channel the same way", async () => {
    const err = await runTests(null, null, () => {}).catch((e) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err.kind).toBe("no_shell");
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

  it("streams run progress from the Channel to the callback", async () => {
    const seen: unknown[] = [];
    internals.invoke.mockImplementation(async (_cmd: string, args: { onProgress: { id: number } }) => {
      const deliver = callbacks.get(args.onProgress.id)!;
      deliver({ index: 0, message: { done: 1, total: 2, id: "A" } });
      deliver({ index: 1, message: { done: 2, total: 2, id: "B" } });
      return { exit_code: 0, summary: null, detections: [], elapsed_ms: 3 };
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

  it("turns the shell's error object into an AppError with its fields", async () => {
    internals.invoke.mockRejectedValue({ kind: "conflict", message: "changed on disk", hint: "reload", path: "/ws/a.yml", line: null });
    const err = await saveFile("/ws/a.yml", "x", "s").catch((e) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ kind: "conflict", message: "changed on disk", hint: "reload", path: "/ws/a.yml", line: null });
    expect(err.location).toBe("/ws/a.yml");
  });

  it("keeps a bare string rejection (from Tauri itself) as an io AppError", async () => {
    internals.invoke.mockRejectedValue("command save_file not allowed");
    const err = await saveFile("/a", "x", null).catch((e) => e);
    expect(err).toMatchObject({ kind: "io", message: "command save_file not allowed" });
  });
});

describe("toAppError", () => {
  it("keeps line numbers in the location", () => {
    expect(toAppError({ kind: "invalid", message: "m", hint: null, path: "/a.yml", line: 3 }).location).toBe("/a.yml:3");
  });

  it("maps unknown kinds to io", () => {
    expect(toAppError({ kind: "weird", message: "m" }).kind).toBe("io");
  });
});

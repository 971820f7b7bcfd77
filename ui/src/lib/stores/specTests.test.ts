// A spec buffer's tests come from the core (list_tests), following the text: typed text once
// typing pauses, replaced text at once, and never an answer for an older text than one shown.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import * as api from "../api";
import type { SpecTest } from "../contract";
import { DEBOUNCE_MS, SpecTestList } from "./specTests.svelte";
import { specTest } from "../../test/fixtures";

vi.mock("../api", async (importOriginal) => (await import("../../test/fakeShell")).fakeApi(await importOriginal()));

const mocked = vi.mocked(api);

/** list_tests answers that the test releases one by one, in any order. */
function heldAnswers() {
  const pending = new Map<string, (tests: SpecTest[]) => void>();
  mocked.listTests.mockImplementation((text) => new Promise((resolve) => pending.set(text, resolve)));
  return (text: string, tests: SpecTest[]) => pending.get(text)!(tests);
}

const names = (list: SpecTestList) => list.tests.map((t) => t.name);
const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

beforeEach(() => {
  vi.clearAllMocks();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("the tests of a spec buffer", () => {
  it("asks for the first text at once, for typed text once typing pauses", async () => {
    vi.useFakeTimers();
    mocked.listTests.mockImplementation(async (text) => [specTest({ index: 0, name: text.trim() })]);
    const list = new SpecTestList();
    list.update("a\n", 1);
    await vi.advanceTimersByTimeAsync(0);
    expect(names(list)).toEqual(["a"]);
    list.update("ab\n", 1);
    list.update("abc\n", 1);
    expect(list.stale).toBe(true);
    await vi.advanceTimersByTimeAsync(DEBOUNCE_MS - 10);
    expect(mocked.listTests).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(20);
    expect(mocked.listTests).toHaveBeenCalledTimes(2);
    expect(mocked.listTests).toHaveBeenLastCalledWith("abc\n");
    expect(names(list)).toEqual(["abc"]);
    expect(list.stale).toBe(false);
  });

  it("asks at once for text replaced from outside the editor (a new revision: a test edit, a reload)", async () => {
    vi.useFakeTimers();
    mocked.listTests.mockImplementation(async (text) => [specTest({ index: 0, name: text.trim() })]);
    const list = new SpecTestList();
    list.update("a\n", 1);
    await vi.advanceTimersByTimeAsync(0);
    list.update("edited\n", 2);
    await vi.advanceTimersByTimeAsync(0);
    expect(names(list)).toEqual(["edited"]);
  });

  it("drops an answer that arrives after the answer for a newer text", async () => {
    const answer = heldAnswers();
    const list = new SpecTestList();
    list.update("old\n", 1);
    list.update("new\n", 2);
    answer("new\n", [specTest({ index: 0, name: "new" })]);
    await flush();
    expect(names(list)).toEqual(["new"]);
    answer("old\n", [specTest({ index: 0, name: "old" })]);
    await flush();
    expect(names(list)).toEqual(["new"]);
    expect(list.stale).toBe(false);
  });

  it("shows an older text's answer that comes first, as stale, until the newest comes", async () => {
    const answer = heldAnswers();
    const list = new SpecTestList();
    list.update("old\n", 1);
    list.update("new\n", 2);
    answer("old\n", [specTest({ index: 0, name: "old" })]);
    await flush();
    expect(names(list)).toEqual(["old"]);
    expect(list.stale).toBe(true);
    const settled = list.settled();
    answer("new\n", [specTest({ index: 0, name: "new" })]);
    expect((await settled)?.text).toBe("new\n");
    expect(list.stale).toBe(false);
  });

  it("keeps the core's refusal with its code and line", async () => {
    mocked.listTests.mockRejectedValue({ code: "edit.parse", message: "did not find expected key", hint: null, location: { file: "", line: 4, column: 3 } });
    const list = new SpecTestList();
    list.update("Tests:\n  - Name: a\n   bad: [\n", 1);
    const answer = await list.settled();
    expect(answer?.ok).toBe(false);
    expect(answer && !answer.ok && answer.error).toMatchObject({ code: "edit.parse", location: { line: 4, column: 3 } });
    expect(list.tests).toEqual([]);
  });

  it("settled() sends typed text still waiting for a pause, and waits for its answer", async () => {
    mocked.listTests.mockImplementation(async (text) => [specTest({ index: 0, name: text.trim() })]);
    const list = new SpecTestList();
    list.update("a\n", 1);
    await list.settled();
    list.update("typed\n", 1);
    expect(mocked.listTests).toHaveBeenCalledTimes(1);
    const answer = await list.settled();
    expect(answer?.text).toBe("typed\n");
    expect(names(list)).toEqual(["typed"]);
    list.dispose();
  });
});

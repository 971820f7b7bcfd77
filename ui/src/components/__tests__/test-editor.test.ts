// The test editor drives edit_tests from UI actions and shows the tests parsed from the spec
// buffer with the last verdicts.
import { flushSync } from "svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import TestEditor from "../TestEditor.svelte";
import * as api from "../../lib/api";
import { Workbench } from "../../lib/workbench.svelte";
import { detectionResult, item, testResult } from "../../test/fixtures";
import { render, type Mounted } from "../../test/mount";

vi.mock("../../lib/api", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../lib/api")>();
  return { ...real, readFile: vi.fn(), editTests: vi.fn(), validateBuffer: vi.fn(async () => []), recoveryList: vi.fn(async () => []) };
});
const mocked = vi.mocked(api);

const SPEC = `AnalysisType: rule
RuleID: Rule.A
Tests:
  - Name: fires
    ExpectedResult: true
    Log: {"a": 1}
  - Name: quiet
    ExpectedResult: false
    Log: {"a": 2}
`;
const rule = item({ id: "Rule.A" });

let mounted: Mounted | null = null;
let wb: Workbench;

async function setup(): Promise<HTMLElement> {
  wb = new Workbench();
  await wb.enter({ root: "/ws", name: "ws", items: [rule], diagnostics: [], git: null });
  wb.buffers.stopRecoveryCopies();
  await wb.buffers.ensure(rule.spec_path);
  mounted = render(TestEditor, { item: rule, specPath: rule.spec_path }, wb);
  return mounted.target;
}

const q = (root: HTMLElement, testid: string) => root.querySelector<HTMLElement>(`[data-testid="${testid}"]`);
const all = (root: HTMLElement, testid: string) => [...root.querySelectorAll<HTMLElement>(`[data-testid="${testid}"]`)];

async function settle() {
  for (let i = 0; i < 5; i++) await Promise.resolve();
  flushSync();
}

beforeEach(() => {
  vi.clearAllMocks();
  mocked.readFile.mockResolvedValue({ path: rule.spec_path, text: SPEC, stamp: "s1" });
});

afterEach(() => {
  mounted?.destroy();
  mounted = null;
});

describe("TestEditor", () => {
  it("lists the buffer's tests with the last run's verdicts", async () => {
    const root = await setup();
    expect(all(root, "test-item").map((e) => e.dataset.name)).toEqual(["fires", "quiet"]);
    expect(all(root, "test-verdict")).toHaveLength(0);
    wb.runs.results = { "Rule.A": detectionResult("Rule.A", [testResult("fires", true), testResult("quiet", false)]) };
    flushSync();
    expect(all(root, "test-verdict").map((e) => e.textContent)).toEqual(["PASS", "FAIL"]);
  });

  it("follows the spec buffer as it changes", async () => {
    const root = await setup();
    wb.buffers.replaceText(rule.spec_path, SPEC.replace("Name: quiet", "Name: silent"));
    flushSync();
    expect(all(root, "test-item").map((e) => e.dataset.name)).toEqual(["fires", "silent"]);
  });

  it("adds a test through edit_tests and puts the new spec text in the buffer", async () => {
    const root = await setup();
    mocked.editTests.mockResolvedValue({ text: `${SPEC}  - Name: New test\n    ExpectedResult: true\n    Log: {}\n` });
    q(root, "test-add")!.click();
    await settle();
    const name = q(root, "test-name-input") as HTMLInputElement;
    expect(name.value).toBe("New test");
    expect(q(root, "test-event-editor")?.querySelector(".cm-content")).not.toBeNull();
    q(root, "test-save-edit")!.click();
    await settle();
    expect(mocked.editTests).toHaveBeenCalledWith(SPEC, { kind: "add", test: { Name: "New test", ExpectedResult: true, Log: {} } });
    expect(wb.buffers.get(rule.spec_path)?.text).toContain("Name: New test");
    expect(wb.buffers.isDirty(rule.spec_path)).toBe(true);
    expect(all(root, "test-item").map((e) => e.dataset.name)).toEqual(["fires", "quiet", "New test"]);
  });

  it("renames and toggles ExpectedResult of the selected test in one apply", async () => {
    const root = await setup();
    mocked.editTests.mockImplementation(async (text) => ({ text }));
    const name = q(root, "test-name-input") as HTMLInputElement;
    expect(name.value).toBe("fires");
    name.value = "fires on a";
    name.dispatchEvent(new Event("input", { bubbles: true }));
    q(root, "test-expected-toggle")!.click();
    await settle();
    q(root, "test-save-edit")!.click();
    await settle();
    expect(mocked.editTests.mock.calls.map((c) => c[1])).toEqual([
      { kind: "set_expected", index: 0, expected: false },
      { kind: "rename", index: 0, name: "fires on a" },
    ]);
  });

  it("will not apply a name another test has", async () => {
    const root = await setup();
    const name = q(root, "test-name-input") as HTMLInputElement;
    name.value = "quiet";
    name.dispatchEvent(new Event("input", { bubbles: true }));
    flushSync();
    expect((q(root, "test-save-edit") as HTMLButtonElement).disabled).toBe(true);
    expect(root.textContent).toContain('Another test is already named "quiet".');
  });

  it("duplicates with a free name and deletes after confirmation", async () => {
    const root = await setup();
    mocked.editTests.mockImplementation(async (text) => ({ text }));
    all(root, "test-duplicate")[1].click();
    await settle();
    expect(mocked.editTests).toHaveBeenLastCalledWith(SPEC, { kind: "duplicate", index: 1, name: "quiet (copy)" });
    all(root, "test-delete")[0].click();
    await settle();
    expect(wb.notices.confirmRequest?.title).toBe("Delete this test?");
    wb.notices.confirmRequest!.resolve(true);
    await settle();
    expect(mocked.editTests).toHaveBeenLastCalledWith(SPEC, { kind: "delete", index: 0 });
  });

  it("shows the event's fields as text", async () => {
    const root = await setup();
    expect(all(root, "event-value").map((e) => e.textContent)).toEqual(["1"]);
  });
});

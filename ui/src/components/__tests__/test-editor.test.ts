// The test editor drives edit_tests from UI actions and shows the spec buffer's tests, as the
// core reads them (list_tests, mocked here with the core's answers for the texts used), with the
// last verdicts.
import { flushSync } from "svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import TestEditor from "../TestEditor.svelte";
import * as api from "../../lib/api";
import type { SpecTest } from "../../lib/contract";
import { Workbench } from "../../lib/workbench.svelte";
import { detectionResult, item, specTest, testResult, trustState } from "../../test/fixtures";
import { render, type Mounted } from "../../test/mount";

vi.mock("../../lib/api", async (importOriginal) => (await import("../../test/fakeShell")).fakeApi(await importOriginal()));
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
const FIRES = specTest({ index: 0, name: "fires", expected: true, event: { a: 1 }, line: 4 });
const QUIET = specTest({ index: 1, name: "quiet", expected: false, event: { a: 2 }, line: 7 });
const ADDED = `${SPEC}  - Name: New test\n    ExpectedResult: true\n    Log: {}\n`;

/** What the core answers list_tests for each spec text a test puts in the buffer. */
let core: Map<string, SpecTest[]>;

const rule = item({ id: "Rule.A" });

let mounted: Mounted | null = null;
let wb: Workbench;

async function setup(): Promise<HTMLElement> {
  wb = new Workbench();
  await wb.enter({ root: "/ws", name: "ws", items: [rule], diagnostics: [], git: null, trust: trustState() });
  wb.buffers.stopRecoveryCopies();
  await wb.buffers.ensure(rule.spec_path);
  mounted = render(TestEditor, { item: rule, specPath: rule.spec_path }, wb);
  await settle();
  return mounted.target;
}

const q = (root: HTMLElement, testid: string) => root.querySelector<HTMLElement>(`[data-testid="${testid}"]`);
const all = (root: HTMLElement, testid: string) => [...root.querySelectorAll<HTMLElement>(`[data-testid="${testid}"]`)];

/** Lets the shell's (mocked) answers arrive and the page update. */
async function settle() {
  for (let i = 0; i < 4; i++) {
    for (let k = 0; k < 5; k++) await Promise.resolve();
    flushSync();
  }
}

beforeEach(() => {
  vi.clearAllMocks();
  mocked.readFile.mockResolvedValue({ path: rule.spec_path, text: SPEC, stamp: "s1" });
  core = new Map([
    [SPEC, [FIRES, QUIET]],
    [SPEC.replace("Name: quiet", "Name: silent"), [FIRES, { ...QUIET, name: "silent" }]],
    [ADDED, [FIRES, QUIET, specTest({ index: 2, name: "New test", expected: true, event: {}, line: 10 })]],
  ]);
  mocked.listTests.mockImplementation(async (text) => {
    const tests = core.get(text);
    if (!tests) throw new Error(`the test gives no core answer for this spec text:\n${text}`);
    return tests;
  });
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
    await settle();
    expect(mocked.listTests).toHaveBeenLastCalledWith(SPEC.replace("Name: quiet", "Name: silent"));
    expect(all(root, "test-item").map((e) => e.dataset.name)).toEqual(["fires", "silent"]);
  });

  it("adds a test through edit_tests and puts the new spec text in the buffer", async () => {
    const root = await setup();
    mocked.editTests.mockResolvedValue({ text: ADDED });
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
    expect((q(root, "test-name-input") as HTMLInputElement).value).toBe("New test");
  });

  it("a test added before the core's first answer keeps its form when the tests arrive", async () => {
    let answer: (tests: SpecTest[]) => void = () => {};
    mocked.listTests.mockImplementationOnce(() => new Promise((resolve) => (answer = resolve)));
    const root = await setup();
    expect(root.textContent).toContain("Loading the spec…");
    q(root, "test-add")!.click();
    await settle();
    answer([FIRES, QUIET]);
    await settle();
    expect((q(root, "test-name-input") as HTMLInputElement).value).toBe("New test");
    expect(all(root, "test-item").map((e) => e.dataset.name)).toEqual(["fires", "quiet"]);
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

  it("shows a test whose ExpectedResult the core does not read as a boolean (yes) as not true/false, with a hint", async () => {
    const yesSpec = "AnalysisType: rule\nRuleID: Rule.A\nTests:\n  - Name: answers yes\n    ExpectedResult: yes\n    Log: {}\n";
    core.set(yesSpec, [specTest({ index: 0, name: "answers yes", expected: null, event: {}, line: 4 })]);
    mocked.readFile.mockResolvedValue({ path: rule.spec_path, text: yesSpec, stamp: "s1" });
    mocked.editTests.mockImplementation(async (text) => ({ text }));
    const root = await setup();
    expect(q(root, "test-expected")?.textContent).toBe("not true/false");
    expect(q(root, "test-expected-hint")?.textContent).toMatch(/ExpectedResult is not true\/false/);
    const toggle = q(root, "test-expected-toggle") as HTMLInputElement;
    expect(toggle.indeterminate).toBe(true);
    expect(toggle.checked).toBe(false);
    // Nothing to apply until the user picks true or false.
    expect((q(root, "test-save-edit") as HTMLButtonElement).disabled).toBe(true);
    toggle.click();
    await settle();
    expect(q(root, "test-expected-hint")).toBeNull();
    q(root, "test-save-edit")!.click();
    await settle();
    expect(mocked.editTests.mock.calls.map((c) => c[1])).toEqual([{ kind: "set_expected", index: 0, expected: true }]);
  });

  it("says where the core cannot read the spec (edit.parse with its line), and offers no test to edit", async () => {
    const broken = "Tests:\n  - Name: a\n   bad: [\n";
    mocked.readFile.mockResolvedValue({ path: rule.spec_path, text: broken, stamp: "s1" });
    mocked.listTests.mockRejectedValue({ code: "edit.parse", message: "did not find expected key", hint: null, location: { file: "", line: 3, column: 4 } });
    const root = await setup();
    expect(root.querySelector('[role="alert"]')?.textContent).toContain("The spec's YAML does not parse (line 3, column 4): did not find expected key.");
    expect(all(root, "test-item")).toHaveLength(0);
    expect((q(root, "test-add") as HTMLButtonElement).disabled).toBe(true);
  });
});

describe("a test added elsewhere (a replayed event)", () => {
  it("is selected in the form and its lines shown in the spec, once", async () => {
    const target = await setup();
    expect((q(target, "test-name-input") as HTMLInputElement).value).toBe("fires");
    // The Replay view added a test through edit_tests and asks for it to be shown (here "quiet").
    wb.tabs.revealTest(rule.id, "quiet");
    await settle();
    expect((q(target, "test-name-input") as HTMLInputElement).value).toBe("quiet");
    expect(wb.buffers.get(rule.spec_path)!.jump).toMatchObject({ line: 7 });
    expect(wb.tabs.testReveal).toBeNull();
    // A request for another detection is not this editor's.
    wb.tabs.testReveal = { id: "Rule.Other", name: "fires", seq: 9 };
    await settle();
    expect((q(target, "test-name-input") as HTMLInputElement).value).toBe("quiet");
    expect(wb.tabs.testReveal).not.toBeNull();
  });
});

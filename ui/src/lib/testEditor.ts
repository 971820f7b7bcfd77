// The test editor's model. The spec buffer is the truth: its `Tests`, as the core reads them
// (list_tests, see stores/specTests.svelte.ts), make the list and the form, and every change the
// user makes in the form becomes `TestEdit`s that the shell's `edit_tests` applies to the buffer
// text (changing only that test's lines).

import type { MockSpec, NewTest, SpecTest, TestEdit } from "./contract";
import { canonicalJson, checkJson } from "./json";

/** A test's name as the list and the form show it ("" when the spec gives none). */
export function testName(test: SpecTest): string {
  return test.name ?? "";
}

/** What the list says a test expects; `null` is an ExpectedResult that is not true/false. */
export function expectationLabel(expected: boolean | null): string {
  return expected === null ? "not true/false" : expected ? "alerts" : "no alert";
}

/** Why a test's expectation shows as unset. */
export const EXPECTED_NOT_BOOLEAN =
  "ExpectedResult is not true/false (PAT reads yes, no, on and off as text, not booleans), so the test cannot pass or fail as meant. Tick or untick it and apply to set it.";

// ---- The form --------------------------------------------------------------------------------

export interface MockRow {
  objectName: string;
  returnValue: string;
}

/** What the form holds: a copy of one test (index) or a new one (index null). */
export interface TestDraft {
  index: number | null;
  name: string;
  /** null: the spec's ExpectedResult is not a boolean and the user has not chosen one yet. */
  expected: boolean | null;
  eventText: string;
  mocks: MockRow[];
}

/** The event of a test as the form's JSON text ("{}" when the test has none). */
export function eventJson(test: SpecTest): string {
  return test.event_key === null ? "{}" : JSON.stringify(test.event, null, 2);
}

function mockRows(mocks: MockSpec[]): MockRow[] {
  return mocks.map((m) => ({ objectName: m.object_name, returnValue: m.return_value }));
}

export function draftFromTest(test: SpecTest): TestDraft {
  return {
    index: test.index,
    name: testName(test),
    expected: test.expected,
    eventText: eventJson(test),
    mocks: mockRows(test.mocks),
  };
}

/** `base`, or `base 2`, `base 3`… whichever no test has yet. */
export function uniqueName(base: string, taken: string[]): string {
  const names = new Set(taken);
  if (!names.has(base)) return base;
  for (let n = 2; ; n++) {
    const candidate = `${base} ${n}`;
    if (!names.has(candidate)) return candidate;
  }
}

export function newDraft(tests: SpecTest[]): TestDraft {
  return {
    index: null,
    name: uniqueName("New test", tests.map(testName)),
    expected: true,
    eventText: "{}",
    mocks: [],
  };
}

/** Policies test a `Resource`; every other detection a `Log`. */
export function eventKeyFor(analysisType: string): "Log" | "Resource" {
  return analysisType === "policy" ? "Resource" : "Log";
}

function filledMocks(rows: MockRow[]): MockRow[] {
  return rows.filter((r) => r.objectName.trim() !== "" || r.returnValue !== "");
}

/** What stops the draft from being applied, in words for the user (empty: it can be applied). */
export function draftProblems(draft: TestDraft, tests: SpecTest[]): string[] {
  const problems: string[] = [];
  const name = draft.name.trim();
  if (name === "") problems.push("The test needs a name.");
  else if (tests.some((t) => t.index !== draft.index && testName(t) === name)) {
    problems.push(`Another test is already named "${name}".`);
  }
  if (draft.index === null && draft.expected === null) problems.push("Choose whether the detection should alert (ExpectedResult).");
  const json = checkJson(draft.eventText);
  if (!json.ok) problems.push(`Event JSON, line ${json.line}, column ${json.col}: ${json.message}.`);
  else if (!json.value || typeof json.value !== "object" || Array.isArray(json.value)) {
    problems.push("The event must be a JSON object: { … }.");
  }
  const mocks = filledMocks(draft.mocks);
  if (mocks.some((m) => m.objectName.trim() === "")) problems.push("Every mock needs an object name.");
  const names = mocks.map((m) => m.objectName.trim()).filter(Boolean);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) problems.push(`The object "${dup}" is mocked twice.`);
  return problems;
}

function sameMocks(a: MockRow[], b: MockSpec[]): boolean {
  return a.length === b.length && a.every((m, i) => m.objectName === b[i].object_name && m.returnValue === b[i].return_value);
}

/**
 * The edits that turn `original` into `draft` (or add the draft when `original` is null).
 * Call only when `draftProblems` is empty.
 */
export function editsForDraft(draft: TestDraft, original: SpecTest | null, analysisType: string): TestEdit[] {
  const json = checkJson(draft.eventText);
  if (!json.ok) throw new Error(`invalid event JSON: ${json.message}`);
  const event = json.value;
  const name = draft.name.trim();
  const mocks = filledMocks(draft.mocks).map((m) => ({ objectName: m.objectName.trim(), returnValue: m.returnValue }));
  if (original === null) {
    const test: NewTest = { Name: name, ExpectedResult: draft.expected ?? true };
    test[eventKeyFor(analysisType)] = event;
    if (mocks.length > 0) test.Mocks = mocks;
    return [{ kind: "add", test }];
  }
  const index = original.index;
  const edits: TestEdit[] = [];
  if (original.event_key === null || canonicalJson(original.event) !== canonicalJson(event)) {
    edits.push({ kind: "set_event", index, event });
  }
  if (!sameMocks(mocks, original.mocks)) {
    const spec: MockSpec[] = mocks.map((m) => ({ object_name: m.objectName, return_value: m.returnValue }));
    edits.push({ kind: "set_mocks", index, mocks: spec });
  }
  if (draft.expected !== null && original.expected !== draft.expected) edits.push({ kind: "set_expected", index, expected: draft.expected });
  if (testName(original) !== name) edits.push({ kind: "rename", index, name });
  return edits;
}

/** Whether the form differs from the test it was made from. */
export function draftChanged(draft: TestDraft, original: SpecTest | null): boolean {
  if (original === null) return true;
  const json = checkJson(draft.eventText);
  const eventSame = json.ok && original.event_key !== null && canonicalJson(json.value) === canonicalJson(original.event);
  return (
    !eventSame ||
    draft.name.trim() !== testName(original) ||
    draft.expected !== original.expected ||
    !sameMocks(filledMocks(draft.mocks), original.mocks)
  );
}

export function duplicateEdit(test: SpecTest, tests: SpecTest[]): TestEdit {
  return { kind: "duplicate", index: test.index, name: uniqueName(`${testName(test)} (copy)`, tests.map(testName)) };
}

export function deleteEdit(test: SpecTest): TestEdit {
  return { kind: "delete", index: test.index };
}

// The test editor's model. The spec buffer is the truth: its `Tests` are parsed here for the
// list and the form, and every change the user makes in the form becomes `TestEdit`s that the
// shell's `edit_tests` applies to the buffer text (changing only that test's lines).

import { LineCounter, isMap, isSeq, parseDocument } from "yaml";
import type { MockSpec, NewTest, TestEdit, YamlMock } from "./contract";
import { canonicalJson, checkJson } from "./json";

export interface SpecTest {
  /** Position in the spec's `Tests` list (what `TestEdit.index` means). */
  index: number;
  name: string;
  expected: boolean | null;
  /** Which key holds the event in the YAML, if any. */
  eventKey: "Log" | "Resource" | null;
  event: unknown;
  mocks: YamlMock[];
  /** 1-based line of the test in the spec. */
  line: number;
}

export type ParsedTests =
  | { ok: true; tests: SpecTest[] }
  | { ok: false; message: string; line: number | null };

/** Dates (YAML 1.1 timestamps) as ISO text, so an event round-trips through JSON. */
function plain(value: unknown): unknown {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? String(value) : value.toISOString();
  if (Array.isArray(value)) return value.map(plain);
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), plain(v)]));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

function mockText(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === undefined || value === null) return "";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/** The `Tests` of a spec's text, read as PAT reads YAML (1.1). */
export function parseSpecTests(text: string): ParsedTests {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, version: "1.1", uniqueKeys: false, prettyErrors: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    return { ok: false, message: e.message.split("\n")[0], line: e.linePos?.[0]?.line ?? null };
  }
  if (!isMap(doc.contents)) {
    return { ok: true, tests: [] };
  }
  const testsNode = doc.get("Tests", true);
  if (testsNode === undefined || testsNode === null) return { ok: true, tests: [] };
  if (!isSeq(testsNode)) {
    return { ok: false, message: "`Tests` is not a list.", line: null };
  }
  let js: unknown;
  try {
    js = plain(doc.toJS({ maxAliasCount: 1000 }));
  } catch (e) {
    return { ok: false, message: e instanceof Error ? e.message : String(e), line: null };
  }
  const values = ((js as Record<string, unknown>).Tests ?? []) as unknown[];
  const tests: SpecTest[] = values.map((raw, index) => {
    const node = testsNode.items[index] as { range?: [number, number, number] } | undefined;
    const line = node?.range ? lines.linePos(node.range[0]).line : 1;
    const t = raw && typeof raw === "object" && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
    const eventKey = "Log" in t ? "Log" : "Resource" in t ? "Resource" : null;
    const mocks = Array.isArray(t.Mocks)
      ? t.Mocks.map((m) => {
          const o = m && typeof m === "object" ? (m as Record<string, unknown>) : {};
          return { objectName: mockText(o.objectName), returnValue: mockText(o.returnValue) };
        })
      : [];
    return {
      index,
      name: t.Name === undefined || t.Name === null ? "" : String(t.Name),
      expected: typeof t.ExpectedResult === "boolean" ? t.ExpectedResult : null,
      eventKey,
      event: eventKey ? t[eventKey] : undefined,
      mocks,
      line,
    };
  });
  return { ok: true, tests };
}

// ---- The form --------------------------------------------------------------------------------

export interface MockRow {
  objectName: string;
  returnValue: string;
}

/** What the form holds: a copy of one test (index) or a new one (index null). */
export interface TestDraft {
  index: number | null;
  name: string;
  expected: boolean;
  eventText: string;
  mocks: MockRow[];
}

export function eventJson(event: unknown): string {
  return event === undefined ? "{}" : JSON.stringify(event, null, 2);
}

export function draftFromTest(test: SpecTest): TestDraft {
  return {
    index: test.index,
    name: test.name,
    expected: test.expected ?? false,
    eventText: eventJson(test.event),
    mocks: test.mocks.map((m) => ({ ...m })),
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
    name: uniqueName("New test", tests.map((t) => t.name)),
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
  else if (tests.some((t) => t.index !== draft.index && t.name === name)) {
    problems.push(`Another test is already named "${name}".`);
  }
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

function sameMocks(a: MockRow[], b: YamlMock[]): boolean {
  return a.length === b.length && a.every((m, i) => m.objectName === b[i].objectName && m.returnValue === b[i].returnValue);
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
    const test: NewTest = { Name: name, ExpectedResult: draft.expected };
    test[eventKeyFor(analysisType)] = event;
    if (mocks.length > 0) test.Mocks = mocks;
    return [{ kind: "add", test }];
  }
  const index = original.index;
  const edits: TestEdit[] = [];
  if (original.event === undefined || canonicalJson(original.event) !== canonicalJson(event)) {
    edits.push({ kind: "set_event", index, event });
  }
  if (!sameMocks(mocks, original.mocks)) {
    const spec: MockSpec[] = mocks.map((m) => ({ object_name: m.objectName, return_value: m.returnValue }));
    edits.push({ kind: "set_mocks", index, mocks: spec });
  }
  if (original.expected !== draft.expected) edits.push({ kind: "set_expected", index, expected: draft.expected });
  if (original.name !== name) edits.push({ kind: "rename", index, name });
  return edits;
}

/** Whether the form differs from the test it was made from. */
export function draftChanged(draft: TestDraft, original: SpecTest | null): boolean {
  if (original === null) return true;
  const json = checkJson(draft.eventText);
  const eventSame = json.ok && original.event !== undefined && canonicalJson(json.value) === canonicalJson(original.event);
  return (
    !eventSame ||
    draft.name.trim() !== original.name ||
    draft.expected !== original.expected ||
    !sameMocks(filledMocks(draft.mocks), original.mocks)
  );
}

export function duplicateEdit(test: SpecTest, tests: SpecTest[]): TestEdit {
  return { kind: "duplicate", index: test.index, name: uniqueName(`${test.name} (copy)`, tests.map((t) => t.name)) };
}

export function deleteEdit(test: SpecTest): TestEdit {
  return { kind: "delete", index: test.index };
}

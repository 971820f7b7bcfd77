// The test editor's model: drafts made from the core's reading of a spec's tests, the edits that
// turn a draft into the spec, and what stops a draft from being applied.
import { describe, expect, it } from "vitest";
import type { SpecTest } from "./contract";
import {
  deleteEdit,
  draftChanged,
  draftFromTest,
  draftProblems,
  duplicateEdit,
  editsForDraft,
  eventKeyFor,
  expectationLabel,
  newDraft,
  uniqueName,
} from "./testEditor";
import { specTest } from "../test/fixtures";

/** The tests of a spec as list_tests reads them. */
const TESTS: SpecTest[] = [
  specTest({
    index: 0,
    name: "Failed login",
    expected: true,
    event: { outcome: { result: "FAILURE" }, actor: { alternateId: "alice@example.com" } },
    line: 5,
  }),
  specTest({
    index: 1,
    name: "Successful login",
    expected: false,
    mocks: [
      { object_name: "get_counter", return_value: "10" },
      { object_name: "is_admin", return_value: "true" },
    ],
    event: { outcome: { result: "SUCCESS" }, p_event_time: "2024-01-02 03:04:05" },
    line: 12,
  }),
];

describe("drafts from the core's tests", () => {
  it("copies name, expectation, event as JSON and mocks into the form", () => {
    const d = draftFromTest(TESTS[1]);
    expect(d).toMatchObject({ index: 1, name: "Successful login", expected: false });
    expect(JSON.parse(d.eventText)).toEqual(TESTS[1].event);
    expect(d.mocks).toEqual([
      { objectName: "get_counter", returnValue: "10" },
      { objectName: "is_admin", returnValue: "true" },
    ]);
  });

  it("a test without a name or an event shows an empty name and {}", () => {
    const d = draftFromTest(specTest({ index: 0, name: null, event_key: null, event: null }));
    expect(d.name).toBe("");
    expect(d.eventText).toBe("{}");
  });

  it("an ExpectedResult that is not a boolean (yes) stays unset: no set_expected until the user picks one", () => {
    const yes = specTest({ index: 0, name: "yes", expected: null });
    expect(expectationLabel(yes.expected)).toBe("not true/false");
    const d = draftFromTest(yes);
    expect(d.expected).toBeNull();
    expect(draftChanged(d, yes)).toBe(false);
    expect(editsForDraft({ ...d, name: "renamed" }, yes, "rule")).toEqual([{ kind: "rename", index: 0, name: "renamed" }]);
    expect(editsForDraft({ ...d, expected: true }, yes, "rule")).toEqual([{ kind: "set_expected", index: 0, expected: true }]);
  });
});

describe("drafts and edits", () => {
  const tests = TESTS;

  it("an untouched draft makes no edit", () => {
    const d = draftFromTest(tests[0]);
    expect(draftChanged(d, tests[0])).toBe(false);
    expect(editsForDraft(d, tests[0], "rule")).toEqual([]);
  });

  it("re-formatted but equal JSON is no change", () => {
    const d = { ...draftFromTest(tests[0]), eventText: '{"actor":{"alternateId":"alice@example.com"},"outcome":{"result":"FAILURE"}}' };
    expect(draftChanged(d, tests[0])).toBe(false);
    expect(editsForDraft(d, tests[0], "rule")).toEqual([]);
  });

  it("toggling ExpectedResult makes a set_expected edit", () => {
    const d = { ...draftFromTest(tests[0]), expected: false };
    expect(editsForDraft(d, tests[0], "rule")).toEqual([{ kind: "set_expected", index: 0, expected: false }]);
  });

  it("a new name makes a rename edit (trimmed)", () => {
    const d = { ...draftFromTest(tests[1]), name: "  Login ok  " };
    expect(editsForDraft(d, tests[1], "rule")).toEqual([{ kind: "rename", index: 1, name: "Login ok" }]);
  });

  it("a changed event makes a set_event edit with the parsed value", () => {
    const d = { ...draftFromTest(tests[0]), eventText: '{"outcome": {"result": "SUCCESS"}}' };
    expect(editsForDraft(d, tests[0], "rule")).toEqual([{ kind: "set_event", index: 0, event: { outcome: { result: "SUCCESS" } } }]);
  });

  it("changed mocks make a set_mocks edit in the contract's snake_case, skipping empty rows", () => {
    const d = draftFromTest(tests[1]);
    d.mocks[0].returnValue = "99";
    d.mocks.push({ objectName: "", returnValue: "" });
    expect(editsForDraft(d, tests[1], "rule")).toEqual([
      {
        kind: "set_mocks",
        index: 1,
        mocks: [
          { object_name: "get_counter", return_value: "99" },
          { object_name: "is_admin", return_value: "true" },
        ],
      },
    ]);
  });

  it("several changes make one edit each", () => {
    const d = { ...draftFromTest(tests[0]), name: "Renamed", expected: false, eventText: "{}" };
    expect(editsForDraft(d, tests[0], "rule").map((e) => e.kind)).toEqual(["set_event", "set_expected", "rename"]);
  });

  it("a test without an event gets one (set_event) when applied", () => {
    const bare = specTest({ index: 0, name: "bare", event_key: null, event: null });
    expect(editsForDraft(draftFromTest(bare), bare, "rule")).toEqual([{ kind: "set_event", index: 0, event: {} }]);
  });

  it("a new draft becomes an add edit with Log for rules and Resource for policies", () => {
    const d = { ...newDraft(tests), eventText: '{"a": 1}', mocks: [{ objectName: "f", returnValue: "x" }] };
    expect(d.name).toBe("New test");
    expect(editsForDraft(d, null, "rule")).toEqual([
      { kind: "add", test: { Name: "New test", ExpectedResult: true, Log: { a: 1 }, Mocks: [{ objectName: "f", returnValue: "x" }] } },
    ]);
    const p = editsForDraft({ ...newDraft([]), eventText: "{}" }, null, "policy");
    expect(p).toEqual([{ kind: "add", test: { Name: "New test", ExpectedResult: true, Resource: {} } }]);
    expect(eventKeyFor("scheduled_rule")).toBe("Log");
  });

  it("duplicate and delete edits carry the test's index, a duplicate gets a free name", () => {
    expect(duplicateEdit(tests[0], tests)).toEqual({ kind: "duplicate", index: 0, name: "Failed login (copy)" });
    const withCopy = [...tests, { ...tests[0], index: 2, name: "Failed login (copy)" }];
    expect(duplicateEdit(tests[0], withCopy)).toEqual({ kind: "duplicate", index: 0, name: "Failed login (copy) 2" });
    expect(deleteEdit(tests[1])).toEqual({ kind: "delete", index: 1 });
  });

  it("uniqueName counts up past taken names", () => {
    expect(uniqueName("New test", ["New test", "New test 2"])).toBe("New test 3");
    expect(uniqueName("Other", ["New test"])).toBe("Other");
  });
});

describe("draftProblems", () => {
  const tests = TESTS;

  it("accepts a valid draft", () => {
    expect(draftProblems(draftFromTest(tests[0]), tests)).toEqual([]);
  });

  it("needs a name, and one no other test has", () => {
    expect(draftProblems({ ...draftFromTest(tests[0]), name: "  " }, tests)).toEqual(["The test needs a name."]);
    expect(draftProblems({ ...draftFromTest(tests[0]), name: "Successful login" }, tests)).toEqual([
      'Another test is already named "Successful login".',
    ]);
  });

  it("points at the place of a JSON error", () => {
    const problems = draftProblems({ ...draftFromTest(tests[0]), eventText: '{\n  "a": 1,\n}' }, tests);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^Event JSON, line 3, column 1: Trailing comma/);
  });

  it("wants the event to be an object", () => {
    expect(draftProblems({ ...draftFromTest(tests[0]), eventText: "[1, 2]" }, tests)).toEqual(["The event must be a JSON object: { … }."]);
  });

  it("wants every mock named once", () => {
    const d = { ...draftFromTest(tests[0]), mocks: [{ objectName: "", returnValue: "1" }] };
    expect(draftProblems(d, tests)).toEqual(["Every mock needs an object name."]);
    const dup = { ...draftFromTest(tests[0]), mocks: [{ objectName: "f", returnValue: "1" }, { objectName: "f", returnValue: "2" }] };
    expect(draftProblems(dup, tests)).toEqual(['The object "f" is mocked twice.']);
  });
});

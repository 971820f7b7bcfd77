import { describe, expect, it } from "vitest";
import {
  deleteEdit,
  draftChanged,
  draftFromTest,
  draftProblems,
  duplicateEdit,
  editsForDraft,
  eventKeyFor,
  newDraft,
  parseSpecTests,
  uniqueName,
  type SpecTest,
} from "./testEditor";

const SPEC = `AnalysisType: rule
RuleID: Okta.BruteForce
Filename: okta_brute_force.py
Tests:
  - Name: Failed login
    ExpectedResult: true
    Log:
      outcome:
        result: FAILURE
      actor:
        alternateId: alice@example.com
  - Name: Successful login
    ExpectedResult: false
    Mocks:
      - objectName: get_counter
        returnValue: "10"
      - objectName: is_admin
        returnValue: true
    Log: {"outcome": {"result": "SUCCESS"}, "p_event_time": 2024-01-02 03:04:05}
`;

function parsed(text = SPEC): SpecTest[] {
  const p = parseSpecTests(text);
  if (!p.ok) throw new Error(p.message);
  return p.tests;
}

describe("parseSpecTests", () => {
  it("reads names, expected results, events, mocks and lines", () => {
    const tests = parsed();
    expect(tests.map((t) => t.name)).toEqual(["Failed login", "Successful login"]);
    expect(tests.map((t) => t.expected)).toEqual([true, false]);
    expect(tests.map((t) => t.line)).toEqual([5, 12]);
    expect(tests[0].eventKey).toBe("Log");
    expect(tests[0].event).toEqual({ outcome: { result: "FAILURE" }, actor: { alternateId: "alice@example.com" } });
    expect(tests[1].mocks).toEqual([
      { objectName: "get_counter", returnValue: "10" },
      { objectName: "is_admin", returnValue: "true" },
    ]);
  });

  it("turns YAML timestamps into ISO text so events stay JSON", () => {
    const event = parsed()[1].event as Record<string, unknown>;
    expect(event.p_event_time).toBe("2024-01-02T03:04:05.000Z");
  });

  it("reads a policy's Resource", () => {
    const tests = parsed("AnalysisType: policy\nTests:\n  - Name: r\n    ExpectedResult: true\n    Resource: {Name: bucket}\n");
    expect(tests[0].eventKey).toBe("Resource");
    expect(tests[0].event).toEqual({ Name: "bucket" });
  });

  it("gives no tests for a spec without Tests", () => {
    expect(parsed("AnalysisType: rule\nRuleID: X\n")).toEqual([]);
  });

  it("reports YAML errors with their line", () => {
    const p = parseSpecTests("AnalysisType: rule\nTests:\n  - Name: a\n   bad: [\n");
    expect(p.ok).toBe(false);
    if (!p.ok) expect(p.line).toBeGreaterThan(1);
  });

  it("reports a Tests key that is not a list", () => {
    const p = parseSpecTests("Tests: 3\n");
    expect(p).toMatchObject({ ok: false });
  });
});

describe("drafts and edits", () => {
  const tests = parsed();

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
  const tests = parsed();

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

import { describe, expect, it } from "vitest";
import { canonicalJson, checkJson, lineCol } from "./json";

describe("checkJson", () => {
  it("accepts valid JSON and returns the value", () => {
    expect(checkJson('{"a": [1, 2.5e3, -0, true, false, null, "x\\u00e9\\n"]}')).toEqual({
      ok: true,
      value: { a: [1, 2500, -0, true, false, null, "xé\n"] },
    });
    expect(checkJson("  42 ")).toEqual({ ok: true, value: 42 });
  });

  it.each([
    ['{"a": 1,}', "Trailing comma before '}'", 1, 9],
    ["{'a': 1}", "expected a key in double quotes", 1, 2],
    ['{"a" 1}', "expected ':' after the key", 1, 6],
    ['{"a": tru}', "expected a value", 1, 7],
    ['[1 2]', "expected ',' or ']'", 1, 4],
    ['{"a": "x\n"}', "Unterminated string (line break inside a string)", 1, 9],
    ['{"a": 1}}', "after the end of the value", 1, 9],
    ["", "Empty text", 1, 1],
    ['{"a": "\\x"}', "Invalid escape", 1, 8],
    ['{"a": 01}', "expected ',' or '}'", 1, 8],
    ['{\n  "user": "bob",\n  "n": ,\n}', "expected a value", 3, 8],
  ])("rejects %j with the place of the error", (text, message, line, col) => {
    const r = checkJson(text);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.message).toContain(message);
      expect([r.line, r.col]).toEqual([line, col]);
    }
  });

  it("agrees with JSON.parse on what is valid", () => {
    const samples = ["{}", "[]", '""', "1e5", "-1.5", '{"a":{"b":[{}]}}', "[1,]", "{,}", "nul", "1.", ".5", "+1", '"\\u12"'];
    for (const s of samples) {
      let native = true;
      try {
        JSON.parse(s);
      } catch {
        native = false;
      }
      expect(checkJson(s).ok, s).toBe(native);
    }
  });
});

describe("helpers", () => {
  it("lineCol counts from 1", () => {
    expect(lineCol("ab\ncd", 0)).toEqual({ line: 1, col: 1 });
    expect(lineCol("ab\ncd", 4)).toEqual({ line: 2, col: 2 });
  });

  it("canonicalJson ignores key order but not array order", () => {
    expect(canonicalJson({ b: 1, a: { d: 2, c: 3 } })).toBe(canonicalJson({ a: { c: 3, d: 2 }, b: 1 }));
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
  });
});

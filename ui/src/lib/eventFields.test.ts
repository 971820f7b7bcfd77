import { describe, expect, it } from "vitest";
import { eventFields } from "./eventFields";

describe("eventFields", () => {
  it("flattens nested objects and arrays into paths", () => {
    const { fields } = eventFields({ a: { b: 1, "odd key": true }, list: ["x", null], empty: {} });
    expect(fields.map((f) => `${f.path}=${f.value}`)).toEqual(['a.b=1', 'a["odd key"]=true', "list[0]=x", "list[1]=null", "empty={}"]);
    expect(fields.map((f) => f.kind)).toEqual(["number", "boolean", "string", "null", "empty"]);
  });

  it("keeps string values exactly as they are (markup included)", () => {
    const { fields } = eventFields({ userAgent: "<img src=x onerror=alert(1)>" });
    expect(fields[0].value).toBe("<img src=x onerror=alert(1)>");
  });

  it("stops at the limit", () => {
    const big = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i]));
    const r = eventFields(big, 5);
    expect(r.fields).toHaveLength(5);
    expect(r.truncated).toBe(true);
  });
});

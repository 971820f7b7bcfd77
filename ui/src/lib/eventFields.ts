// A log event as rows of (path, value) for the fields table. Values are shown as text only;
// this module turns them into strings, the component interpolates them (never as HTML).

export interface EventField {
  path: string;
  value: string;
  kind: "string" | "number" | "boolean" | "null" | "empty";
}

const IDENT = /^[A-Za-z_$][\w$-]*$/;

function join(prefix: string, key: string): string {
  if (IDENT.test(key)) return prefix ? `${prefix}.${key}` : key;
  return `${prefix}[${JSON.stringify(key)}]`;
}

/** Leaves of `event` depth-first in key order, at most `limit` rows. */
export function eventFields(event: unknown, limit = 1000): { fields: EventField[]; truncated: boolean } {
  const fields: EventField[] = [];
  let truncated = false;
  const walk = (value: unknown, path: string) => {
    if (fields.length >= limit) {
      truncated = true;
      return;
    }
    if (Array.isArray(value)) {
      if (value.length === 0) fields.push({ path, value: "[]", kind: "empty" });
      value.forEach((v, i) => walk(v, `${path}[${i}]`));
    } else if (value !== null && typeof value === "object") {
      const entries = Object.entries(value as Record<string, unknown>);
      if (entries.length === 0) fields.push({ path: path || "(event)", value: "{}", kind: "empty" });
      for (const [k, v] of entries) walk(v, join(path, k));
    } else if (typeof value === "string") {
      fields.push({ path, value, kind: "string" });
    } else if (typeof value === "number") {
      fields.push({ path, value: String(value), kind: "number" });
    } else if (typeof value === "boolean") {
      fields.push({ path, value: String(value), kind: "boolean" });
    } else if (value === null) {
      fields.push({ path, value: "null", kind: "null" });
    } else {
      fields.push({ path, value: String(value), kind: "string" });
    }
  };
  walk(event, "");
  return { fields, truncated };
}

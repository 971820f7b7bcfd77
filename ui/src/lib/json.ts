// Strict JSON (RFC 8259) checking with the exact place of the first error. `JSON.parse` alone
// does not say where it failed in WebKit (the engine of Tauri's Linux window), so a small
// scanner finds the place and `JSON.parse` builds the value once the text is known good.

export type JsonCheck =
  | { ok: true; value: unknown }
  | { ok: false; message: string; offset: number; line: number; col: number };

class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

function scan(text: string): void {
  let i = 0;
  const fail = (message: string, at = i): never => {
    throw new JsonSyntaxError(message, at);
  };
  const describe = (at: number) => (at >= text.length ? "end of text" : `'${text[at]}'`);
  const ws = () => {
    while (i < text.length && (text[i] === " " || text[i] === "\t" || text[i] === "\n" || text[i] === "\r")) i++;
  };
  const literal = (word: string) => {
    if (text.startsWith(word, i)) i += word.length;
    else fail(`Unexpected ${describe(i)}: expected a value`);
  };
  const string = () => {
    i++; // opening quote
    while (i < text.length) {
      const c = text[i];
      if (c === '"') {
        i++;
        return;
      }
      if (c === "\\") {
        const e = text[i + 1];
        if (e === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail("Invalid \\u escape in string", i);
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) {
          i += 2;
        } else {
          fail("Invalid escape in string", i);
        }
        continue;
      }
      if (c.charCodeAt(0) < 0x20) fail(c === "\n" ? "Unterminated string (line break inside a string)" : "Control character in string", i);
      i++;
    }
    fail("Unterminated string", text.length);
  };
  const number = () => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!m || m[0] === "-") fail(`Unexpected ${describe(i)}: expected a value`);
    i += m![0].length;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === "{") return object();
    if (c === "[") return array();
    if (c === '"') return string();
    if (c === "t") return literal("true");
    if (c === "f") return literal("false");
    if (c === "n") return literal("null");
    if (c === "-" || (c >= "0" && c <= "9")) return number();
    if (c === "'") fail("Strings must use double quotes");
    fail(`Unexpected ${describe(i)}: expected a value`);
  };
  const object = () => {
    i++;
    ws();
    if (text[i] === "}") {
      i++;
      return;
    }
    for (;;) {
      ws();
      if (text[i] === "}") fail("Trailing comma before '}'");
      if (text[i] !== '"') fail(`Unexpected ${describe(i)}: expected a key in double quotes`);
      string();
      ws();
      if (text[i] !== ":") fail(`Unexpected ${describe(i)}: expected ':' after the key`);
      i++;
      value();
      ws();
      if (text[i] === ",") {
        i++;
        continue;
      }
      if (text[i] === "}") {
        i++;
        return;
      }
      fail(`Unexpected ${describe(i)}: expected ',' or '}'`);
    }
  };
  const array = () => {
    i++;
    ws();
    if (text[i] === "]") {
      i++;
      return;
    }
    for (;;) {
      ws();
      if (text[i] === "]") fail("Trailing comma before ']'");
      value();
      ws();
      if (text[i] === ",") {
        i++;
        continue;
      }
      if (text[i] === "]") {
        i++;
        return;
      }
      fail(`Unexpected ${describe(i)}: expected ',' or ']'`);
    }
  };
  ws();
  if (i >= text.length) fail("Empty text: expected a JSON value");
  value();
  ws();
  if (i < text.length) fail(`Unexpected ${describe(i)} after the end of the value`);
}

/** 1-based line and column of a character offset. */
export function lineCol(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let start = 0;
  for (let k = 0; k < offset && k < text.length; k++) {
    if (text[k] === "\n") {
      line++;
      start = k + 1;
    }
  }
  return { line, col: offset - start + 1 };
}

export function checkJson(text: string): JsonCheck {
  try {
    scan(text);
  } catch (e) {
    if (e instanceof JsonSyntaxError) {
      return { ok: false, message: e.message, offset: e.offset, ...lineCol(text, e.offset) };
    }
    throw e;
  }
  return { ok: true, value: JSON.parse(text) };
}

/** JSON text with keys in a fixed order, to compare two values structurally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) => {
    if (v && typeof v === "object" && !Array.isArray(v)) {
      return Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]));
    }
    return v;
  });
}

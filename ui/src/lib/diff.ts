// Diff helpers: a line diff (Myers) for "disk vs buffer" when a file changes under a dirty
// editor, grouping into hunks with context, and the bits a diff view renders. Git diffs come
// from the shell already in hunks of the same shape (`FileDiff.hunks`).

import type { DiffHunk, DiffLine } from "./contract";

export function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines.map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
}

/** The line-by-line diff that turns `oldText` into `newText` (shortest edit script). */
export function lineDiff(oldText: string, newText: string): DiffLine[] {
  const a = splitLines(oldText);
  const b = splitLines(newText);
  // Common prefix and suffix need no search.
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const ops = myers(a.slice(start, endA), b.slice(start, endB));
  const out: DiffLine[] = [];
  let oi = 0;
  let ni = 0;
  const push = (tag: DiffLine["tag"]) => {
    if (tag === "equal") {
      out.push({ tag, text: a[oi], old_line: oi + 1, new_line: ni + 1 });
      oi++;
      ni++;
    } else if (tag === "delete") {
      out.push({ tag, text: a[oi], old_line: oi + 1, new_line: null });
      oi++;
    } else {
      out.push({ tag, text: b[ni], old_line: null, new_line: ni + 1 });
      ni++;
    }
  };
  for (let k = 0; k < start; k++) push("equal");
  for (const op of ops) push(op);
  while (oi < a.length) push("equal");
  return out;
}

/** Myers' O(ND) algorithm: the operations turning `a` into `b`, deletions before insertions. */
function myers(a: string[], b: string[]): DiffLine["tag"][] {
  const n = a.length;
  const m = b.length;
  if (n === 0) return Array(m).fill("insert");
  if (m === 0) return Array(n).fill("delete");
  const max = n + m;
  const offset = max;
  let v: Int32Array<ArrayBufferLike> = new Int32Array(2 * max + 2);
  const trace: Int32Array<ArrayBufferLike>[] = [];
  let found = false;
  for (let d = 0; d <= max && !found; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x: number;
      if (k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1])) x = v[offset + k + 1];
      else x = v[offset + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = true;
        break;
      }
    }
  }
  // Walk back through the trace.
  const ops: DiffLine["tag"][] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0 && (x > 0 || y > 0); d--) {
    v = trace[d];
    const k = x - y;
    let prevK: number;
    if (d === 0) prevK = k;
    else if (k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1])) prevK = k + 1;
    else prevK = k - 1;
    const prevX = d === 0 ? 0 : v[offset + prevK];
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push("equal");
      x--;
      y--;
    }
    if (d > 0) {
      if (x === prevX) ops.push("insert");
      else ops.push("delete");
      x = prevX;
      y = prevY;
    }
  }
  return ops.reverse();
}

/** Groups a line diff into hunks with `context` unchanged lines around each change. */
export function toHunks(lines: DiffLine[], context = 3): DiffHunk[] {
  const changed = lines.map((l, i) => (l.tag === "equal" ? -1 : i)).filter((i) => i >= 0);
  if (changed.length === 0) return [];
  const ranges: [number, number][] = [];
  for (const i of changed) {
    const from = Math.max(0, i - context);
    const to = Math.min(lines.length - 1, i + context);
    const last = ranges[ranges.length - 1];
    if (last && from <= last[1] + 1) last[1] = Math.max(last[1], to);
    else ranges.push([from, to]);
  }
  return ranges.map(([from, to]) => {
    const slice = lines.slice(from, to + 1);
    // Line numbers before the hunk: count what precedes it.
    let oldBefore = 0;
    let newBefore = 0;
    for (let i = 0; i < from; i++) {
      if (lines[i].tag !== "insert") oldBefore++;
      if (lines[i].tag !== "delete") newBefore++;
    }
    const oldLines = slice.filter((l) => l.tag !== "insert").length;
    const newLines = slice.filter((l) => l.tag !== "delete").length;
    return {
      old_start: oldLines === 0 ? oldBefore : oldBefore + 1,
      old_lines: oldLines,
      new_start: newLines === 0 ? newBefore : newBefore + 1,
      new_lines: newLines,
      lines: slice,
    };
  });
}

/** The `@@ -a,b +c,d @@` header of a hunk. */
export function hunkHeader(h: DiffHunk): string {
  return `@@ -${h.old_start},${h.old_lines} +${h.new_start},${h.new_lines} @@`;
}

export function diffStats(hunks: DiffHunk[]): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const h of hunks) {
    for (const l of h.lines) {
      if (l.tag === "insert") added++;
      else if (l.tag === "delete") removed++;
    }
  }
  return { added, removed };
}

/** The gutter mark of a diff line. */
export function lineMark(tag: DiffLine["tag"]): "+" | "-" | " " {
  return tag === "insert" ? "+" : tag === "delete" ? "-" : " ";
}

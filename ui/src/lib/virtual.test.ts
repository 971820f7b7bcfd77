import { describe, expect, it } from "vitest";
import { fixedLayout, maxScroll, measuredLayout, revealScrollTop, rowsPerPage, visibleRows } from "./virtual";

describe("row layouts", () => {
  it("fixed: tops are multiples of the row height, lookups clamp to the rows", () => {
    const l = fixedLayout(100, 20);
    expect(l.total).toBe(2000);
    expect([l.top(0), l.top(3), l.top(100), l.top(150)]).toEqual([0, 60, 2000, 2000]);
    expect([l.indexAt(0), l.indexAt(19.9), l.indexAt(20), l.indexAt(1999), l.indexAt(5000), l.indexAt(-5)]).toEqual([0, 0, 1, 99, 99, 0]);
  });

  it("measured: tops are the running sum of the heights, lookups find the row containing y", () => {
    const l = measuredLayout([25, 100, 25, 0, 50]);
    expect(l.total).toBe(200);
    expect([0, 1, 2, 3, 4, 5].map((i) => l.top(i))).toEqual([0, 25, 125, 150, 150, 200]);
    expect(l.indexAt(0)).toBe(0);
    expect(l.indexAt(24)).toBe(0);
    expect(l.indexAt(25)).toBe(1);
    expect(l.indexAt(124)).toBe(1);
    // A zero-height row is never "the row at y": the next row starts at the same place.
    expect(l.indexAt(150)).toBe(4);
    expect(l.indexAt(10_000)).toBe(4);
  });

  it("empty lists have no rows and no height", () => {
    for (const l of [fixedLayout(0, 22), measuredLayout([])]) {
      expect(l.total).toBe(0);
      expect(l.indexAt(100)).toBe(0);
      expect(visibleRows(l, 0, 500, 5)).toEqual({ start: 0, end: 0, before: 0, after: 0 });
    }
  });
});

describe("the rendered window", () => {
  const rows = fixedLayout(1266, 22);

  it("at the top: the rows in the viewport and the overscan below", () => {
    // 440px shows rows 0-19; 5 more below.
    expect(visibleRows(rows, 0, 440, 5)).toEqual({ start: 0, end: 25, before: 0, after: (1266 - 25) * 22 });
  });

  it("in the middle: overscan both sides, spacers for the rest", () => {
    // scrollTop 2200 → row 100 at the top; 10.5 rows of 22px in 231px → rows 100-110.
    const w = visibleRows(rows, 2200, 231, 3);
    expect(w).toEqual({ start: 97, end: 114, before: 97 * 22, after: (1266 - 114) * 22 });
    expect(w.before + (w.end - w.start) * 22 + w.after).toBe(rows.total);
  });

  it("a partly shown row at the bottom edge is rendered", () => {
    expect(visibleRows(rows, 11, 22, 0)).toMatchObject({ start: 0, end: 2 });
    expect(visibleRows(rows, 0, 22, 0)).toMatchObject({ start: 0, end: 1 });
  });

  it("at the end: the last rows, whatever the overscan", () => {
    const w = visibleRows(rows, maxScroll(rows, 440), 440, 5);
    expect(w.end).toBe(1266);
    expect(w.start).toBe(1266 - 20 - 5);
    expect(w.after).toBe(0);
  });

  it("a scroll position past the end (the list just got shorter) counts as the end", () => {
    // A search narrowed 1,266 rows to 3 while scrolled far down: the 3 rows are rendered.
    expect(visibleRows(fixedLayout(3, 22), 20_000, 440, 5)).toEqual({ start: 0, end: 3, before: 0, after: 0 });
    const w = visibleRows(rows, 1e9, 440, 0);
    expect([w.start, w.end]).toEqual([1246, 1266]);
  });

  it("renders a screenful however long the list is", () => {
    for (const count of [100, 3730, 100_000]) {
      const w = visibleRows(fixedLayout(count, 25), count * 12, 600, 6);
      expect(w.end - w.start).toBeLessThanOrEqual(Math.ceil(600 / 25) + 1 + 12);
    }
  });

  it("measured rows: an expanded row shortens the window", () => {
    // Row 1 expanded to 300px: from the top, a 200px viewport shows rows 0-1 only.
    const l = measuredLayout([25, 300, 25, 25, 25, 25]);
    expect(visibleRows(l, 0, 200, 0)).toEqual({ start: 0, end: 2, before: 0, after: 100 });
    expect(visibleRows(l, 330, 60, 1)).toEqual({ start: 1, end: 6, before: 25, after: 0 });
  });
});

describe("revealing a row", () => {
  const rows = fixedLayout(100, 20);

  it("nearest: no move when in view, the least move otherwise", () => {
    expect(revealScrollTop(rows, 12, 200, 100)).toBe(200); // rows 10-14 shown
    expect(revealScrollTop(rows, 5, 200, 100)).toBe(100); // above: to the top edge
    expect(revealScrollTop(rows, 20, 200, 100)).toBe(320); // below: to the bottom edge
    expect(revealScrollTop(rows, 14, 205, 100)).toBe(205); // 14 ends at 300 ≤ 305
    expect(revealScrollTop(rows, 15, 205, 100)).toBe(220); // 15 ends at 320 > 305
  });

  it("start: the row at the top, as far as the list can scroll", () => {
    expect(revealScrollTop(rows, 20, 0, 100, "start")).toBe(400);
    expect(revealScrollTop(rows, 99, 0, 100, "start")).toBe(maxScroll(rows, 100));
  });

  it("a row taller than the viewport shows its top", () => {
    const l = measuredLayout([25, 25, 500, 25]);
    expect(revealScrollTop(l, 2, 0, 100)).toBe(50);
  });

  it("clamps the index and the position", () => {
    expect(revealScrollTop(rows, -3, 500, 100)).toBe(0);
    expect(revealScrollTop(rows, 500, 0, 100)).toBe(1900);
    expect(revealScrollTop(fixedLayout(0, 20), 3, 50, 100)).toBe(0);
  });

  it("a page is the whole rows that fit, at least one", () => {
    expect(rowsPerPage(440, 22)).toBe(20);
    expect(rowsPerPage(450, 22)).toBe(20);
    expect(rowsPerPage(10, 22)).toBe(1);
  });
});

// Windowed rendering: which rows of a long list are on screen (plus a few either side), where
// the rendered slice starts, and where to scroll to reveal a row. Pure functions over a row
// layout; VirtualList.svelte renders with them. Rows have a fixed height (the explorer) or a
// measured one with an estimate for rows not rendered yet (the test results, whose rows expand).

export interface RowLayout {
  readonly count: number;
  /** Height of all rows together, px. */
  readonly total: number;
  /** Top of row `index` (0 ≤ index ≤ count; `top(count)` is `total`). */
  top(index: number): number;
  /** The row at `y` (px from the top of the list), clamped to the rows there are; 0 when empty. */
  indexAt(y: number): number;
}

export function fixedLayout(count: number, rowHeight: number): RowLayout {
  const h = Math.max(1, rowHeight);
  return {
    count,
    total: count * h,
    top: (index) => Math.min(Math.max(index, 0), count) * h,
    indexAt: (y) => (count === 0 ? 0 : Math.min(count - 1, Math.max(0, Math.floor(y / h)))),
  };
}

/** A layout from each row's own height (prefix sums; the lookup is a binary search). */
export function measuredLayout(heights: ArrayLike<number>): RowLayout {
  const count = heights.length;
  const tops = new Float64Array(count + 1);
  for (let i = 0; i < count; i++) tops[i + 1] = tops[i] + Math.max(0, heights[i]);
  return {
    count,
    total: tops[count],
    top: (index) => tops[Math.min(Math.max(index, 0), count)],
    indexAt: (y) => {
      if (count === 0) return 0;
      // The last row whose top is at or above y.
      let lo = 0;
      let hi = count - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (tops[mid] <= y) lo = mid;
        else hi = mid - 1;
      }
      return lo;
    },
  };
}

/** The rows a list renders now: `start` to `end` (exclusive). */
export interface RenderedRange {
  start: number;
  end: number;
}

export interface RowWindow {
  /** First rendered row. */
  start: number;
  /** One past the last rendered row. */
  end: number;
  /** Space above the first rendered row, px. */
  before: number;
  /** Space below the last rendered row, px. */
  after: number;
}

/** The highest scroll position the list allows. */
export function maxScroll(layout: RowLayout, viewport: number): number {
  return Math.max(0, layout.total - Math.max(0, viewport));
}

/**
 * The rows to render for a scroll position: those intersecting the viewport plus `overscan`
 * rows either side. A scroll position past the end (the list just got shorter) counts as the end.
 */
export function visibleRows(layout: RowLayout, scrollTop: number, viewport: number, overscan: number): RowWindow {
  if (layout.count === 0) return { start: 0, end: 0, before: 0, after: 0 };
  const view = Math.max(0, viewport);
  const top = Math.min(Math.max(0, scrollTop), maxScroll(layout, view));
  const first = layout.indexAt(top);
  // The last row with any part above the viewport's bottom edge.
  const last = view > 0 ? layout.indexAt(top + view - 0.01) : first;
  const start = Math.max(0, first - Math.max(0, overscan));
  const end = Math.min(layout.count, last + 1 + Math.max(0, overscan));
  return { start, end, before: layout.top(start), after: layout.total - layout.top(end) };
}

export type RevealAlign = "nearest" | "start";

/**
 * The scroll position that shows row `index`: "start" puts it at the top; "nearest" moves as
 * little as possible (not at all when it is fully in view).
 */
export function revealScrollTop(layout: RowLayout, index: number, scrollTop: number, viewport: number, align: RevealAlign = "nearest"): number {
  if (layout.count === 0) return 0;
  const i = Math.min(Math.max(index, 0), layout.count - 1);
  const rowTop = layout.top(i);
  const rowBottom = layout.top(i + 1);
  let next = scrollTop;
  if (align === "start") next = rowTop;
  else if (rowTop < scrollTop) next = rowTop;
  else if (rowBottom > scrollTop + viewport) next = Math.min(rowTop, rowBottom - viewport);
  return Math.min(Math.max(0, next), maxScroll(layout, viewport));
}

/** How many whole rows fit in the viewport (for Page Up / Page Down), at least 1. */
export function rowsPerPage(viewport: number, rowHeight: number): number {
  return Math.max(1, Math.floor(viewport / Math.max(1, rowHeight)));
}

// Ranking for Ctrl+P (items by ID, display name or file) and the command palette.
//
// A query matches a text exactly, as a prefix, as a substring or as a subsequence ("awsct"
// in "AWS.CloudTrail"); each kind scores above the next, and within a kind shorter texts and
// matches at word starts win.

import type { Item } from "./contract";
import { basename } from "./paths";

const WORD_START = /[\s._\-/:]/;

/** A score for `query` in `text` (higher is better), or null when it does not match. */
export function matchScore(query: string, text: string): number | null {
  const q = query.trim().toLowerCase();
  const t = text.toLowerCase();
  if (q === "") return 0;
  if (t === q) return 1000;
  const lengthPenalty = Math.min(t.length - q.length, 100) / 10;
  if (t.startsWith(q)) return 900 - lengthPenalty;
  const at = t.indexOf(q);
  if (at >= 0) {
    const atWord = WORD_START.test(t[at - 1] ?? " ");
    return (atWord ? 800 : 700) - Math.min(at, 50) - lengthPenalty;
  }
  // Subsequence: every query character in order; reward runs and word starts.
  let score = 400;
  let ti = 0;
  let run = 0;
  for (const c of q) {
    if (c === " ") continue;
    const found = t.indexOf(c, ti);
    if (found < 0) return null;
    if (found === ti && ti > 0) run++;
    else run = 0;
    const atWord = found === 0 || WORD_START.test(t[found - 1]) || /[A-Z]/.test(text[found]);
    score += (atWord ? 8 : 0) + run * 3 - Math.min(found - ti, 20);
    ti = found + 1;
  }
  return Math.max(score - lengthPenalty, 1);
}

export interface QuickOpenHit {
  item: Item;
  score: number;
  /** Which text matched best. */
  matched: "id" | "name" | "file";
}

function fields(item: Item): { text: string; weight: number; matched: QuickOpenHit["matched"] }[] {
  const out: { text: string; weight: number; matched: QuickOpenHit["matched"] }[] = [
    { text: item.id, weight: 1, matched: "id" },
    { text: basename(item.rel_path), weight: 0.95, matched: "file" },
    { text: item.rel_path, weight: 0.8, matched: "file" },
  ];
  if (item.display_name) out.push({ text: item.display_name, weight: 0.97, matched: "name" });
  if (item.code_path) out.push({ text: basename(item.code_path), weight: 0.95, matched: "file" });
  return out;
}

/**
 * Items matching `query`, best first. With an empty query: recently opened items first (in
 * `recent` order), then the rest by ID.
 */
export function rankItems(items: Item[], query: string, recent: string[] = [], limit = 50): QuickOpenHit[] {
  if (query.trim() === "") {
    const rank = (id: string) => {
      const i = recent.indexOf(id);
      return i < 0 ? Number.MAX_SAFE_INTEGER : i;
    };
    return [...items]
      .sort((a, b) => rank(a.id) - rank(b.id) || a.id.localeCompare(b.id))
      .slice(0, limit)
      .map((item) => ({ item, score: 0, matched: "id" }));
  }
  const hits: QuickOpenHit[] = [];
  for (const item of items) {
    let best: QuickOpenHit | null = null;
    for (const f of fields(item)) {
      const s = matchScore(query, f.text);
      if (s === null) continue;
      const weighted = s * f.weight;
      if (!best || weighted > best.score) best = { item, score: weighted, matched: f.matched };
    }
    if (best) hits.push(best);
  }
  hits.sort((a, b) => b.score - a.score || a.item.id.length - b.item.id.length || a.item.id.localeCompare(b.item.id));
  return hits.slice(0, limit);
}

/** Entries whose label matches `query`, best first (stable for equal scores). */
export function rankByLabel<T>(entries: T[], query: string, label: (entry: T) => string): T[] {
  if (query.trim() === "") return entries;
  return entries
    .map((entry, i) => ({ entry, i, score: matchScore(query, label(entry)) }))
    .filter((x): x is { entry: T; i: number; score: number } => x.score !== null)
    .sort((a, b) => b.score - a.score || a.i - b.i)
    .map((x) => x.entry);
}

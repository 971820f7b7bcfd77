// The explorer's model: search, filters and the four groupings (folder, log type, pack, type).
// Pure functions; the component renders the tree they return.

import type { Item } from "./contract";
import type { ItemFacts, TestStatus } from "./status";

export type GroupMode = "folder" | "log_type" | "pack" | "type";

export const GROUP_MODES: { mode: GroupMode; label: string }[] = [
  { mode: "folder", label: "Folder" },
  { mode: "log_type", label: "Log type" },
  { mode: "pack", label: "Pack" },
  { mode: "type", label: "Type" },
];

/** "any" leaves a filter off; NONE matches items without a value. */
export const ANY = "any";
export const NONE = "(none)";

export interface ExplorerFilter {
  query: string;
  enabled: "any" | "enabled" | "disabled";
  status: string;
  severity: string;
  tag: string;
  mitre: string;
  testStatus: "any" | TestStatus;
  git: "any" | "changed" | "clean";
  problems: "any" | "errors" | "any_problem";
}

export function emptyFilter(): ExplorerFilter {
  return {
    query: "",
    enabled: ANY,
    status: ANY,
    severity: ANY,
    tag: ANY,
    mitre: ANY,
    testStatus: ANY,
    git: ANY,
    problems: ANY,
  };
}

/** How many filters (not counting the search text) are on. */
export function activeFilterCount(filter: ExplorerFilter): number {
  const keys: (keyof ExplorerFilter)[] = ["enabled", "status", "severity", "tag", "mitre", "testStatus", "git", "problems"];
  return keys.filter((k) => filter[k] !== ANY).length;
}

export const SEVERITY_ORDER = ["Info", "Low", "Medium", "High", "Critical"];

const TYPE_LABELS: Record<string, string> = {
  rule: "Rules",
  scheduled_rule: "Scheduled rules",
  policy: "Policies",
  correlation_rule: "Correlation rules",
  global: "Global helpers",
  datamodel: "Data models",
  pack: "Packs",
  saved_query: "Saved queries",
  scheduled_query: "Scheduled queries",
  lookup_table: "Lookup tables",
};

export function typeLabel(analysisType: string): string {
  return TYPE_LABELS[analysisType] ?? analysisType.replace(/_/g, " ");
}

/** MITRE technique IDs in an item's `mitre` entries ("TA0006:T1110,T1078.004" → T1110, T1078.004). */
export function mitreTechniques(item: Item): string[] {
  const found = new Set<string>();
  for (const entry of item.mitre) {
    const parts = entry.split(/[\s:,;]+/).filter(Boolean);
    const techniques = parts.filter((p) => /^T\d{4}(\.\d{3})?$/i.test(p));
    if (techniques.length === 0) found.add(entry.trim());
    for (const t of techniques) found.add(t.toUpperCase());
  }
  return [...found];
}

/** The text a search looks in, lower-cased; built once per item object (items are replaced, never edited, when the workspace is re-read). */
const haystacks = new WeakMap<Item, string>();

function haystackOf(item: Item): string {
  let text = haystacks.get(item);
  if (text === undefined) {
    text = [item.id, item.display_name ?? "", item.rel_path, item.code_path ?? "", ...item.tags, ...item.log_types, ...item.mitre]
      .join("\n")
      .toLowerCase();
    haystacks.set(item, text);
  }
  return text;
}

function queryWords(query: string): string[] {
  return query.toLowerCase().split(/\s+/).filter(Boolean);
}

/** Every whitespace-separated word of the query appears in the item's ID, name, path, tags, log types or MITRE entries. */
export function matchesQuery(item: Item, query: string): boolean {
  return matchesWords(item, queryWords(query));
}

function matchesWords(item: Item, words: string[]): boolean {
  if (words.length === 0) return true;
  const haystack = haystackOf(item);
  return words.every((w) => haystack.includes(w));
}

function matchesValue(value: string | null, wanted: string): boolean {
  if (wanted === ANY) return true;
  if (wanted === NONE) return value == null || value === "";
  return (value ?? "").toLowerCase() === wanted.toLowerCase();
}

function matchesList(values: string[], wanted: string): boolean {
  if (wanted === ANY) return true;
  if (wanted === NONE) return values.length === 0;
  const w = wanted.toLowerCase();
  return values.some((v) => v.toLowerCase() === w);
}

export function matchesFilter(item: Item, filter: ExplorerFilter, facts: ItemFacts | undefined): boolean {
  return matchesWords(item, queryWords(filter.query)) && matchesFields(item, filter, facts);
}

/** Whether any filter needs the items' facts (test status, git, problems). */
export function filterNeedsFacts(filter: ExplorerFilter): boolean {
  return filter.testStatus !== ANY || filter.git !== ANY || filter.problems !== ANY;
}

function matchesFields(item: Item, filter: ExplorerFilter, facts: ItemFacts | undefined): boolean {
  if (filter.enabled === "enabled" && item.enabled !== true) return false;
  if (filter.enabled === "disabled" && item.enabled !== false) return false;
  if (!matchesValue(item.status, filter.status)) return false;
  if (!matchesValue(item.severity, filter.severity)) return false;
  if (!matchesList(item.tags, filter.tag)) return false;
  if (filter.mitre !== ANY && !matchesList(mitreTechniques(item), filter.mitre)) return false;
  if (filter.testStatus !== ANY && facts?.testStatus !== filter.testStatus) return false;
  if (filter.git === "changed" && !facts?.git) return false;
  if (filter.git === "clean" && facts?.git) return false;
  if (filter.problems === "errors" && !(facts && facts.errors > 0)) return false;
  if (filter.problems === "any_problem" && !(facts && facts.errors + facts.warnings > 0)) return false;
  return true;
}

/**
 * The items the search and filters let through, in their order. `facts` is only read when a
 * filter needs it (filterNeedsFacts), so a caller can leave it out otherwise and not depend on it.
 */
export function filterItems(items: Item[], filter: ExplorerFilter, facts?: ReadonlyMap<string, ItemFacts>): Item[] {
  const words = queryWords(filter.query);
  if (words.length === 0 && activeFilterCount(filter) === 0) return items;
  const fields = activeFilterCount(filter) > 0;
  const needsFacts = filterNeedsFacts(filter);
  return items.filter(
    (item) => matchesWords(item, words) && (!fields || matchesFields(item, filter, needsFacts ? facts?.get(item.id) : undefined)),
  );
}

export interface FilterOptions {
  statuses: string[];
  severities: string[];
  tags: string[];
  mitre: string[];
}

// One collator for every sort: `localeCompare` with options builds one per call, which made
// sorting a workspace's items the bulk of each search keystroke.
const collator = new Intl.Collator(undefined, { sensitivity: "base", numeric: true });
const byText = (a: string, b: string) => collator.compare(a, b);

/** The values the filter menus offer: those the workspace uses (plus PAT's statuses and severities). */
export function filterOptions(items: Item[]): FilterOptions {
  const statuses = new Set(["experimental", "deprecated"]);
  const severities = new Set<string>();
  const tags = new Set<string>();
  const mitre = new Set<string>();
  for (const item of items) {
    if (item.status) statuses.add(item.status);
    if (item.severity) severities.add(item.severity);
    item.tags.forEach((t) => tags.add(t));
    mitreTechniques(item).forEach((m) => mitre.add(m));
  }
  const sevRank = (s: string) => {
    const i = SEVERITY_ORDER.findIndex((x) => x.toLowerCase() === s.toLowerCase());
    return i < 0 ? SEVERITY_ORDER.length : i;
  };
  return {
    statuses: [...statuses].sort(byText),
    severities: [...new Set([...SEVERITY_ORDER, ...severities])].sort((a, b) => sevRank(a) - sevRank(b) || byText(a, b)),
    tags: [...tags].sort(byText),
    mitre: [...mitre].sort(byText),
  };
}

// ---- Grouping --------------------------------------------------------------------------------

export interface GroupNode {
  kind: "group";
  key: string;
  label: string;
  /** Items below this group, at any depth. */
  count: number;
  children: TreeNode[];
}

export interface ItemNode {
  kind: "item";
  key: string;
  item: Item;
}

export type TreeNode = GroupNode | ItemNode;

const itemLabel = (item: Item) => item.id;
const byItem = (a: Item, b: Item) => byText(itemLabel(a), itemLabel(b));

function flatGroups(items: Item[], mode: GroupMode, keysOf: (item: Item) => string[], none: string): TreeNode[] {
  const groups = new Map<string, Item[]>();
  for (const item of items) {
    const keys = keysOf(item);
    for (const k of keys.length ? keys : [none]) {
      const list = groups.get(k) ?? [];
      list.push(item);
      groups.set(k, list);
    }
  }
  const labels = [...groups.keys()].sort((a, b) => {
    if (a === none) return 1;
    if (b === none) return -1;
    return byText(a, b);
  });
  return labels.map((label) => {
    const key = `${mode}:${label}`;
    const list = groups.get(label)!.sort(byItem);
    return {
      kind: "group",
      key,
      label,
      count: list.length,
      children: list.map((item) => ({ kind: "item", key: `${key}/${item.id}`, item })),
    };
  });
}

function folderTree(items: Item[]): TreeNode[] {
  interface Folder {
    folders: Map<string, Folder>;
    items: Item[];
  }
  const root: Folder = { folders: new Map(), items: [] };
  for (const item of items) {
    const parts = item.rel_path.replace(/\\/g, "/").split("/").filter(Boolean);
    parts.pop(); // the file itself
    let folder = root;
    for (const part of parts) {
      let next = folder.folders.get(part);
      if (!next) {
        next = { folders: new Map(), items: [] };
        folder.folders.set(part, next);
      }
      folder = next;
    }
    folder.items.push(item);
  }
  const build = (folder: Folder, prefix: string): { nodes: TreeNode[]; count: number } => {
    const nodes: TreeNode[] = [];
    let count = 0;
    for (const name of [...folder.folders.keys()].sort(byText)) {
      const path = prefix ? `${prefix}/${name}` : name;
      const sub = build(folder.folders.get(name)!, path);
      nodes.push({ kind: "group", key: `folder:${path}`, label: name, count: sub.count, children: sub.nodes });
      count += sub.count;
    }
    for (const item of folder.items.sort(byItem)) {
      nodes.push({ kind: "item", key: `folder:${prefix}/${item.id}`, item });
      count++;
    }
    return { nodes, count };
  };
  return build(root, "").nodes;
}

export function buildTree(items: Item[], mode: GroupMode): TreeNode[] {
  switch (mode) {
    case "folder":
      return folderTree(items);
    case "log_type":
      return flatGroups(items, mode, (i) => [...i.log_types, ...i.resource_types], "(no log type)");
    case "pack":
      return flatGroups(items, mode, (i) => i.packs, "(in no pack)");
    case "type":
      return flatGroups(items, mode, (i) => [typeLabel(i.analysis_type)], "(unknown type)");
  }
}

/** Keys of every group in the tree (to expand all, or to keep groups open across re-renders). */
export function groupKeys(nodes: TreeNode[]): string[] {
  const keys: string[] = [];
  const walk = (ns: TreeNode[]) => {
    for (const n of ns) {
      if (n.kind === "group") {
        keys.push(n.key);
        walk(n.children);
      }
    }
  };
  walk(nodes);
  return keys;
}

// ---- The tree as rows (what the virtual list renders) ----------------------------------------

interface RowPlace {
  /** 0 for the top level. */
  depth: number;
  /** Position among its siblings, from 1, and how many siblings (aria-posinset / aria-setsize). */
  pos: number;
  size: number;
}

export interface GroupRow extends RowPlace {
  kind: "group";
  key: string;
  label: string;
  count: number;
  open: boolean;
}

export interface ItemRow extends RowPlace {
  kind: "item";
  key: string;
  item: Item;
}

export type TreeRow = GroupRow | ItemRow;

/**
 * The rows on screen when the tree is scrolled through: every top-level node, and the children
 * of each open group (closed groups' children are skipped, however many). `isOpen` decides per
 * group from its key and depth.
 */
export function flattenTree(nodes: TreeNode[], isOpen: (key: string, depth: number) => boolean): TreeRow[] {
  const rows: TreeRow[] = [];
  const walk = (list: TreeNode[], depth: number) => {
    const size = list.length;
    list.forEach((node, i) => {
      if (node.kind === "group") {
        const open = isOpen(node.key, depth);
        rows.push({ kind: "group", key: node.key, label: node.label, count: node.count, open, depth, pos: i + 1, size });
        if (open) walk(node.children, depth + 1);
      } else {
        rows.push({ kind: "item", key: node.key, item: node.item, depth, pos: i + 1, size });
      }
    });
  };
  walk(nodes, 0);
  return rows;
}

/** The row of the group containing row `index` (the nearest row above it one level up), or -1. */
export function parentRow(rows: TreeRow[], index: number): number {
  const depth = rows[index]?.depth ?? 0;
  for (let i = index - 1; i >= 0; i--) if (rows[i].depth < depth) return i;
  return -1;
}

/** What a key does in the tree (WAI-ARIA tree view keys); Enter and Space are the rows' own (buttons). */
export type TreeKeyAction = { focus: number } | { toggle: string } | null;

export function treeKeyAction(rows: TreeRow[], index: number, key: string, pageRows: number): TreeKeyAction {
  const n = rows.length;
  if (n === 0) return null;
  const at = Math.min(Math.max(index, 0), n - 1);
  const row = rows[at];
  const to = (i: number): TreeKeyAction => ({ focus: Math.min(Math.max(i, 0), n - 1) });
  switch (key) {
    case "ArrowDown":
      return index < 0 ? to(0) : to(at + 1);
    case "ArrowUp":
      return to(at - 1);
    case "Home":
      return to(0);
    case "End":
      return to(n - 1);
    case "PageDown":
      return to(at + Math.max(1, pageRows));
    case "PageUp":
      return to(at - Math.max(1, pageRows));
    case "ArrowRight":
      if (row.kind !== "group") return null;
      if (!row.open) return { toggle: row.key };
      return rows[at + 1] && rows[at + 1].depth > row.depth ? to(at + 1) : null;
    case "ArrowLeft": {
      if (row.kind === "group" && row.open) return { toggle: row.key };
      const parent = parentRow(rows, at);
      return parent >= 0 ? to(parent) : null;
    }
    default:
      return null;
  }
}

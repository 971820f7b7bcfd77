import { describe, expect, it } from "vitest";
import { item } from "../test/fixtures";
import type { ItemFacts } from "./status";
import {
  activeFilterCount,
  buildTree,
  emptyFilter,
  filterItems,
  filterNeedsFacts,
  filterOptions,
  flattenTree,
  groupKeys,
  matchesQuery,
  mitreTechniques,
  parentRow,
  treeKeyAction,
  type GroupNode,
  type TreeNode,
  type TreeRow,
} from "./explorer";

const cloudtrail = item({
  id: "AWS.CloudTrail.Stopped",
  display_name: "CloudTrail Stopped",
  rel_path: "rules/aws_cloudtrail_rules/aws_cloudtrail_stopped.yml",
  log_types: ["AWS.CloudTrail"],
  tags: ["AWS", "Defense Evasion"],
  mitre: ["TA0005:T1562.008"],
  severity: "High",
  packs: ["PantherManaged.AWS"],
});
const okta = item({
  id: "Okta.BruteForce",
  display_name: "Okta Brute Force",
  rel_path: "rules/okta_rules/okta_brute_force.yml",
  log_types: ["Okta.SystemLog"],
  tags: ["Okta"],
  mitre: ["TA0006:T1110"],
  severity: "Medium",
  enabled: false,
  status: "experimental",
});
const helper = item({
  id: "panther_base_helpers",
  analysis_type: "global",
  rel_path: "global_helpers/panther_base_helpers.yml",
  severity: null,
});
const policy = item({
  id: "AWS.S3.Encryption",
  analysis_type: "policy",
  rel_path: "policies/s3/aws_s3_encryption.yml",
  resource_types: ["AWS.S3.Bucket"],
  status: "deprecated",
  severity: "Low",
  packs: ["PantherManaged.AWS"],
});
const all = [cloudtrail, okta, helper, policy];

function facts(partial: Partial<ItemFacts>): ItemFacts {
  return { testStatus: "not_run", failing: 0, errors: 0, warnings: 0, git: null, attempts: 0, ...partial };
}

function ids(items: { id: string }[]): string[] {
  return items.map((i) => i.id);
}

function itemIds(nodes: TreeNode[]): string[] {
  return nodes.filter((n) => n.kind === "item").map((n) => (n.kind === "item" ? n.item.id : ""));
}

describe("search", () => {
  it("matches every word against id, display name, path and tags, case-insensitively", () => {
    expect(matchesQuery(cloudtrail, "cloudtrail stopped")).toBe(true);
    expect(matchesQuery(cloudtrail, "defense evasion")).toBe(true);
    expect(matchesQuery(cloudtrail, "aws_cloudtrail_rules")).toBe(true);
    expect(matchesQuery(cloudtrail, "cloudtrail okta")).toBe(false);
  });

  it("finds items by MITRE technique text", () => {
    const found = filterItems(all, { ...emptyFilter(), query: "T1110" }, new Map());
    expect(ids(found)).toEqual(["Okta.BruteForce"]);
  });

  it("an empty query matches everything", () => {
    expect(filterItems(all, emptyFilter(), new Map())).toHaveLength(4);
  });
});

describe("filters", () => {
  it("filters on enabled and disabled", () => {
    expect(ids(filterItems(all, { ...emptyFilter(), enabled: "disabled" }, new Map()))).toEqual(["Okta.BruteForce"]);
    expect(ids(filterItems(all, { ...emptyFilter(), enabled: "enabled" }, new Map()))).not.toContain("Okta.BruteForce");
  });

  it("filters on status, and (none) finds items without one", () => {
    expect(ids(filterItems(all, { ...emptyFilter(), status: "deprecated" }, new Map()))).toEqual(["AWS.S3.Encryption"]);
    expect(ids(filterItems(all, { ...emptyFilter(), status: "(none)" }, new Map()))).toEqual([
      "AWS.CloudTrail.Stopped",
      "panther_base_helpers",
    ]);
  });

  it("filters on severity case-insensitively", () => {
    expect(ids(filterItems(all, { ...emptyFilter(), severity: "high" }, new Map()))).toEqual(["AWS.CloudTrail.Stopped"]);
  });

  it("filters on tag and on MITRE technique (sub-techniques included as written)", () => {
    expect(ids(filterItems(all, { ...emptyFilter(), tag: "okta" }, new Map()))).toEqual(["Okta.BruteForce"]);
    expect(ids(filterItems(all, { ...emptyFilter(), mitre: "T1562.008" }, new Map()))).toEqual(["AWS.CloudTrail.Stopped"]);
  });

  it("filters on test status, git changes and problems from the item facts", () => {
    const f = new Map<string, ItemFacts>([
      [cloudtrail.id, facts({ testStatus: "failing", failing: 2, git: "M" })],
      [okta.id, facts({ testStatus: "passing", warnings: 1 })],
      [helper.id, facts({ testStatus: "no_tests", errors: 3 })],
      [policy.id, facts({ testStatus: "not_run" })],
    ]);
    expect(ids(filterItems(all, { ...emptyFilter(), testStatus: "failing" }, f))).toEqual(["AWS.CloudTrail.Stopped"]);
    expect(ids(filterItems(all, { ...emptyFilter(), git: "changed" }, f))).toEqual(["AWS.CloudTrail.Stopped"]);
    expect(ids(filterItems(all, { ...emptyFilter(), git: "clean" }, f))).toHaveLength(3);
    expect(ids(filterItems(all, { ...emptyFilter(), problems: "errors" }, f))).toEqual(["panther_base_helpers"]);
    expect(ids(filterItems(all, { ...emptyFilter(), problems: "any_problem" }, f))).toEqual(["Okta.BruteForce", "panther_base_helpers"]);
  });

  it("combines filters with the search", () => {
    const f = { ...emptyFilter(), query: "aws", severity: "Low" };
    expect(ids(filterItems(all, f, new Map()))).toEqual(["AWS.S3.Encryption"]);
    expect(activeFilterCount(f)).toBe(1);
  });

  it("offers the workspace's values plus PAT's statuses and severities in order", () => {
    const o = filterOptions(all);
    expect(o.statuses).toEqual(["deprecated", "experimental"]);
    expect(o.severities).toEqual(["Info", "Low", "Medium", "High", "Critical"]);
    expect(o.tags).toEqual(["AWS", "Defense Evasion", "Okta"]);
    expect(o.mitre).toEqual(["T1110", "T1562.008"]);
  });

  it("reads techniques out of Reports-style MITRE entries", () => {
    expect(mitreTechniques(item({ id: "x", mitre: ["TA0001:T1078,T1078.004", "TA0040"] }))).toEqual(["T1078", "T1078.004", "TA0040"]);
  });
});

describe("grouping", () => {
  it("by folder nests folders from the spec paths, folders before items, with counts", () => {
    const tree = buildTree(all, "folder");
    expect(tree.map((n) => (n.kind === "group" ? n.label : n.item.id))).toEqual(["global_helpers", "policies", "rules"]);
    const rules = tree[2] as GroupNode;
    expect(rules.count).toBe(2);
    expect(rules.children.map((n) => (n.kind === "group" ? n.label : ""))).toEqual(["aws_cloudtrail_rules", "okta_rules"]);
    const aws = rules.children[0] as GroupNode;
    expect(itemIds(aws.children)).toEqual(["AWS.CloudTrail.Stopped"]);
  });

  it("by log type lists an item under each of its log or resource types, the rest under (no log type) last", () => {
    const tree = buildTree(all, "log_type") as GroupNode[];
    expect(tree.map((g) => g.label)).toEqual(["AWS.CloudTrail", "AWS.S3.Bucket", "Okta.SystemLog", "(no log type)"]);
    expect(itemIds(tree[3].children)).toEqual(["panther_base_helpers"]);
  });

  it("by pack groups on the packs listing each item", () => {
    const tree = buildTree(all, "pack") as GroupNode[];
    expect(tree.map((g) => g.label)).toEqual(["PantherManaged.AWS", "(in no pack)"]);
    expect(itemIds(tree[0].children)).toEqual(["AWS.CloudTrail.Stopped", "AWS.S3.Encryption"]);
  });

  it("by type uses readable type names", () => {
    const tree = buildTree(all, "type") as GroupNode[];
    expect(tree.map((g) => `${g.label}:${g.count}`)).toEqual(["Global helpers:1", "Policies:1", "Rules:2"]);
  });

  it("gives every node a unique key, even for an item in two groups", () => {
    const twoLogTypes = item({ id: "Multi", log_types: ["A", "B"] });
    const tree = buildTree([twoLogTypes], "log_type");
    const keys = [...groupKeys(tree), ...tree.flatMap((g) => (g.kind === "group" ? g.children.map((c) => c.key) : []))];
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toHaveLength(4);
  });
});

describe("search and facts", () => {
  /** A facts map that fails the test when read. */
  const untouchable = new Proxy(new Map<string, ItemFacts>(), {
    get(target, prop) {
      if (prop === "get") throw new Error("facts read although no filter needs them");
      return Reflect.get(target, prop);
    },
  });

  it("search and field filters never read the facts (a test run does not re-filter)", () => {
    expect(ids(filterItems(all, { ...emptyFilter(), query: "okta" }, untouchable))).toEqual(["Okta.BruteForce"]);
    expect(ids(filterItems(all, { ...emptyFilter(), severity: "Low", tag: "(none)" }, untouchable))).toEqual(["AWS.S3.Encryption"]);
    expect(filterNeedsFacts({ ...emptyFilter(), query: "x", severity: "Low" })).toBe(false);
    for (const f of [{ testStatus: "failing" as const }, { git: "changed" as const }, { problems: "errors" as const }]) {
      expect(filterNeedsFacts({ ...emptyFilter(), ...f })).toBe(true);
    }
  });

  it("without a search or filter the list is the workspace's own", () => {
    expect(filterItems(all, emptyFilter())).toBe(all);
    expect(filterItems(all, { ...emptyFilter(), query: "   " })).toBe(all);
  });

  it("the same item found again after its words were cached, and a new object for it searched afresh", () => {
    expect(matchesQuery(okta, "brute")).toBe(true);
    expect(matchesQuery(okta, "brute")).toBe(true);
    const renamed = { ...okta, display_name: "Okta Password Spray" };
    expect(matchesQuery(renamed, "brute")).toBe(true); // still in the ID
    expect(matchesQuery(renamed, "spray")).toBe(true);
    expect(matchesQuery(okta, "spray")).toBe(false);
  });

  it("sorts IDs with numbers in numeric order, ignoring case", () => {
    const items = ["Rule.10", "rule.9", "Rule.1", "Rule.100"].map((id) => item({ id, rel_path: `rules/${id}.yml` }));
    const tree = buildTree(items, "folder") as GroupNode[];
    expect(itemIds(tree[0].children)).toEqual(["Rule.1", "rule.9", "Rule.10", "Rule.100"]);
  });
});

describe("the tree as rows", () => {
  // rules/ (aws_cloudtrail_rules/ [cloudtrail], okta_rules/ [okta]), policies/ [policy], global_helpers/ [helper]
  const tree = buildTree(all, "folder");
  const label = (r: TreeRow) => `${"  ".repeat(r.depth)}${r.kind === "group" ? `${r.label}/${r.open ? "" : " (closed)"}` : r.item.id}`;
  const openIf = (open: string[]) => (key: string) => open.includes(key);

  it("everything open: every group followed by its children, depth first", () => {
    expect(flattenTree(tree, () => true).map(label)).toEqual([
      "global_helpers/",
      "  panther_base_helpers",
      "policies/",
      "  s3/",
      "    AWS.S3.Encryption",
      "rules/",
      "  aws_cloudtrail_rules/",
      "    AWS.CloudTrail.Stopped",
      "  okta_rules/",
      "    Okta.BruteForce",
    ]);
  });

  it("a closed group's children are left out, however deep", () => {
    const rows = flattenTree(tree, openIf(["folder:rules", "folder:policies/s3"]));
    expect(rows.map(label)).toEqual([
      "global_helpers/ (closed)",
      "policies/ (closed)",
      "rules/",
      "  aws_cloudtrail_rules/ (closed)",
      "  okta_rules/ (closed)",
    ]);
  });

  it("only the top level when every group is closed", () => {
    expect(flattenTree(tree, () => false).map(label)).toEqual(["global_helpers/ (closed)", "policies/ (closed)", "rules/ (closed)"]);
  });

  it("opens by depth as the explorer's defaults do (top level open, the rest closed)", () => {
    const rows = flattenTree(tree, (_key, depth) => depth === 0);
    expect(rows.map(label)).toEqual([
      "global_helpers/",
      "  panther_base_helpers",
      "policies/",
      "  s3/ (closed)",
      "rules/",
      "  aws_cloudtrail_rules/ (closed)",
      "  okta_rules/ (closed)",
    ]);
  });

  it("carries keys, counts and the place among siblings", () => {
    const rows = flattenTree(tree, () => true);
    const rules = rows.find((r) => r.key === "folder:rules")!;
    expect(rules).toMatchObject({ kind: "group", count: 2, depth: 0, pos: 3, size: 3, open: true });
    const oktaRow = rows.find((r) => r.kind === "item" && r.item.id === "Okta.BruteForce")!;
    expect(oktaRow).toMatchObject({ depth: 2, pos: 1, size: 1 });
    expect(new Set(rows.map((r) => r.key)).size).toBe(rows.length);
  });

  it("flat groupings (log type) are groups of items", () => {
    const rows = flattenTree(buildTree(all, "log_type"), (key) => key === "log_type:AWS.CloudTrail");
    expect(rows.map(label)).toEqual([
      "AWS.CloudTrail/",
      "  AWS.CloudTrail.Stopped",
      "AWS.S3.Bucket/ (closed)",
      "Okta.SystemLog/ (closed)",
      "(no log type)/ (closed)",
    ]);
  });

  it("finds a row's parent group", () => {
    const rows = flattenTree(tree, () => true);
    const at = (id: string) => rows.findIndex((r) => r.kind === "item" && r.item.id === id);
    expect(rows[parentRow(rows, at("Okta.BruteForce"))].key).toBe("folder:rules/okta_rules");
    expect(rows[parentRow(rows, parentRow(rows, at("Okta.BruteForce")))].key).toBe("folder:rules");
    expect(parentRow(rows, 0)).toBe(-1);
    expect(parentRow(rows, rows.findIndex((r) => r.key === "folder:rules"))).toBe(-1);
  });
});

describe("tree keys", () => {
  const rows = flattenTree(buildTree(all, "folder"), (key) => key !== "folder:policies");
  // 0 global_helpers/  1 panther_base_helpers  2 policies/ (closed)  3 rules/  4 aws_cloudtrail_rules/
  // 5 AWS.CloudTrail.Stopped  6 okta_rules/  7 Okta.BruteForce
  const key = (index: number, k: string) => treeKeyAction(rows, index, k, 3);

  it("up and down move one row, stopping at the ends", () => {
    expect(key(0, "ArrowDown")).toEqual({ focus: 1 });
    expect(key(7, "ArrowDown")).toEqual({ focus: 7 });
    expect(key(3, "ArrowUp")).toEqual({ focus: 2 });
    expect(key(0, "ArrowUp")).toEqual({ focus: 0 });
    // From nowhere (focus not in the tree yet): the first row.
    expect(key(-1, "ArrowDown")).toEqual({ focus: 0 });
  });

  it("Home, End and a page at a time", () => {
    expect(key(4, "Home")).toEqual({ focus: 0 });
    expect(key(0, "End")).toEqual({ focus: 7 });
    expect(key(0, "PageDown")).toEqual({ focus: 3 });
    expect(key(6, "PageDown")).toEqual({ focus: 7 });
    expect(key(2, "PageUp")).toEqual({ focus: 0 });
  });

  it("right opens a closed group, then goes to its first child", () => {
    expect(key(2, "ArrowRight")).toEqual({ toggle: "folder:policies" });
    expect(key(3, "ArrowRight")).toEqual({ focus: 4 });
    expect(key(5, "ArrowRight")).toBeNull(); // an item
  });

  it("left closes an open group, else goes to the parent", () => {
    expect(key(6, "ArrowLeft")).toEqual({ toggle: "folder:rules/okta_rules" });
    expect(key(7, "ArrowLeft")).toEqual({ focus: 6 });
    expect(key(2, "ArrowLeft")).toBeNull(); // closed, top level
    expect(key(1, "ArrowLeft")).toEqual({ focus: 0 });
  });

  it("leaves other keys (Enter, Space, letters) to the rows and the browser", () => {
    expect(key(1, "Enter")).toBeNull();
    expect(key(1, " ")).toBeNull();
    expect(key(1, "a")).toBeNull();
    expect(treeKeyAction([], 0, "ArrowDown", 3)).toBeNull();
  });
});

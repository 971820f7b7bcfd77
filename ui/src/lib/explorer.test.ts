import { describe, expect, it } from "vitest";
import { item } from "../test/fixtures";
import type { ItemFacts } from "./status";
import {
  activeFilterCount,
  buildTree,
  emptyFilter,
  filterItems,
  filterOptions,
  groupKeys,
  matchesQuery,
  mitreTechniques,
  type GroupNode,
  type TreeNode,
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
  return { testStatus: "not_run", failing: 0, errors: 0, warnings: 0, git: null, ...partial };
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

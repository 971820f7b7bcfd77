import { describe, expect, it } from "vitest";
import { item } from "../test/fixtures";
import { matchScore, rankByLabel, rankItems } from "./quickopen";

describe("matchScore", () => {
  it("ranks exact over prefix over substring over subsequence", () => {
    const exact = matchScore("okta", "okta")!;
    const prefix = matchScore("okta", "okta.bruteforce")!;
    const substring = matchScore("okta", "gsuite.okta")!;
    const subsequence = matchScore("okbf", "okta.bruteforce")!;
    expect(exact).toBeGreaterThan(prefix);
    expect(prefix).toBeGreaterThan(substring);
    expect(substring).toBeGreaterThan(subsequence);
  });

  it("returns null when the characters are not there in order", () => {
    expect(matchScore("xyz", "okta.bruteforce")).toBeNull();
    expect(matchScore("fb", "bf")).toBeNull();
  });

  it("prefers substrings at word starts", () => {
    expect(matchScore("trail", "aws.trail.x")!).toBeGreaterThan(matchScore("trail", "aws.cloudtrailx")!);
  });
});

describe("rankItems", () => {
  const items = [
    item({ id: "AWS.CloudTrail.Stopped", display_name: "CloudTrail Stopped", rel_path: "rules/aws/cloudtrail_stopped.yml" }),
    item({ id: "AWS.CloudTrail.Created", display_name: "CloudTrail Created", rel_path: "rules/aws/cloudtrail_created.yml" }),
    item({ id: "Okta.BruteForce", display_name: "Brute force by IP", rel_path: "rules/okta/brute.yml", code_path: "/ws/rules/okta/okta_brute_force_impl.py" }),
  ];

  it("finds by ID", () => {
    expect(rankItems(items, "Okta.Brute")[0].item.id).toBe("Okta.BruteForce");
  });

  it("finds by display name", () => {
    const hits = rankItems(items, "brute force by");
    expect(hits[0].item.id).toBe("Okta.BruteForce");
    expect(hits[0].matched).toBe("name");
  });

  it("finds by file name, including the Python file", () => {
    expect(rankItems(items, "cloudtrail_created.yml")[0].item.id).toBe("AWS.CloudTrail.Created");
    const byPy = rankItems(items, "force_impl");
    expect(byPy.map((h) => h.item.id)).toEqual(["Okta.BruteForce"]);
    expect(byPy[0].matched).toBe("file");
  });

  it("finds by fuzzy subsequence and leaves out non-matches", () => {
    const hits = rankItems(items, "awsctstop");
    expect(hits.map((h) => h.item.id)).toEqual(["AWS.CloudTrail.Stopped"]);
  });

  it("with an empty query shows recently opened items first", () => {
    const hits = rankItems(items, "", ["Okta.BruteForce"]);
    expect(hits.map((h) => h.item.id)).toEqual(["Okta.BruteForce", "AWS.CloudTrail.Created", "AWS.CloudTrail.Stopped"]);
  });

  it("caps the list", () => {
    const many = Array.from({ length: 80 }, (_, i) => item({ id: `Rule.${i}` }));
    expect(rankItems(many, "rule", [], 50)).toHaveLength(50);
  });
});

describe("rankByLabel", () => {
  it("filters commands and keeps the given order for equal scores", () => {
    const labels = ["Tests: Run A", "Tests: Run B", "View: Problems"];
    expect(rankByLabel(labels, "tests", (l) => l)).toEqual(["Tests: Run A", "Tests: Run B"]);
    expect(rankByLabel(labels, "", (l) => l)).toEqual(labels);
    expect(rankByLabel(labels, "prob", (l) => l)).toEqual(["View: Problems"]);
  });
});

// The Deploy view's derived data: the drift as an ordered, filterable preview, its one-line
// summary, the items an upload sent joined with the preview's prediction, PAT's summary rows,
// what a deletion sends (never a managed item), and the stage text.
import { describe, expect, it } from "vitest";
import { deletion, effectLabel, filterRows, previewRows, previewSummary, sentItems, stageText, summaryRows } from "./deploy";
import type { Drift, Uploaded } from "./contract";

const DRIFT: Drift = {
  only_remote: [
    { kind: "rules", id: "Old.Rule" },
    { kind: "rules", id: "Panther.Managed", managed: true },
    { kind: "queries", id: "Old Query" },
  ],
  only_local: [{ kind: "rules", id: "New.Rule", path: "rules/new.yml" }],
  different: [{ kind: "policies", id: "Tuned.Policy", path: "policies/tuned.yml", changes: [{ field: "severity", remote: "Low", local: "High" }] }],
  same: 4,
  not_compared: { pack: 2 },
};

describe("previewRows", () => {
  it("puts changes first, then additions, then what only the instance has", () => {
    const rows = previewRows(DRIFT);
    expect(rows.map((r) => [r.effect, r.id])).toEqual([
      ["change", "Tuned.Policy"],
      ["add", "New.Rule"],
      ["remote_only", "Old Query"],
      ["remote_only", "Old.Rule"],
      ["remote_only", "Panther.Managed"],
    ]);
    expect(rows[0].changes[0]).toEqual({ field: "severity", remote: "Low", local: "High" });
    expect(rows.find((r) => r.id === "Panther.Managed")?.managed).toBe(true);
    expect(rows.find((r) => r.id === "New.Rule")?.path).toBe("rules/new.yml");
  });

  it("filters by effect and by text", () => {
    const rows = previewRows(DRIFT);
    expect(filterRows(rows, ["add"], "").map((r) => r.id)).toEqual(["New.Rule"]);
    expect(filterRows(rows, [], "tuned").map((r) => r.id)).toEqual(["Tuned.Policy"]);
    expect(filterRows(rows, ["remote_only"], "queries").map((r) => r.id)).toEqual(["Old Query"]);
    expect(filterRows(rows, [], "")).toHaveLength(5);
  });
});

describe("previewSummary", () => {
  it("counts each effect and what was not compared", () => {
    expect(previewSummary(DRIFT)).toBe("1 to add, 1 to change, 3 only on the instance, 4 the same, 2 not compared (the API does not list them)");
    expect(previewSummary({ ...DRIFT, not_compared: {} })).not.toContain("not compared");
  });
});

const UPLOADED: Uploaded = {
  url: "https://api.acme.runpanther.net/public/graphql",
  archive_bytes: 1234,
  summary: {
    kinds: [
      ["Rules", { new: 1, modified: 0, total: 3 }],
      ["Queries", { new: 0, modified: 0, total: 0 }],
      ["Policies", { new: 0, modified: 1, total: 1 }],
    ],
    asynchronous: true,
    retries: 0,
  },
  items: [
    { id: "New.Rule", analysis_type: "rule", path: "rules/new.yml" },
    { id: "Tuned.Policy", analysis_type: "policy", path: "policies/tuned.yml" },
    { id: "Kept.Rule", analysis_type: "rule", path: "rules/kept.yml" },
    { id: "Pack.One", analysis_type: "pack", path: "packs/one.yml" },
  ],
};

describe("sentItems", () => {
  it("joins the upload's items with the preview's prediction", () => {
    expect(sentItems(UPLOADED, DRIFT).map((i) => [i.id, i.effect])).toEqual([
      ["New.Rule", "add"],
      ["Tuned.Policy", "change"],
      ["Kept.Rule", "same"],
      ["Pack.One", null],
    ]);
  });

  it("predicts nothing without a preview", () => {
    expect(sentItems(UPLOADED, null).every((i) => i.effect === null)).toBe(true);
    expect(effectLabel(null)).toBe("uploaded");
  });
});

describe("summaryRows", () => {
  it("keeps PAT's kinds with anything in them, in PAT's order", () => {
    expect(summaryRows(UPLOADED).map((r) => r.kind)).toEqual(["Rules", "Policies"]);
  });
});

describe("deletion", () => {
  it("sends detections by ID and saved queries by name, never a managed item", () => {
    const rows = previewRows(DRIFT).filter((r) => r.effect === "remote_only");
    expect(deletion(rows)).toEqual({ ids: ["Old.Rule"], queries: ["Old Query"] });
  });
});

describe("stageText", () => {
  it("names the last event's stage", () => {
    expect(stageText([])).toBe("Starting");
    expect(
      stageText([
        { stage: "connecting", level: "info", text: "Panther Public API endpoint: x" },
        { stage: "waiting", level: "info", text: "receipt r" },
      ]),
    ).toBe("The instance is processing the upload");
  });
});

// What the Deploy view derives from the shell's answers: the drift as a preview of the upload
// (what it adds, changes and leaves alone on the instance), the items an upload sent with the
// effect the preview predicted for each, PAT's summary rows, what may be deleted, and the
// upload's stage as text. Pure functions, tested in deploy.test.ts.
import type { DeployEvent, DeployStage, Drift, DriftChange, DriftOneSide, TestReport, UploadCounts, Uploaded } from "./contract";

/** What an upload does to one item on the instance. */
export type Effect = "add" | "change" | "same" | "remote_only";

export interface PreviewRow {
  id: string;
  /** The REST kind (`rules`, `queries`, …). */
  kind: string;
  /** The spec file (items of the workspace). */
  path: string | null;
  effect: Effect;
  /** What differs (effect `change`). */
  changes: DriftChange[];
  /** Panther manages it (instance-only items): never offered for deletion. */
  managed: boolean;
}

const ORDER: Record<Effect, number> = { change: 0, add: 1, remote_only: 2, same: 3 };

/** The drift as rows: changes first, then additions, then what only the instance has; by ID within each. */
export function previewRows(drift: Drift): PreviewRow[] {
  const side = (s: DriftOneSide, effect: Effect): PreviewRow => ({
    id: s.id,
    kind: s.kind,
    path: s.path ?? null,
    effect,
    changes: [],
    managed: s.managed ?? false,
  });
  const rows: PreviewRow[] = [
    ...drift.different.map((d) => ({ id: d.id, kind: d.kind, path: d.path, effect: "change" as const, changes: d.changes, managed: false })),
    ...drift.only_local.map((s) => side(s, "add")),
    ...drift.only_remote.map((s) => side(s, "remote_only")),
  ];
  return rows.sort((a, b) => ORDER[a.effect] - ORDER[b.effect] || a.kind.localeCompare(b.kind) || a.id.localeCompare(b.id));
}

/** Rows whose effect is among `effects` (all when empty) and whose ID, kind or path holds `query`. */
export function filterRows(rows: PreviewRow[], effects: Effect[], query: string): PreviewRow[] {
  const q = query.trim().toLowerCase();
  return rows.filter(
    (r) =>
      (effects.length === 0 || effects.includes(r.effect)) &&
      (!q || r.id.toLowerCase().includes(q) || r.kind.toLowerCase().includes(q) || (r.path ?? "").toLowerCase().includes(q)),
  );
}

/** "3 to add, 2 to change, 5 only on the instance, 40 the same". */
export function previewSummary(drift: Drift): string {
  const parts = [
    `${drift.only_local.length} to add`,
    `${drift.different.length} to change`,
    `${drift.only_remote.length} only on the instance`,
    `${drift.same} the same`,
  ];
  const notCompared = Object.values(drift.not_compared).reduce((a, b) => a + b, 0);
  if (notCompared > 0) parts.push(`${notCompared} not compared (the API does not list them)`);
  return parts.join(", ");
}

/** An item an upload sent, with what the last preview said would happen to it. */
export interface SentItem {
  id: string;
  analysisType: string;
  path: string;
  /** `null`: no preview of this instance, or the preview does not know the item (a kind the API does not list). */
  effect: Effect | null;
}

/** The upload's items with the preview's prediction for each (by ID). */
export function sentItems(uploaded: Uploaded, drift: Drift | null): SentItem[] {
  const effect = new Map<string, Effect>();
  if (drift) {
    for (const d of drift.different) effect.set(d.id, "change");
    for (const s of drift.only_local) effect.set(s.id, "add");
  }
  // Kinds the API does not list (packs, lookup tables) are not compared: nothing is predicted.
  const compared = (type: string) => !drift || !(type in drift.not_compared);
  return uploaded.items.map((i) => ({
    id: i.id,
    analysisType: i.analysis_type,
    path: i.path,
    effect: drift && compared(i.analysis_type) ? (effect.get(i.id) ?? "same") : null,
  }));
}

/** PAT's summary: the kinds with anything in them. */
export function summaryRows(uploaded: Uploaded): { kind: string; counts: UploadCounts }[] {
  return uploaded.summary.kinds.filter(([, c]) => c.total > 0 || c.new > 0 || c.modified > 0).map(([kind, counts]) => ({ kind, counts }));
}

/** What a deletion of `rows` sends: detection IDs, and saved queries by name. Managed items are left out. */
export function deletion(rows: PreviewRow[]): { ids: string[]; queries: string[] } {
  const mine = rows.filter((r) => !r.managed);
  return {
    ids: mine.filter((r) => r.kind !== "queries").map((r) => r.id),
    queries: mine.filter((r) => r.kind === "queries").map((r) => r.id),
  };
}

const STAGES: Record<DeployStage, string> = {
  connecting: "Asking the instance what it supports",
  testing: "Running the unit tests",
  zipping: "Writing the archive",
  uploading: "Uploading",
  waiting: "The instance is processing the upload",
  retrying: "Retrying the upload",
  done: "Done",
};

/** The stage the last event names, as text. */
export function stageText(events: DeployEvent[]): string {
  const last = events.at(-1);
  return last ? STAGES[last.stage] : "Starting";
}

/** A row's effect as the preview table shows it. */
export function effectLabel(effect: Effect | null): string {
  switch (effect) {
    case "add":
      return "new on the instance";
    case "change":
      return "changes";
    case "same":
      return "unchanged";
    case "remote_only":
      return "only on the instance";
    default:
      return "uploaded";
  }
}

/** The tests that stopped an upload: (detection, test) pairs, a detection that could not load as one row with no test. */
export function failedTests(report: TestReport | null): { id: string; test: string | null }[] {
  if (!report) return [];
  const out: { id: string; test: string | null }[] = [];
  for (const d of report.detections) {
    if (d.setup_error) out.push({ id: d.id, test: null });
    for (const t of d.results) if (!t.passed || t.out_of_band) out.push({ id: d.id, test: t.name });
  }
  return out;
}

// What the Audit view derives from an AuditReport, without state: the kind of source a text
// names, findings ordered and filtered by severity, a finding's place, the progress line, the
// recorded attempts grouped by detection and test. Every string here comes from the audited
// pack: callers render it as text.

import type { AuditFinding, AuditProgress, AuditSeverity, AuditSourceKind, RecordedAttempt, Attempt } from "./contract";

export const SEVERITIES: AuditSeverity[] = ["error", "warning", "note"];

/** The kind of source a text names, as `prowl audit SOURCE` reads it: a URL with a scheme is a git repository, a `.zip`/`.tar`/`.tar.gz`/`.tgz` file an archive, anything else a folder. */
export function guessSourceKind(source: string): AuditSourceKind {
  const s = source.trim();
  if (s.includes("://")) return "git";
  if (/\.(zip|tar|tar\.gz|tgz)$/i.test(s)) return "archive";
  return "folder";
}

function rank(severity: AuditSeverity): number {
  return SEVERITIES.indexOf(severity);
}

/** Errors first, then warnings, then notes; within a severity, the report's order (by file, line, code). */
export function sortFindings(findings: readonly AuditFinding[]): AuditFinding[] {
  return findings
    .map((f, i) => ({ f, i }))
    .sort((a, b) => rank(a.f.severity) - rank(b.f.severity) || a.i - b.i)
    .map(({ f }) => f);
}

/** The findings whose severity is shown, in `sortFindings` order. */
export function visibleFindings(findings: readonly AuditFinding[], shown: ReadonlySet<AuditSeverity>): AuditFinding[] {
  return sortFindings(findings.filter((f) => shown.has(f.severity)));
}

/** `file:line:column`, as far as known; null for a finding about the pack as a whole. */
export function findingPlace(f: Pick<AuditFinding, "file" | "line" | "column">): string | null {
  if (!f.file) return null;
  if (f.line === null) return f.file;
  return f.column !== null ? `${f.file}:${f.line}:${f.column}` : `${f.file}:${f.line}`;
}

/** A stable key for a finding of one report (its place, code, test and message). */
export function findingKey(f: AuditFinding): string {
  return JSON.stringify([f.code, f.file, f.line, f.column, f.item, f.test, f.message]);
}

/** What the audit is doing, in words. */
export function progressText(p: AuditProgress | null): string {
  if (!p || p.stage === "preparing") return "Bringing the pack into quarantine…";
  if (p.stage === "static") return `Reading ${p.files} Python file${p.files === 1 ? "" : "s"} and the specs…`;
  return `Running the pack's tests in the sandbox: ${p.done} of ${p.total} detections`;
}

/** The part of the audit done, 0..1, when it can be told (the tests); null otherwise. */
export function progressFraction(p: AuditProgress | null): number | null {
  if (!p || p.stage !== "dynamic" || p.total === 0) return null;
  return Math.min(1, p.done / p.total);
}

/** Attempts recorded for one detection and test (or while a module loaded). */
export interface AttemptGroup {
  key: string;
  item: string | null;
  test: string | null;
  attempts: Attempt[];
}

/** The recorded attempts by detection and test, in the report's order (it sorts them so). */
export function groupAttempts(recorded: readonly RecordedAttempt[]): AttemptGroup[] {
  const groups = new Map<string, AttemptGroup>();
  for (const r of recorded) {
    const key = JSON.stringify([r.item, r.test]);
    let g = groups.get(key);
    if (!g) {
      g = { key, item: r.item, test: r.test, attempts: [] };
      groups.set(key, g);
    }
    g.attempts.push(r.attempt);
  }
  return [...groups.values()];
}

/** The heading of an attempt group: whose code, during what. */
export function attemptGroupTitle(g: Pick<AttemptGroup, "item" | "test">): string {
  if (!g.item) return "While helpers and data models were loaded";
  if (!g.test) return `${g.item}, when its module was loaded`;
  return `${g.item}, in the test “${g.test}”`;
}

// The Audit view's state: the form (source, its kind, the fork to compare with, whether the
// pack's tests run in the sandbox), the audit going on (its progress, cancelling it), the last
// report, which severities the findings list shows, the finding selected and the pack's file
// shown for it.
//
// Invariants: one audit at a time; a new audit forgets the last report at once (the shell
// removes the last pack's quarantine copy when the next audit starts, so its files are gone);
// a cancelled audit leaves no report (`audit.cancelled` is a note, not an error); answers that
// arrive after a newer request (another audit, another finding selected) are dropped.
// Every string of a report is the pack's: components render it as text.

import * as api from "../api";
import type { ShellError } from "../api";
import type { AuditFinding, AuditProgress, AuditReport, AuditSeverity, AuditSourceKind, Replacement } from "../contract";
import { SEVERITIES, findingKey, groupAttempts, guessSourceKind, visibleFindings } from "../audit";
import { resolve, samePath } from "../paths";
import type { Notices } from "./notices.svelte";
import type { OpenWorkspace } from "./workspace.svelte";

/** The audit going on. */
export interface AuditRun {
  source: string;
  progress: AuditProgress | null;
  cancelling: boolean;
}

/** A file of the audited pack, shown read-only at a line. */
export interface PackFile {
  /** Relative to the pack's root, as findings name it. */
  file: string;
  line: number;
  column: number;
  /** Changes with every request to show a place, so the editor scrolls there again. */
  seq: number;
  text: string | null;
  error: ShellError | null;
}

export class PackAudit {
  source = $state("");
  kind = $state<AuditSourceKind>("folder");
  /** The fork to compare with; empty: the open workspace. */
  against = $state("");
  dynamic = $state(true);
  running = $state<AuditRun | null>(null);
  report = $state.raw<AuditReport | null>(null);
  /** Why the last audit could not be made (a cancel is not one). */
  error = $state.raw<ShellError | null>(null);
  /** The severities the findings list shows. */
  shown = $state<Record<AuditSeverity, boolean>>({ error: true, warning: true, note: true });
  /** The selected finding's key (`findingKey`). */
  selected = $state<string | null>(null);
  file = $state.raw<PackFile | null>(null);

  /** The findings the list shows: errors first, filtered by severity. */
  findings = $derived(this.report ? visibleFindings(this.report.findings, new Set(SEVERITIES.filter((s) => this.shown[s]))) : []);
  attemptGroups = $derived(this.report ? groupAttempts(this.report.attempts) : []);

  readonly #notices: Notices;
  readonly #workspace: OpenWorkspace;
  #kindChosen = false;
  #generation = 0;
  #fileSeq = 0;

  constructor(notices: Notices, workspace: OpenWorkspace) {
    this.#notices = notices;
    this.#workspace = workspace;
  }

  /** The source text changed: its kind follows it until the user picks one. */
  setSource(text: string): void {
    this.source = text;
    if (!this.#kindChosen) this.kind = guessSourceKind(text);
  }

  chooseKind(kind: AuditSourceKind): void {
    this.kind = kind;
    this.#kindChosen = true;
  }

  /** Audits the source in the form; returns the report, or null when there is none. */
  async run(): Promise<AuditReport | null> {
    const source = this.source.trim();
    if (this.running || !source) return null;
    const generation = ++this.#generation;
    this.report = null;
    this.error = null;
    this.selected = null;
    this.file = null;
    this.running = { source, progress: null, cancelling: false };
    const against = this.against.trim() || null;
    this.#notices.log("audit", `Auditing ${source}${this.dynamic ? "" : " (static checks only)"}…`);
    try {
      const report = await api.auditSource(source, this.kind, against, this.dynamic, (progress) => {
        if (generation === this.#generation && this.running) this.running.progress = progress;
      });
      if (generation !== this.#generation) return null;
      this.report = report;
      const s = report.summary;
      this.#notices.log("audit", `${source}: ${s.verdict} (${s.errors} errors, ${s.warnings} warnings, ${s.notes} notes)`);
      const first = this.findings.find((f) => f.file);
      if (first) void this.select(first);
      return report;
    } catch (e) {
      if (generation !== this.#generation) return null;
      const err = api.toShellError(e);
      if (err.code === "audit.cancelled") {
        this.#notices.log("audit", `Audit of ${source} cancelled`);
      } else {
        this.error = err;
        this.#notices.log("audit", `Audit of ${source} failed: ${err.message}${err.hint ? ` — hint: ${err.hint}` : ""}`, "error");
      }
      return null;
    } finally {
      if (generation === this.#generation) this.running = null;
    }
  }

  /** Stops the audit going on (it then ends without a report). */
  async cancel(): Promise<void> {
    if (!this.running || this.running.cancelling) return;
    this.running.cancelling = true;
    try {
      await api.cancelAudit();
    } catch (e) {
      if (this.running) this.running.cancelling = false;
      this.#notices.fail("Could not cancel the audit", e, "audit");
    }
  }

  toggleSeverity(severity: AuditSeverity): void {
    this.shown[severity] = !this.shown[severity];
  }

  /** Selects a finding and shows its file at its line (a finding about the whole pack has none). */
  async select(finding: AuditFinding): Promise<void> {
    this.selected = findingKey(finding);
    if (finding.file) await this.showFile(finding.file, finding.line ?? 1, finding.column ?? 1);
    else this.file = null;
  }

  isSelected(finding: AuditFinding): boolean {
    return this.selected === findingKey(finding);
  }

  /** Shows a file of the audited pack at a line, read-only. */
  async showFile(file: string, line = 1, column = 1): Promise<void> {
    const generation = this.#generation;
    const seq = ++this.#fileSeq;
    const same = this.file?.file === file && this.file.text !== null ? this.file.text : null;
    this.file = { file, line, column, seq, text: same, error: null };
    if (same !== null) return;
    try {
      const text = await api.auditFile(file);
      if (generation !== this.#generation || seq !== this.#fileSeq) return;
      this.file = { file, line, column, seq, text, error: null };
    } catch (e) {
      if (generation !== this.#generation || seq !== this.#fileSeq) return;
      this.file = { file, line, column, seq, text: null, error: api.toShellError(e) };
    }
  }

  /**
   * The user's own file a replacement names, as a path of the open workspace, when the pack
   * was compared with the open workspace; null otherwise (it cannot be opened in the editor).
   */
  yourFile(r: Replacement): string | null {
    const against = this.report?.against;
    const root = this.#workspace.root;
    if (!against || !root || !samePath(against, root)) return null;
    return resolve(root, r.against_file);
  }
}

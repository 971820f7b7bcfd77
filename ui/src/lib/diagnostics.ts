// Validation problems: where a Diagnostic sits in an editor's text, and the Problems panel's
// list (the workspace's diagnostics, with live results from unsaved buffers in place of the
// saved file's).

import type { Text } from "@codemirror/state";
import type { Diagnostic } from "./contract";
import { normalize } from "./paths";

/**
 * The editor range a diagnostic marks: from its 1-based line and column (counted in
 * characters, as the core counts them) to the end of the word there. Out-of-range spans are
 * clamped; no span marks the start of the file.
 */
export function diagnosticRange(doc: Text, span: Diagnostic["span"]): { from: number; to: number } {
  if (doc.length === 0) return { from: 0, to: 0 };
  const lineNo = Math.min(Math.max(span?.line ?? 1, 1), doc.lines);
  const line = doc.line(lineNo);
  // Column in characters → offset in UTF-16 units.
  const chars = [...line.text];
  const col = Math.min(Math.max((span?.col ?? 1) - 1, 0), chars.length);
  const fromInLine = chars.slice(0, col).join("").length;
  const from = line.from + fromInLine;
  const rest = line.text.slice(fromInLine);
  const word = /^\S+/.exec(rest);
  if (!span) return { from: line.from, to: line.to };
  if (word) return { from, to: from + word[0].length };
  // Nothing to underline at the end of a line: mark the line's text instead.
  const trimmed = line.text.trimEnd().length;
  return trimmed > 0 ? { from: line.from + (line.text.length - line.text.trimStart().length), to: line.from + trimmed } : { from, to: from };
}

/** The text CodeMirror shows for a diagnostic: the summary, PAT's message when it says more, and the hint. */
export function diagnosticText(d: Diagnostic): string {
  const parts = [d.summary || d.message];
  if (d.message && d.summary && d.message !== d.summary) parts.push(`PAT: ${d.message}`);
  if (d.hint) parts.push(`hint: ${d.hint}`);
  return parts.join("\n");
}

/** Workspace diagnostics with each live-validated file's entries replaced by its live ones. */
export function mergeDiagnostics(workspace: Diagnostic[], live: Record<string, Diagnostic[]>): Diagnostic[] {
  const liveFiles = new Set(Object.keys(live).map(normalize));
  const kept = workspace.filter((d) => !liveFiles.has(normalize(d.file)));
  return [...kept, ...Object.values(live).flat()];
}

/** Errors before warnings, then by file and line. */
export function sortDiagnostics(list: Diagnostic[]): Diagnostic[] {
  return [...list].sort(
    (a, b) =>
      Number(a.severity !== "error") - Number(b.severity !== "error") ||
      a.rel_path.localeCompare(b.rel_path) ||
      (a.span?.line ?? 0) - (b.span?.line ?? 0) ||
      (a.span?.col ?? 0) - (b.span?.col ?? 0),
  );
}

export function countBySeverity(list: Diagnostic[]): { errors: number; warnings: number } {
  let errors = 0;
  for (const d of list) if (d.severity === "error") errors++;
  return { errors, warnings: list.length - errors };
}

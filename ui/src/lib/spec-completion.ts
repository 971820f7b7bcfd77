// Completion in YAML specs: PAT's top-level keys, and inside match expressions (Detection,
// InlineFilters, DynamicSeverities, AlertContext, GroupBy, correlation rules' Detection) the
// match language's keys and the conditions Prowl's compiler knows (generated from the core's
// table, so the editor offers exactly what the evaluator accepts).

import type { CompletionContext, CompletionResult } from "@codemirror/autocomplete";
import { MATCH_CONDITIONS } from "./generated/contract";

/** Top-level keys of PAT analysis specs. */
export const SPEC_KEYS = [
  "AnalysisType", "RuleID", "PolicyID", "QueryName", "DisplayName", "Enabled", "Filename", "Severity",
  "Description", "Reference", "Runbook", "LogTypes", "ResourceTypes", "Tags", "Reports", "Tests",
  "DedupPeriodMinutes", "Threshold", "SummaryAttributes", "OutputIds", "Status", "Suppressions",
  "InlineFilters", "Detection", "AlertTitle", "AlertContext", "GroupBy", "DynamicSeverities", "BaseDetection",
  "ScheduledQueries", "CreateAlert", "Query", "Schedule", "Lookback", "LookbackWindowSeconds", "PackDefinition",
  "Mappings", "GlobalID", "DataModelID", "LookupName", "Name", "ExpectedResult", "Log", "Resource", "Mocks",
  "RuleOutputs",
];

/** Keys of a match expression (PAT's schema, `MatchExpressions`). */
export const MATCH_KEYS = [
  "KeyPath", "Key", "DeepKey", "Condition", "Value", "Values", "All", "Any", "OnlyOne", "None", "Expressions",
  "Enrichment", "Table", "Selector", "FieldPath",
];
/** What InlineFilters allow (`InlineFilterMatchExpressions`). */
export const FILTER_KEYS = ["KeyPath", "Condition", "Value", "Values", "All", "Any", "Enrichment", "Table", "Selector", "FieldPath"];
/** Keys of a correlation rule's Detection and its tests. */
export const CORRELATION_KEYS = [
  "Group", "Sequence", "ID", "RuleID", "MinMatchCount", "MaxMatchCount", "Absence", "MatchCriteria", "GroupID", "Match",
  "Transitions", "From", "To", "On", "WithinTimeFrameMinutes", "LookbackWindowMinutes", "EventEvaluationOrder",
  "Schedule", "RateMinutes", "CronExpression", "TimeoutMinutes",
];

const SEVERITIES = ["Info", "Low", "Medium", "High", "Critical"];
const SPEC_VALUES = [...SEVERITIES, "true", "false", "rule", "scheduled_rule", "policy", "correlation_rule", "global", "datamodel", "pack", "experimental", "deprecated"];

/** The block a line belongs to: the nearest top-level key above it. */
export function enclosingTopKey(lines: string[], index: number): string | null {
  for (let i = index; i >= 0; i--) {
    const m = /^([A-Za-z][A-Za-z0-9]*):/.exec(lines[i]);
    if (m) return i === index ? null : m[1];
  }
  return null;
}

/** The keys to offer at the start of a line inside `block`. */
export function keysFor(block: string | null, analysisType: string | null): string[] {
  switch (block) {
    case "InlineFilters":
      return FILTER_KEYS;
    case "Detection":
      return analysisType === "correlation_rule" ? CORRELATION_KEYS : MATCH_KEYS;
    case "DynamicSeverities":
      return ["ChangeTo", "Conditions", ...MATCH_KEYS];
    case "AlertContext":
      return ["KeyName", "KeyValue", "KeyPath", "Key", "DeepKey"];
    case "GroupBy":
      return ["KeyPath", "Key", "DeepKey"];
    case "Tests":
      return ["Name", "ExpectedResult", "Log", "Resource", "Mocks", "RuleOutputs", "Matches", "ID", "LogType", "ResourceType"];
    default:
      return SPEC_KEYS;
  }
}

/** The values to offer after `key:`. */
export function valuesFor(key: string): readonly string[] {
  switch (key) {
    case "Condition":
      return MATCH_CONDITIONS;
    case "Severity":
    case "ChangeTo":
      return SEVERITIES;
    case "EventEvaluationOrder":
      return ["Chronological", "ReverseChronological"];
    case "Absence":
    case "Enabled":
    case "ExpectedResult":
    case "CreateAlert":
      return ["true", "false"];
    default:
      return SPEC_VALUES;
  }
}

export function specCompletions(context: CompletionContext): CompletionResult | null {
  const doc = context.state.doc;
  const line = doc.lineAt(context.pos);
  const before = line.text.slice(0, context.pos - line.from);
  const key = /^(\s*-?\s*)([A-Za-z]*)$/.exec(before);
  if (key) {
    if (key[2] === "" && !context.explicit) return null;
    const lines: string[] = [];
    for (let n = 1; n <= line.number; n++) lines.push(doc.line(n).text);
    const type = /^AnalysisType:\s*([a-z_]+)/m.exec(doc.toString())?.[1] ?? null;
    const indented = key[1].length > 0;
    const keys = indented ? keysFor(enclosingTopKey(lines, lines.length - 1), type) : SPEC_KEYS;
    return { from: context.pos - key[2].length, options: keys.map((label) => ({ label, type: "property", apply: `${label}: ` })), validFor: /^[A-Za-z]*$/ };
  }
  const value = /([A-Za-z]+):\s+([A-Za-z_]*)$/.exec(before);
  if (value && (value[2] !== "" || context.explicit)) {
    const kind = value[1] === "Condition" ? "function" : "constant";
    return { from: context.pos - value[2].length, options: valuesFor(value[1]).map((label) => ({ label, type: kind })), validFor: /^[A-Za-z_]*$/ };
  }
  return null;
}

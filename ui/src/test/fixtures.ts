// Small builders for the contract's shapes, so each test states only what it is about.
import type { DetectionResult, Diagnostic, Item, TestResult } from "../lib/contract";

export const ROOT = "/ws";

export function item(partial: Partial<Item> & { id: string }): Item {
  const file = partial.id.toLowerCase().replace(/\./g, "_");
  return {
    analysis_type: "rule",
    form: "python",
    spec_path: `${ROOT}/rules/${file}.yml`,
    rel_path: `rules/${file}.yml`,
    code_path: `${ROOT}/rules/${file}.py`,
    display_name: null,
    enabled: true,
    severity: "Medium",
    status: null,
    description: null,
    log_types: [],
    scheduled_queries: [],
    resource_types: [],
    tags: [],
    mitre: [],
    base_detection: null,
    pack_members: [],
    correlated_rules: [],
    tests: [],
    packs: [],
    ...partial,
  };
}

export function diagnostic(partial: Partial<Diagnostic> & { file: string }): Diagnostic {
  return {
    severity: "error",
    code: "invalid-value",
    rel_path: partial.file.replace(`${ROOT}/`, ""),
    span: { line: 1, col: 1 },
    summary: "Something is wrong",
    message: "",
    hint: null,
    pat: true,
    ...partial,
  };
}

export function testResult(name: string, passed: boolean, partial: Partial<TestResult> = {}): TestResult {
  return { name, passed, captured: "", out_of_band: null, functions: [], suppressed_errors: [], ...partial };
}

export function detectionResult(id: string, results: TestResult[], partial: Partial<DetectionResult> = {}): DetectionResult {
  return { id, spec_path: `${ROOT}/rules/${id}.yml`, module_output: "", setup_error: null, results, elapsed_ms: 5, ...partial };
}

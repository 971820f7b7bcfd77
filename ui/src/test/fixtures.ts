// Small builders for the contract's shapes, so each test states only what it is about.
import type {
  Approval,
  AuditFinding,
  AuditReport,
  DetectionResult,
  Diagnostic,
  EnvironmentView,
  GitFile,
  GitStatus,
  InstalledPackage,
  Item,
  Manifest,
  SpecTest,
  TestReport,
  TestResult,
  TrustState,
  UpstreamCheck,
  UpstreamDecision,
  UpstreamFile,
  UpstreamItem,
  UpstreamItemCheck,
  UpstreamItemDetail,
  UpstreamKeyConflict,
  UpstreamView,
} from "../lib/contract";

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
  return {
    name,
    passed,
    out_of_band: null,
    captured: "",
    discarded_output: "",
    logs: "",
    functions: [],
    failed_entries: [],
    suppressed_errors: [],
    trigger_alert: passed,
    detection_output: passed,
    errored: false,
    ...partial,
  };
}

export function detectionResult(id: string, results: TestResult[], partial: Partial<DetectionResult> = {}): DetectionResult {
  return {
    id,
    spec_path: `${ROOT}/rules/${id}.yml`,
    module_output: "",
    module_stderr: "",
    matcher: "rule",
    setup_error: null,
    fatal: null,
    results,
    elapsed_ms: 5,
    ...partial,
  };
}

/** A trusted workspace's trust (the user trusted its folder); `partial` makes it otherwise. */
export function trustState(partial: Partial<TrustState> = {}): TrustState {
  return { workspace: ROOT, trusted: true, reason: { kind: "folder" }, folder: ROOT, origin: null, ...partial };
}

/** A workspace nobody trusted: restricted. */
export function untrusted(partial: Partial<TrustState> = {}): TrustState {
  return trustState({ trusted: false, reason: { kind: "not_trusted" }, folder: null, ...partial });
}

/** A test of a spec as list_tests answers it (a `Log` event, expected to alert, line 3 + 4 per index). */
export function specTest(partial: Partial<SpecTest> & { index: number; name: string | null }): SpecTest {
  return { expected: true, event_key: "Log", event: {}, mocks: [], line: 4 + 4 * partial.index, ...partial };
}

export function testReport(detections: DetectionResult[], partial: Partial<TestReport> = {}): TestReport {
  return { exit_code: 0, summary: null, elapsed_ms: 9, cancelled: false, detections, ...partial };
}

export function gitFile(partial: Partial<GitFile> & { path: string }): GitFile {
  return { old_path: null, index: "unmodified", worktree: "modified", conflicted: false, conflict: null, ...partial };
}

export function gitStatus(files: GitFile[], partial: Partial<GitStatus> = {}): GitStatus {
  return { branch: "main", head: "abc1234", detached: false, operation: null, files, ...partial };
}

/** A package of an environment's manifest (installed from a wheel, for Prowl's runtime unless told). */
export function installedPackage(name: string, version: string, partial: Partial<InstalledPackage> = {}): InstalledPackage {
  return { name, version, reason: { kind: "runtime" }, built_from_source: false, ...partial };
}

/** What a sync of a workspace asking for `requests` (Pipfile:23) installed. */
export function manifest(partial: Partial<Manifest> = {}): Manifest {
  return {
    python: "3.11",
    fingerprint: "f1",
    installer: "uv 0.13.9",
    synced_at: 1_700_000_000,
    source: "Pipfile",
    packages: [
      installedPackage("panther-core", "0.16.2"),
      installedPackage("requests", "2.32.3", { reason: { kind: "asked", origin: { file: "Pipfile", line: 23 } } }),
      installedPackage("urllib3", "2.2.3", { reason: { kind: "dependency", of: ["requests", "typer"] } }),
    ],
    left_out: [],
    notes: [],
    ...partial,
  };
}

/** The view of a ready environment (the manifest above), or as `partial` says. */
export function envView(partial: Partial<EnvironmentView> = {}): EnvironmentView {
  return {
    path: "/cache/prowl/envs/ws-0123",
    interpreter: "/opt/prowl/python3.11",
    status: "ready",
    problem: null,
    syncing: false,
    manifest: manifest(),
    left_out: [],
    notes: [],
    ...partial,
  };
}

/** The view of a workspace whose environment was never synced. */
export function missingEnvView(): EnvironmentView {
  return envView({
    status: "missing",
    manifest: null,
    problem: { code: "env.missing", message: "the Python environment for /ws is missing", hint: "run `prowl env sync /ws` once", location: null },
  });
}

/** What a workspace asking for `requests` at Pipfile:23 must have approved. */
export function approval(partial: Partial<Approval> = {}): Approval {
  return {
    workspace: ROOT,
    packages: [
      { name: "panther-core", version: "0.16.2", from_source: false },
      { name: "requests", version: "2.32.3", from_source: false },
      { name: "urllib3", version: "2.2.3", from_source: false },
    ],
    asked: [["requests", { file: "Pipfile", line: 23 }]],
    ...partial,
  };
}

const LOG_TYPES = [
  "AWS.CloudTrail", "AWS.S3ServerAccess", "AWS.VPCFlow", "AWS.GuardDuty", "Okta.SystemLog", "GitHub.Audit", "GCP.AuditLog",
  "Azure.Audit", "Slack.AuditLogs", "Zoom.Activity", "OnePassword.SignInAttempt", "Box.Event", "Crowdstrike.FDREvent",
  "Duo.Authentication", "GSuite.Reports", "Zendesk.Audit", "Salesforce.Login", "Teleport.Audit", "Notion.AuditLogs",
  "Tailscale.Audit", "Snowflake.LoginHistory", "Atlassian.Audit", "Cloudflare.Firewall", "Juniper.Access",
  "MongoDB.OrganizationEvent", "Asana.Audit", "Dropbox.TeamEvent", "Auth0.Events", "Wiz.Issue", "SentinelOne.Activity",
  "Netskope.Audit", "Microsoft365.Audit", "Kubernetes.Audit", "Docker.Events", "Linux.Auditd",
];
const pad = (n: number, width: number) => String(n).padStart(width, "0");

/**
 * The items of a workspace shaped like tests/bench/generate_workspace.py's (panther-analysis
 * scale by default: 1,266 items, 3,730 tests): global helpers, data models, rules by log type
 * in rules/<log type>_rules/, scheduled queries and rules, packs.
 */
export function largeWorkspace({ detections = 1020, scheduled = 80, globals = 45 } = {}): Item[] {
  const items: Item[] = [];
  const slug = (lt: string) => lt.toLowerCase().replace(/\./g, "_");
  const tests = (names: string[]) => names.map((name) => ({ name, expected_result: true, mocks: [], span: { line: 1, col: 1 } }));
  for (let i = 0; i < globals; i++) {
    items.push(item({ id: `bench_helpers_${pad(i, 2)}`, analysis_type: "global", rel_path: `global_helpers/bench_helpers_${pad(i, 2)}.yml`, severity: null }));
  }
  for (const lt of LOG_TYPES) {
    items.push(item({ id: `Bench.${lt}`, analysis_type: "datamodel", rel_path: `data_models/bench_${slug(lt)}_data_model.yml`, log_types: [lt] }));
  }
  for (let i = 0; i < detections; i++) {
    const lt = LOG_TYPES[i % LOG_TYPES.length];
    items.push(
      item({
        id: `Bench.${lt}.Detection${pad(i, 4)}`,
        display_name: `Bench detection ${pad(i, 4)}`,
        rel_path: `rules/${slug(lt)}_rules/bench_${slug(lt)}_${pad(i, 4)}.yml`,
        spec_path: `${ROOT}/rules/${slug(lt)}_rules/bench_${slug(lt)}_${pad(i, 4)}.yml`,
        code_path: `${ROOT}/rules/${slug(lt)}_rules/bench_${slug(lt)}_${pad(i, 4)}.py`,
        log_types: [lt],
        tags: ["Generated", lt.split(".")[0]],
        mitre: ["TA0001:T1078"],
        enabled: i % 10 !== 0,
        packs: [`Bench.Pack.${i % 6}`],
        tests: tests(Array.from({ length: 3 + (i % 2) }, (_, t) => `case ${t}`)),
      }),
    );
  }
  for (let i = 0; i < scheduled; i++) {
    items.push(item({ id: `Bench Query ${pad(i, 3)}`, analysis_type: "scheduled_query", rel_path: `queries/bench_query_${pad(i, 3)}.yml`, code_path: null }));
    items.push(
      item({
        id: `Bench.Scheduled.${pad(i, 3)}`,
        analysis_type: "scheduled_rule",
        rel_path: `rules/scheduled_rules/bench_scheduled_${pad(i, 3)}.yml`,
        tests: tests(["busy actor", "quiet actor"]),
      }),
    );
  }
  for (let p = 0; p < 6; p++) items.push(item({ id: `Bench.Pack.${p}`, analysis_type: "pack", rel_path: `packs/bench_pack_${p}.yml`, code_path: null }));
  return items;
}

export function finding(partial: Partial<AuditFinding> & Pick<AuditFinding, "code">): AuditFinding {
  return {
    severity: "warning",
    message: "something the pack does",
    file: "rules/a.py",
    line: 3,
    column: 5,
    item: "Pack.Rule",
    test: null,
    ...partial,
  };
}

/** A report whose summary counts its findings (the verdict from the worst severity, as the core takes it). */
export function auditReport(partial: Partial<AuditReport> = {}): AuditReport {
  const findings = partial.findings ?? [];
  const n = (s: string) => findings.filter((f) => f.severity === s).length;
  const [errors, warnings, notes] = [n("error"), n("warning"), n("note")];
  return {
    source: { kind: "folder", location: "/packs/p", branch: null, base: null, merge_base: null, commit: null, changed: [], skipped: [] },
    against: ROOT,
    items: [],
    findings,
    attempts: [],
    replaces: [],
    dynamic: { ran: true, skipped: null, sandbox: "namespaces=1 view=1 landlock=7 seccomp=1", environment: "the --against workspace's environment", detections: 2, tests: 3 },
    summary: { verdict: errors > 0 ? "dangerous" : warnings > 0 ? "review" : "clean", errors, warnings, notes, items: 2, python_files: 2 },
    ...partial,
  };
}

// ---- Upstream merge: the demo's release 2.0 against Acme's fork, in small --------------------

export const BASE = "d8183a9e63dd535ecb5e754d90e8ba611cf153c6";
export const OURS = "951eb723d5e6a6ebe4ddaa22353d64062d35f82f";
export const THEIRS = "3953320d42e0c0400296080874bc9324e4b02e3c";

export function upstreamItem(partial: Partial<UpstreamItem> & { id: string }): UpstreamItem {
  const file = partial.id.toLowerCase().replace(/\./g, "_");
  const path = `rules/${file}.yml`;
  return {
    analysis_type: "rule",
    class: "changed_upstream",
    outcome: "clean",
    path,
    base_path: path,
    ours_path: path,
    theirs_path: path,
    code_path: `rules/${file}.py`,
    renamed_to: null,
    moved: null,
    deprecated: false,
    conflicts: [],
    resolved: {},
    line_conflict: false,
    review: [],
    merged: [],
    decision: null,
    notes: [],
    ...partial,
  };
}

export const THRESHOLD: UpstreamKeyConflict = {
  path: "Threshold",
  base: "Threshold: 5\n",
  ours: "Threshold: 20 # Acme: office NAT and VPN share egress IPs\n",
  theirs: "Threshold: 10\n",
  reason: "changed on both sides, in the same lines",
};

export function deletedUpstream(partial: Partial<UpstreamDecision> = {}): UpstreamDecision {
  return {
    kind: "deleted_upstream",
    question: "upstream deleted it; the fork has it unchanged: keep it as a local item, or take the deletion?",
    options: [
      { take: "ours", label: "keep it as a local item" },
      { take: "theirs", label: "take the deletion" },
    ],
    proposed: "theirs",
    chosen: null,
    ...partial,
  };
}

/** The demo's plan, before a merge: the deleted rule and the Threshold conflict need the user. */
export function demoItems(): UpstreamItem[] {
  return [
    upstreamItem({ id: "Demo.AWS.CloudTrail.Stopped", class: "deleted_upstream", outcome: "decision", theirs_path: null, decision: deletedUpstream() }),
    upstreamItem({ id: "Demo.Okta.BruteForceLogins", class: "changed_both", outcome: "conflict", code_path: null, conflicts: [THRESHOLD] }),
    upstreamItem({ id: "Demo.AWS.Review", class: "changed_both", outcome: "review", review: ["both sides changed `rule()`: the lines merged, the logic may not"], merged: ["code: by lines"] }),
    upstreamItem({ id: "Demo.AWS.ConsoleLoginWithoutMFA", class: "changed_both", outcome: "merged", merged: ["spec: each side's keys", "code: by lines"] }),
    upstreamItem({ id: "Demo.AWS.CloudTrail.LoggingTampered", class: "new_upstream", base_path: null, ours_path: null }),
    upstreamItem({ id: "Acme.Local", class: "new_in_fork", base_path: null, theirs_path: null }),
  ];
}

export function upstreamFile(partial: Partial<UpstreamFile> & { path: string }): UpstreamFile {
  return { class: "changed_upstream", outcome: "clean", binary: false, decision: null, ...partial };
}

export function upstreamView(partial: Partial<UpstreamView> = {}): UpstreamView {
  const items = demoItems();
  return {
    remote: "upstream",
    url: "/ws/.git/prowl-demo-upstream.git",
    releases: ["v2.0.0", "v1.0.0"],
    default_target: { label: "upstream/main", commit: THEIRS },
    target: { label: "upstream/main", commit: THEIRS },
    merge: null,
    plan: {
      base: BASE,
      ours: OURS,
      theirs: THEIRS,
      items,
      files: [upstreamFile({ path: "README.md" })],
      counts: { changed_both: 3, deleted_upstream: 1, new_upstream: 1, new_in_fork: 1, unchanged: 23 },
    },
    problem: null,
    open: ["Demo.AWS.CloudTrail.Stopped", "Demo.Okta.BruteForceLogins"],
    markers: [],
    check: null,
    check_problem: null,
    undo: null,
    ...partial,
  };
}

export function itemCheck(partial: Partial<UpstreamItemCheck> & { id: string }): UpstreamItemCheck {
  return { path: partial.id, invalid: [], failing: [], tests: 2, ...partial };
}

export function upstreamCheck(items: UpstreamItemCheck[]): UpstreamCheck {
  return { items, failed: items.filter((c) => c.invalid.length + c.failing.length > 0).length };
}

/** The view once the demo's merge is written: the Threshold conflict's markers in its spec, checked. */
export function mergedView(partial: Partial<UpstreamView> = {}): UpstreamView {
  return upstreamView({
    merge: { target: { label: "upstream/main", commit: THEIRS }, branch: "main", stash: null, interrupted: false },
    markers: ["rules/demo_okta_bruteforcelogins.yml"],
    check: upstreamCheck([
      itemCheck({ id: "rules/demo_okta_bruteforcelogins.yml", invalid: ["rules/demo_okta_bruteforcelogins.yml: conflict markers: resolve them first"], tests: 0 }),
      itemCheck({ id: "Demo.AWS.ConsoleLoginWithoutMFA", failing: ["MFA used: the detection matched; the test expects no alert"] }),
      itemCheck({ id: "Demo.AWS.CloudTrail.LoggingTampered", tests: 3 }),
    ]),
    ...partial,
  });
}

export function itemDetail(item: UpstreamItem, spec: Partial<UpstreamItemDetail["texts"]["spec"]> = {}): UpstreamItemDetail {
  return {
    item,
    texts: {
      spec: { path: item.path, base: "Threshold: 5\n", ours: "Threshold: 20\n", theirs: "Threshold: 10\n", result: "<<<<<<< fork\nThreshold: 20\n=======\nThreshold: 10\n>>>>>>> upstream\n", ...spec },
      code: { path: item.code_path, base: "def rule(e):\n    return True\n", ours: "def rule(e):\n    return True\n", theirs: "def rule(e):\n    return True\n", result: "def rule(e):\n    return True\n" },
    },
  };
}

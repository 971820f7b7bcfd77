// The Audit view mounted in jsdom on a Workbench whose shell is mocked at api.ts: the form runs
// an audit and shows its progress and Cancel; the verdict, the findings (errors first, the
// filter chips), the selected finding's file read-only at its line, the attempts recorded in the
// sandbox and the detections the pack would replace. A hostile pack's every string (IDs,
// messages, file names, test names, attempt details, the file's text, the source's location)
// is shown as text and never becomes markup.
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { flushSync } from "svelte";
import * as api from "../../lib/api";
import AuditView from "../AuditView.svelte";
import type { AuditProgress, AuditReport } from "../../lib/contract";
import type { Workbench } from "../../lib/workbench.svelte";
import { ROOT, auditReport, finding } from "../../test/fixtures";
import { render, type Mounted } from "../../test/mount";
import { openWorkbench } from "../../test/workbench";

vi.mock("../../lib/api", async (importOriginal) => (await import("../../test/fakeShell")).fakeApi(await importOriginal()));

const mocked = vi.mocked(api);
const IMG = "<img src=x onerror=window.__pwned=true>";
const SCRIPT = "<script>window.__pwned = true</script><b>bold</b>";
let mounted: Mounted | null = null;

const byTestId = (t: HTMLElement, id: string) => t.querySelector<HTMLElement>(`[data-testid="${id}"]`);
const allByTestId = (t: HTMLElement, id: string) => [...t.querySelectorAll<HTMLElement>(`[data-testid="${id}"]`)];

/** Shows one of the panes beside the file: findings, attempts or replaces. */
function showPane(t: HTMLElement, pane: "findings" | "attempts" | "replaces"): void {
  t.querySelector<HTMLElement>(`[data-testid="audit-pane"][data-pane="${pane}"]`)!.click();
  flushSync();
}

async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 0));
  flushSync();
}

function show(wb: Workbench): HTMLElement {
  mounted = render(AuditView, {}, wb);
  return mounted.target;
}

/** Runs an audit from the form that answers `report`. */
async function audited(target: HTMLElement, report: AuditReport): Promise<void> {
  mocked.auditSource.mockResolvedValueOnce(report);
  const input = byTestId(target, "audit-source") as HTMLInputElement;
  input.value = "/packs/p";
  input.dispatchEvent(new Event("input", { bubbles: true }));
  flushSync();
  byTestId(target, "audit-run")!.click();
  await settle();
  await settle();
}

// jsdom lays nothing out: CodeMirror, scrolling the read-only file to its line, measures text
// through ranges, which jsdom does not give rectangles.
beforeAll(() => {
  const none = { x: 0, y: 0, width: 0, height: 0, top: 0, left: 0, right: 0, bottom: 0, toJSON: () => ({}) } as DOMRect;
  Range.prototype.getClientRects ??= () => Object.assign([], { item: () => null }) as unknown as DOMRectList;
  Range.prototype.getBoundingClientRect ??= () => none;
});

beforeEach(() => {
  vi.clearAllMocks();
  mocked.auditFile.mockImplementation(async (path) => `import socket\n\ndef rule(e):\n    socket.create_connection(("10.0.0.1", 443))  # ${path}\n`);
});

afterEach(() => {
  mounted?.destroy();
  mounted = null;
  delete (window as unknown as { __pwned?: boolean }).__pwned;
});

describe("the form", () => {
  it("runs an audit with dynamic checks by default, shows its progress and cancels it", async () => {
    const wb = await openWorkbench();
    const target = show(wb);
    let progress: (p: AuditProgress) => void = () => {};
    let finish: (e: unknown) => void = () => {};
    mocked.auditSource.mockImplementationOnce((_s, _k, _a, _d, onProgress) => {
      progress = onProgress;
      return new Promise((_resolve, reject) => (finish = reject));
    });
    expect((byTestId(target, "audit-dynamic") as HTMLInputElement).checked).toBe(true);
    expect((byTestId(target, "audit-run") as HTMLButtonElement).disabled).toBe(true);
    const input = byTestId(target, "audit-source") as HTMLInputElement;
    input.value = "https://example.com/pack.git";
    input.dispatchEvent(new Event("input", { bubbles: true }));
    flushSync();
    expect((byTestId(target, "audit-kind") as HTMLSelectElement).value).toBe("git");
    byTestId(target, "audit-run")!.click();
    flushSync();
    expect(mocked.auditSource).toHaveBeenCalledWith("https://example.com/pack.git", "git", null, true, expect.any(Function));
    progress({ stage: "dynamic", done: 1, total: 4, id: "Pack.Net" });
    flushSync();
    expect(byTestId(target, "audit-progress")!.textContent).toContain("1 of 4 detections");
    byTestId(target, "audit-cancel")!.click();
    flushSync();
    expect(mocked.cancelAudit).toHaveBeenCalled();
    expect(byTestId(target, "audit-cancel")!.textContent).toContain("Cancelling");
    finish({ code: "audit.cancelled", message: "the audit was cancelled", hint: null, location: null });
    await settle();
    expect(byTestId(target, "audit-progress")).toBeNull();
    expect(byTestId(target, "audit-error")).toBeNull();
    expect(byTestId(target, "audit-verdict")).toBeNull();
  });
});

describe("a report", () => {
  const NET = finding({ code: "PA401", severity: "error", file: "rules/net.py", line: 4, item: "Pack.Net", test: "alerts", message: "tried socket.connect" });
  const ENV = finding({ code: "PA110", severity: "warning", file: "rules/env.py", line: 2, item: "Pack.Env" });
  const OFF = finding({ code: "PA202", severity: "note", file: "rules/off.yml", line: 3, item: "Pack.Off" });
  const REPORT = auditReport({
    findings: [OFF, ENV, NET],
    attempts: [{ item: "Pack.Net", test: "alerts", attempt: { kind: "network", event: "socket.connect", detail: "socket.connect(('10.0.0.1', 443))", file: "rules/net.py", line: 4 } }],
    replaces: [{ id: "Pack.Net", analysis_type: "rule", file: "rules/net.yml", against_file: "rules/mine.yml" }],
  });

  it("shows the verdict, the findings errors first and the first one's file at its line", async () => {
    const wb = await openWorkbench();
    const target = show(wb);
    await audited(target, REPORT);
    const verdict = byTestId(target, "audit-verdict")!;
    expect(verdict.dataset.verdict).toBe("dangerous");
    expect(byTestId(target, "audit-counts")!.textContent).toBe("1 error · 1 warning · 1 note");
    expect(byTestId(target, "audit-sandbox")!.textContent).toBe("namespaces=1 view=1 landlock=7 seccomp=1");
    expect(byTestId(target, "audit-dynamic-status")!.dataset.ran).toBe("true");
    expect(allByTestId(target, "audit-finding").map((f) => f.dataset.code)).toEqual(["PA401", "PA110", "PA202"]);
    await vi.waitFor(() => expect(byTestId(target, "audit-file-editor")).not.toBeNull());
    const viewer = byTestId(target, "audit-file")!;
    expect(viewer.dataset.file).toBe("rules/net.py");
    expect(viewer.dataset.line).toBe("4");
    expect(byTestId(target, "audit-file-place")!.textContent).toBe("rules/net.py:4");
    expect(viewer.querySelector(".cm-markedLine")?.textContent).toContain("socket.create_connection");
    expect(viewer.querySelector(".cm-content")!.getAttribute("contenteditable")).toBe("false");
  });

  it("filters by severity, selects a finding, opens an attempt's place and your file", async () => {
    const wb = await openWorkbench();
    const target = show(wb);
    await audited(target, REPORT);
    byTestId(target, "audit-filter")!.click(); // errors off
    flushSync();
    expect(allByTestId(target, "audit-finding").map((f) => f.dataset.code)).toEqual(["PA110", "PA202"]);
    allByTestId(target, "audit-finding")[0].click();
    await settle();
    expect(mocked.auditFile).toHaveBeenLastCalledWith("rules/env.py");
    expect(byTestId(target, "audit-file")!.dataset.line).toBe("2");
    // The sandbox's record: one group per detection and test, its place shown in the viewer.
    showPane(target, "attempts");
    const group = byTestId(target, "audit-attempt-group")!;
    expect(group.dataset.item).toBe("Pack.Net");
    expect(group.textContent).toContain("Pack.Net, in the test “alerts”");
    expect(byTestId(group, "attempt")!.textContent?.replace(/\s+/g, " ").trim()).toBe("network — socket.connect(('10.0.0.1', 443)) at rules/net.py:4");
    byTestId(group, "attempt-place")!.click();
    await settle();
    expect(byTestId(target, "audit-file")!.dataset.file).toBe("rules/net.py");
    // Would replace: the pack's file in the viewer, yours in the editor.
    showPane(target, "replaces");
    const row = byTestId(target, "audit-replace")!;
    expect(row.dataset.id).toBe("Pack.Net");
    byTestId(row, "audit-replace-pack")!.click();
    await settle();
    expect(byTestId(target, "audit-file")!.dataset.file).toBe("rules/net.yml");
    const openFile = vi.spyOn(wb.tabs, "openFile").mockImplementation(() => {});
    byTestId(row, "audit-replace-yours")!.click();
    expect(openFile).toHaveBeenCalledWith(`${ROOT}/rules/mine.yml`);
  });

  it("says why the tests did not run and that nothing was compared", async () => {
    const wb = await openWorkbench();
    const target = show(wb);
    await audited(target, auditReport({ against: null, dynamic: { ran: false, skipped: "--no-dynamic", sandbox: null, environment: null, detections: 0, tests: 0 } }));
    expect(byTestId(target, "audit-verdict")!.dataset.verdict).toBe("clean");
    expect(byTestId(target, "audit-dynamic-status")!.textContent).toContain("not run: --no-dynamic");
    showPane(target, "attempts");
    expect(byTestId(target, "audit-attempts")!.textContent).toContain("did not run");
    showPane(target, "replaces");
    expect(byTestId(target, "audit-replaces")!.textContent).toContain("Not compared with a fork");
    expect(byTestId(target, "audit-replace")).toBeNull();
  });
});

describe("a hostile pack", () => {
  it("renders every string of its report and its file's text as text, creating no element", async () => {
    const wb = await openWorkbench();
    const target = show(wb);
    const hostile = finding({ code: "PA101", severity: "error", file: `rules/${IMG}.py`, line: 1, item: IMG, test: SCRIPT, message: `calls ${IMG}` });
    mocked.auditFile.mockResolvedValue(`# ${IMG}\n${SCRIPT}\n`);
    await audited(
      target,
      auditReport({
        source: { kind: "folder", location: `/packs/${IMG}`, branch: null, base: null, merge_base: null, commit: null, changed: [], skipped: [{ path: IMG, why: SCRIPT }] },
        findings: [hostile],
        attempts: [{ item: IMG, test: SCRIPT, attempt: { kind: IMG, event: SCRIPT, detail: `open ${IMG}`, file: `rules/${IMG}.py`, line: 2 } }],
        replaces: [{ id: IMG, analysis_type: "rule", file: `rules/${IMG}.yml`, against_file: `rules/${SCRIPT}.yml` }],
        dynamic: { ran: true, skipped: null, sandbox: IMG, environment: SCRIPT, detections: 1, tests: 1 },
      }),
    );
    await vi.waitFor(() => expect(byTestId(target, "audit-file-editor")).not.toBeNull());
    expect(target.querySelector("img")).toBeNull();
    expect(target.querySelector("script")).toBeNull();
    expect(target.querySelector("b")).toBeNull();
    expect((window as unknown as { __pwned?: boolean }).__pwned).toBeUndefined();
    const row = byTestId(target, "audit-finding")!;
    expect(row.textContent).toContain(`calls ${IMG}`);
    expect(row.textContent).toContain(`rules/${IMG}.py:1:5`);
    expect(row.textContent).toContain(IMG);
    expect(row.textContent).toContain(`test “${SCRIPT}”`);
    expect(byTestId(target, "audit-verdict")!.textContent).toContain(`/packs/${IMG}`);
    expect(byTestId(target, "audit-sandbox")!.textContent).toBe(IMG);
    expect(byTestId(target, "audit-file-editor")!.textContent).toContain(`# ${IMG}`);
    expect(byTestId(target, "audit-file-editor")!.textContent).toContain(SCRIPT);
    showPane(target, "attempts");
    expect(byTestId(target, "audit-attempts")!.textContent).toContain(`${IMG} — open ${IMG} at rules/${IMG}.py:2`);
    expect(byTestId(target, "audit-attempt-group")!.textContent).toContain(`${IMG}, in the test “${SCRIPT}”`);
    showPane(target, "replaces");
    expect(byTestId(target, "audit-replace")!.textContent).toContain(`rules/${SCRIPT}.yml`);
    expect(byTestId(target, "audit-replace")!.textContent).toContain(IMG);
    for (const el of [target.querySelector("img"), target.querySelector("script"), target.querySelector("b")]) expect(el).toBeNull();
    expect((window as unknown as { __pwned?: boolean }).__pwned).toBeUndefined();
  });
});

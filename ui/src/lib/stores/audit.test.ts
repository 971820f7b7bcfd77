// The Audit view's store: the form's arguments sent as the contract names them, progress while
// the audit runs, the report kept and its first finding shown, findings errors first and
// filtered, one audit at a time, cancel (no report, no error), failures, answers that arrive
// late dropped, and "your file" only for a comparison with the open workspace. The shell is
// mocked at api.ts.
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as api from "../api";
import { ROOT, auditReport, finding } from "../../test/fixtures";
import { openWorkbench } from "../../test/workbench";
import type { AuditProgress, AuditReport } from "../contract";

vi.mock("../api", async (importOriginal) => (await import("../../test/fakeShell")).fakeApi(await importOriginal()));

const mocked = vi.mocked(api);

const NET = finding({ code: "PA401", severity: "error", file: "rules/net.py", line: 7, column: null, test: "alerts" });
const ENV = finding({ code: "PA110", severity: "warning", file: "rules/env.py", line: 2 });
const DISABLED = finding({ code: "PA202", severity: "note", file: "rules/off.yml", line: 3 });
const REQUIREMENT = finding({ code: "PA301", severity: "warning", file: null, line: null, column: null, item: null });
const REPORT = auditReport({
  findings: [DISABLED, ENV, NET, REQUIREMENT],
  replaces: [{ id: "Pack.Rule", analysis_type: "rule", file: "rules/pack_rule.yml", against_file: "rules/mine.yml" }],
});

/** An audit that answers when told, streaming progress meanwhile. */
function pendingAudit() {
  let finish: (r: AuditReport) => void = () => {};
  let fail: (e: unknown) => void = () => {};
  let progress: (p: AuditProgress) => void = () => {};
  mocked.auditSource.mockImplementationOnce(
    (_source, _kind, _against, _dynamic, onProgress) =>
      new Promise((resolve, reject) => {
        progress = onProgress;
        finish = resolve;
        fail = reject;
      }),
  );
  return { finish: (r: AuditReport) => finish(r), fail: (e: unknown) => fail(e), progress: (p: AuditProgress) => progress(p) };
}

beforeEach(() => {
  vi.clearAllMocks();
  mocked.auditFile.mockImplementation(async (path) => `# ${path}\nline 2\n`);
});

describe("the form", () => {
  it("guesses the kind from the source until the user picks one", async () => {
    const wb = await openWorkbench();
    wb.audit.setSource("https://github.com/org/pack.git");
    expect(wb.audit.kind).toBe("git");
    wb.audit.setSource("/tmp/pack.zip");
    expect(wb.audit.kind).toBe("archive");
    wb.audit.chooseKind("folder");
    wb.audit.setSource("/tmp/pack.tar.gz");
    expect(wb.audit.kind).toBe("folder");
  });

  it("sends the source, its kind, the fork (null: the open workspace) and the dynamic choice", async () => {
    const wb = await openWorkbench();
    mocked.auditSource.mockResolvedValue(REPORT);
    wb.audit.setSource("  /packs/p  ");
    await wb.audit.run();
    expect(mocked.auditSource).toHaveBeenLastCalledWith("/packs/p", "folder", null, true, expect.any(Function));
    wb.audit.against = " /home/me/fork ";
    wb.audit.dynamic = false;
    await wb.audit.run();
    expect(mocked.auditSource).toHaveBeenLastCalledWith("/packs/p", "folder", "/home/me/fork", false, expect.any(Function));
  });

  it("does not start without a source", async () => {
    const wb = await openWorkbench();
    wb.audit.setSource("   ");
    expect(await wb.audit.run()).toBeNull();
    expect(mocked.auditSource).not.toHaveBeenCalled();
  });
});

describe("an audit", () => {
  it("shows its progress, then keeps the report and shows the first finding's file at its line", async () => {
    const wb = await openWorkbench();
    wb.audit.setSource("/packs/p");
    const audit = pendingAudit();
    const running = wb.audit.run();
    expect(wb.audit.running).toEqual({ source: "/packs/p", progress: null, cancelling: false });
    audit.progress({ stage: "static", files: 4 });
    expect(wb.audit.running?.progress).toEqual({ stage: "static", files: 4 });
    audit.progress({ stage: "dynamic", done: 1, total: 2, id: "Pack.Net" });
    expect(wb.audit.running?.progress).toMatchObject({ done: 1, total: 2 });
    audit.finish(REPORT);
    expect(await running).toBe(REPORT);
    expect(wb.audit.running).toBeNull();
    expect(wb.audit.report).toBe(REPORT);
    expect(wb.notices.output.at(-1)?.text).toBe("/packs/p: dangerous (1 errors, 2 warnings, 1 notes)");
    await vi.waitFor(() => expect(wb.audit.file?.text).toBe("# rules/net.py\nline 2\n"));
    expect(mocked.auditFile).toHaveBeenCalledWith("rules/net.py");
    expect(wb.audit.file).toMatchObject({ file: "rules/net.py", line: 7, column: 1 });
    expect(wb.audit.isSelected(NET)).toBe(true);
  });

  it("lists findings errors first, and filters them by severity", async () => {
    const wb = await openWorkbench();
    mocked.auditSource.mockResolvedValue(REPORT);
    wb.audit.setSource("/packs/p");
    await wb.audit.run();
    expect(wb.audit.findings.map((f) => f.code)).toEqual(["PA401", "PA110", "PA301", "PA202"]);
    wb.audit.toggleSeverity("warning");
    expect(wb.audit.findings.map((f) => f.code)).toEqual(["PA401", "PA202"]);
    wb.audit.toggleSeverity("error");
    wb.audit.toggleSeverity("warning");
    expect(wb.audit.findings.map((f) => f.code)).toEqual(["PA110", "PA301", "PA202"]);
  });

  it("starts no second audit while one runs, and forgets the last report when the next starts", async () => {
    const wb = await openWorkbench();
    mocked.auditSource.mockResolvedValueOnce(REPORT);
    wb.audit.setSource("/packs/p");
    await wb.audit.run();
    const audit = pendingAudit();
    const second = wb.audit.run();
    expect(wb.audit.report).toBeNull();
    expect(wb.audit.file).toBeNull();
    expect(await wb.audit.run()).toBeNull();
    expect(mocked.auditSource).toHaveBeenCalledTimes(2);
    audit.finish(auditReport());
    expect((await second)?.summary.verdict).toBe("clean");
  });

  it("is cancelled: cancel_audit sent once, then no report and no error, only a line in the log", async () => {
    const wb = await openWorkbench();
    wb.audit.setSource("/packs/p");
    const audit = pendingAudit();
    const running = wb.audit.run();
    await wb.audit.cancel();
    await wb.audit.cancel();
    expect(mocked.cancelAudit).toHaveBeenCalledTimes(1);
    expect(wb.audit.running?.cancelling).toBe(true);
    audit.fail({ code: "audit.cancelled", message: "the audit was cancelled", hint: null, location: null });
    expect(await running).toBeNull();
    expect(wb.audit.running).toBeNull();
    expect(wb.audit.report).toBeNull();
    expect(wb.audit.error).toBeNull();
    expect(wb.notices.output.at(-1)?.text).toBe("Audit of /packs/p cancelled");
  });

  it("keeps the reason an audit could not be made", async () => {
    const wb = await openWorkbench();
    mocked.auditSource.mockRejectedValue({ code: "audit.unknown_source", message: "`x` is not a folder", hint: "pass a pack's folder", location: null });
    wb.audit.setSource("x");
    await wb.audit.run();
    expect(wb.audit.error).toMatchObject({ code: "audit.unknown_source", hint: "pass a pack's folder" });
    expect(wb.audit.running).toBeNull();
    expect(wb.notices.output.at(-1)).toMatchObject({ level: "error", source: "audit" });
  });
});

describe("the file shown", () => {
  it("shows the file of the finding selected last, whatever order the answers come in", async () => {
    const wb = await openWorkbench();
    mocked.auditSource.mockResolvedValue(auditReport({ findings: [REQUIREMENT] }));
    wb.audit.setSource("/packs/p");
    await wb.audit.run();
    expect(wb.audit.file).toBeNull();
    const answers: Record<string, (t: string) => void> = {};
    mocked.auditFile.mockImplementation((path) => new Promise((resolve) => (answers[path] = resolve)));
    const first = wb.audit.select(NET);
    const second = wb.audit.select(ENV);
    answers["rules/env.py"]("env text");
    answers["rules/net.py"]("net text");
    await Promise.all([first, second]);
    expect(wb.audit.file).toMatchObject({ file: "rules/env.py", line: 2, text: "env text" });
    expect(wb.audit.isSelected(ENV)).toBe(true);
    // A finding about the pack as a whole has no file.
    await wb.audit.select(REQUIREMENT);
    expect(wb.audit.file).toBeNull();
  });

  it("moves to another line of the same file without reading it again, and shows a refusal", async () => {
    const wb = await openWorkbench();
    mocked.auditSource.mockResolvedValue(REPORT);
    wb.audit.setSource("/packs/p");
    await wb.audit.run();
    await vi.waitFor(() => expect(wb.audit.file?.text).not.toBeNull());
    const seq = wb.audit.file!.seq;
    await wb.audit.showFile("rules/net.py", 12);
    expect(mocked.auditFile).toHaveBeenCalledTimes(1);
    expect(wb.audit.file).toMatchObject({ line: 12, text: "# rules/net.py\nline 2\n" });
    expect(wb.audit.file!.seq).toBeGreaterThan(seq);
    mocked.auditFile.mockRejectedValueOnce({ code: "file.outside_workspace", message: "a link out of the pack", hint: null, location: null });
    await wb.audit.showFile("rules/link.py");
    expect(wb.audit.file).toMatchObject({ text: null, error: { code: "file.outside_workspace" } });
  });
});

describe("your file", () => {
  const replacement = REPORT.replaces[0];

  it("is a path of the open workspace when the pack was compared with it", async () => {
    const wb = await openWorkbench();
    mocked.auditSource.mockResolvedValue(REPORT);
    wb.audit.setSource("/packs/p");
    await wb.audit.run();
    expect(wb.audit.yourFile(replacement)).toBe(`${ROOT}/rules/mine.yml`);
  });

  it("is nothing to open when the pack was compared with another fork", async () => {
    const wb = await openWorkbench();
    mocked.auditSource.mockResolvedValue({ ...REPORT, against: "/elsewhere/fork" });
    wb.audit.setSource("/packs/p");
    await wb.audit.run();
    expect(wb.audit.yourFile(replacement)).toBeNull();
  });
});

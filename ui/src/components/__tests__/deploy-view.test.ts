// The Deploy view mounted in jsdom on a Workbench whose shell is mocked at api.ts: with no
// instance it asks for a profile (the token field is a password field and is emptied once
// sent); the drift as rows (changes with their fields, managed items never choosable); an
// upload's events, PAT's summary and each item with what the preview predicted; the tests that
// stopped an upload; errors with their hint; strings from the instance rendered as text.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { flushSync } from "svelte";
import * as api from "../../lib/api";
import DeployView from "../DeployView.svelte";
import type { DeployOutcome, DriftView, RemoteView, TestReport } from "../../lib/contract";
import type { Workbench } from "../../lib/workbench.svelte";
import { render, type Mounted } from "../../test/mount";
import { openWorkbench } from "../../test/workbench";

vi.mock("../../lib/api", async (importOriginal) => (await import("../../test/fakeShell")).fakeApi(await importOriginal()));

const mocked = vi.mocked(api);
const URL = "http://127.0.0.1:9/public/graphql";
const IMG = "<img src=x onerror=window.__pwned=true>";
let mounted: Mounted | null = null;

const byTestId = (t: HTMLElement, id: string) => t.querySelector<HTMLElement>(`[data-testid="${id}"]`);
const allByTestId = (t: HTMLElement, id: string) => [...t.querySelectorAll<HTMLElement>(`[data-testid="${id}"]`)];

async function settle(): Promise<void> {
  for (let i = 0; i < 4; i++) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    flushSync();
  }
}

function show(wb: Workbench): HTMLElement {
  mounted = render(DeployView, {}, wb);
  return mounted.target;
}

const PROFILES: RemoteView = {
  profiles: [{ name: "prod", api_host: URL, url: URL, default: true, token: "in_keyring" }],
  from_environment: null,
  config_file: "/home/me/.config/prowl/profiles.toml",
};

const DRIFT: DriftView = {
  url: URL,
  drift: {
    only_remote: [
      { kind: "rules", id: `Old.Rule${IMG}` },
      { kind: "rules", id: "Managed.Rule", managed: true },
    ],
    only_local: [{ kind: "rules", id: "New.Rule", path: "rules/new.yml" }],
    different: [{ kind: "rules", id: "Tuned.Rule", path: "rules/tuned.yml", changes: [{ field: "severity", remote: "LOW", local: "HIGH" }] }],
    same: 5,
    not_compared: {},
  },
};

beforeEach(() => {
  vi.clearAllMocks();
  mocked.remoteView.mockResolvedValue(PROFILES);
  mocked.remoteDrift.mockResolvedValue(DRIFT);
});

afterEach(() => {
  mounted?.destroy();
  mounted = null;
  delete (window as unknown as Record<string, unknown>).__pwned;
});

describe("the Deploy view", () => {
  it("asks for a profile when there is no instance, and empties the token once sent", async () => {
    mocked.remoteView.mockResolvedValue({ ...PROFILES, profiles: [] });
    const wb = await openWorkbench();
    const t = show(wb);
    await settle();
    expect(byTestId(t, "deploy-login")).not.toBeNull();
    const token = byTestId(t, "deploy-login-token") as HTMLInputElement;
    expect(token.type).toBe("password");
    (byTestId(t, "deploy-login-host") as HTMLInputElement).value = URL;
    byTestId(t, "deploy-login-host")!.dispatchEvent(new Event("input"));
    token.value = "s3cret";
    token.dispatchEvent(new Event("input"));
    mocked.remoteLogin.mockResolvedValueOnce({ url: URL, profile: "default", panther_version: "1.2.3" });
    mocked.remoteView.mockResolvedValue({ ...PROFILES, profiles: [{ ...PROFILES.profiles[0], name: "default" }] });
    flushSync();
    byTestId(t, "deploy-login-save")!.click();
    await settle();
    expect(mocked.remoteLogin).toHaveBeenCalledWith("default", URL, "s3cret", true);
    expect(byTestId(t, "deploy-connection")?.dataset.version).toBe("1.2.3");
    expect(byTestId(t, "deploy-login")).toBeNull();
    expect(t.innerHTML).not.toContain("s3cret");
  });

  it("shows the drift as rows; managed items cannot be chosen; instance strings stay text", async () => {
    const wb = await openWorkbench();
    const t = show(wb);
    await settle();
    byTestId(t, "deploy-preview")!.click();
    await settle();
    const drift = byTestId(t, "deploy-drift")!;
    expect([drift.dataset.add, drift.dataset.change, drift.dataset.remote]).toEqual(["1", "1", "2"]);
    const rows = allByTestId(t, "deploy-drift-row");
    expect(rows.map((r) => r.dataset.effect)).toEqual(["change", "add", "remote_only", "remote_only"]);
    expect(rows[0].textContent).toContain("severity");
    expect(rows[0].textContent).toContain("LOW → HIGH");
    const boxes = allByTestId(t, "deploy-choose") as HTMLInputElement[];
    expect(boxes.map((b) => b.disabled)).toEqual([true, false]);
    expect(t.textContent).toContain(`Old.Rule${IMG}`);
    expect(t.querySelector("img")).toBeNull();
    expect((window as unknown as Record<string, unknown>).__pwned).toBeUndefined();
    boxes[1].click();
    await settle();
    expect(byTestId(t, "deploy-delete")!.textContent).toContain("Delete 1");
  });

  it("shows an upload's summary and each item with the preview's prediction", async () => {
    const wb = await openWorkbench();
    const t = show(wb);
    await settle();
    byTestId(t, "deploy-preview")!.click();
    await settle();
    const outcome: DeployOutcome = {
      url: URL,
      unsupported: [],
      tests: null,
      uploaded: {
        url: URL,
        archive_bytes: 2048,
        summary: { kinds: [["Rules", { new: 1, modified: 1, total: 2 }]], asynchronous: true, retries: 0 },
        items: [
          { id: "New.Rule", analysis_type: "rule", path: "rules/new.yml" },
          { id: "Tuned.Rule", analysis_type: "rule", path: "rules/tuned.yml" },
        ],
      },
      events: [{ stage: "done", level: "info", text: "Upload succeeded" }],
    };
    mocked.remoteUpload.mockImplementationOnce(async (_p, _s, onEvent) => {
      onEvent({ stage: "uploading", level: "info", text: "Uploading items to Panther" });
      return outcome;
    });
    byTestId(t, "deploy-upload")!.click();
    await settle();
    expect(byTestId(t, "deploy-outcome")?.dataset.uploaded).toBe("yes");
    expect(byTestId(t, "deploy-summary")!.textContent).toContain("Rules");
    expect(allByTestId(t, "deploy-sent-item").map((i) => [i.dataset.id, i.dataset.effect])).toEqual([
      ["New.Rule", "add"],
      ["Tuned.Rule", "change"],
    ]);
    expect(byTestId(t, "deploy-progress")!.textContent).toContain("Upload succeeded");
  });

  it("lists the tests that stopped an upload, and errors with their hint", async () => {
    const wb = await openWorkbench();
    const t = show(wb);
    await settle();
    const tests = {
      exit_code: 1,
      summary: null,
      elapsed_ms: 5,
      cancelled: false,
      detections: [{ id: "Bad.Rule", spec_path: "rules/bad.yml", module_output: "", module_stderr: "", matcher: "rule", setup_error: null, fatal: null, results: [{ name: "fires", passed: false }] }],
    } as unknown as TestReport;
    mocked.remoteUpload.mockResolvedValueOnce({ url: URL, unsupported: [], tests, uploaded: null, events: [{ stage: "done", level: "error", text: "the tests failed, so nothing was uploaded" }] });
    byTestId(t, "deploy-upload")!.click();
    await settle();
    expect(byTestId(t, "deploy-outcome")?.dataset.uploaded).toBe("no");
    const failed = allByTestId(t, "deploy-failed-test");
    expect(failed.map((f) => [f.dataset.id, f.dataset.test])).toEqual([["Bad.Rule", "fires"]]);

    mocked.remoteUpload.mockRejectedValueOnce({ code: "remote.unauthorized", message: "the instance refused the API token (401)", hint: "run `prowl remote login`" });
    byTestId(t, "deploy-upload")!.click();
    await settle();
    const err = byTestId(t, "deploy-error")!;
    expect(err.dataset.code).toBe("remote.unauthorized");
    expect(err.textContent).toContain("hint: run `prowl remote login`");
  });
});

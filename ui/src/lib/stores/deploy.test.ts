// The Deploy view's store: the profile chosen from the profiles (the default, or the
// environment's instance), the token sent once and never kept, upload events streamed then the
// outcome kept and the preview read again, answers for another profile dropped, failures kept
// with their hint, and deletion only after a dry run and the user's confirmation, never of a
// managed item. The shell is mocked at api.ts.
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as api from "../api";
import { openWorkbench } from "../../test/workbench";
import type { DeployEvent, DeployOutcome, DriftView, RemoteView } from "../contract";

vi.mock("../api", async (importOriginal) => (await import("../../test/fakeShell")).fakeApi(await importOriginal()));

const mocked = vi.mocked(api);
const URL = "http://127.0.0.1:9/public/graphql";

const PROFILES: RemoteView = {
  profiles: [
    { name: "prod", api_host: "acme.runpanther.net", url: "https://api.acme.runpanther.net/public/graphql", default: true, token: "in_keyring" },
    { name: "test", api_host: URL, url: URL, default: false, token: "in_keyring" },
  ],
  from_environment: null,
  config_file: "/home/me/.config/prowl/profiles.toml",
};

const DRIFT: DriftView = {
  url: URL,
  drift: {
    only_remote: [
      { kind: "rules", id: "Old.Rule" },
      { kind: "rules", id: "Managed.Rule", managed: true },
      { kind: "queries", id: "Old Query" },
    ],
    only_local: [{ kind: "rules", id: "New.Rule", path: "rules/new.yml" }],
    different: [],
    same: 2,
    not_compared: {},
  },
};

const EVENTS: DeployEvent[] = [
  { stage: "connecting", level: "info", text: `Panther Public API endpoint: ${URL}` },
  { stage: "uploading", level: "info", text: "Uploading items to Panther" },
  { stage: "done", level: "info", text: "Upload succeeded" },
];

const OUTCOME: DeployOutcome = {
  url: URL,
  unsupported: [],
  tests: null,
  uploaded: {
    url: URL,
    archive_bytes: 900,
    summary: { kinds: [["Rules", { new: 1, modified: 0, total: 3 }]], asynchronous: true, retries: 0 },
    items: [{ id: "New.Rule", analysis_type: "rule", path: "rules/new.yml" }],
  },
  events: EVENTS,
};

beforeEach(() => {
  vi.clearAllMocks();
  mocked.remoteView.mockResolvedValue(PROFILES);
  mocked.remoteDrift.mockResolvedValue(DRIFT);
});

describe("profiles", () => {
  it("chooses the default profile, or the environment's instance when it is set", async () => {
    const wb = await openWorkbench();
    await wb.deploy.load();
    expect(wb.deploy.profile).toBe("prod");
    const env = await openWorkbench();
    mocked.remoteView.mockResolvedValueOnce({ ...PROFILES, from_environment: URL });
    await env.deploy.load();
    expect(env.deploy.profile).toBeNull();
    expect(env.deploy.profileLabel).toBe("PANTHER_API_HOST");
  });

  it("sends the token once to be checked and kept, then chooses the new profile", async () => {
    const wb = await openWorkbench();
    mocked.remoteLogin.mockResolvedValueOnce({ url: URL, profile: "test", panther_version: "1.100.0" });
    expect(await wb.deploy.login("test", URL, "s3cret-token", false)).toBe(true);
    expect(mocked.remoteLogin).toHaveBeenCalledWith("test", URL, "s3cret-token", false);
    expect(wb.deploy.profile).toBe("test");
    expect(wb.deploy.connection?.panther_version).toBe("1.100.0");
    expect(JSON.stringify(wb.notices.output)).not.toContain("s3cret-token");
  });

  it("keeps a refused login's error as a notice, with its hint", async () => {
    const wb = await openWorkbench();
    mocked.remoteLogin.mockRejectedValueOnce({ code: "remote.unauthorized", message: "the instance refused the API token (401)", hint: "run `prowl remote login`" });
    expect(await wb.deploy.login("test", URL, "bad", false)).toBe(false);
    expect(JSON.stringify(wb.notices.output)).toContain("refused the API token");
  });
});

describe("check and preview", () => {
  it("keeps the connection, or the error with its hint", async () => {
    const wb = await openWorkbench();
    await wb.deploy.load();
    mocked.remoteCheck.mockResolvedValueOnce({ url: URL, profile: "prod", panther_version: "1.100.0" });
    await wb.deploy.check();
    expect(mocked.remoteCheck).toHaveBeenCalledWith("prod");
    expect(wb.deploy.connection?.url).toBe(URL);
    mocked.remoteCheck.mockRejectedValueOnce({ code: "remote.unreachable", message: "no answer", hint: "is the host right?" });
    await wb.deploy.check();
    expect(wb.deploy.connection).toBeNull();
    expect(wb.deploy.connectionError?.hint).toBe("is the host right?");
  });

  it("drops a preview that answers after another profile was chosen", async () => {
    const wb = await openWorkbench();
    await wb.deploy.load();
    let answer: (d: DriftView) => void = () => {};
    mocked.remoteDrift.mockImplementationOnce(() => new Promise((r) => (answer = r)));
    const pending = wb.deploy.preview();
    wb.deploy.choose("test");
    answer(DRIFT);
    expect(await pending).toBeNull();
    expect(wb.deploy.drift).toBeNull();
  });
});

describe("upload", () => {
  it("streams the events, keeps the outcome and reads the preview again", async () => {
    const wb = await openWorkbench();
    await wb.deploy.load();
    const seen: number[] = [];
    mocked.remoteUpload.mockImplementationOnce(async (_profile, _skip, onEvent) => {
      for (const e of EVENTS) {
        onEvent(e);
        seen.push(wb.deploy.events.length);
      }
      return OUTCOME;
    });
    const outcome = await wb.deploy.upload();
    expect(mocked.remoteUpload).toHaveBeenCalledWith("prod", false, expect.any(Function));
    expect(seen).toEqual([1, 2, 3]);
    expect(outcome?.uploaded?.items).toHaveLength(1);
    expect(wb.deploy.uploading).toBe(false);
    expect(mocked.remoteDrift).toHaveBeenCalledTimes(1);
  });

  it("keeps the preview the upload started from, while the preview is read again", async () => {
    const wb = await openWorkbench();
    await wb.deploy.load();
    await wb.deploy.preview();
    const after: DriftView = { url: URL, drift: { ...DRIFT.drift, only_local: [], same: 3 } };
    mocked.remoteDrift.mockResolvedValueOnce(after);
    mocked.remoteUpload.mockResolvedValueOnce(OUTCOME);
    await wb.deploy.upload();
    await vi.waitFor(() => expect(wb.deploy.drift).toBe(after));
    expect(wb.deploy.predicted).toBe(DRIFT.drift);
  });

  it("keeps a failed upload's error and says nothing was uploaded when the tests stopped it", async () => {
    const wb = await openWorkbench();
    await wb.deploy.load();
    mocked.remoteUpload.mockRejectedValueOnce({ code: "remote.too_large", message: "the archive is 5 MiB", hint: "upload part of the workspace with --filter" });
    expect(await wb.deploy.upload()).toBeNull();
    expect(wb.deploy.uploadError?.code).toBe("remote.too_large");
    mocked.remoteUpload.mockResolvedValueOnce({ ...OUTCOME, uploaded: null, events: [{ stage: "done", level: "error", text: "the tests failed, so nothing was uploaded" }] });
    await wb.deploy.upload();
    expect(wb.deploy.uploadError).toBeNull();
    expect(JSON.stringify(wb.notices.output)).toContain("Nothing was uploaded: the tests failed");
    expect(mocked.remoteDrift).not.toHaveBeenCalled();
  });
});

describe("delete", () => {
  it("never chooses a managed item, and deletes only after the dry run and a yes", async () => {
    const wb = await openWorkbench();
    await wb.deploy.load();
    await wb.deploy.preview();
    for (const r of wb.deploy.rows) wb.deploy.toggle(r);
    expect([...wb.deploy.chosen].sort()).toEqual(["queries/Old Query", "rules/Old.Rule"]);
    mocked.remoteDelete.mockResolvedValueOnce({ dry_run: true, detections: { ids: ["Old.Rule"], linked_queries: ["Linked Q"], queries: [], linked_detections: [] }, queries: { ids: [], linked_queries: [], queries: ["Old Query"], linked_detections: [] } });
    const no = wb.deploy.deleteChosen();
    await vi.waitFor(() => expect(wb.notices.confirmRequest).not.toBeNull());
    expect(wb.notices.confirmRequest?.message).toContain("Linked Q");
    wb.notices.confirmRequest!.resolve(false);
    expect(await no).toBeNull();
    expect(mocked.remoteDelete).toHaveBeenCalledTimes(1);
    expect(mocked.remoteDelete).toHaveBeenCalledWith("prod", ["Old.Rule"], ["Old Query"], true);

    mocked.remoteDelete.mockResolvedValueOnce({ dry_run: true, detections: { ids: ["Old.Rule"], linked_queries: [], queries: [], linked_detections: [] }, queries: { ids: [], linked_queries: [], queries: ["Old Query"], linked_detections: [] } });
    mocked.remoteDelete.mockResolvedValueOnce({ dry_run: false, detections: { ids: ["Old.Rule"], linked_queries: [], queries: [], linked_detections: [] }, queries: { ids: [], linked_queries: [], queries: ["Old Query"], linked_detections: [] } });
    const yes = wb.deploy.deleteChosen();
    await vi.waitFor(() => expect(wb.notices.confirmRequest).not.toBeNull());
    wb.notices.confirmRequest!.resolve(true);
    expect((await yes)?.dry_run).toBe(false);
    expect(mocked.remoteDelete).toHaveBeenLastCalledWith("prod", ["Old.Rule"], ["Old Query"], false);
    expect(wb.deploy.chosen.size).toBe(0);
  });
});

// A stand-in for the shell behind api.ts, for tests of the stores: every api function a store
// calls as a vi.fn() (fakeApi, for a test file's `vi.mock` of api.ts), and a disk that read_file
// and save_file use, with a stamp per version so that saves conflict as they would.
//
// This module imports no value from api.ts (it is loaded while api.ts is being mocked).
import { vi, type Mock } from "vitest";
import type * as Api from "../lib/api";
import type { WorkspaceView } from "../lib/contract";
import { ROOT, envView, item, trustState } from "./fixtures";

/** api.ts with the shell's commands replaced by vi.fn()s (the rest, ShellError etc., real). */
export function fakeApi(real: typeof Api): typeof Api {
  return {
    ...real,
    workspaceView: vi.fn(async () => null),
    openWorkspace: vi.fn(),
    openDemo: vi.fn(),
    recentWorkspaces: vi.fn(async () => []),
    cloneWorkspace: vi.fn(),
    readFile: vi.fn(),
    saveFile: vi.fn(),
    validateBuffer: vi.fn(async () => []),
    editTests: vi.fn(),
    listTests: vi.fn(async () => []),
    recoverySave: vi.fn(async () => null),
    recoveryList: vi.fn(async () => []),
    recoveryClear: vi.fn(async () => null),
    runTests: vi.fn(),
    cancelRun: vi.fn(async () => null),
    gitStatus: vi.fn(),
    gitDiff: vi.fn(),
    gitStage: vi.fn(),
    gitUnstage: vi.fn(),
    gitDiscard: vi.fn(),
    gitCommit: vi.fn(),
    gitBranches: vi.fn(async () => []),
    gitCheckout: vi.fn(),
    environmentView: vi.fn(async () => envView()),
    syncEnvironment: vi.fn(),
    cancelEnvironmentSync: vi.fn(async () => null),
    trustView: vi.fn(async () => trustState()),
    setTrust: vi.fn(),
    auditSource: vi.fn(),
    cancelAudit: vi.fn(async () => null),
    auditFile: vi.fn(),
    replaySources: vi.fn(async () => []),
    runReplay: vi.fn(),
    replayImpact: vi.fn(),
    cancelReplay: vi.fn(async () => null),
    replayEvents: vi.fn(),
    replayEventTest: vi.fn(),
    clusterSettings: vi.fn(async () => ({ settings: { address: null, python: null }, default_python: "python3", file: "/home/me/.config/prowl/cluster.toml" })),
    saveClusterSettings: vi.fn(),
    checkCluster: vi.fn(),
    remoteView: vi.fn(async () => ({ profiles: [], from_environment: null, config_file: "/home/me/.config/prowl/profiles.toml" })),
    remoteLogin: vi.fn(),
    remoteLogout: vi.fn(async () => null),
    remoteCheck: vi.fn(),
    remoteDrift: vi.fn(),
    remoteUpload: vi.fn(),
    remoteDelete: vi.fn(),
    upstreamView: vi.fn(),
    upstreamSetRemote: vi.fn(),
    upstreamFetch: vi.fn(),
    cancelUpstreamFetch: vi.fn(async () => null),
    upstreamItem: vi.fn(),
    upstreamMerge: vi.fn(),
    upstreamResolve: vi.fn(),
    upstreamAcceptProposed: vi.fn(),
    upstreamCommit: vi.fn(),
    upstreamAbort: vi.fn(),
    upstreamUndo: vi.fn(),
    onWorkspaceChanged: vi.fn(async () => () => {}),
  };
}

/** A rule with a spec and a Python file, and the workspace holding it. */
export const RULE = item({ id: "Rule.A", tests: [{ name: "t", expected_result: true, mocks: [], span: { line: 5, col: 5 } }] });
export const VIEW: WorkspaceView = { root: ROOT, name: "ws", items: [RULE], diagnostics: [], git: null, trust: trustState() };

interface DiskApi {
  ShellError: typeof Api.ShellError;
  readFile: Mock<typeof Api.readFile>;
  saveFile: Mock<typeof Api.saveFile>;
}

/** Files by path with their stamps; read_file and save_file of the mocked api use them. */
export class FakeDisk {
  files: Record<string, { text: string; stamp: string }>;

  constructor(api: DiskApi, files: Record<string, { text: string; stamp: string }>) {
    this.files = files;
    const place = (file: string) => ({ file, line: null, column: null });
    api.readFile.mockImplementation(async (path) => {
      const f = this.files[path];
      if (!f) throw new api.ShellError({ code: "file.not_found", message: "no such file", hint: null, location: place(path) });
      return { path, ...f };
    });
    api.saveFile.mockImplementation(async (path, text, stamp) => {
      const f = this.files[path];
      if (f && f.stamp !== stamp) {
        throw new api.ShellError({ code: "file.conflict", message: "changed on disk", hint: null, location: place(path) });
      }
      const next = `${stamp ?? "new"}+`;
      this.files[path] = { text, stamp: next };
      return { stamp: next };
    });
  }

  /** The rule's spec (stamp s1) and Python file (stamp c1). */
  static ruleFiles(): Record<string, { text: string; stamp: string }> {
    return {
      [RULE.spec_path]: { text: "RuleID: Rule.A\n", stamp: "s1" },
      [RULE.code_path!]: { text: "def rule(e):\n    return True\n", stamp: "c1" },
    };
  }

  text(path: string): string | undefined {
    return this.files[path]?.text;
  }

  /** Another program writes the file. */
  write(path: string, text: string, stamp: string): void {
    this.files[path] = { text, stamp };
  }

  remove(path: string): void {
    delete this.files[path];
  }
}

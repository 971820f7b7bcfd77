import { describe, expect, it } from "vitest";
import { ENV_SETUP_CODES, approvedList, isEnvironmentFile, originText, reasonText, sourceBuildPackage, statusText } from "./environment";
import { approval } from "../test/fixtures";

describe("the environment's wording", () => {
  it("says why a package is installed", () => {
    expect(reasonText({ kind: "runtime" })).toBe("Prowl's runtime");
    expect(reasonText({ kind: "asked", origin: { file: "Pipfile", line: 23 } })).toBe("asked at Pipfile:23");
    expect(reasonText({ kind: "dependency", of: ["requests", "typer"] })).toBe("needed by requests, typer");
    expect(reasonText({ kind: "dependency", of: [] })).toBe("a dependency");
  });

  it("places a requirement at file:line", () => {
    expect(originText({ file: "requirements.txt", line: 4 })).toBe("requirements.txt:4");
  });

  it("sends an approval back as name==version, in the order received", () => {
    const a = approval({
      packages: [
        { name: "zed", version: "1.0", from_source: false },
        { name: "alpha", version: "2.0b1", from_source: true },
      ],
    });
    expect(approvedList(a)).toEqual(["zed==1.0", "alpha==2.0b1"]);
  });

  it("shows the status, or that a sync is going on", () => {
    expect(statusText("ready", false)).toBe("env: ready");
    expect(statusText("missing", false)).toBe("env: missing");
    expect(statusText("ready", true)).toBe("env: syncing…");
    expect(statusText(null, false)).toBe("env: …");
  });

  it("offers setting up the environment for a run refused as missing, stale or broken only", () => {
    expect([...ENV_SETUP_CODES].sort()).toEqual(["env.broken", "env.missing", "env.stale"]);
  });
});

describe("sourceBuildPackage", () => {
  const sourceBuild = (message: string, hint: string | null) => ({ code: "env.source_build", message, hint, location: null });

  it("reads the package to allow from the hint", () => {
    const e = sourceBuild(
      "`pyyaml-include` is published only as source code, and building it would run its setup code (asked for at Pipfile:7)",
      "if you trust it, allow it by name: `prowl env sync --allow-build pyyaml-include` (or PROWL_ALLOW_BUILD=pyyaml-include)",
    );
    expect(sourceBuildPackage(e)).toBe("pyyaml-include");
  });

  it("falls back on the message's leading name", () => {
    expect(sourceBuildPackage(sourceBuild("`leftpad` is published only as source code", null))).toBe("leftpad");
  });

  it("offers nothing for other codes, or when no name can be read", () => {
    expect(sourceBuildPackage({ code: "env.offline", message: "`x` offline", hint: "--allow-build x", location: null })).toBeNull();
    expect(sourceBuildPackage(sourceBuild("something else", "no name here"))).toBeNull();
  });
});

describe("isEnvironmentFile", () => {
  it("knows the workspace's requirement and lock files at its root, absolute or relative", () => {
    for (const f of ["Pipfile", "Pipfile.lock", "requirements.txt", "pyproject.toml", "uv.lock", "poetry.lock"]) {
      expect(isEnvironmentFile("/ws", `/ws/${f}`), f).toBe(true);
      expect(isEnvironmentFile("/ws", f), f).toBe(true);
    }
  });

  it("ignores other files, files in folders and files outside the workspace", () => {
    expect(isEnvironmentFile("/ws", "/ws/rules/a.py")).toBe(false);
    expect(isEnvironmentFile("/ws", "/ws/vendor/requirements.txt")).toBe(false);
    expect(isEnvironmentFile("/ws", "/other/Pipfile")).toBe(false);
    expect(isEnvironmentFile("/ws", "/ws")).toBe(false);
  });
});

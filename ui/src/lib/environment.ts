// The Python environment as the window words it: why a package is installed, where a requirement
// was asked for, the list an approval sends back, which files decide what a sync installs, and
// which errors the window offers a next step for. No state, no shell calls.

import type { Approval, ErrorInfo, Origin, Reason } from "./contract";
import { isAbsolute, normalize, relativeTo } from "./paths";

/** `environment_view`'s `status`. */
export type EnvStatus = "ready" | "missing" | "stale" | "broken";

/** Error codes of a test run that a sync fixes: the window offers "Set up the environment". */
export const ENV_SETUP_CODES: ReadonlySet<string> = new Set(["env.missing", "env.stale", "env.broken"]);

/** `Pipfile:23`. */
export function originText(origin: Origin): string {
  return `${origin.file}:${origin.line}`;
}

/** Why a package is installed: "Prowl's runtime", "asked at Pipfile:23", "needed by requests, typer". */
export function reasonText(reason: Reason): string {
  switch (reason.kind) {
    case "runtime":
      return "Prowl's runtime";
    case "asked":
      return `asked at ${originText(reason.origin)}`;
    case "dependency":
      return reason.of.length > 0 ? `needed by ${reason.of.join(", ")}` : "a dependency";
  }
}

/** What `sync_environment` takes as `approved`: the list shown, `name==version`, in its order. */
export function approvedList(approval: Approval): string[] {
  return approval.packages.map((p) => `${p.name}==${p.version}`);
}

/**
 * The package an `env.source_build` error is about, to offer "Allow building <package>"; null for
 * any other error. The ErrorInfo has no field for it, so it is read from the hint
 * (`--allow-build NAME`) or, failing that, from the message, which starts with the name in
 * backticks.
 */
export function sourceBuildPackage(error: ErrorInfo): string | null {
  if (error.code !== "env.source_build") return null;
  const fromHint = /--allow-build ([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(error.hint ?? "");
  if (fromHint) return fromHint[1];
  const fromMessage = /^`([A-Za-z0-9][A-Za-z0-9._-]*)`/.exec(error.message);
  return fromMessage ? fromMessage[1] : null;
}

const REQUIREMENT_FILES = new Set(["Pipfile", "requirements.txt", "pyproject.toml"]);

/**
 * Whether a changed file decides what a sync installs: the workspace's own `Pipfile`,
 * `requirements.txt`, `pyproject.toml` or a lock file (`*.lock`), at its root. `path` is
 * absolute or relative to `root`.
 */
export function isEnvironmentFile(root: string, path: string): boolean {
  const rel = isAbsolute(path) ? relativeTo(root, path) : normalize(path);
  if (!rel || rel.includes("/")) return false;
  return REQUIREMENT_FILES.has(rel) || rel.endsWith(".lock");
}

/** The status as the status bar shows it. */
export function statusText(status: string | null, syncing: boolean): string {
  if (syncing) return "env: syncing…";
  return `env: ${status ?? "…"}`;
}

// The Ray cluster as the Settings and Replay views word it: where a replay runs, a node's line,
// a connection check's and a cluster run's summaries, an input a replay did not cover. No
// state, no shell calls. Addresses, versions and errors come from the cluster: they are only
// ever rendered as text.

import type { ClusterCheck, ClusterNode, ClusterRun, LostBatch } from "./contract";

/** Where a replay runs: this machine's workers, or the Ray cluster the user set. */
export type ReplayTarget = "local" | "cluster";

/** Why an untrusted workspace is not replayed on a cluster. */
export const UNTRUSTED_NOT_SENT =
  "A cluster runs the workspace's detections outside this machine's sandbox, so Prowl sends only workspaces you trust. Review it, trust the folder, then replay it on the cluster (or replay it here, in the sandbox).";

/** The target's label in the Replay view. */
export function targetLabel(target: ReplayTarget, address: string | null): string {
  if (target === "local") return "This machine";
  return address ? `Cluster (${address})` : "Cluster (no address set)";
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** CPUs as Ray counts them (fractions possible): `2`, `1.5`. */
export function cpuText(cpus: number): string {
  return Number.isInteger(cpus) ? String(cpus) : cpus.toFixed(1);
}

/** A node's name: its address, else its Ray ID (shortened). */
export function nodeName(node: ClusterNode): string {
  return node.address ?? node.id.slice(0, 12);
}

/** What a node's probe answered: `Python 3.11 · Ray 2.60.0 · x86_64`, or why it did not. */
export function nodeDetails(node: ClusterNode): string {
  if (node.error) return `did not answer: ${node.error}`;
  const parts = [`Python ${node.python ?? "?"}`, `Ray ${node.ray ?? "?"}`, node.machine ?? "?"];
  if (node.missing.length > 0) parts.push(`cannot see ${node.missing.join(", ")}`);
  return parts.join(" · ");
}

/** A connection check in a line: `Ray 2.60.0 · 2 nodes · 2 CPUs`. */
export function checkSummary(check: ClusterCheck): string {
  return `Ray ${check.ray} · ${plural(check.nodes.length, "node")} · ${cpuText(check.cpus)} CPUs`;
}

/** Nodes whose probe failed. */
export function failedNodes(nodes: readonly ClusterNode[]): ClusterNode[] {
  return nodes.filter((n) => n.error !== null);
}

/** What the cluster did for a replay: `4 of 4 tasks done on 2 nodes (2 CPUs, Ray 2.60.0)`, failures and loss said. */
export function runSummary(run: ClusterRun): string {
  const cpus = run.nodes.reduce((sum, n) => sum + n.cpus, 0);
  let text = `${run.tasks_done} of ${plural(run.tasks, "task")} done on ${plural(run.nodes.length, "node")} (${cpuText(cpus)} CPUs, Ray ${run.ray || "?"})`;
  if (run.tasks_failed > 0) text += `; ${run.tasks_failed} failed after their retries`;
  return text;
}

/** Whether a replay's results are partial: a lost cluster, or inputs not covered. */
export function isPartial(run: ClusterRun | null, lost: readonly LostBatch[]): boolean {
  return (run?.lost ?? null) !== null || lost.length > 0;
}

/**
 * An input a replay did not cover, as a sentence. On a cluster a task's share is named by its
 * files (its events were never counted: `events` is 0); locally, a batch of events.
 */
export function lostText(lost: LostBatch, onCluster: boolean): string {
  if (onCluster && lost.events === 0) return `${lost.first} was not covered: ${lost.reason}`;
  return `${lost.events} events from ${lost.first} were not evaluated: ${lost.reason}`;
}

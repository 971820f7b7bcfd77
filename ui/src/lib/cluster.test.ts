// The cluster's wording: a node's line, a check's and a run's summaries, partial results, and an
// input not covered (a cluster's share, or a local batch of events).
import { describe, expect, it } from "vitest";
import { checkSummary, cpuText, failedNodes, isPartial, lostText, nodeDetails, nodeName, runSummary, targetLabel } from "./cluster";
import type { ClusterNode, ClusterRun } from "./contract";

const node = (over: Partial<ClusterNode> = {}): ClusterNode => ({ id: "0123456789abcdef0123", address: "10.0.0.5", cpus: 4, python: "3.11", ray: "2.60.0", machine: "x86_64", missing: [], error: null, ...over });
const run = (over: Partial<ClusterRun> = {}): ClusterRun => ({ address: "10.0.0.5:6379", ray: "2.60.0", nodes: [node(), node({ id: "b", cpus: 1.5 })], tasks: 8, tasks_done: 8, tasks_failed: 0, lost: null, ...over });

describe("the cluster's wording", () => {
  it("labels the target", () => {
    expect(targetLabel("local", "x:1")).toBe("This machine");
    expect(targetLabel("cluster", "10.0.0.5:6379")).toBe("Cluster (10.0.0.5:6379)");
    expect(targetLabel("cluster", null)).toBe("Cluster (no address set)");
  });

  it("names a node by its address, else its ID, and says what it answered", () => {
    expect(nodeName(node())).toBe("10.0.0.5");
    expect(nodeName(node({ address: null }))).toBe("0123456789ab");
    expect(nodeDetails(node())).toBe("Python 3.11 · Ray 2.60.0 · x86_64");
    expect(nodeDetails(node({ python: null, missing: ["/logs/a.jsonl"] }))).toBe("Python ? · Ray 2.60.0 · x86_64 · cannot see /logs/a.jsonl");
    expect(nodeDetails(node({ error: "timed out" }))).toBe("did not answer: timed out");
    expect(failedNodes([node(), node({ id: "x", error: "e" })]).map((n) => n.id)).toEqual(["x"]);
  });

  it("sums up a check and a run", () => {
    expect(cpuText(2)).toBe("2");
    expect(cpuText(5.5)).toBe("5.5");
    expect(checkSummary({ address: "a", ray: "2.60.0", nodes: [node()], cpus: 4 })).toBe("Ray 2.60.0 · 1 node · 4 CPUs");
    expect(runSummary(run())).toBe("8 of 8 tasks done on 2 nodes (5.5 CPUs, Ray 2.60.0)");
    expect(runSummary(run({ tasks_done: 6, tasks_failed: 2 }))).toBe("6 of 8 tasks done on 2 nodes (5.5 CPUs, Ray 2.60.0); 2 failed after their retries");
  });

  it("says when results are partial and what was not covered", () => {
    expect(isPartial(null, [])).toBe(false);
    expect(isPartial(run(), [])).toBe(false);
    expect(isPartial(run({ lost: "connection closed" }), [])).toBe(true);
    const share = { events: 0, first: "a.jsonl (bytes 0–64)", reason: "worker died" };
    expect(isPartial(run(), [share])).toBe(true);
    expect(lostText(share, true)).toBe("a.jsonl (bytes 0–64) was not covered: worker died");
    expect(lostText({ events: 12, first: "a.jsonl:3", reason: "the worker crashed" }, false)).toBe("12 events from a.jsonl:3 were not evaluated: the worker crashed");
  });
});

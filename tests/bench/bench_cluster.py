#!/usr/bin/env python3
"""Benchmark: `prowl replay --cluster` on a loopback Ray cluster against the local replay, side
by side in one run.

Generates --events lake-style events (default 5,000,000; tests/replay/generate_logs.py: the
demo's four log types, a few percent matching; kept in the cache for later runs) and replays
them through the demo workspace's rules four ways with the release `prowl`:
  local, 1 worker            the local replay on one core
  cluster, 1 node            a Ray head limited to one CPU (`ray start --num-cpus=1`)
  local, 2 workers           the local replay on both cores
  cluster, 2 nodes           the head and a second node, one CPU each
Each cluster run is preceded by an untimed warm-up on the sample logs (the nodes build the
run's environment once). Every run must give the same alerts (compared by count per
detection and in all).

Figures: wall seconds, events per second, the cluster's overhead over the local replay on the
same cores (target at most 15%), the scaling from 1 node to 2 (target at least 1.7x), and
what a 100-node cluster would take for 1 TB of CloudTrail at the measured rate per core.
Timings are never asserted anywhere.

    python3 tests/bench/bench_cluster.py [--events N] [--files K] [--share-size 64M]
Environment: PROWL_BIN (prowl; default: builds the release one), PROWL_RAY (the `ray` command
of a Python with Ray 2.60; tests/setup.sh's ensure_ray), PROWL_RAY_PYTHON.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import CACHE, REPO, ensure_env, progress, prowl_binary, verdict  # noqa: E402

PORT = 6399


class Node:
    """A Ray node (`ray start --block`) in its own process group."""

    def __init__(self, ray, head, temp):
        shutil.rmtree(temp, ignore_errors=True)
        args = [ray, "start", "--num-cpus=1", "--temp-dir=" + temp, "--block"]
        if head:
            args += ["--head", "--port=%d" % PORT, "--ray-client-server-port=%d" % (23000 + PORT % 1000),
                     "--include-dashboard=false", "--disable-usage-stats"]
        else:
            args += ["--address=127.0.0.1:%d" % PORT]
        self.temp = temp
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     env={**os.environ, "RAY_USAGE_STATS_ENABLED": "0"},
                                     start_new_session=True)

    def stop(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        shutil.rmtree(self.temp, ignore_errors=True)


def wait_nodes(binary, env, n):
    deadline = time.time() + 120
    while time.time() < deadline:
        out = subprocess.run([binary, "cluster", "127.0.0.1:%d" % PORT, "--json"],
                             capture_output=True, text=True, env=env)
        if out.returncode == 0 and len(json.loads(out.stdout)["nodes"]) == n:
            return
        time.sleep(1)
    sys.exit("the cluster did not reach %d nodes" % n)


def replay(binary, workspace, corpus, env, extra):
    cmd = [binary, "replay", corpus, "-w", workspace, "--format", "json", "--yes"] + extra
    start = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    if out.returncode != 0:
        sys.exit("%s failed:\n%s" % (" ".join(cmd), out.stderr[-3000:]))
    report = json.loads(out.stdout)["report"]
    alerts = {d["id"]: (d["matches"], d["alerts"]) for d in report["detections"]}
    return {"wall": wall, "events": report["read"]["events"], "alerts": alerts,
            "total": report["alerts_total"], "bytes": report["read"]["bytes_read"],
            "tasks": (report.get("cluster") or {}).get("tasks")}


def main():
    # pylint: disable=too-many-locals,too-many-statements
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--share-size", default="64M")
    args = parser.parse_args()
    ray = os.environ.get("PROWL_RAY")
    if not ray:
        sys.exit("PROWL_RAY is not set: tests/setup.sh's ensure_ray installs Ray 2.60 and sets it")
    binary = prowl_binary()
    reader = os.path.join(os.path.dirname(binary), "prowl-read")
    tmp = tempfile.mkdtemp(prefix="prowl-bench-cluster-")
    env = {**os.environ, "PROWL_CONFIG": os.path.join(tmp, "config"), "PROWL_READ": reader,
           "NO_COLOR": "1"}
    corpus = os.path.join(CACHE, "bench-cluster-corpus-%d-%d" % (args.events, args.files))
    if not os.path.exists(os.path.join(corpus, ".complete")):
        progress("generating %d events in %d files into %s (once)" % (args.events, args.files, corpus))
        shutil.rmtree(corpus, ignore_errors=True)
        subprocess.run([sys.executable, os.path.join(REPO, "tests/replay/generate_logs.py"), corpus,
                        "--events", str(args.events), "--files", str(args.files), "--hours", "168"],
                       check=True)
        open(os.path.join(corpus, ".complete"), "w").close()
    size = sum(os.path.getsize(os.path.join(corpus, f)) for f in os.listdir(corpus) if not f.startswith("."))
    workspace = os.path.join(tmp, "demo")
    subprocess.run([binary, "demo", workspace], check=True, capture_output=True, env=env)
    subprocess.run([binary, "trust", workspace], check=True, capture_output=True, env=env)
    ensure_env(binary, workspace, env)
    samples = os.path.join(workspace, "sample_logs")
    nodes = []
    results = {}
    try:
        progress("local, 1 worker")
        results["local1"] = replay(binary, workspace, corpus, env, ["--workers", "1"])
        nodes.append(Node(ray, True, os.path.join(tmp, "ray-head")))
        wait_nodes(binary, env, 1)
        address = ["--cluster", "127.0.0.1:%d" % PORT]
        cluster = address + ["--share-size", args.share_size]
        # Warm-ups in small shares, so that every node builds the run's environment.
        warm = address + ["--share-size", "16K"]
        progress("cluster, 1 node (warm-up on the sample logs first)")
        replay(binary, workspace, samples, env, warm)
        results["cluster1"] = replay(binary, workspace, corpus, env, cluster)
        progress("local, 2 workers")
        results["local2"] = replay(binary, workspace, corpus, env, ["--workers", "2"])
        nodes.append(Node(ray, False, os.path.join(tmp, "ray-node2")))
        wait_nodes(binary, env, 2)
        progress("cluster, 2 nodes (warm-up on the sample logs first)")
        replay(binary, workspace, samples, env, warm)
        results["cluster2"] = replay(binary, workspace, corpus, env, cluster)
    finally:
        for n in reversed(nodes):
            n.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    first = results["local1"]
    same = all(r["alerts"] == first["alerts"] and r["total"] == first["total"] for r in results.values())
    events = first["events"]
    print("prowl replay --cluster, %s events (%.2f GB, %d files, the demo's rules), 2 cores"
          % (f"{events:,}", size / 1e9, args.files))
    print("%-22s %9s %12s %8s" % ("", "seconds", "events/s", "tasks"))
    names = {"local1": "local, 1 worker", "cluster1": "cluster, 1 node",
             "local2": "local, 2 workers", "cluster2": "cluster, 2 nodes"}
    for key in ("local1", "cluster1", "local2", "cluster2"):
        r = results[key]
        print("%-22s %9.1f %12s %8s" % (names[key], r["wall"], f"{r['events'] / r['wall']:,.0f}",
                                        r["tasks"] if r["tasks"] is not None else "-"))
    print("alerts equal in all four runs: %s (%d alerts)" % ("yes" if same else "NO", first["total"]))
    over1 = results["cluster1"]["wall"] / first["wall"] - 1
    over2 = results["cluster2"]["wall"] / results["local2"]["wall"] - 1
    scaling = results["cluster1"]["wall"] / results["cluster2"]["wall"]
    print("cluster overhead over local, same cores: 1 core %+.1f%%, 2 cores %+.1f%% (target <= 15%%: %s)"
          % (100 * over1, 100 * over2, verdict(max(over1, over2) <= 0.15)))
    print("scaling 1 node -> 2 nodes: %.2fx (target >= 1.7x: %s)" % (scaling, verdict(scaling >= 1.7)))
    per_core = events / results["cluster2"]["wall"] / 2
    bytes_per_event = size / events
    tb_events = 1e12 / bytes_per_event
    print("measured: %.0f events/s per core, %.0f bytes per event (JSON lines)" % (per_core, bytes_per_event))
    for cores in (1, 16):
        hours = tb_events / (per_core * 100 * cores) / 3600
        print("1 TB of CloudTrail as JSON (%.2e events) on 100 nodes x %d cores: %.1f h"
              % (tb_events, cores, hours))
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()

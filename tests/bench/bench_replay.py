#!/usr/bin/env python3
"""Benchmark: `prowl replay` against the floor, side by side in one run.

Generates --events lake-style events (default 1,000,000; tests/replay/generate_logs.py: the
demo's four log types, a few percent matching) and replays them through the demo workspace's
rules with the release `prowl replay`, with 1 worker and with 2, while sampling the resident
memory of every Prowl process (the CLI and its workers). The floor is a plain Python loop in one
process, in PAT's environment (tests/setup.sh installs it; the bench checks that its panther-core
is the version of the demo workspace's environment, and it has the YAML parser the loader of
tests/replay/reference_matches.py needs): it reads the same
files with json.loads, binds the data model of each event's log type and calls
`Rule.run(event, batch_mode=True)` for every enabled rule of that log type
(tests/replay/reference_matches.py's loader). Its time is counted two ways: all of it, and only
the detection calls (reading and parsing excluded: the stricter floor).

Figures: event x detection runs per second (the work both do; Prowl's `runs` equal the floor's),
Prowl per core against the floor, 2 workers against 1, peak memory. Targets (the replay
issue): per core at least 80% of the floor's runs/s, 2 workers at least 1.8x one, peak memory
of all Prowl processes under 300 MB. Timings are never asserted anywhere.

    python3 tests/bench/bench_replay.py [--events N] [--runs N] [--keep DIR]
Environment: PROWL_BIN (prowl; default: builds the release one with CARGO_TARGET_DIR),
PROWL_PAT_PYTHON (the Python of PAT's environment; default ~/.cache/prowl/pat-1.6.3/bin/python).
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import REPO, descendants, ensure_env, process_table, progress, prowl_binary, verdict  # noqa: E402

FLOOR = r'''
import json, sys, time
sys.path.insert(0, sys.argv[1])
import reference_matches as ref
from panther_core.enriched_event import PantherEvent
rules, models = ref.load(sys.argv[2])
by_type = {}
for rule, log_types in rules:
    for lt in log_types:
        by_type.setdefault(lt, []).append(rule)
start = time.perf_counter()
detecting = 0.0
runs = matches = events = 0
clock = time.perf_counter
for path in sys.argv[3:]:
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            event = json.loads(line)
            events += 1
            t0 = clock()
            lt = event.get("p_log_type")
            wrapped = PantherEvent(event, models.get(lt))
            for rule in by_type.get(lt, ()):
                runs += 1
                if rule.run(wrapped, {}, {}, batch_mode=True).trigger_alert:
                    matches += 1
            detecting += clock() - t0
total = time.perf_counter() - start
print(json.dumps({"seconds": total, "detecting": detecting, "runs": runs, "matches": matches, "events": events}))
'''


class MemorySampler:
    """Peak of the summed resident memory of a process and its descendants."""

    def __init__(self, pid):
        self.pid, self.peak, self.stop = pid, 0, False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    @staticmethod
    def rss(pid):
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0

    def run(self):
        while not self.stop:
            table = process_table()
            pids = [self.pid] + list(descendants(self.pid, table))
            self.peak = max(self.peak, sum(self.rss(p) for p in pids))
            time.sleep(0.05)

    def finish(self):
        self.stop = True
        self.thread.join()
        return self.peak


def prowl_run(binary, workspace, corpus, workers, env):
    cmd = [binary, "replay", corpus, "-w", workspace, "--workers", str(workers), "--format", "json"]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    sampler = MemorySampler(proc.pid)
    out, err = proc.communicate()
    wall = time.perf_counter() - started
    peak = sampler.finish()
    if proc.returncode != 0:
        sys.exit(f"prowl replay failed ({proc.returncode}):\n{err[-3000:]}")
    report = json.loads(out)["report"]
    return {"wall": wall, "peak": peak, "runs": report["runs"], "matches": report["matches"],
            "events": report["read"]["events"], "alerts": report["alerts_total"]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", help="keep the corpus and workspace in this folder")
    args = parser.parse_args()

    binary = prowl_binary()
    tmp = args.keep or tempfile.mkdtemp(prefix="prowl-bench-replay-")
    os.makedirs(tmp, exist_ok=True)
    workspace = os.path.join(tmp, "demo")
    corpus = os.path.join(tmp, "corpus")
    env = dict(os.environ, NO_COLOR="1")
    try:
        if not os.path.isdir(workspace):
            subprocess.run([binary, "demo", workspace], check=True, capture_output=True, env=env)
        ensure_env(binary, workspace, env)
        if not os.path.isdir(corpus):
            progress(f"generating {args.events:,} events")
            subprocess.run([sys.executable, os.path.join(REPO, "tests/replay/generate_logs.py"), corpus,
                            "--events", str(args.events), "--files", "8"], check=True)
        files = sorted(os.path.join(corpus, f) for f in os.listdir(corpus))
        size = sum(os.path.getsize(f) for f in files)
        envinfo = json.loads(subprocess.run([binary, "env", "show", workspace, "--format", "json"],
                                            capture_output=True, text=True, env=env).stdout or "{}")
        demo_python = envinfo.get("python") or os.path.join(envinfo.get("path", ""), "bin", "python")
        python = os.environ.get("PROWL_PAT_PYTHON") or os.path.expanduser("~/.cache/prowl/pat-1.6.3/bin/python")
        if not os.access(python, os.X_OK):
            sys.exit(f"the floor runs in PAT's environment: {python} is missing "
                     "(bash tests/run-all.sh installs it, or set PROWL_PAT_PYTHON)")
        version = "import importlib.metadata as m; print(m.version('panther-core'))"
        versions = [subprocess.run([p, "-c", version], capture_output=True, text=True).stdout.strip()
                    for p in (python, demo_python)]
        if versions[0] != versions[1]:
            sys.exit(f"the floor's panther-core is {versions[0]}, the demo's {versions[1]}: not the same code")
        progress(f"panther-core {versions[0]} on both sides")
        floor_script = os.path.join(tmp, "floor.py")
        with open(floor_script, "w") as f:
            f.write(FLOOR)

        floors, one, two = [], [], []
        for i in range(args.runs):
            progress(f"run {i + 1}/{args.runs}: floor (plain panther-core loop)")
            out = subprocess.run([python, floor_script, os.path.join(REPO, "tests/replay"), workspace, *files],
                                 capture_output=True, text=True, check=True)
            floors.append(json.loads(out.stdout))
            progress(f"run {i + 1}/{args.runs}: prowl replay, 1 worker")
            one.append(prowl_run(binary, workspace, corpus, 1, env))
            progress(f"run {i + 1}/{args.runs}: prowl replay, 2 workers")
            two.append(prowl_run(binary, workspace, corpus, 2, env))

        med = statistics.median
        runs = floors[0]["runs"]
        if one[0]["runs"] != runs or one[0]["matches"] != floors[0]["matches"]:
            print(f"warning: prowl ran {one[0]['runs']} runs with {one[0]['matches']} matches, "
                  f"the floor {runs} with {floors[0]['matches']}")
        floor_all = runs / med(f["seconds"] for f in floors)
        floor_det = runs / med(f["detecting"] for f in floors)
        p1 = runs / med(r["wall"] for r in one)
        p2 = runs / med(r["wall"] for r in two)
        peak = max(r["peak"] for r in one + two)
        print(f"\ncorpus: {len(files)} files, {size / 1e6:.0f} MB, {floors[0]['events']:,} events, "
              f"{runs:,} event x detection runs, {floors[0]['matches']:,} matches, "
              f"{one[0]['alerts']:,} alerts; medians of {args.runs} runs; {os.cpu_count()} cores")
        print(f"floor, all of it (json.loads + PantherEvent + Rule.run): {floor_all:,.0f} runs/s "
              f"({med(f['seconds'] for f in floors):.1f} s)")
        print(f"floor, detection calls only:                         {floor_det:,.0f} runs/s "
              f"({med(f['detecting'] for f in floors):.1f} s)")
        print(f"prowl replay, 1 worker:  {p1:,.0f} runs/s ({med(r['wall'] for r in one):.1f} s wall) = "
              f"{p1 / floor_det:.0%} of the detection-only floor, {p1 / floor_all:.0%} of the whole floor  "
              f"[target >= 80%: {verdict(p1 / floor_det >= 0.8)}]")
        print(f"prowl replay, 2 workers: {p2:,.0f} runs/s ({med(r['wall'] for r in two):.1f} s wall) = "
              f"{p2 / p1:.2f}x one worker  [target >= 1.8x: {verdict(p2 / p1 >= 1.8)}]")
        print(f"peak memory of all Prowl processes: {peak / 1e6:.0f} MB  [target < 300 MB: {verdict(peak < 300e6)}]")
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

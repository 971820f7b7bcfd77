#!/usr/bin/env python3
"""Benchmark: `prowl validate` against PAT's own loading and validation, side by side.

Generates a panther-analysis-sized workspace (generate_workspace.py), then times, on the same
tree and in the same run:
  - prowl: `prowl validate` (release build), whole process, several runs;
  - PAT:   `load_analysis(...)` from panther_analysis_tool (discovery, YAML, both schema layers,
           IDs, and the sqlfluff table-name check), inside PAT's venv, import time excluded.
If PROWL_BENCH_WORKSPACE names a real checkout (e.g. panther-analysis), it is measured too.
Prints a table with medians and the ratio. Timings are never asserted anywhere.

    python3 tests/bench/bench_validate.py [--runs N] [--pat-runs N]
Environment: PROWL_BIN (prowl binary; default: builds the release one), PROWL_PAT_PYTHON
(PAT venv's python; default ~/.cache/prowl/pat-1.6.3/bin/python).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import CACHE, REPO, prowl_binary  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

PAT_SNIPPET = r"""
import json, os, sys, time, logging
logging.disable(logging.CRITICAL)
from panther_analysis_tool.analysis_utils import load_analysis
os.chdir(sys.argv[1])
start = time.perf_counter()
specs, invalid = load_analysis(".", False, [], [], False)
elapsed = time.perf_counter() - start
print(json.dumps({"seconds": elapsed, "valid": sum(1 for _ in specs.items()), "invalid": len(invalid)}))
"""


def time_prowl(binary, workspace, runs):
    times = []
    summary = None
    for _ in range(runs):
        start = time.perf_counter()
        out = subprocess.run([binary, "validate", workspace, "--format", "json"], capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        summary = json.loads(out.stdout)
    return times, {"valid": summary["items"], "errors": summary["errors"]}


def time_pat(python, workspace, runs):
    times = []
    result = None
    for _ in range(runs):
        out = subprocess.run([python, "-c", PAT_SNIPPET, workspace], capture_output=True, text=True)
        if out.returncode != 0:
            sys.exit(f"PAT failed:\n{out.stderr}")
        result = json.loads(out.stdout.strip().splitlines()[-1])
        times.append(result["seconds"])
    return times, {"valid": result["valid"], "errors": result["invalid"]}


def report(name, workspace, binary, python, runs, pat_runs):
    p_times, p_sum = time_prowl(binary, workspace, runs)
    t_times, t_sum = time_pat(python, workspace, pat_runs)
    p_med, t_med = statistics.median(p_times), statistics.median(t_times)
    print(f"\n{name}: {workspace}")
    print(f"  prowl validate : median {p_med * 1000:8.1f} ms  (min {min(p_times) * 1000:.1f}, max {max(p_times) * 1000:.1f}, {runs} runs)  valid {p_sum['valid']}, errors {p_sum['errors']}")
    print(f"  PAT load+valid : median {t_med * 1000:8.1f} ms  (min {min(t_times) * 1000:.1f}, max {max(t_times) * 1000:.1f}, {pat_runs} runs)  valid {t_sum['valid']}, invalid {t_sum['errors']}")
    print(f"  ratio          : Prowl is {t_med / p_med:.0f}x faster")
    return p_med, t_med


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--pat-runs", type=int, default=2)
    args = parser.parse_args()
    python = os.environ.get("PROWL_PAT_PYTHON", os.path.join(CACHE, "pat-1.6.3", "bin", "python"))
    if not os.path.exists(python):
        sys.exit(f"PAT's python not found at {python}; run tests/run-all.sh once or set PROWL_PAT_PYTHON")
    binary = prowl_binary()
    print(f"machine: {os.cpu_count()} cores; prowl: {binary}; PAT python: {python}")
    with tempfile.TemporaryDirectory() as tmp:
        ws = os.path.join(tmp, "generated")
        subprocess.run([sys.executable, os.path.join(HERE, "generate_workspace.py"), ws], check=True)
        report("generated (panther-analysis scale)", ws, binary, python, args.runs, args.pat_runs)
    real = os.environ.get("PROWL_BENCH_WORKSPACE")
    if real:
        report("PROWL_BENCH_WORKSPACE", os.path.abspath(real), binary, python, args.runs, args.pat_runs)


if __name__ == "__main__":
    main()

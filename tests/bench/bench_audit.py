#!/usr/bin/env python3
"""Benchmark: the static audit (`prowl audit --no-dynamic`) of a panther-analysis-sized tree.

Generates a workspace at panther-analysis scale (generate_workspace.py) and times, whole
process, N runs each:
  - `prowl audit <generated> --no-dynamic --format json` (release build);
  - the same on a real checkout when PROWL_PANTHER_ANALYSIS names one (e.g. /work/pa).
The audit is run from an empty folder, so no `--against` is picked up from the current folder.
Prints the median, min and max, the number of files, Python files, findings and the verdict,
and whether the target (under 2 s) is met. Timings are never asserted anywhere.

    python3 tests/bench/bench_audit.py [--runs N]
Environment: PROWL_BIN (prowl binary; default: builds the release one), PROWL_PANTHER_ANALYSIS.
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
from benchlib import prowl_binary, progress, verdict  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TARGET_SECONDS = 2.0


def count_files(root):
    files = python = 0
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d != ".git"]
        files += len(names)
        python += sum(1 for n in names if n.endswith(".py"))
    return files, python


def time_audit(binary, workspace, runs, cwd):
    times, report = [], None
    for _ in range(runs):
        start = time.perf_counter()
        out = subprocess.run(
            [binary, "audit", workspace, "--no-dynamic", "--format", "json"],
            capture_output=True, text=True, cwd=cwd,
        )
        times.append(time.perf_counter() - start)
        if out.returncode not in (0, 1):
            sys.exit(f"prowl audit {workspace} failed ({out.returncode}):\n{out.stderr}")
        report = json.loads(out.stdout)
    return times, report


def show(name, workspace, binary, runs, cwd):
    progress(f"auditing {workspace} ({runs} runs)")
    files, python = count_files(workspace)
    times, report = time_audit(binary, workspace, runs, cwd)
    med = statistics.median(times)
    s = report["summary"]
    by_code = {}
    for f in report["findings"]:
        by_code[f["code"]] = by_code.get(f["code"], 0) + 1
    print(f"\n{name}: {workspace}")
    print(f"  files {files}, Python files {python}; audited {s['items']} items, {s['python_files']} Python files")
    print(f"  static audit : median {med * 1000:8.1f} ms  (min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f}, {runs} runs)")
    print(f"  findings     : {s['errors']} errors, {s['warnings']} warnings, {s['notes']} notes; verdict {s['verdict']}")
    print(f"  by code      : {', '.join(f'{c} {n}' for c, n in sorted(by_code.items()))}")
    print(f"  target < {TARGET_SECONDS:.0f} s  : {verdict(med < TARGET_SECONDS)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    binary = prowl_binary()
    print(f"machine: {os.cpu_count()} cores; prowl: {binary}")
    with tempfile.TemporaryDirectory() as tmp:
        ws = os.path.join(tmp, "generated")
        subprocess.run([sys.executable, os.path.join(HERE, "generate_workspace.py"), ws], check=True,
                       stdout=subprocess.DEVNULL)
        empty = os.path.join(tmp, "empty")
        os.makedirs(empty)
        show("generated (panther-analysis scale)", ws, binary, args.runs, empty)
        real = os.environ.get("PROWL_PANTHER_ANALYSIS")
        if real:
            show("PROWL_PANTHER_ANALYSIS", os.path.abspath(real), binary, args.runs, empty)
        else:
            print("\n(set PROWL_PANTHER_ANALYSIS to a panther-analysis checkout to measure it too)")


if __name__ == "__main__":
    main()

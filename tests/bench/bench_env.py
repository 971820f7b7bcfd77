#!/usr/bin/env python3
"""Benchmark: making a workspace's Python environment with uv and with pip, side by side.

For panther-analysis (PROWL_PANTHER_ANALYSIS or PROWL_BENCH_WORKSPACE: a checkout; skipped with a
message without one) and for the demo workspace, times `prowl env sync --yes` (the whole command,
release build) in these cases, each in a fresh Prowl cache (so a new environment every time):
  - uv, cold:  an empty uv package cache (everything downloaded);
  - uv, warm:  the cache the cold runs filled;
  - uv, second workspace: a copy of the workspace at another path (another environment) with the
               same requirements, warm cache: what opening a second fork costs;
  - pip, cold: PROWL_INSTALLER=pip with an empty pip cache (PIP_FIND_LINKS left out);
  - pip, warm: pip with the cache its cold runs filled.
Prints medians and spread per case, and the targets of the issue (uv warm <= 5 s, cold <= 15 s,
second workspace < 2 s). Timings are never asserted anywhere. Needs the package index.

    python3 tests/bench/bench_env.py [--runs N] [--cold-runs N]
Environment: PROWL_BIN (prowl binary; default: builds the release one), PROWL_UV (uv; default
the setup script's), PROWL_PANTHER_ANALYSIS / PROWL_BENCH_WORKSPACE.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import CACHE, progress, prowl_binary  # noqa: E402


def sync(binary, workspace, env):
    """Seconds one `prowl env sync --yes` takes in a fresh Prowl cache; exits on failure."""
    prowl_cache = tempfile.mkdtemp(prefix="prowl-bench-env-")
    try:
        run_env = {**env, "PROWL_CACHE": prowl_cache}
        run_env.pop("PROWL_PYTHON_ENV", None)
        started = time.perf_counter()
        out = subprocess.run([binary, "env", "sync", workspace, "--yes"], capture_output=True, text=True, env=run_env)
        elapsed = time.perf_counter() - started
        if out.returncode != 0:
            sys.exit(f"prowl env sync {workspace} failed:\n{out.stderr}")
        return elapsed
    finally:
        shutil.rmtree(prowl_cache, ignore_errors=True)


def stats(values):
    return f"median {statistics.median(values):6.2f} s  (min {min(values):.2f}, max {max(values):.2f}, {len(values)} runs)"


def measure(binary, label, workspace, args, base_env):
    progress(f"{label}: {workspace}")
    rows = []
    scratch = tempfile.mkdtemp(prefix="prowl-bench-caches-")
    try:
        uv_cache = os.path.join(scratch, "uv")
        pip_cache = os.path.join(scratch, "pip")
        uv_env = {**base_env, "UV_CACHE_DIR": uv_cache}
        pip_env = {**base_env, "PROWL_INSTALLER": "pip", "PIP_CACHE_DIR": pip_cache}
        pip_env.pop("PIP_FIND_LINKS", None)

        cold = []
        for i in range(args.cold_runs):
            shutil.rmtree(uv_cache, ignore_errors=True)
            progress(f"  uv, cold ({i + 1}/{args.cold_runs})")
            cold.append(sync(binary, workspace, uv_env))
        rows.append(("uv, cold cache", cold, "<= 15 s"))
        warm = []
        for i in range(args.runs):
            progress(f"  uv, warm ({i + 1}/{args.runs})")
            warm.append(sync(binary, workspace, uv_env))
        rows.append(("uv, warm cache", warm, "<= 5 s"))
        second = []
        copy = os.path.join(scratch, "second-workspace")
        shutil.copytree(workspace, copy, ignore=shutil.ignore_patterns(".git"))
        for i in range(args.runs):
            progress(f"  uv, second workspace ({i + 1}/{args.runs})")
            second.append(sync(binary, copy, uv_env))
        rows.append(("uv, second workspace (warm)", second, "< 2 s"))
        pip_cold = []
        for i in range(args.cold_runs):
            shutil.rmtree(pip_cache, ignore_errors=True)
            progress(f"  pip, cold ({i + 1}/{args.cold_runs})")
            pip_cold.append(sync(binary, workspace, pip_env))
        rows.append(("pip, cold cache", pip_cold, ""))
        pip_warm = []
        for i in range(args.runs):
            progress(f"  pip, warm ({i + 1}/{args.runs})")
            pip_warm.append(sync(binary, workspace, pip_env))
        rows.append(("pip, warm cache", pip_warm, ""))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    print(f"\n{label}: {workspace}")
    for name, values, target in rows:
        met = ""
        if target:
            limit = float(target.split()[1])
            ok = statistics.median(values) <= limit if target.startswith("<=") else statistics.median(values) < limit
            met = f"   target {target}: {'met' if ok else 'MISSED'}"
        print(f"  {name:<30} {stats(values)}{met}")
    ratio = statistics.median(pip_cold) / statistics.median(cold)
    ratio_warm = statistics.median(pip_warm) / statistics.median(warm)
    print(f"  pip / uv: {ratio:.1f}x cold, {ratio_warm:.1f}x warm")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="runs of each warm case (default 3)")
    parser.add_argument("--cold-runs", type=int, default=2, help="runs of each cold case (default 2)")
    args = parser.parse_args()
    if min(args.runs, args.cold_runs) < 1:
        sys.exit("--runs and --cold-runs must be at least 1")
    binary = prowl_binary()
    env = dict(os.environ)
    if "PROWL_UV" not in env:
        uv = os.path.join(CACHE, "tools", "uv", "bin", "uv")
        if not os.access(uv, os.X_OK):
            sys.exit(f"uv not found at {uv}: run tests/setup.sh's ensure_uv, or set PROWL_UV")
        env["PROWL_UV"] = uv
    real = os.environ.get("PROWL_PANTHER_ANALYSIS") or os.environ.get("PROWL_BENCH_WORKSPACE")
    if real:
        measure(binary, "panther-analysis", os.path.abspath(real), args, env)
    else:
        progress("SKIPPED panther-analysis: set PROWL_PANTHER_ANALYSIS to a checkout of it")
    demo = tempfile.mkdtemp(prefix="prowl-bench-demo-")
    try:
        subprocess.run([binary, "demo", os.path.join(demo, "ws")], check=True, capture_output=True)
        measure(binary, "demo workspace", os.path.join(demo, "ws"), args, env)
    finally:
        shutil.rmtree(demo, ignore_errors=True)


if __name__ == "__main__":
    main()

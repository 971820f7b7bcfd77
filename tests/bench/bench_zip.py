#!/usr/bin/env python3
"""Benchmark: `prowl zip` against `pat zip` (panther_analysis_tool 1.6.3), side by side.

On a generated panther-analysis-sized workspace (generate_workspace.py) and, when
PROWL_PANTHER_ANALYSIS names a checkout of panther-analysis, on it too, in the same run:
  - with tests:    `prowl zip . --out D` vs `pat --skip-version-check zip --path . --out D`
                   (both run the unit tests first, then write the archive);
  - zip alone:     the same with `--skip-tests`.
Whole-process wall time, medians and spread of --runs (Prowl) and --pat-runs (PAT); each run's
archive is checked to hold the same entry names as PAT's. Timings are never asserted anywhere.

    python3 tests/bench/bench_zip.py [--runs N] [--pat-runs N] [--quick]
Environment: PROWL_BIN, PROWL_PAT, PROWL_PYTHON_ENV (as bench_test.py), PROWL_PANTHER_ANALYSIS,
PROWL_PAT_REAL (the `pat` of a venv with the checkout's own packages, panther-detection-helpers
and the like, which PAT's tests import; default PROWL_PAT).
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import CACHE, ensure_env, progress, prowl_binary, verdict  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def timed(cmd, cwd, env, out_dir):
    shutil.rmtree(out_dir, ignore_errors=True)
    start = time.perf_counter()
    run = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    took = time.perf_counter() - start
    if run.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({run.returncode}):\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}")
    archives = [f for f in os.listdir(out_dir) if f.endswith(".zip")]
    with zipfile.ZipFile(os.path.join(out_dir, archives[0])) as z:
        names = z.namelist()
    return took, names


def measure(label, ws, binary, pat, env, runs, pat_runs):
    out = tempfile.mkdtemp(prefix="prowl-bench-zip-out-")
    try:
        ensure_env(binary, ws, env, quiet=True)
        rows = []
        for mode, extra in (("with tests", []), ("zip alone (--skip-tests)", ["--skip-tests"])):
            progress(f"  {label}: {mode}")
            p_times, q_times = [], []
            p_names = q_names = None
            for _ in range(runs):
                t, p_names = timed([binary, "zip", ".", "--out", out, *extra], ws, env, out)
                p_times.append(t)
            for _ in range(pat_runs):
                t, q_names = timed([pat, "--skip-version-check", "zip", "--path", ".", "--out", out, *extra], ws, env, out)
                q_times.append(t)
            same = p_names == q_names
            rows.append((mode, p_times, q_times, len(p_names), same))
        print(f"\n{label}: {ws}")
        print(f"  {'':26} {'prowl median (min-max)':>26} {'PAT median (min-max)':>26} {'ratio':>7}  entries")
        for mode, p, q, n, same in rows:
            ratio = statistics.median(q) / statistics.median(p)
            span = lambda xs: f"{statistics.median(xs):7.3f} s ({min(xs):.3f}-{max(xs):.3f})"
            print(f"  {mode:26} {span(p):>26} {span(q):>26} {ratio:6.1f}x  {n} {'same as PAT' if same else 'DIFFERENT from PAT'}")
        with_tests = statistics.median(rows[0][2]) / statistics.median(rows[0][1])
        alone = statistics.median(rows[1][1])
        print(f"  target: with tests >= 50x PAT: {with_tests:.1f}x {verdict(with_tests >= 50)}; "
              f"zip alone < 0.5 s: {alone:.3f} s {verdict(alone < 0.5)}")
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pat-runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="a small generated workspace")
    parser.add_argument("--real-only", action="store_true", help="only PROWL_PANTHER_ANALYSIS")
    args = parser.parse_args()
    binary = prowl_binary()
    pat = os.environ.get("PROWL_PAT", os.path.join(CACHE, "pat-1.6.3", "bin", "pat"))
    print(f"machine: {os.cpu_count()} cores, load {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.setdefault("PROWL_PYTHON_ENV", os.path.join(CACHE, "test-env"))
    if not args.real_only:
        tmp = tempfile.mkdtemp(prefix="prowl-bench-zip-")
        try:
            ws = os.path.join(tmp, "generated")
            size = ["--detections", "100"] if args.quick else []
            subprocess.run([sys.executable, os.path.join(HERE, "generate_workspace.py"), ws, *size],
                           check=True, stdout=subprocess.DEVNULL)
            measure("generated (panther-analysis scale)", ws, binary, pat, env, args.runs, args.pat_runs)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    real = os.environ.get("PROWL_PANTHER_ANALYSIS")
    if real:
        real_env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        real_env.pop("PROWL_PYTHON_ENV", None)
        pat_real = os.environ.get("PROWL_PAT_REAL", pat)
        measure("PROWL_PANTHER_ANALYSIS", os.path.abspath(real), binary, pat_real, real_env, args.runs, args.pat_runs)
    else:
        print("\nPROWL_PANTHER_ANALYSIS is not set: panther-analysis not measured "
              "(clone it with the repository's `fetch`, then point the variable at it)")


if __name__ == "__main__":
    main()

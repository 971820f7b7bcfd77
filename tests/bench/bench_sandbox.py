#!/usr/bin/env python3
"""Benchmark: what the workers' sandbox costs, side by side with it off, in one run.

  - worker start: from starting `prowl worker` (as the pool starts it, with the workspace's
    environment and, when sandboxed, the sandbox's paths) to its first answer (`ping`); the
    median of --starts starts each way;
  - full suite: `prowl test .` on a generated panther-analysis-sized workspace
    (generate_workspace.py), whole process, with PROWL_SANDBOX=off (and PROWL_TRUST=1, without
    which it is ignored) and with the sandbox (the
    default), alternating, --runs each; and on a real checkout (PROWL_BENCH_WORKSPACE or
    PROWL_PANTHER_ANALYSIS) when one is named.
Targets (the untrusted-content issue): the suite at most 10% slower, a worker's start under 50 ms
more. Timings are never asserted anywhere.

    python3 tests/bench/bench_sandbox.py [--runs N] [--starts N]
Environment: PROWL_BIN (prowl; default: builds the release one), PROWL_PYTHON_ENV (the generated
workspace's environment; default ~/.cache/prowl/test-env).
"""
import argparse
import json
import os
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import CACHE, HERE, ensure_env, progress, prowl_binary  # noqa: E402


def first_answer(binary, args, env):
    """Seconds from starting a worker to its answer to `ping`."""
    started = time.perf_counter()
    p = subprocess.Popen([binary, "worker", *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    frame = json.dumps({"op": "ping"}).encode()
    p.stdin.write(struct.pack(">I", len(frame)) + frame)
    p.stdin.flush()
    size = struct.unpack(">I", p.stdout.read(4))[0]
    p.stdout.read(size)
    elapsed = time.perf_counter() - started
    p.stdin.close()
    p.wait()
    return elapsed


def suite(binary, workspace, env):
    started = time.perf_counter()
    out = subprocess.run([binary, "test", "."], cwd=workspace, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - started
    if "Test Summary" not in out.stdout:
        sys.exit(f"prowl test failed in {workspace}:\n{out.stderr[-2000:]}")
    return elapsed


def stats(values, unit="s", scale=1.0):
    v = [x * scale for x in values]
    return f"median {statistics.median(v):8.1f} {unit} (min {min(v):.1f}, max {max(v):.1f}, {len(v)} runs)"


def compare_suite(binary, label, workspace, env, runs):
    progress(f"{label}: {workspace}")
    ensure_env(binary, workspace, env, quiet=True)
    off, on = [], []
    suite(binary, workspace, env)  # warm the bytecode cache and the timings
    for i in range(runs):
        progress(f"  run {i + 1}/{runs}")
        # PROWL_SANDBOX=off is honoured only for a trusted workspace.
        off.append(suite(binary, workspace, {**env, "PROWL_SANDBOX": "off", "PROWL_TRUST": "1"}))
        on.append(suite(binary, workspace, env))
    ratio = statistics.median(on) / statistics.median(off)
    print(f"\n{label}: full suite")
    print(f"  sandbox off   {stats(off, 'ms', 1000)}")
    print(f"  sandbox on    {stats(on, 'ms', 1000)}")
    print(f"  cost          {100 * (ratio - 1):+.1f}%   target <= +10%: {'met' if ratio <= 1.10 else 'MISSED'}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--starts", type=int, default=20)
    args = parser.parse_args()
    binary = prowl_binary()
    env = dict(os.environ)
    env.setdefault("PROWL_PYTHON_ENV", os.path.join(CACHE, "test-env"))
    env.pop("PROWL_SANDBOX", None)
    env.pop("PROWL_TRUST", None)

    scratch = tempfile.mkdtemp(prefix="prowl-bench-sandbox-")
    try:
        ws = os.path.join(scratch, "generated")
        progress("generating a panther-analysis-sized workspace")
        subprocess.run([sys.executable, os.path.join(HERE, "generate_workspace.py"), ws], check=True, stdout=subprocess.DEVNULL)
        ensure_env(binary, ws, env, quiet=True)
        generation = os.path.realpath(env["PROWL_PYTHON_ENV"])
        site = os.path.join(generation, "lib", "python3.11", "site-packages")
        pycache = os.path.join(scratch, "pycache")
        os.makedirs(pycache)
        plain = ["--site-packages", site]
        boxed = plain + ["--sandbox-ro", ws, "--sandbox-ro", generation, "--sandbox-rw", pycache]
        progress(f"worker start, {args.starts} times each way")
        off, on = [], []
        for _ in range(args.starts):
            off.append(first_answer(binary, plain, env))
            on.append(first_answer(binary, boxed, env))
        print("\nworker start (spawn to first answer)")
        print(f"  sandbox off   {stats(off, 'ms', 1000)}")
        print(f"  sandbox on    {stats(on, 'ms', 1000)}")
        extra = (statistics.median(on) - statistics.median(off)) * 1000
        print(f"  extra         {extra:+.1f} ms   target < 50 ms: {'met' if extra < 50 else 'MISSED'}")
        compare_suite(binary, "generated workspace", ws, env, args.runs)
        real = os.environ.get("PROWL_BENCH_WORKSPACE") or os.environ.get("PROWL_PANTHER_ANALYSIS")
        if real:
            real_env = {k: v for k, v in env.items() if k != "PROWL_PYTHON_ENV"}
            compare_suite(binary, "panther-analysis", os.path.abspath(real), real_env, args.runs)
        else:
            progress("SKIPPED panther-analysis: set PROWL_BENCH_WORKSPACE to a checkout of it")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()

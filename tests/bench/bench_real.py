#!/usr/bin/env python3
"""Benchmark on real content: panther-analysis at pinned releases, Prowl and PAT side by side.

The generated workspace hides what real content costs (policyuniverse's slow policies, real
helpers and data models), so this one runs on panther-analysis itself, at fixed releases (forks
sit on releases months old), in one run:
  - validation:     `prowl validate` vs PAT's `load_analysis` (bench_validate.py);
  - full suite:     `prowl test .` vs `pat test --path .`, with exit codes and Test Summary
                    compared (bench_test.py);
  - one detection:  the same with `--filter`, a new process each time;
  - watch mode:     edit -> verdict for one detection in `prowl test --watch`;
medians and spread of each, and peak memory.

The checkout comes from PROWL_PANTHER_ANALYSIS (a clone with its tags, as the differential tests
use; `fetch` brings one). Each release is exported with `git archive` into a temporary folder,
so the checkout is never touched. PAT runs in a venv of its own per release, made with uv from
that release's Pipfile (its own PAT pin and packages: panther-detection-helpers, policyuniverse,
…), so PAT is what a fork on that release runs; Prowl uses its own managed environment of the same release.
Without PROWL_PANTHER_ANALYSIS the benchmark says so and exits 0. Timings are never asserted.

    python3 tests/bench/bench_real.py [--ref REF ...] [--runs N] [--pat-runs N] [--watch-runs N]
Environment: PROWL_PANTHER_ANALYSIS, PROWL_BIN, PROWL_UV (uv; default the one tests/setup.sh
installs), PROWL_CACHE.
"""
import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_test  # noqa: E402
import bench_validate  # noqa: E402
from benchlib import CACHE, progress, prowl_binary, verdict  # noqa: E402

# The releases measured by default, with the commits their tags named when this was written (a
# moved tag is reported, not followed silently).
PINNED = {
    "v3.99.0": "4d646db96b95945c97f6150478adc0e211554256",
    "v3.97.0": "3c74d528c08bc5a90f8a012ba2e987ecb0ce4670",
}
DEFAULT_REFS = ["v3.99.0"]
TARGET_VALIDATE_MS = 100.0
PAT_VERSION = "1.6.3"


def git(checkout, *args, **kw):
    return subprocess.run(["git", "-C", checkout, *args], check=True, capture_output=True, **kw)


def export(checkout, ref, dest):
    """The release's tree in `dest` (no .git: nothing of the checkout is touched)."""
    commit = git(checkout, "rev-parse", f"{ref}^{{commit}}", text=True).stdout.strip()
    if ref in PINNED and PINNED[ref] != commit:
        print(f"WARNING: {ref} is {commit} in this checkout, not {PINNED[ref]} as pinned")
    os.makedirs(dest)
    archive = subprocess.Popen(["git", "-C", checkout, "archive", "--format=tar", commit], stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", dest], stdin=archive.stdout, check=True)
    if archive.wait() != 0:
        sys.exit(f"git archive {ref} failed")
    return commit


def pipfile_packages(tree):
    """The [packages] of the release's Pipfile as pip requirements, PAT's own pin included (each
    release pins its PAT: v3.69.0 ~=0.54.0, v3.81.0 ~=1.0.1, v3.99.0 ~=1.4.0); PAT 1.6.3 when
    the Pipfile names none."""
    path = os.path.join(tree, "Pipfile")
    if not os.path.exists(path):
        return []
    out, section = [], None
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if line.startswith("["):
            section = line
            continue
        m = re.match(r'^"?([A-Za-z0-9_.\-\[\]]+)"?\s*=\s*"([^"]*)"', line)
        if section == "[packages]" and m:
            name, spec = m.group(1), m.group(2)
            out.append(name if spec == "*" else f"{name}{spec}")
    return out


def pat_venv(tree):
    """A venv with PAT and the release's packages (made once per Pipfile, with uv)."""
    packages = pipfile_packages(tree)
    if not any(p.lower().startswith(("panther-analysis-tool", "panther_analysis_tool")) for p in packages):
        packages.append(f"panther-analysis-tool=={PAT_VERSION}")
    key = hashlib.sha256("\n".join(packages).encode()).hexdigest()[:12]
    venv = os.path.join(CACHE, f"bench-pat-{key}")
    pat = os.path.join(venv, "bin", "pat")
    if os.path.exists(os.path.join(venv, ".prowl-ok")):
        return pat
    uv = os.environ.get("PROWL_UV", os.path.join(CACHE, "tools", "uv", "bin", "uv"))
    if not os.access(uv, os.X_OK):
        sys.exit(f"uv not found at {uv}; run tests/run-all.sh once or set PROWL_UV")
    progress(f"  PAT and the release's packages ({', '.join(packages)}) into {venv}")
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([uv, "venv", "-q", "-p", sys.executable, venv], check=True)
    subprocess.run([uv, "pip", "install", "-q", "-p", os.path.join(venv, "bin", "python"), *packages], check=True)
    open(os.path.join(venv, ".prowl-ok"), "w").close()
    return pat


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ref", action="append", help=f"a release tag or commit (repeatable; default {', '.join(DEFAULT_REFS)})")
    parser.add_argument("--runs", type=int, default=5, help="runs of each prowl command (default 5)")
    parser.add_argument("--pat-runs", type=int, default=2, help="runs of each PAT command (default 2)")
    parser.add_argument("--watch-runs", type=int, default=10, help="edits timed in watch mode (default 10)")
    parser.add_argument("--detection", metavar="ID", help="detection for the single-detection runs")
    args = parser.parse_args()
    checkout = os.environ.get("PROWL_PANTHER_ANALYSIS")
    if not checkout or not os.path.isdir(os.path.join(checkout, ".git")) and not os.path.exists(os.path.join(checkout, "HEAD")):
        print("skipped: set PROWL_PANTHER_ANALYSIS to a clone of panther-analysis with its tags "
              "(the search tool's `fetch github:panther-labs/panther-analysis`, then `git clone` it) "
              "to measure Prowl and PAT on real content")
        return 0
    binary = prowl_binary()
    cpus, usable, physical = bench_test.core_counts()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine: {cpus} cores ({usable} usable, {physical or '?'} physical), load {load}")
    print(f"prowl: {binary}")
    args.no_pat = False
    for ref in args.ref or DEFAULT_REFS:
        tmp = tempfile.mkdtemp(prefix="prowl-bench-real-")
        try:
            tree = os.path.join(tmp, "panther-analysis")
            commit = export(checkout, ref, tree)
            pat = pat_venv(tree)
            python = os.path.join(os.path.dirname(pat), "python")
            label = f"panther-analysis {ref} ({commit[:12]})"
            version = subprocess.run([python, "-c", "import importlib.metadata as m; print(m.version('panther-analysis-tool'))"],
                                     capture_output=True, text=True).stdout.strip()
            print(f"\n===== {label}; PAT {version} and the packages the release's Pipfile pins =====")
            try:
                p_med, _ = bench_validate.report(f"{label}, validation", tree, binary, python, args.runs * 2, args.pat_runs)
                print(f"  target         : <= {TARGET_VALIDATE_MS:.0f} ms: {verdict(p_med * 1000 <= TARGET_VALIDATE_MS)}")
            except SystemExit as stop:
                # Older PATs load specs through another function: the suite is still compared.
                last = str(stop).strip().splitlines()[-1] if str(stop).strip() else "failed"
                print(f"\n{label}, validation: PAT {version}'s loader could not be timed ({last}); Prowl's alone:")
                times, summary = bench_validate.time_prowl(binary, tree, args.runs * 2)
                print(f"  prowl validate : {bench_test.spread(times)}  valid {summary['valid']}, errors {summary['errors']}")
            env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
            env.pop("PROWL_PYTHON_ENV", None)
            bench_test.report(label, tree, binary, pat, env, args)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Benchmark: `prowl test` against `pat test` (panther_analysis_tool 1.6.3), side by side.

Generates a panther-analysis-sized workspace (generate_workspace.py), then measures, on the same
tree and in the same run:
  - full suite:     `prowl test .` vs `pat --skip-version-check test --path .`, wall time of the
                    whole process (median of --runs / --pat-runs), with a check that both exit
                    codes and both "Test Summary" blocks agree;
  - one detection:  the same with `--filter RuleID=<id>`, a new process each time (cold);
  - watch mode:     `prowl test . --watch --filter RuleID=<id>` started once; the detection's .py
                    file is rewritten --watch-runs times (a new trailing comment each time, the
                    original restored byte for byte at the end) and the time Prowl reports on its
                    `watch: ran N detection(s) in X ms` stderr line is recorded with the wall time
                    from the write to that line;
  - peak memory:    the largest sum of VmRSS over a process and all its descendants (for Prowl the
                    `prowl test` process and its `prowl worker` children), sampled in /proc every
                    20 ms. PAT is one single-threaded process, so its timed runs are sampled (the
                    sampler uses another core); Prowl's workers use every core, so Prowl's memory
                    is taken in one extra, untimed run. Pages that processes share count once
                    for each of them, so the sum is an upper bound.
The single detection is the first enabled Python rule with tests (by ID), or --detection ID in
each workspace that has it.
If PROWL_BENCH_WORKSPACE names a real checkout (e.g. panther-analysis), it is measured too (the
watch run edits one of its files and puts it back). Prints a table with medians, the ratios
(PAT / prowl) and the targets of the issue. Timings are never asserted anywhere.

    python3 tests/bench/bench_test.py [--quick] [--no-pat] [--runs N] [--pat-runs N]
                                      [--watch-runs N] [--detection ID] [--keep]
Environment: PROWL_BIN (prowl binary; default: builds the release one), PROWL_PAT (PAT's `pat`;
default ~/.cache/prowl/pat-1.6.3/bin/pat, made by `ensure_pat` in tests/setup.sh; a workspace
whose detections import packages that venv lacks, such as panther_detection_helpers, is better
compared with the `pat` of the workspace's own environment), PROWL_PYTHON_ENV (the Python
environment of `prowl test`; for the generated workspace it defaults to ~/.cache/prowl/test-env,
so that every temporary folder shares one environment), PROWL_BENCH_WORKSPACE.
"""
import argparse
import json
import os
import queue
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import (  # noqa: E402  (the folder is put on the path first)
    CACHE, REPO, descendants, ensure_env, first_python_rule, process_table, progress, prowl_binary,
    verdict, workspace_items,
)

HERE = os.path.dirname(os.path.abspath(__file__))

# Targets from the issue: full suite at least 20x faster than PAT, one detection re-run in watch
# mode under 100 ms, all of Prowl's processes together under 300 MB.
TARGET_RATIO = 20.0
TARGET_WATCH_MS = 30.0
TARGET_FULL_S = 1.0
TARGET_MEMORY_MB = 300.0

# The generated workspace: panther-analysis scale by default, a small one for --quick.
FULL_SIZE = []  # generate_workspace.py's defaults
QUICK_SIZE = ["--detections", "100", "--scheduled", "10", "--globals", "10", "--data-models", "10"]

DETECTION_TYPES = ("rule", "scheduled_rule", "policy", "correlation_rule")
SUMMARY_KEYS = ("Passed", "Skipped", "Failed", "Invalid")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
WATCH_LINE = re.compile(r"watch: ran (\d+) detection(?:s|\(s\))? in (\d+(?:\.\d+)?) ms")
SAMPLE_INTERVAL = 0.02


def pat_binary():
    pat = os.environ.get("PROWL_PAT", os.path.join(CACHE, "pat-1.6.3", "bin", "pat"))
    if not os.access(pat, os.X_OK):
        sys.exit(
            f"PAT not found at {pat}. Install it with `bash -c '. tests/setup.sh && ensure_pat'` "
            "(or `bash tests/run-all.sh` once), set PROWL_PAT, or pass --no-pat for Prowl's figures only."
        )
    return pat


def core_counts():
    """(logical CPUs, CPUs this process may use, physical cores or None)."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    physical = set()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            package = None
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == "physical id":
                    package = value.strip()
                elif key.strip() == "core id":
                    physical.add((package, value.strip()))
    except OSError:
        pass
    return os.cpu_count(), usable, len(physical) or None


# --- process trees and their memory ---------------------------------------------------------


def tree_rss(root):
    """(sum of VmRSS in kB, number of processes) over `root` and all its descendants."""
    total, count = 0, 0
    for pid in [root, *descendants(root, process_table())]:
        try:
            with open(f"/proc/{pid}/status", "rb") as f:
                for line in f:
                    if line.startswith(b"VmRSS:"):
                        total += int(line.split()[1])
                        break
            count += 1
        except OSError:
            pass  # gone meanwhile
    return total, count


class Run:
    """One finished process: wall seconds, exit code, output, peak memory if it was sampled."""

    def __init__(self, seconds, code, stdout, stderr, peak_kb=None, peak_procs=None):
        self.seconds, self.code, self.stdout, self.stderr = seconds, code, stdout, stderr
        self.peak_kb, self.peak_procs = peak_kb, peak_procs

    def summary(self):
        return parse_summary(self.stdout)


def run(cmd, cwd, env, sample=False):
    """Runs cmd to its end (output into temporary files, so no pipe can fill up and stall it).
    With sample, a thread sums the process tree's VmRSS every 20 ms meanwhile."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        peak = [0, 0]
        stop = threading.Event()

        def sampler():
            while not stop.is_set():
                kb, procs = tree_rss(proc.pid)
                peak[0], peak[1] = max(peak[0], kb), max(peak[1], procs)
                stop.wait(SAMPLE_INTERVAL)

        thread = threading.Thread(target=sampler, daemon=True) if sample else None
        if thread:
            thread.start()
        code = proc.wait()
        seconds = time.perf_counter() - start
        if thread:
            stop.set()
            thread.join()
        out.seek(0)
        err.seek(0)
        return Run(
            seconds,
            code,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
            peak[0] if sample else None,
            peak[1] if sample else None,
        )


def parse_summary(text):
    """The counts of the last "Test Summary" block, as a tuple (Passed, Skipped, Failed, Invalid)."""
    text = ANSI.sub("", text)
    at = text.rfind("Test Summary")
    if at < 0:
        return None
    counts = []
    for key in SUMMARY_KEYS:
        found = re.search(rf"^\s*{key}: (\d+)", text[at:], re.M)
        counts.append(int(found.group(1)) if found else None)
    return tuple(counts)


def show_summary(summary):
    return "/".join("?" if n is None else str(n) for n in summary) if summary else "none"


def repeat(cmd, cwd, env, runs, label, sample=False):
    results = []
    for i in range(runs):
        progress(f"  {label} ({i + 1}/{runs})")
        results.append(run(cmd, cwd, env, sample))
    return results


# --- the workspace --------------------------------------------------------------------------


def pick_detection(items, wanted):
    """(ID, filter key, .py path, note): --detection if the workspace has it, or else the first
    enabled Python rule with tests (by ID)."""
    note = ""
    if wanted:
        for item in items:
            if item["id"] == wanted and item["analysis_type"] in DETECTION_TYPES and item.get("code_path"):
                key = "PolicyID" if item["analysis_type"] == "policy" else "RuleID"
                return wanted, key, item["code_path"], note
        note = f" (--detection {wanted}: no Python detection with that ID here)"
    rule = first_python_rule(items)
    return rule["id"], "RuleID", rule["code_path"], note


# --- watch mode -----------------------------------------------------------------------------


def bench_watch(binary, workspace, env, key, detection, code_path, iterations):
    """Starts `prowl test --watch` once and times `iterations` edits of the detection's .py file.
    Returns (list of (reported ms, wall ms), number of extra runs) or a string saying why not."""
    cmd = [binary, "test", ".", "--watch", "--filter", f"{key}={detection}"]
    proc = subprocess.Popen(
        cmd, cwd=workspace, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    lines = queue.Queue()  # (arrival time, stderr line)
    first_stderr = []

    def read_stderr():
        for raw in proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            if len(first_stderr) < 5:
                first_stderr.append(line)
            lines.put((time.perf_counter(), line))
        lines.put((time.perf_counter(), None))  # end of stream: the process has ended

    def drain_stdout():
        for _ in proc.stdout:
            pass

    threading.Thread(target=read_stderr, daemon=True).start()
    threading.Thread(target=drain_stdout, daemon=True).start()

    def next_run(timeout):
        """(arrival time, reported ms) of the next `watch: ran` line, or None at timeout or exit."""
        deadline = time.perf_counter() + timeout
        while True:
            try:
                at, line = lines.get(timeout=max(0.0, deadline - time.perf_counter()))
            except queue.Empty:
                return None
            if line is None:
                return None
            found = WATCH_LINE.search(line)
            if found:
                return at, float(found.group(2))

    def extra_runs():
        """Counts `watch: ran` lines already waiting (an edit seen as two changes, say)."""
        n = 0
        while True:
            try:
                _, line = lines.get_nowait()
            except queue.Empty:
                return n
            if line is not None and WATCH_LINE.search(line):
                n += 1

    samples, extra = [], 0
    try:
        if next_run(120) is None:  # the first run, on start
            if proc.poll() is not None:
                reason = next((l for l in first_stderr if l.strip()), f"exit code {proc.returncode}")
                return f"not available ({reason.strip()})"
            return "not available (no `watch: ran` line within 120 s of the start)"
        with open(code_path, "rb") as f:
            original = f.read()
        base = original if original.endswith(b"\n") or not original else original + b"\n"
        try:
            for i in range(iterations):
                extra += extra_runs()
                content = base + f"# prowl bench edit {i}\n".encode()
                start = time.perf_counter()
                with open(code_path, "wb") as f:
                    f.write(content)
                seen = next_run(30)
                if seen is None:
                    return f"no `watch: ran` line within 30 s of edit {i + 1}" + (
                        f" (prowl exited with {proc.returncode})" if proc.poll() is not None else ""
                    )
                samples.append((seen[1], (seen[0] - start) * 1000))
                time.sleep(0.3)  # lets a second run for the same edit show up (counted as extra)
            extra += extra_runs()
        finally:
            with open(code_path, "wb") as f:
                f.write(original)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc.stdin:
            proc.stdin.close()
    return samples, extra


# --- the report -----------------------------------------------------------------------------


def ms(seconds):
    return f"{seconds * 1000:.1f} ms"


def spread(times):
    runs = f"{len(times)} run" + ("s" if len(times) != 1 else "")
    return f"median {ms(statistics.median(times))} (min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f}, {runs})"


def row(label, prowl, pat="-", ratio="-", target=""):
    print(f"  {label:<34} {prowl:>10} {pat:>12} {ratio:>9}   {target}")


def compare(label, prowl_runs, pat_runs, warnings):
    """Exit codes and Test Summary counts of both tools; a warning when they differ."""
    p_codes = sorted({r.code for r in prowl_runs})
    t_codes = sorted({r.code for r in pat_runs})
    p_sums = {r.summary() for r in prowl_runs}
    t_sums = {r.summary() for r in pat_runs}
    same_code = p_codes == t_codes
    same_sum = p_sums == t_sums and None not in p_sums
    row(f"{label}: exit code", ",".join(map(str, p_codes)), ",".join(map(str, t_codes)), "agree" if same_code else "DIFFER")
    row(
        f"{label}: P/S/F/I",
        ",".join(show_summary(s) for s in p_sums),
        ",".join(show_summary(s) for s in t_sums),
        "agree" if same_sum else "DIFFER",
    )
    if not same_code:
        warnings.append(f"{label}: exit codes differ: prowl {p_codes}, PAT {t_codes}")
    if not same_sum:
        warnings.append(
            f"{label}: Test Summary (Passed/Skipped/Failed/Invalid) differs: "
            f"prowl {', '.join(show_summary(s) for s in p_sums)}, PAT {', '.join(show_summary(s) for s in t_sums)}"
        )
        # The first errors of each tool usually say why (a package PAT's venv lacks, say).
        for name, runs in (("prowl", prowl_runs), ("PAT", pat_runs)):
            errors = [l for l in ANSI.sub("", runs[-1].stderr).splitlines() if l.lstrip().startswith("ERROR")]
            for line in errors[:3]:
                warnings.append(f"  {name}: {line.strip()[:160]}")
            if len(errors) > 3:
                warnings.append(f"  {name}: ... {len(errors) - 3} more ERROR lines")


def report(name, workspace, binary, pat, prowl_env, args):
    pat_env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    progress(f"{name}: {workspace}")
    ensure_env(binary, workspace, prowl_env)
    items = workspace_items(binary, workspace, prowl_env)
    detections = [i for i in items if i["analysis_type"] in DETECTION_TYPES]
    tests = sum(len(i["tests"]) for i in detections)
    detection, key, code_path, note = pick_detection(items, args.detection)

    # 1. The full suite, then 4. memory (Prowl: one extra run; PAT: its timed runs).
    full_cmd = [binary, "test", "."]
    pat_full_cmd = [pat, "--skip-version-check", "test", "--path", "."]
    p_full = repeat(full_cmd, workspace, prowl_env, args.runs, "prowl test, full suite")
    p_mem = repeat(full_cmd, workspace, prowl_env, 1, "prowl test, full suite, memory", sample=True)[0]
    t_full = repeat(pat_full_cmd, workspace, pat_env, args.pat_runs, "pat test, full suite", sample=True) if pat else []

    # 2. One detection, a new process each time.
    one = ["--filter", f"{key}={detection}"]
    p_one = repeat(full_cmd + one, workspace, prowl_env, args.runs, f"prowl test, {detection}")
    t_one = repeat(pat_full_cmd + one, workspace, pat_env, args.pat_runs, f"pat test, {detection}") if pat else []

    # 3. Watch mode.
    progress(f"  prowl test --watch, {args.watch_runs} edits of {os.path.relpath(code_path, workspace)}")
    watch = bench_watch(binary, workspace, prowl_env, key, detection, code_path, args.watch_runs)

    # The table.
    cpus, usable, physical = core_counts()
    print(f"\n{name}: {workspace}")
    print(f"  {len(detections)} detections, {tests} tests (prowl list); single runs on {detection}{note}")
    print(
        f"  workers: {cpus} (os.cpu_count(), Prowl's default of one per core; {p_mem.peak_procs - 1} worker "
        f"processes seen); cores: {cpus} logical, {usable} usable, {physical or '?'} physical"
    )
    print()
    row("", "prowl", "PAT" if pat else "", "ratio" if pat else "", "target")
    p_full_med = statistics.median(r.seconds for r in p_full)
    p_one_med = statistics.median(r.seconds for r in p_one)
    if pat:
        t_full_med = statistics.median(r.seconds for r in t_full)
        t_one_med = statistics.median(r.seconds for r in t_one)
        ratio = t_full_med / p_full_med
        target = (f">= {TARGET_RATIO:.0f}x: {verdict(ratio >= TARGET_RATIO)}, "
                  f"< {TARGET_FULL_S:.0f} s: {verdict(p_full_med < TARGET_FULL_S)}")
        row("full suite (wall)", ms(p_full_med), ms(t_full_med), f"{ratio:.1f}x", target)
        row("one detection, cold (wall)", ms(p_one_med), ms(t_one_med), f"{t_one_med / p_one_med:.1f}x")
    else:
        row("full suite (wall)", ms(p_full_med), target=f">= {TARGET_RATIO:.0f}x: n/a without PAT")
        row("one detection, cold (wall)", ms(p_one_med))
    if isinstance(watch, str):
        row("one detection, watch", "-", target=f"< {TARGET_WATCH_MS:.0f} ms: n/a")
    else:
        samples, extra = watch
        # Prowl's own figure (the run) and the wall time from the write to the line (what a user sees).
        for label, values in (("watch (prowl's)", [s[0] for s in samples]), ("watch (edit->line)", [s[1] for s in samples])):
            med = statistics.median(values)
            ratio = f"{t_one_med * 1000 / med:.1f}x" if pat else "-"
            target = f"< {TARGET_WATCH_MS:.0f} ms: {verdict(med < TARGET_WATCH_MS)}"
            row(f"one detection, {label}", f"{med:.1f} ms", "-", ratio, target)
    p_mb = p_mem.peak_kb / 1024
    target = f"< {TARGET_MEMORY_MB:.0f} MB: {verdict(p_mb < TARGET_MEMORY_MB)}"
    if pat:
        t_mb = max(r.peak_kb for r in t_full) / 1024
        row("peak memory, process tree", f"{p_mb:.1f} MB", f"{t_mb:.1f} MB", f"{t_mb / p_mb:.1f}x", target)
    else:
        row("peak memory, process tree", f"{p_mb:.1f} MB", target=target)
    warnings = []
    if pat:
        compare("full suite", p_full + [p_mem], t_full, warnings)
        compare("one detection", p_one, t_one, warnings)

    # The details: spreads, the watch runs, warnings.
    print()
    print(f"  full suite     prowl {spread([r.seconds for r in p_full])}")
    if pat:
        print(f"                 PAT   {spread([r.seconds for r in t_full])}")
    print(f"  one detection  prowl {spread([r.seconds for r in p_one])}")
    if pat:
        print(f"                 PAT   {spread([r.seconds for r in t_one])}")
    if isinstance(watch, str):
        print(f"  watch mode: {watch}")
    else:
        samples, extra = watch
        own, wall = [s[0] for s in samples], [s[1] for s in samples]
        print(
            f"  watch mode     {len(samples)} edits; prowl's figure min {min(own):.1f}, max {max(own):.1f} ms; "
            f"edit to line min {min(wall):.1f}, max {max(wall):.1f} ms"
            + (f"; {extra} extra runs (an edit seen twice)" if extra else "")
        )
    print("  ratios are PAT / prowl (watch rows: PAT's cold one-detection run / Prowl's warm re-run);")
    print("  memory is the peak sum of VmRSS over the process and its descendants, sampled every 20 ms")
    for warning in warnings:
        print(f"  WARNING: {warning}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="runs of each prowl command (default 3)")
    parser.add_argument("--pat-runs", type=int, default=1, help="runs of each PAT command (default 1)")
    parser.add_argument("--watch-runs", type=int, default=10, help="edits timed in watch mode (default 10)")
    parser.add_argument("--detection", metavar="ID", help="detection for the single-detection runs")
    parser.add_argument("--quick", action="store_true", help="a small generated workspace, for a smoke run")
    parser.add_argument("--no-pat", action="store_true", help="skip PAT; Prowl's figures only")
    parser.add_argument("--keep", action="store_true", help="keep the generated workspace (its path is printed)")
    args = parser.parse_args()
    if min(args.runs, args.pat_runs, args.watch_runs) < 1:
        sys.exit("--runs, --pat-runs and --watch-runs must be at least 1")
    pat = None if args.no_pat else pat_binary()
    binary = prowl_binary()
    if not os.access(binary, os.X_OK):
        sys.exit(f"prowl binary not found at {binary}")
    cpus, usable, physical = core_counts()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())  # other work on the machine skews timings
    print(f"machine: {cpus} cores ({usable} usable, {physical or '?'} physical), load {load}")
    print(f"prowl: {binary}; PAT: {pat or 'skipped (--no-pat)'}")

    # The generated workspace shares one Python environment across temporary folders.
    generated_env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    generated_env.setdefault("PROWL_PYTHON_ENV", os.path.join(CACHE, "test-env"))
    tmp = tempfile.mkdtemp(prefix="prowl-bench-test-")
    try:
        ws = os.path.join(tmp, "generated")
        size = QUICK_SIZE if args.quick else FULL_SIZE
        subprocess.run([sys.executable, os.path.join(HERE, "generate_workspace.py"), ws, *size], check=True, stdout=subprocess.DEVNULL)
        label = "generated (quick)" if args.quick else "generated (panther-analysis scale)"
        report(label, ws, binary, pat, generated_env, args)
    finally:
        if args.keep:
            print(f"\nkept the generated workspace: {ws}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    # A real checkout keeps its own environment: PROWL_PYTHON_ENV is left as the caller set it.
    real = os.environ.get("PROWL_BENCH_WORKSPACE")
    if real:
        real_env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        report("PROWL_BENCH_WORKSPACE", os.path.abspath(real), binary, pat, real_env, args)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Benchmark of the upstream merge on a realistic fork of panther-analysis, against `git merge`.

The scenario: panther-analysis at an older release (the base, v3.97.0 by default) is the fork's
starting point; the fork then makes 43 customisations of the kinds detection teams make (tuned
severities and thresholds, tests added, allow-lists in rule code, inline filters, disabled
rules, tags, moved and deleted files, new custom rules); upstream is a later commit (HEAD as
pinned below: 743 files changed since v3.97.0). In one run, side by side:
  - `git merge --no-commit` of the target: time and conflicted files;
  - `prowl upstream status` (classification of every item and the merge plan): time, classes,
    items that need the user, conflicting keys;
  - `prowl upstream merge --no-check` (plan and write) and `prowl upstream merge` (the same,
    then validation and the unit tests of every item the merge touched): the checks' time is
    the difference.
Medians and spread over --runs. Targets (issue 14): classify and plan in under 1 s; the merged
result's affected tests in under 2 s more. Timings are never asserted.

The checkout comes from PROWL_BENCH_UPSTREAM (or PROWL_PANTHER_ANALYSIS): a clone of
panther-analysis with its tags (`fetch` brings one). It is cloned (never touched) into
$PROWL_CACHE/bench-upstream/. Without it the benchmark says so and exits 0.

    python3 tests/bench/bench_upstream.py [--base REF] [--target REF] [--runs N]
Environment: PROWL_BENCH_UPSTREAM / PROWL_PANTHER_ANALYSIS, PROWL_BIN, PROWL_CACHE.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import CACHE, ensure_env, progress, prowl_binary, verdict  # noqa: E402

PINNED = {
    "v3.97.0": "3c74d528c08bc5a90f8a012ba2e987ecb0ce4670",
    "daa10c888566839e9918dfba1cd652743781e5fe": "daa10c888566839e9918dfba1cd652743781e5fe",
}
DEFAULT_BASE = "v3.97.0"
DEFAULT_TARGET = "daa10c888566839e9918dfba1cd652743781e5fe"
TARGET_PLAN_S = 1.0
TARGET_CHECK_S = 2.0

GIT_ENV = {
    **os.environ,
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
}


def git(cwd, *args, check=True):
    return subprocess.run(["git", *args], cwd=cwd, env=GIT_ENV, check=check, capture_output=True, text=True)


def rules_of(fork):
    """Python rules with tests and a Severity line, by path (deterministic)."""
    out = []
    for root, dirs, files in os.walk(os.path.join(fork, "rules")):
        dirs.sort()
        for f in sorted(files):
            if not f.endswith(".yml"):
                continue
            path = os.path.join(root, f)
            text = open(path, encoding="utf-8").read()
            if re.search(r"^AnalysisType: rule$", text, re.M) and re.search(r"^Filename: \S+\.py$", text, re.M) \
                    and re.search(r"^Severity: \w+", text, re.M) and re.search(r"^Tests:\s*$", text, re.M) \
                    and re.search(r"^Enabled: true", text, re.M):
                py = os.path.join(root, re.search(r"^Filename: (\S+)$", text, re.M).group(1))
                if os.path.exists(py) and re.search(r"^def rule\(event\):$", open(py).read(), re.M):
                    out.append((path, py))
    return out


def tests_block_end(lines, start):
    """Index after the last line of the Tests: list starting at `start`."""
    i = start + 1
    while i < len(lines) and (not lines[i].strip() or lines[i][0] in " -#"):
        i += 1
    while i > start + 1 and not lines[i - 1].strip():
        i -= 1
    return i


def customise(fork):
    """The fork's 43 customisations; returns their kinds with counts."""
    rules = rules_of(fork)
    step = max(1, len(rules) // 60)
    picks = rules[::step]
    kinds = {}

    def did(kind):
        kinds[kind] = kinds.get(kind, 0) + 1

    def edit(path, fn):
        text = open(path, encoding="utf-8").read()
        new = fn(text)
        if new != text:
            open(path, "w", encoding="utf-8").write(new)
            return True
        return False

    lower = {"Critical": "High", "High": "Medium", "Medium": "Low", "Low": "Info", "Info": "Info"}
    queue = list(picks)

    def take(n):
        nonlocal queue
        got, queue = queue[:n], queue[n:]
        return got

    for spec, _ in take(8):
        if edit(spec, lambda t: re.sub(r"^Severity: (\w+).*$", lambda m: f"Severity: {lower.get(m.group(1), 'Low')} # Acme: tuned after triage", t, count=1, flags=re.M)):
            did("severity tuned")
    for spec, _ in take(5):
        def threshold(t):
            if re.search(r"^Threshold: \d+", t, re.M):
                return re.sub(r"^Threshold: (\d+).*$", lambda m: f"Threshold: {int(m.group(1)) * 4} # Acme: shared egress", t, count=1, flags=re.M)
            return re.sub(r"^(Severity: .*)$", r"\1\nThreshold: 20 # Acme: shared egress", t, count=1, flags=re.M)
        if edit(spec, threshold):
            did("threshold raised")
    for spec, _ in take(6):
        def add_test(t):
            lines = t.splitlines(keepends=True)
            start = next(i for i, l in enumerate(lines) if l.rstrip() == "Tests:")
            end = tests_block_end(lines, start)
            items = [i for i in range(start + 1, end) if lines[i].lstrip().startswith("- ") and
                     (i == start + 1 or len(lines[i]) - len(lines[i].lstrip()) == len(lines[start + 1]) - len(lines[start + 1].lstrip()))]
            if not items:
                return t
            first_end = items[1] if len(items) > 1 else end
            copy = "".join(lines[items[0]:first_end])
            copy = re.sub(r"Name: *(.*)", lambda m: "Name: Acme regression " + m.group(1).strip().strip('"\''), copy, count=1)
            if not copy.endswith("\n"):
                copy += "\n"
            if end > 0 and not lines[end - 1].endswith("\n"):
                lines[end - 1] += "\n"
            return "".join(lines[:end]) + "  # Acme: a case from our incident review\n" + copy + "".join(lines[end:])
        if edit(spec, add_test):
            did("test added")
    for _, py in take(5):
        def allow(t):
            t = "ACME_ALLOWED_ACTORS = {\"svc-acme-scanner\"}  # Acme: our scanner\n\n\n" + t
            return re.sub(r"^def rule\(event\):\n", "def rule(event):\n    if str(event.get(\"p_any_usernames\")) in ACME_ALLOWED_ACTORS:\n        return False\n", t, count=1, flags=re.M)
        if edit(py, allow):
            did("allow-list in code")
    for spec, _ in take(3):
        if edit(spec, lambda t: re.sub(r"^(Severity: .*)$", r"\1\nInlineFilters:\n  - KeyPath: p_source_label\n    Condition: IsNotIn\n    Values:\n      - acme-sandbox", t, count=1, flags=re.M)):
            did("inline filter")
    for spec, _ in take(5):
        if edit(spec, lambda t: re.sub(r"^Enabled: true.*$", "Enabled: false # Acme: not our stack", t, count=1, flags=re.M)):
            did("disabled")
    for spec, _ in take(4):
        def tag(t):
            m = re.search(r"^Tags:\n(\s+)- ", t, re.M)
            if not m:
                return re.sub(r"^(Severity: .*)$", r"\1\nTags:\n  - Acme Reviewed", t, count=1, flags=re.M)
            return t[:m.end(1) - len(m.group(1))] + f"{m.group(1)}- Acme Reviewed\n" + t[m.end(1) - len(m.group(1)):]
        if edit(spec, tag):
            did("tag added")
    os.makedirs(os.path.join(fork, "rules", "acme_moved"), exist_ok=True)
    for spec, py in take(2):
        for f in (spec, py):
            git(fork, "mv", os.path.relpath(f, fork), os.path.join("rules", "acme_moved", os.path.basename(f)))
        did("moved")
    for spec, py in take(2):
        git(fork, "rm", "-q", os.path.relpath(spec, fork), os.path.relpath(py, fork))
        did("deleted")
    os.makedirs(os.path.join(fork, "rules", "acme_rules"), exist_ok=True)
    for n in range(3):
        open(os.path.join(fork, "rules", "acme_rules", f"acme_custom_{n}.py"), "w").write(
            f"def rule(event):\n    return event.get(\"eventName\") == \"AcmeEvent{n}\"\n")
        open(os.path.join(fork, "rules", "acme_rules", f"acme_custom_{n}.yml"), "w").write(
            f"AnalysisType: rule\nFilename: acme_custom_{n}.py\nRuleID: Acme.Custom.{n}\nEnabled: true\nLogTypes:\n  - AWS.CloudTrail\nSeverity: Medium\n"
            f"Tests:\n  - Name: matches\n    ExpectedResult: true\n    Log:\n      eventName: AcmeEvent{n}\n  - Name: ignores\n    ExpectedResult: false\n    Log:\n      eventName: Other\n")
        did("new custom rule")
    git(fork, "add", "-A")
    git(fork, "commit", "-q", "-m", "Acme customisations")
    return kinds


def timed(cmd, cwd, env=None):
    t0 = time.perf_counter()
    out = subprocess.run(cmd, cwd=cwd, env=env or os.environ, capture_output=True, text=True)
    return time.perf_counter() - t0, out


def summary(xs):
    return f"{statistics.median(xs):.3f} s ({min(xs):.3f}-{max(xs):.3f})"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base", default=DEFAULT_BASE)
    ap.add_argument("--target", default=DEFAULT_TARGET)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    checkout = os.environ.get("PROWL_BENCH_UPSTREAM") or os.environ.get("PROWL_PANTHER_ANALYSIS")
    if not checkout or not os.path.isdir(checkout):
        print("bench_upstream: skipped: set PROWL_BENCH_UPSTREAM (or PROWL_PANTHER_ANALYSIS) to a clone of panther-analysis with its tags")
        return 0
    prowl = prowl_binary()
    for ref in (args.base, args.target):
        commit = git(checkout, "rev-parse", f"{ref}^{{commit}}").stdout.strip()
        if ref in PINNED and PINNED[ref] != commit:
            print(f"WARNING: {ref} is {commit} in this checkout, not {PINNED[ref]} as pinned")
    work = os.path.join(CACHE, "bench-upstream")
    fork = os.path.join(work, "fork")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    progress(f"cloning {checkout} into {fork}")
    git(work, "clone", "-q", "--no-checkout", "-o", "upstream", checkout, "fork")
    git(fork, "checkout", "-q", "-b", "acme", args.base)
    kinds = customise(fork)
    changed = len(git(fork, "diff", "--name-only", args.base, args.target).stdout.split())
    print(f"fork of {args.base} with {sum(kinds.values())} customisations ({', '.join(f'{v} {k}' for k, v in kinds.items())}); "
          f"upstream {args.target[:12]}: {changed} files changed since {args.base}")
    env = {**os.environ, "PROWL_SANDBOX": os.environ.get("PROWL_SANDBOX", "")}
    ensure_env(prowl, fork, env, quiet=True)

    # git merge, on a clone of the fork.
    gm = os.path.join(work, "git-merge")
    git_times, conflicted = [], []
    for _ in range(args.runs):
        shutil.rmtree(gm, ignore_errors=True)
        git(work, "clone", "-q", fork, "git-merge")
        git(gm, "fetch", "-q", checkout, args.target)
        t, out = timed(["git", "merge", "--no-commit", "--no-ff", "FETCH_HEAD"], gm, GIT_ENV)
        git_times.append(t)
        conflicted = git(gm, "diff", "--name-only", "--diff-filter=U").stdout.split()
    # Prowl: classify and plan.
    plan_times, plan = [], None
    for _ in range(args.runs):
        t, out = timed([prowl, "upstream", "status", "--target", args.target, "--format", "json"], fork, env)
        if out.returncode not in (0, 1):
            sys.exit(f"prowl upstream status failed:\n{out.stderr}")
        plan_times.append(t)
        plan = json.loads(out.stdout)
    items = plan["plan"]["items"]
    classes = plan["plan"]["counts"]
    open_items = [i for i in items if i["outcome"] in ("conflict", "decision")]
    key_conflicts = sum(len(i["conflicts"]) for i in items)
    review = [i["id"] for i in items if i["outcome"] == "review"]
    # Prowl: merge without checks, then with them.
    write_times, full_times, check = [], [], None
    for _ in range(args.runs):
        t, out = timed([prowl, "upstream", "merge", "--target", args.target, "--no-check", "--format", "json"], fork, env)
        write_times.append(t)
        subprocess.run([prowl, "upstream", "abort"], cwd=fork, env=env, capture_output=True, check=True)
        t, out = timed([prowl, "upstream", "merge", "--target", args.target, "--yes", "--format", "json"], fork, env)
        if out.returncode not in (0, 1):
            sys.exit(f"prowl upstream merge failed:\n{out.stderr}")
        full_times.append(t)
        check = json.loads(out.stdout)["check"]
        subprocess.run([prowl, "upstream", "abort"], cwd=fork, env=env, capture_output=True, check=True)
    check_times = [f - w for f, w in zip(full_times, write_times)]
    tests = sum(i["tests"] for i in check["items"])

    print(f"\nitems: {len(items)} ({', '.join(f'{v} {k}' for k, v in sorted(classes.items(), key=lambda kv: -kv[1]))})")
    print(f"git merge:            {summary(git_times)}; {len(conflicted)} conflicted files")
    print(f"prowl classify+plan:  {summary(plan_times)}; {len(open_items)} items need the user "
          f"({sum(1 for i in open_items if i['outcome'] == 'decision')} decisions, {key_conflicts} conflicting keys), {len(review)} to review")
    print(f"prowl merge (write):  {summary(write_times)}")
    print(f"prowl checks:         {summary(check_times)}; {len(check['items'])} items, {tests} tests, {check['failed']} with problems")
    print(f"\ngit's conflicted files: {', '.join(conflicted) or 'none'}")
    print(f"prowl's open items: {', '.join(i['id'] + ' (' + i['class'] + ')' for i in open_items) or 'none'}")
    if review:
        print(f"prowl's review items: {', '.join(review)}")
    for i in check["items"]:
        if i["invalid"] or i["failing"]:
            print(f"  ✗ {i['id']}: {'; '.join(i['invalid'] + i['failing'])[:300]}")
    print(f"\ntarget classify+plan < {TARGET_PLAN_S} s: {verdict(statistics.median(plan_times) < TARGET_PLAN_S)}")
    print(f"target checks < {TARGET_CHECK_S} s more: {verdict(statistics.median(check_times) < TARGET_CHECK_S)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

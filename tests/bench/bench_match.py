#!/usr/bin/env python3
"""Benchmark: Prowl's match-language evaluator against hand-written Python, and correlation rules.

1. A Simple Detection against the same logic hand-written as a Python rule, both run by
   panther-core (`Rule.run(event, batch_mode=True)`, what replay calls) on the same generated
   CloudTrail events (default 1,000,000; about 3% match), in one process of PAT's environment.
   The Simple Detection is the demo's `Demo.AWS.KMS.KeyDeletionScheduled` (Equals, IsIn,
   None/Exists, AlertTitle, GroupBy, AlertContext), run as the module `prowl transpile` prints,
   importing `prowl_match` from the repository; the Python rule is written below, the way
   panther-analysis writes rules. Both must give the same matches, titles and dedup strings.
   Events are made in chunks and each chunk goes through both rules, in alternating order.
   Target (the offline-verdicts issue): the Simple Detection costs no more per event.
2. Every correlation-rule test of panther-analysis (`PROWL_PANTHER_ANALYSIS`; skipped with a
   message without it), evaluated by `prowl test --filter AnalysisType=correlation_rule`: the
   time Prowl reports for evaluating them (`local.correlation_ms`). Target: under 100 ms.

    python3 tests/bench/bench_match.py [--events N] [--runs N]
Environment: PROWL_BIN (default: builds the release prowl), PROWL_PAT_PYTHON (the Python of
PAT's environment, with panther-core), PROWL_PANTHER_ANALYSIS.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import REPO, progress, prowl_binary, verdict  # noqa: E402

HAND_WRITTEN = '''
def rule(event):
    return (
        event.get("eventSource") == "kms.amazonaws.com"
        and event.get("eventName") in ("ScheduleKeyDeletion", "DisableKey")
        and "errorCode" not in event
    )


def title(event):
    key = event.deep_get("requestParameters", "keyId", default="")
    arn = event.deep_get("userIdentity", "arn", default="")
    return f"KMS key {key} scheduled for deletion by {arn}"


def dedup(event):
    return event.deep_get("requestParameters", "keyId", default="")


def alert_context(event):
    return {
        "key_id": event.deep_get("requestParameters", "keyId"),
        "actor_arn": event.deep_get("userIdentity", "arn"),
        "account_id": event.get("recipientAccountId"),
    }
'''

INNER = r'''
import json, random, sys, time
sys.path.insert(0, sys.argv[1])  # prowl_match, from the repository
from panther_core.enriched_event import PantherEvent
from panther_core.rule import Rule

body, hand_path, events, chunk = sys.argv[2], sys.argv[3], int(sys.argv[4]), 10_000
simple = Rule({"id": "Simple", "versionId": "0", "analysisType": "RULE", "body": open(body).read()})
hand = Rule({"id": "Hand", "versionId": "0", "analysisType": "RULE", "path": hand_path})
assert not simple.setup_exception and not hand.setup_exception
rng = random.Random(7)
NAMES = ["ScheduleKeyDeletion", "DisableKey", "Decrypt", "Encrypt", "GenerateDataKey", "ListKeys"]
SOURCES = ["kms.amazonaws.com"] * 3 + ["s3.amazonaws.com", "iam.amazonaws.com", "ec2.amazonaws.com"]

def event(i):
    e = {
        "eventVersion": "1.08", "eventTime": "2026-11-01T00:00:00Z", "awsRegion": "us-east-1",
        "eventSource": rng.choice(SOURCES),
        "eventName": NAMES[0] if rng.random() < 0.02 else rng.choice(NAMES),
        "sourceIPAddress": f"10.0.{i % 250}.{i % 200}",
        "userIdentity": {"type": "AssumedRole", "arn": f"arn:aws:sts::123456789012:assumed-role/r/{i % 97}",
                          "accountId": "123456789012"},
        "requestParameters": {"keyId": f"key-{i % 1000}", "pendingWindowInDays": 7},
        "userAgent": "aws-cli/2", "recipientAccountId": "123456789012", "p_log_type": "AWS.CloudTrail",
    }
    if rng.random() < 0.1:
        e["errorCode"] = "AccessDenied"
    return e

clock = time.perf_counter
times = {"simple": 0.0, "hand": 0.0}
matches = {"simple": 0, "hand": 0}
done = 0
while done < events:
    batch = [PantherEvent(event(done + j), None) for j in range(min(chunk, events - done))]
    order = [("simple", simple), ("hand", hand)]
    if (done // chunk) % 2:
        order.reverse()
    for name, rule in order:
        t0 = clock()
        results = [rule.run(e, {}, {}, batch_mode=True) for e in batch]
        times[name] += clock() - t0
        matches[name] += sum(1 for r in results if r.trigger_alert)
        if name == "simple":
            simple_results = results
        else:
            hand_results = results
    for s, h in zip(simple_results, hand_results):
        if s.trigger_alert != h.trigger_alert or (s.trigger_alert and (
                s.title_output != h.title_output or s.dedup_output != h.dedup_output
                or s.alert_context_output != h.alert_context_output)):
            sys.exit(f"the two rules disagree: {s.title_output!r}/{s.dedup_output!r} vs "
                     f"{h.title_output!r}/{h.dedup_output!r}")
    done += len(batch)
print(json.dumps({"events": done, "times": times, "matches": matches}))
'''


def simple_vs_python(binary, python, events, runs, tmp):
    spec = os.path.join(REPO, "rules-workspace/demo/base/rules/aws_cloudtrail_rules/"
                        "demo_aws_kms_key_deletion_scheduled.yml")
    out = subprocess.run([binary, "transpile", spec], capture_output=True, text=True, check=True)
    body = os.path.join(tmp, "simple.py")
    with open(body, "w") as f:
        f.write(out.stdout)
    hand = os.path.join(tmp, "hand.py")
    with open(hand, "w") as f:
        f.write(HAND_WRITTEN)
    inner = os.path.join(tmp, "inner.py")
    with open(inner, "w") as f:
        f.write(INNER)
    results = []
    for i in range(runs):
        progress(f"run {i + 1}/{runs}: {events:,} events through both rules")
        out = subprocess.run([python, inner, os.path.join(REPO, "rules-workspace/src/engine/python"),
                              body, hand, str(events)], capture_output=True, text=True)
        if out.returncode != 0:
            sys.exit(f"the comparison failed:\n{out.stderr[-3000:]}")
        results.append(json.loads(out.stdout))
    med = statistics.median
    s = med(r["times"]["simple"] for r in results)
    h = med(r["times"]["hand"] for r in results)
    n = results[0]["events"]
    spread = lambda k: (min(r["times"][k] for r in results), max(r["times"][k] for r in results))  # noqa: E731
    print(f"\n1. {n:,} events, {results[0]['matches']['simple']:,} matches (the same for both); "
          f"medians of {runs} runs (min-max)")
    print(f"   hand-written Python rule: {h / n * 1e6:.2f} us/event ({h:.2f} s; {spread('hand')[0]:.2f}-{spread('hand')[1]:.2f})")
    print(f"   Simple Detection (Prowl): {s / n * 1e6:.2f} us/event ({s:.2f} s; {spread('simple')[0]:.2f}-{spread('simple')[1]:.2f})"
          f" = {s / h:.2f}x the Python rule  [target <= 1.00x: {verdict(s <= h)}]")


def correlation(binary, runs):
    repo = os.environ.get("PROWL_PANTHER_ANALYSIS")
    if not repo or not os.path.isdir(repo):
        print("\n2. SKIPPED: set PROWL_PANTHER_ANALYSIS to a checkout of panther-analysis to time its "
              "correlation-rule tests")
        return
    times, tests = [], 0
    for i in range(runs):
        progress(f"run {i + 1}/{runs}: correlation-rule tests of {repo}")
        out = subprocess.run([binary, "test", repo, "--filter", "AnalysisType=correlation_rule",
                              "--format", "json", "--yes"], capture_output=True, text=True)
        local = (json.loads(out.stdout or "{}").get("local")) or {}
        if not local:
            sys.exit(f"no local verdicts from prowl test:\n{out.stderr[-2000:]}")
        times.append(local["correlation_ms"])
        tests = local["passed"] + local["failed"]
        failed = local["failed"]
    med = statistics.median(times)
    print(f"\n2. panther-analysis correlation rules: {tests} tests ({failed} failing), evaluated in "
          f"{med:.2f} ms (median of {runs}; {min(times):.2f}-{max(times):.2f})  "
          f"[target < 100 ms: {verdict(med < 100)}]")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    binary = prowl_binary()
    python = os.environ.get("PROWL_PAT_PYTHON") or os.path.expanduser("~/.cache/prowl/pat-1.6.3/bin/python")
    if not os.access(python, os.X_OK):
        sys.exit(f"the comparison runs in PAT's environment: {python} is missing "
                 "(bash tests/run-all.sh installs it, or set PROWL_PAT_PYTHON)")
    with tempfile.TemporaryDirectory(prefix="prowl-bench-match-") as tmp:
        simple_vs_python(binary, python, args.events, args.runs, tmp)
    correlation(binary, args.runs)


if __name__ == "__main__":
    main()

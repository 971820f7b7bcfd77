"""Writes a replay corpus made of a workspace's own unit-test events, for benchmarking replay on
real content (panther-analysis) without shipping any of it: the events are read at run time
from the user's checkout with `prowl list` and `prowl tests list`, never stored in this repo.

Each enabled Python rule's tests with a `Log` contribute their events; each event gets
`p_log_type` (its own, else the rule's first log type) and a `p_event_time` spread over
`--hours`, and the events are repeated and shuffled (seeded) until there are `--events` of
them, split over `--files` JSON-lines files.

Usage: python corpus_from_tests.py PROWL WORKSPACE OUT_DIR [--events N] [--files K] [--seed S]
"""

import argparse
import json
import os
import random
import subprocess
import time

START = 1793491200  # 2026-11-01 00:00:00 UTC


def ptime(seconds):
    return "%s.%09d" % (time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(int(seconds))),
                        int((seconds % 1) * 1e9))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("prowl")
    parser.add_argument("workspace")
    parser.add_argument("out")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--hours", type=float, default=24 * 7)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    items = json.loads(subprocess.run([args.prowl, "list", args.workspace, "--format", "json"],
                                      capture_output=True, text=True, check=True).stdout)
    events = []
    for item in items:
        if item.get("analysis_type") != "rule" or item.get("enabled") is not True:
            continue
        if not item.get("code_path") or not item.get("log_types"):
            continue
        listed = subprocess.run([args.prowl, "tests", "list", item["spec_path"], "--format", "json"],
                                capture_output=True, text=True)
        if listed.returncode != 0:
            continue
        for test in json.loads(listed.stdout):
            event = test.get("event")
            if test.get("event_key") != "Log" or not isinstance(event, dict):
                continue
            event = dict(event)
            if not isinstance(event.get("p_log_type"), str):
                event["p_log_type"] = item["log_types"][0]
            events.append(event)
    if not events:
        raise SystemExit(f"no test events in {args.workspace}")
    rng = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)
    span = args.hours * 3600
    handles = [open(os.path.join(args.out, "events-%02d.jsonl" % i), "w", encoding="utf-8")
               for i in range(args.files)]
    try:
        for n in range(args.events):
            event = dict(events[n % len(events)] if n < len(events) else rng.choice(events))
            event["p_event_time"] = ptime(START + rng.random() * span)
            handles[rng.randrange(args.files)].write(json.dumps(event, separators=(",", ":")) + "\n")
    finally:
        for h in handles:
            h.close()
    log_types = len({e["p_log_type"] for e in events})
    print(json.dumps({"distinct_events": len(events), "log_types": log_types, "events": args.events}))


if __name__ == "__main__":
    main()

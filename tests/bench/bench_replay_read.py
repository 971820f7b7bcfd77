#!/usr/bin/env python3
"""Benchmark: how fast replay reads logs (`prowl replay --read-only`): reading, decompressing,
splitting, parsing every event into JSON values and completing its p_ fields; no detections.

Generates --events raw events (default 1,000,000) spread over four log types (AWS.CloudTrail,
Okta.SystemLog, GitHub.Audit, GCP.AuditLog; each event names its `p_log_type` and leaves
`p_event_time` and `p_any_*` to be derived, as raw logs do), written once as JSON lines, as
gzip of those lines, and as a JSON array, then times the release `prowl replay --read-only
--format json` over each, --runs times, and prints MB/s (bytes of the file read, and of text
after decompression), events/s, text MB per CPU-second (the reader uses one core; the figure is
steadier than wall-clock time when other processes share the machine) and the process's peak
memory, with medians.
Target (the replay issue): reading and parsing alone at least 100 MB/s. Timings are never
asserted anywhere.

    python3 tests/bench/bench_replay_read.py [--events N] [--runs N] [--keep DIR]
Environment: PROWL_BIN (prowl; default: builds the release one with CARGO_TARGET_DIR).
"""
import argparse
import gzip
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import progress, prowl_binary, verdict  # noqa: E402

TARGET_MB_PER_S = 100.0


def ip(rng):
    return f"{rng.randrange(1, 224)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def timestamp(rng):
    return f"2024-0{rng.randrange(1, 10)}-{rng.randrange(10, 29)}T{rng.randrange(10, 24)}:{rng.randrange(10, 60)}:{rng.randrange(10, 60)}.{rng.randrange(1000):03d}Z"


def cloudtrail(rng, i):
    account = f"{rng.randrange(10**11, 10**12)}"
    user = f"user{rng.randrange(500)}"
    return {
        "eventVersion": "1.08",
        "userIdentity": {"type": "IAMUser", "principalId": f"AIDA{i:012d}", "arn": f"arn:aws:iam::{account}:user/{user}",
                         "accountId": account, "accessKeyId": f"AKIA{i:016d}", "userName": user},
        "eventTime": timestamp(rng), "eventSource": "s3.amazonaws.com", "eventName": rng.choice(["GetObject", "PutObject", "ListBuckets", "AssumeRole"]),
        "awsRegion": "us-east-1", "sourceIPAddress": ip(rng), "userAgent": "aws-cli/2.15.0 Python/3.11.6 Linux/6.1",
        "requestParameters": {"bucketName": f"bucket-{rng.randrange(100)}", "key": f"data/{i}/part-0000.parquet",
                              "roleArn": f"arn:aws:iam::{account}:role/reader"},
        "responseElements": None, "requestID": f"{i:016X}", "eventID": f"{rng.getrandbits(128):032x}",
        "readOnly": True, "resources": [{"ARN": f"arn:aws:s3:::bucket-{rng.randrange(100)}", "accountId": account, "type": "AWS::S3::Bucket"}],
        "eventType": "AwsApiCall", "managementEvent": False, "recipientAccountId": account,
        "p_log_type": "AWS.CloudTrail",
    }


def okta(rng, i):
    return {
        "uuid": f"{rng.getrandbits(128):032x}", "published": timestamp(rng), "eventType": "user.session.start",
        "version": "0", "severity": "INFO", "displayMessage": "User login to Okta",
        "actor": {"id": f"00u{i}", "type": "User", "alternateId": f"user{rng.randrange(500)}@example.com", "displayName": "A User"},
        "client": {"userAgent": {"rawUserAgent": "Mozilla/5.0 (X11; Linux x86_64)", "os": "Linux", "browser": "FIREFOX"},
                   "zone": "null", "device": "Computer", "ipAddress": ip(rng),
                   "geographicalContext": {"city": "Lisbon", "country": "Portugal", "geolocation": {"lat": 38.7, "lon": -9.1}}},
        "outcome": {"result": rng.choice(["SUCCESS", "FAILURE"])},
        "request": {"ipChain": [{"ip": ip(rng), "version": "V4"}]},
        "target": [{"id": f"0oa{i}", "type": "AppInstance", "alternateId": "Salesforce", "displayName": "Salesforce"}],
        "p_log_type": "Okta.SystemLog",
    }


def github(rng, i):
    return {
        "action": rng.choice(["repo.create", "org.update_member", "protected_branch.policy_override", "git.clone"]),
        "actor": f"dev{rng.randrange(300)}", "actor_ip": ip(rng), "user": f"dev{rng.randrange(300)}",
        "org": "acme", "repo": f"acme/service-{rng.randrange(200)}", "@timestamp": 1_700_000_000_000 + i * 37,
        "created_at": 1_700_000_000_000 + i * 37, "_document_id": f"{rng.getrandbits(96):024x}",
        "business": "acme-corp", "operation_type": "modify", "transport_protocol_name": "http",
        "p_log_type": "GitHub.Audit",
    }


def gcp(rng, i):
    return {
        "protoPayload": {"@type": "type.googleapis.com/google.cloud.audit.AuditLog", "status": {},
                         "authenticationInfo": {"principalEmail": f"svc{rng.randrange(100)}@demo.iam.gserviceaccount.com"},
                         "requestMetadata": {"callerIp": ip(rng), "callerSuppliedUserAgent": "google-cloud-sdk gcloud/456.0.0"},
                         "serviceName": "storage.googleapis.com", "methodName": "storage.objects.get",
                         "resourceName": f"projects/_/buckets/demo/objects/file-{i}.csv"},
        "insertId": f"{rng.getrandbits(64):016x}", "resource": {"type": "gcs_bucket", "labels": {"project_id": "demo", "bucket_name": "demo"}},
        "timestamp": timestamp(rng), "severity": "INFO", "logName": "projects/demo/logs/cloudaudit.googleapis.com%2Fdata_access",
        "receiveTimestamp": timestamp(rng),
        "p_log_type": "GCP.AuditLog",
    }


def generate(folder, count):
    """events.jsonl, events.jsonl.gz and events.json (an array) in `folder`."""
    rng = random.Random(7)
    makers = [cloudtrail, okta, github, gcp]
    lines_path = os.path.join(folder, "events.jsonl")
    with open(lines_path, "w") as lines, open(os.path.join(folder, "events.json"), "w") as array:
        array.write("[\n")
        for i in range(count):
            text = json.dumps(makers[i % len(makers)](rng, i), separators=(",", ":"))
            lines.write(text + "\n")
            array.write(("," if i else "") + text + "\n")
        array.write("]\n")
    with open(lines_path, "rb") as src, gzip.open(lines_path + ".gz", "wb", compresslevel=6) as dst:
        shutil.copyfileobj(src, dst, 1 << 20)


def run_once(binary, path):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    out = subprocess.run([binary, "replay", path, "--read-only", "--format", "json"], capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if out.returncode != 0:
        sys.exit(f"prowl replay {path} failed ({out.returncode}):\n{out.stdout[-2000:]}{out.stderr[-2000:]}")
    report = json.loads(out.stdout)
    report["wall_seconds"] = wall
    report["cpu_seconds"] = cpu
    return report


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", help="generate into (and reuse) this folder instead of a temporary one")
    args = parser.parse_args()
    binary = prowl_binary()
    folder = args.keep or tempfile.mkdtemp(prefix="prowl-replay-bench-")
    try:
        os.makedirs(folder, exist_ok=True)
        if not os.path.exists(os.path.join(folder, "events.json")):
            progress(f"generating {args.events:,} events in {folder} (untimed)")
            generate(folder, args.events)
        print(f"prowl replay --read-only, {args.events:,} raw events of 4 log types, {args.runs} runs each (whole process; medians)")
        print(f"{'input':<18} {'file MB':>8} {'text MB':>8} {'file MB/s':>10} {'text MB/s':>10} {'events/s':>11} {'text MB/cpu-s':>14} {'peak MB':>8}")
        text_rates = []
        load = os.getloadavg()[0]
        for name in ["events.jsonl", "events.jsonl.gz", "events.json"]:
            path = os.path.join(folder, name)
            reports = [run_once(binary, path) for _ in range(args.runs)]
            for r in reports:
                if r["events"] != args.events or r["problem_count"]:
                    sys.exit(f"{name}: {r['events']} events, {r['problem_count']} problems: {r['problems']}")
            wall = statistics.median(r["wall_seconds"] for r in reports)
            r = reports[0]
            file_rate = r["bytes_read"] / 1e6 / wall
            text_rate = r["bytes_decoded"] / 1e6 / wall
            text_rates.append(text_rate)
            cpu = statistics.median(r["cpu_seconds"] for r in reports)
            peak = max(x["peak_memory_bytes"] or 0 for x in reports) / 2**20
            print(f"{name:<18} {r['bytes_read'] / 1e6:8.0f} {r['bytes_decoded'] / 1e6:8.0f} {file_rate:10.1f} {text_rate:10.1f} {args.events / wall:11,.0f} {r['bytes_decoded'] / 1e6 / cpu:14.1f} {peak:8.0f}")
        print(f"cores: {os.cpu_count()}; load average at the start: {load:.2f} (other processes slow the wall-clock figures; MB/cpu-s is per core-second)")
        print(f"target: reading and parsing >= {TARGET_MB_PER_S:.0f} MB/s of text: "
              f"{verdict(min(text_rates) >= TARGET_MB_PER_S)} (slowest {min(text_rates):.1f} MB/s)")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()

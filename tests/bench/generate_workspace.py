#!/usr/bin/env python3
"""Generates a synthetic detection workspace at panther-analysis scale, for benchmarks.

Defaults match the size of Panther's public content repository: about 1,100 detections with
3,600 unit tests, 80 scheduled queries (and the scheduled rules that read them), 35 data models,
45 global helpers and a few packs. Content is generated (no real detections), deterministic for
a given seed, and valid under PAT, so that both tools do their full work.

    python3 generate_workspace.py OUT_DIR [--detections N] [--seed S]
"""
import argparse
import os
import random
import shutil

LOG_TYPES = [
    "AWS.CloudTrail", "AWS.S3ServerAccess", "AWS.VPCFlow", "AWS.GuardDuty", "Okta.SystemLog",
    "GitHub.Audit", "GCP.AuditLog", "Azure.Audit", "Slack.AuditLogs", "Zoom.Activity",
    "OnePassword.SignInAttempt", "Box.Event", "Crowdstrike.FDREvent", "Duo.Authentication",
    "GSuite.Reports", "Zendesk.Audit", "Salesforce.Login", "Teleport.Audit", "Notion.AuditLogs",
    "Tailscale.Audit", "Snowflake.LoginHistory", "Atlassian.Audit", "Cloudflare.Firewall",
    "Juniper.Access", "MongoDB.OrganizationEvent", "Asana.Audit", "Dropbox.TeamEvent",
    "Auth0.Events", "Wiz.Issue", "SentinelOne.Activity", "Netskope.Audit", "Microsoft365.Audit",
    "Kubernetes.Audit", "Docker.Events", "Linux.Auditd",
]
SEVERITIES = ["Info", "Low", "Medium", "High", "Critical"]
ACTIONS = ["create", "delete", "update", "login", "logout", "grant", "revoke", "download", "share"]


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def slug(log_type):
    return log_type.lower().replace(".", "_")


def global_helper(out, i):
    name = f"bench_helpers_{i:02d}"
    body = [f'"""Generated helper module {i}."""', "", "import json", ""]
    if i > 0:
        body.insert(3, f"from bench_helpers_{i - 1:02d} import field_{i - 1:02d}_0")
    for j in range(12):
        body += [
            f"def field_{i:02d}_{j}(event, default=None):",
            f'    value = event.get("field_{j}", default)',
            "    if isinstance(value, str):",
            "        return value.strip().lower()",
            "    return value",
            "",
        ]
    write(f"{out}/global_helpers/{name}.py", "\n".join(body) + "\n")
    write(
        f"{out}/global_helpers/{name}.yml",
        f"AnalysisType: global\nFilename: {name}.py\nGlobalID: {name}\nDescription: Generated helpers {i}\nTags:\n  - Generated\n",
    )


def data_model(out, log_type):
    name = f"bench_{slug(log_type)}_data_model"
    write(
        f"{out}/data_models/{name}.py",
        "def get_actor(event):\n    return event.get('actor', {}).get('name')\n",
    )
    write(
        f"{out}/data_models/{name}.yml",
        f"""AnalysisType: datamodel
DataModelID: Bench.{log_type}
DisplayName: Bench {log_type}
Enabled: true
Filename: {name}.py
LogTypes:
  - {log_type}
Mappings:
  - Name: actor_user
    Method: get_actor
  - Name: source_ip
    Path: $.src.ip
  - Name: event_type
    Path: action
""",
    )


def test_block(name, expected, action, actor):
    return f"""  - Name: {name}
    ExpectedResult: {str(expected).lower()}
    Log:
      action: {action}
      actor:
        name: {actor}
        type: user
      src:
        ip: 10.0.{random.randint(0, 255)}.{random.randint(0, 255)}
      p_log_type: {{LOG_TYPE}}
      p_event_time: "2026-03-01 12:{random.randint(10, 59)}:00.000"
"""


def detection(out, i, n_tests, helpers):
    log_type = LOG_TYPES[i % len(LOG_TYPES)]
    folder = f"rules/{slug(log_type)}_rules"
    name = f"bench_{slug(log_type)}_{i:04d}"
    action = ACTIONS[i % len(ACTIONS)]
    helper = helpers[i % len(helpers)]
    py = f'''"""Generated detection {i}."""
from {helper} import {helper.replace("bench_helpers_", "field_")}_0

ALLOWED_ACTORS = {{"svc-backup", "svc-deploy"}}


def rule(event):
    if event.get("actor", {{}}).get("name") in ALLOWED_ACTORS:
        return False
    return event.get("action") == "{action}"


def title(event):
    return f"{action} by {{event.deep_get('actor', 'name', default='unknown')}} [{i}]"


def dedup(event):
    return event.deep_get("actor", "name", default="unknown")


def alert_context(event):
    return {{"action": event.get("action"), "source": event.udm("source_ip")}}
'''
    tests = []
    for t in range(n_tests):
        expected = t % 2 == 0
        tests.append(
            test_block(f"case {t}", expected, action if expected else "read", "alice" if t % 3 else "svc-ops")
        )
    sev = SEVERITIES[i % len(SEVERITIES)]
    yml = f"""AnalysisType: rule
Filename: {name}.py
RuleID: Bench.{log_type}.Detection{i:04d}
DisplayName: Bench detection {i:04d}
Enabled: {"true" if i % 10 else "false"}
LogTypes:
  - {log_type}
Severity: {sev}
Description: >
  Generated detection number {i} for benchmarking. It alerts on {action} actions outside the
  allow-list, with a title, a dedup string and an alert context.
Reference: https://example.com/runbooks/{i}
Runbook: Check who performed the {action} and whether it was expected.
DedupPeriodMinutes: 60
Threshold: 1
Tags:
  - Generated
  - {log_type.split(".")[0]}
Reports:
  MITRE ATT&CK:
    - TA0001:T1078
Tests:
""" + "".join(tests).replace("{LOG_TYPE}", log_type)
    write(f"{out}/{folder}/{name}.py", py)
    write(f"{out}/{folder}/{name}.yml", yml)
    return f"Bench.{log_type}.Detection{i:04d}"


def scheduled(out, i):
    log_type = LOG_TYPES[i % len(LOG_TYPES)]
    table = slug(log_type)
    qname = f"Bench Query {i:03d}"
    write(
        f"{out}/queries/bench_query_{i:03d}.yml",
        f"""AnalysisType: scheduled_query
QueryName: {qname}
Enabled: true
Description: Generated scheduled query {i}
Query: |
  WITH recent AS (
    SELECT actor:name::varchar AS actor, src:ip::varchar AS ip, count(*) AS n
    FROM panther_logs.public.{table}
    WHERE p_occurs_since('1 hour')
      AND action IN ('{ACTIONS[i % len(ACTIONS)]}', 'delete')
    GROUP BY 1, 2
  )
  SELECT r.actor, r.ip, r.n, u.team
  FROM recent r
  LEFT JOIN panther_lookups.public.bench_users u ON r.actor = u.name
  WHERE r.n > {5 + i % 20}
  ORDER BY r.n DESC
  LIMIT 100
Schedule:
  RateMinutes: 60
  TimeoutMinutes: 5
""",
    )
    write(
        f"{out}/rules/scheduled_rules/bench_scheduled_{i:03d}.py",
        "def rule(event):\n    return event.get('n', 0) > 5\n\n\ndef title(event):\n    return f\"{event.get('actor')} is busy\"\n",
    )
    write(
        f"{out}/rules/scheduled_rules/bench_scheduled_{i:03d}.yml",
        f"""AnalysisType: scheduled_rule
Filename: bench_scheduled_{i:03d}.py
RuleID: Bench.Scheduled.{i:03d}
Enabled: true
ScheduledQueries:
  - {qname}
Severity: Medium
Tests:
  - Name: busy actor
    ExpectedResult: true
    Log: {{actor: alice, n: 40}}
  - Name: quiet actor
    ExpectedResult: false
    Log: {{actor: bob, n: 1}}
""",
    )
    return f"Bench.Scheduled.{i:03d}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--detections", type=int, default=1020)
    parser.add_argument("--scheduled", type=int, default=80)
    parser.add_argument("--globals", type=int, default=45)
    parser.add_argument("--data-models", type=int, default=35)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    random.seed(args.seed)
    if os.path.exists(args.out):
        shutil.rmtree(args.out)
    helpers = [f"bench_helpers_{i:02d}" for i in range(args.globals)]
    for i in range(args.globals):
        global_helper(args.out, i)
    for lt in LOG_TYPES[: args.data_models]:
        data_model(args.out, lt)
    ids = []
    tests = 0
    for i in range(args.detections):
        n = 3 + (i % 2)  # 3 or 4 tests: ~3,500 in all
        tests += n
        ids.append(detection(args.out, i, n, helpers))
    for i in range(args.scheduled):
        ids.append(scheduled(args.out, i))
        tests += 2
    for p in range(6):
        members = "\n".join(f"    - {x}" for x in ids[p::6][:150])
        write(
            f"{args.out}/packs/bench_pack_{p}.yml",
            f"AnalysisType: pack\nPackID: Bench.Pack.{p}\nDisplayName: Bench pack {p}\nPackDefinition:\n  IDs:\n{members}\n",
        )
    print(
        f"wrote {args.out}: {args.detections + args.scheduled} detections, {tests} tests, "
        f"{args.scheduled} scheduled queries, {min(args.data_models, len(LOG_TYPES))} data models, {args.globals} globals"
    )


if __name__ == "__main__":
    main()

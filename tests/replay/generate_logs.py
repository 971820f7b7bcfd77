"""Writes a corpus of synthetic log events of our own, as Panther's data lake exports them
(JSON lines with `p_log_type` and `p_event_time`), for replay's tests and benchmark.

The events cover the demo workspace's log types (AWS.CloudTrail, Okta.SystemLog, GitHub.Audit,
GCP.AuditLog), with the event names, users, addresses and error codes the demo's rules look at
mixed with everyday noise, so a few percent of events match. Times are spread over `--hours`
and shuffled across the files (each file's events are out of order with the others').
The same seed gives the same bytes.

Usage: python generate_logs.py OUT_DIR [--events N] [--files K] [--hours H] [--seed S]
       [--log-types A,B] (default: the four above)
"""

import argparse
import json
import os
import random

START = 1793491200  # 2026-11-01 00:00:00 UTC

USERS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"]
IPS = ["198.51.100.%d" % i for i in range(1, 40)] + ["203.0.113.%d" % i for i in range(1, 20)]


def ptime(seconds):
    return "%s.%09d" % (
        __import__("time").strftime("%Y-%m-%d %H:%M:%S", __import__("time").gmtime(int(seconds))),
        int((seconds % 1) * 1e9),
    )


def cloudtrail(rng):
    name = rng.choice(
        ["DescribeInstances"] * 30
        + ["GetObject"] * 20
        + ["ConsoleLogin"] * 8
        + ["CreateAccessKey", "StopLogging", "PutBucketPolicy", "ScheduleKeyDeletion",
           "DeleteBucketPolicy", "AssumeRole"]
    )
    user = rng.choice(USERS)
    event = {
        "eventVersion": "1.08",
        "eventSource": {"ConsoleLogin": "signin.amazonaws.com", "StopLogging": "cloudtrail.amazonaws.com",
                        "ScheduleKeyDeletion": "kms.amazonaws.com"}.get(name, "s3.amazonaws.com"),
        "eventName": name,
        "awsRegion": rng.choice(["us-east-1", "eu-west-1"]),
        "sourceIPAddress": rng.choice(IPS),
        "userAgent": "aws-cli/2.15",
        "recipientAccountId": rng.choice(["123456789012", "210987654321"]),
        "userIdentity": {
            "type": "Root" if rng.random() < 0.02 else "IAMUser",
            "userName": user,
            "arn": "arn:aws:iam::123456789012:user/" + user,
            "accountId": "123456789012",
        },
    }
    if name == "ConsoleLogin":
        event["eventType"] = "AwsConsoleSignIn"
        event["responseElements"] = {"ConsoleLogin": rng.choice(["Success", "Success", "Failure"])}
        event["additionalEventData"] = {"MFAUsed": rng.choice(["Yes", "No"])}
    if name == "CreateAccessKey":
        event["requestParameters"] = {"userName": rng.choice(USERS + ["svc-backup"])}
    if name in ("PutBucketPolicy", "DeleteBucketPolicy", "GetObject"):
        event["requestParameters"] = {"bucketName": rng.choice(["prod-logs", "dev-scratch", "web"])}
    if rng.random() < 0.05:
        event["errorCode"] = rng.choice(["AccessDenied", "UnauthorizedOperation", "NoSuchKey"])
    return event


def okta(rng):
    etype = rng.choice(
        ["user.session.start"] * 20
        + ["app.oauth2.token.grant"] * 10
        + ["user.mfa.factor.reset_all", "user.account.privilege.grant", "group.user_membership.add",
           "user.session.access_admin_app"]
    )
    user = rng.choice(USERS) + "@acme.test"
    result = rng.choice(["SUCCESS"] * 4 + ["FAILURE"])
    return {
        "eventType": etype,
        "uuid": "%032x" % rng.getrandbits(128),
        "actor": {"alternateId": user, "displayName": user.split("@")[0].title(), "type": "User"},
        "client": {"ipAddress": rng.choice(IPS), "userAgent": {"rawUserAgent": "Mozilla/5.0"}},
        "outcome": {"result": result,
                    "reason": rng.choice(["INVALID_CREDENTIALS", "LOCKED_OUT", None])},
        "target": [{"alternateId": rng.choice(USERS) + "@acme.test", "type": "User"}],
        "debugContext": {"debugData": {"privilegeGranted": rng.choice(["", "Super administrator"])}},
    }


def github(rng):
    action = rng.choice(["git.clone"] * 20 + ["repo.access", "protected_branch.destroy",
                                             "protected_branch.update_admin_enforced", "org.add_member"])
    return {
        "action": action,
        "actor": rng.choice(USERS),
        "repo": "acme/" + rng.choice(["api", "web", "infra", "docs"]),
        "visibility": rng.choice(["private", "public"]),
        "admin_enforced": rng.choice([True, False]),
        "org": "acme",
    }


def gcp(rng):
    method = rng.choice(["storage.objects.get"] * 10 + ["google.iam.admin.v1.CreateServiceAccountKey"])
    return {
        "logName": "projects/acme/logs/cloudaudit.googleapis.com%2Factivity",
        "protoPayload": {
            "methodName": method,
            "authenticationInfo": {"principalEmail": rng.choice(USERS) + "@acme.test"},
            "requestMetadata": {"callerIp": rng.choice(IPS)},
            "status": {"code": rng.choice([0, 0, 0, 7])},
        },
        "severity": "NOTICE",
    }


MAKERS = {"AWS.CloudTrail": cloudtrail, "Okta.SystemLog": okta, "GitHub.Audit": github,
          "GCP.AuditLog": gcp}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--hours", type=float, default=24)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--log-types", default=",".join(MAKERS))
    args = parser.parse_args()
    rng = random.Random(args.seed)
    log_types = args.log_types.split(",")
    os.makedirs(args.out, exist_ok=True)
    handles = [open(os.path.join(args.out, "events-%02d.jsonl" % i), "w", encoding="utf-8")
               for i in range(args.files)]
    span = args.hours * 3600
    for n in range(args.events):
        log_type = rng.choice(log_types)
        event = MAKERS[log_type](rng)
        event["p_log_type"] = log_type
        event["p_event_time"] = ptime(START + rng.random() * span)
        handles[n % args.files].write(json.dumps(event) + "\n")
    for handle in handles:
        handle.close()


if __name__ == "__main__":
    main()

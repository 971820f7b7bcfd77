#!/usr/bin/env python3
"""Generate the sample logs of Prowl's demo workspace (fictional company "Acme").

Writes JSON-lines files into ``base/sample_logs/`` (relative to this script's
parent folder), one per log type:

    aws_cloudtrail.jsonl.gz   AWS.CloudTrail   (gzip, mtime=0, reproducible)
    okta_systemlog.jsonl      Okta.SystemLog
    github_audit.jsonl        GitHub.Audit
    gcp_auditlog.jsonl        GCP.AuditLog

Standard library only, fixed seed: running it twice produces byte-identical
files. Every event carries the Panther standard fields ``p_log_type``,
``p_event_time``, ``p_parse_time``, ``p_row_id``, ``p_source_label`` and, where
it applies, ``p_any_ip_addresses``. Okta and GCP events whose actor is in
``base/lookup_tables/demo_acme_identities.csv`` get a ``p_enrichment`` block
the way Panther's lookup-table enrichment would add it.

Most events are background noise. A handful of scenarios are planted so that
the demo detections have something to find (see SCENARIOS in ../README.md):

* a burst of AccessDenied errors from one CI role (threshold/dedup grouping),
* root console logins, console logins without MFA (incl. the break-glass user
  the local fork allow-lists and SSO-federated logins upstream 2.0 excludes),
* Okta password guessing against two users (12 and 7 failures: compare the
  thresholds of release 1.0, release 2.0 and the local fork),
* an Okta MFA reset followed by an admin grant to the same user (correlation),
* contractors opening the Okta admin console (local Acme-only rule),
* GitHub branch-protection removal/bypass and repositories made public,
* GCP service-account keys created by people and by rotation automation.

Usage:  python3 tools/generate_sample_logs.py [--out DIR]
"""

import argparse
import csv
import gzip
import io
import json
import os
import random
from datetime import datetime, timedelta, timezone

SEED = 20260301
DAY_START = datetime(2026, 3, 1, 0, 0, 0, tzinfo=timezone.utc)
DAY_SECONDS = 24 * 3600

HERE = os.path.dirname(os.path.abspath(__file__))
DEMO_ROOT = os.path.dirname(HERE)
DEFAULT_OUT = os.path.join(DEMO_ROOT, "base", "sample_logs")
IDENTITIES_CSV = os.path.join(DEMO_ROOT, "base", "lookup_tables", "demo_acme_identities.csv")
LOOKUP_NAME = "demo_acme_identities"

ACCOUNTS = [
    ("111122223333", "acme-prod"),
    ("444455556666", "acme-staging"),
    ("777788889999", "acme-sandbox"),
]
CORP_IPS = ["198.51.100.10", "198.51.100.11"]
HOME_IPS = [
    "192.0.2.10", "192.0.2.44", "192.0.2.45", "192.0.2.61", "192.0.2.77",
    "192.0.2.91", "192.0.2.120", "192.0.2.150", "192.0.2.201",
]
SUSPICIOUS_IPS = ["203.0.113.66", "203.0.113.77", "203.0.113.200", "198.18.7.20"]
BROWSERS = [
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_3) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
]
SDK_AGENTS = [
    "aws-cli/2.15.21 Python/3.11.6 Darwin/23.3.0 exe/x86_64 prompt/off command/ec2.describe-instances",
    "Boto3/1.34.50 md/Botocore#1.34.50 ua/2.0 os/linux#5.10 lang/python#3.11.7",
    "aws-sdk-go-v2/1.25.2 os/linux lang/go#1.22.0 api/sts#1.28.1",
    "Terraform/1.7.4 (+https://www.terraform.io) terraform-provider-aws/5.39.0",
]

IAM_USERS = ["carol.dev", "frank.ops", "dave.contractor", "erin.dev", "grace.data"]
SSO_ROLES = [
    ("AcmeDeveloper", "erin.dev"),
    ("AcmeDeveloper", "carol.dev"),
    ("AcmeReadOnly", "k.lee"),
    ("AcmeAdmin", "alice.admin"),
    ("AcmeAdmin", "bob.ops"),
]
SERVICE_ROLES = ["acme-terraform-apply", "ci-deployer", "etl-loader", "lambda-thumbnailer"]

BACKGROUND_CALLS = [
    ("ec2.amazonaws.com", "DescribeInstances", True),
    ("ec2.amazonaws.com", "DescribeSecurityGroups", True),
    ("ec2.amazonaws.com", "DescribeVpcs", True),
    ("s3.amazonaws.com", "ListBuckets", True),
    ("s3.amazonaws.com", "GetBucketPolicy", True),
    ("s3.amazonaws.com", "GetBucketAcl", True),
    ("iam.amazonaws.com", "ListRoles", True),
    ("iam.amazonaws.com", "GetUser", True),
    ("sts.amazonaws.com", "GetCallerIdentity", True),
    ("sts.amazonaws.com", "AssumeRole", False),
    ("kms.amazonaws.com", "Decrypt", True),
    ("kms.amazonaws.com", "DescribeKey", True),
    ("lambda.amazonaws.com", "ListFunctions20150331", True),
    ("logs.amazonaws.com", "DescribeLogGroups", True),
    ("cloudtrail.amazonaws.com", "DescribeTrails", True),
    ("ssm.amazonaws.com", "GetParameter", True),
    ("dynamodb.amazonaws.com", "DescribeTable", True),
    ("ecr.amazonaws.com", "GetAuthorizationToken", True),
]

OKTA_USERS = [
    "alice.admin@acme.example", "bob.ops@acme.example", "carol.dev@acme.example",
    "dave.contractor@acme.example", "j.doe@acme.example", "k.lee@acme.example",
    "helpdesk.kim@acme.example", "grace.data@acme.example", "erin.dev@acme.example",
    "frank.ops@acme.example", "henry.sales@acme.example", "ivy.legal@acme.example",
]
OKTA_APPS = ["Slack", "Google Workspace", "AWS IAM Identity Center", "GitHub Enterprise", "Zoom", "Jira"]

GITHUB_USERS = ["alice-admin", "bob-ops", "carol-dev", "eve-dev", "erin-dev", "intern-sam", "grace-data"]
GITHUB_REPOS = [
    "acme-corp/payments-api", "acme-corp/billing-service", "acme-corp/web-frontend",
    "acme-corp/infra-terraform", "acme-corp/docs", "acme-corp/acme-sdk-python",
    "acme-corp/data-pipelines",
]

GCP_PROJECTS = ["acme-data-prod", "acme-data-staging", "acme-ml-sandbox"]
GCP_PEOPLE = ["grace.data@acme.example", "bob.ops@acme.example", "carol.dev@acme.example"]
GCP_SERVICE_ACCOUNTS = [
    "etl-loader@acme-data-prod.iam.gserviceaccount.com",
    "dbt-runner@acme-data-prod.iam.gserviceaccount.com",
    "key-rotator@acme-security.iam.gserviceaccount.com",
]


class Gen:
    """Shared deterministic state: random source and timestamp formatting."""

    def __init__(self, seed):
        self.rng = random.Random(seed)

    def at(self, hh, mm, ss=0, ms=None):
        if ms is None:
            ms = self.rng.randrange(1000)
        return DAY_START + timedelta(hours=hh, minutes=mm, seconds=ss, milliseconds=ms)

    def random_time(self, start_hour=0, end_hour=24):
        span = (end_hour - start_hour) * 3600
        offset = self.rng.randrange(span * 1000)
        return DAY_START + timedelta(hours=start_hour, milliseconds=offset)

    def row_id(self):
        return f"{self.rng.getrandbits(144):036x}"

    def hexid(self, n):
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(n))

    def uuid(self):
        h = self.hexid(32)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"

    def p_fields(self, log_type, when, source_label, ips=()):
        parse = when + timedelta(seconds=self.rng.randint(30, 300), microseconds=self.rng.randrange(10**6))
        fields = {
            "p_log_type": log_type,
            "p_event_time": panther_time(when),
            "p_parse_time": panther_time(parse),
            "p_row_id": self.row_id(),
            "p_source_label": source_label,
        }
        ips = [ip for ip in ips if ip and ip[0].isdigit()]
        if ips:
            fields["p_any_ip_addresses"] = sorted(dict.fromkeys(ips))
        return fields


def panther_time(when):
    """Panther's p_event_time format: 'YYYY-MM-DD HH:MM:SS.fffffffff' (UTC)."""
    return when.strftime("%Y-%m-%d %H:%M:%S.") + f"{when.microsecond * 1000:09d}"


def iso_z(when, digits=0):
    base = when.strftime("%Y-%m-%dT%H:%M:%S")
    if digits:
        base += "." + f"{when.microsecond:06d}"[:digits]
    return base + "Z"


def load_identities():
    with open(IDENTITIES_CSV, newline="", encoding="utf-8") as handle:
        return {row["email"]: row for row in csv.DictReader(handle)}


def enrichment(identities, selector, email):
    row = identities.get(email)
    if not row:
        return None
    value = dict(row)
    value["is_admin"] = value["is_admin"] == "true"
    value["p_match"] = email
    return {LOOKUP_NAME: {selector: value}}


# --------------------------------------------------------------------------
# AWS CloudTrail
# --------------------------------------------------------------------------


def ct_identity(g, kind, account_id, name=None, session=None):
    if kind == "Root":
        return {
            "type": "Root",
            "principalId": account_id,
            "arn": f"arn:aws:iam::{account_id}:root",
            "accountId": account_id,
        }
    if kind == "IAMUser":
        return {
            "type": "IAMUser",
            "principalId": "AIDA" + g.hexid(17).upper(),
            "arn": f"arn:aws:iam::{account_id}:user/{name}",
            "accountId": account_id,
            "userName": name,
        }
    if kind == "AssumedRole":
        role_id = "AROA" + g.hexid(17).upper()
        return {
            "type": "AssumedRole",
            "principalId": f"{role_id}:{session}",
            "arn": f"arn:aws:sts::{account_id}:assumed-role/{name}/{session}",
            "accountId": account_id,
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": role_id,
                    "arn": f"arn:aws:iam::{account_id}:role/{name}",
                    "accountId": account_id,
                    "userName": name,
                },
                "attributes": {"creationDate": "2026-03-01T00:00:00Z", "mfaAuthenticated": "false"},
            },
        }
    if kind == "AWSService":
        return {"type": "AWSService", "invokedBy": name}
    raise ValueError(kind)


def ct_event(g, when, account_id, identity, source, name, ip, agent, region="us-east-1", **extra):
    event = {
        "eventVersion": "1.09",
        "userIdentity": identity,
        "eventTime": iso_z(when),
        "eventSource": source,
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": ip,
        "userAgent": agent,
        "requestParameters": None,
        "responseElements": None,
        "requestID": g.uuid(),
        "eventID": g.uuid(),
        "readOnly": name.startswith(("Describe", "Get", "List")),
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account_id,
        "eventCategory": "Management",
    }
    event.update(extra)
    event.update(g.p_fields("AWS.CloudTrail", when, "acme-org-cloudtrail", [ip]))
    return event


def console_login(g, when, account_id, identity, ip, success=True, mfa="Yes", sso=False):
    extra = {
        "eventType": "AwsConsoleSignIn",
        "responseElements": {"ConsoleLogin": "Success" if success else "Failure"},
        "additionalEventData": {
            "LoginTo": "https://console.aws.amazon.com/console/home",
            "MobileVersion": "No",
            "MFAUsed": mfa,
        },
        "readOnly": False,
    }
    if sso:
        extra["additionalEventData"]["SamlProviderArn"] = (
            f"arn:aws:iam::{account_id}:saml-provider/AWSSSO_acme_DO_NOT_DELETE"
        )
    if not success:
        extra["errorMessage"] = "Failed authentication"
    return ct_event(
        g, when, account_id, identity, "signin.amazonaws.com", "ConsoleLogin", ip,
        g.rng.choice(BROWSERS), **extra,
    )


def gen_cloudtrail(g):
    events = []
    rng = g.rng

    # Background API activity from people and automation.
    for _ in range(1230):
        account_id, _ = rng.choice(ACCOUNTS)
        when = g.random_time()
        roll = rng.random()
        if roll < 0.45:
            role = rng.choice(SERVICE_ROLES)
            identity = ct_identity(g, "AssumedRole", account_id, role, f"{role}-{rng.randint(1000, 9999)}")
            ip, agent = rng.choice(["10.20.1.15", "10.20.3.40", "10.20.7.9"]), rng.choice(SDK_AGENTS[1:])
        elif roll < 0.8:
            role, person = rng.choice(SSO_ROLES)
            identity = ct_identity(g, "AssumedRole", account_id, role, f"{person}@acme.example")
            ip, agent = rng.choice(CORP_IPS + HOME_IPS), rng.choice(SDK_AGENTS[:2] + BROWSERS[:1])
        else:
            identity = ct_identity(g, "IAMUser", account_id, rng.choice(IAM_USERS))
            ip, agent = rng.choice(CORP_IPS + HOME_IPS), rng.choice(SDK_AGENTS[:2])
        source, name, _ = rng.choice(BACKGROUND_CALLS)
        extra = {}
        if rng.random() < 0.015:  # the odd denied call, never enough to alert
            extra = {"errorCode": "AccessDenied", "errorMessage": "User is not authorized to perform this action"}
        events.append(ct_event(g, when, account_id, identity, source, name, ip, agent, **extra))

    # Console sign-ins: people with MFA, SSO-federated sessions (MFA happens in
    # Okta, CloudTrail says MFAUsed=No), and people without MFA.
    for _ in range(60):
        account_id, _ = rng.choice(ACCOUNTS)
        identity = ct_identity(g, "IAMUser", account_id, rng.choice(["carol.dev", "frank.ops", "grace.data"]))
        events.append(console_login(g, g.random_time(7, 20), account_id, identity, rng.choice(CORP_IPS + HOME_IPS)))
    for _ in range(6):
        account_id, _ = rng.choice(ACCOUNTS[:2])
        role, person = rng.choice(SSO_ROLES)
        identity = ct_identity(g, "AssumedRole", account_id, role, f"{person}@acme.example")
        events.append(
            console_login(g, g.random_time(8, 18), account_id, identity, rng.choice(CORP_IPS), mfa="No", sso=True)
        )
    staging, prod, sandbox = ACCOUNTS[1][0], ACCOUNTS[0][0], ACCOUNTS[2][0]
    for hh, mm in ((11, 2), (15, 47)):
        identity = ct_identity(g, "IAMUser", staging, "dave.contractor")
        events.append(console_login(g, g.at(hh, mm), staging, identity, "192.0.2.44", mfa="No"))
    identity = ct_identity(g, "IAMUser", prod, "acme-breakglass-admin")
    events.append(console_login(g, g.at(3, 12), prod, identity, "198.51.100.10", mfa="No"))

    # Root: one successful login in prod, failed attempts in sandbox.
    events.append(console_login(g, g.at(9, 14, 2), prod, ct_identity(g, "Root", prod), "198.51.100.23"))
    for ss in (5, 19, 41):
        events.append(
            console_login(g, g.at(9, 20, ss), sandbox, ct_identity(g, "Root", sandbox), "203.0.113.77",
                          success=False, mfa="No")
        )

    # CI role hammering APIs it has no permission for (threshold demo), plus a
    # second principal that stays below the threshold.
    session = "build-5521"
    for i in range(40):
        when = g.at(12, 0) + timedelta(seconds=12 * i + rng.randint(0, 9))
        identity = ct_identity(g, "AssumedRole", prod, "ci-deployer", session)
        source, name, _ = rng.choice(BACKGROUND_CALLS[:9])
        code = "Client.UnauthorizedOperation" if source == "ec2.amazonaws.com" else "AccessDenied"
        events.append(
            ct_event(g, when, prod, identity, source, name, "203.0.113.200", SDK_AGENTS[1],
                     region=rng.choice(["us-east-1", "eu-west-1", "ap-southeast-2"]),
                     errorCode=code, errorMessage="You are not authorized to perform this operation.")
        )
    for i in range(6):
        identity = ct_identity(g, "IAMUser", staging, "erin.dev")
        events.append(
            ct_event(g, g.at(16, 10 + i), staging, identity, "iam.amazonaws.com", "ListRoles",
                     "192.0.2.61", SDK_AGENTS[0], errorCode="AccessDenied",
                     errorMessage="User is not authorized to perform: iam:ListRoles")
        )

    # S3 bucket policy changes: by a developer (alert, deduped per bucket) and
    # by the Terraform pipeline (expected).
    for mm in (30, 33):
        identity = ct_identity(g, "AssumedRole", staging, "AcmeDeveloper", "erin.dev@acme.example")
        events.append(
            ct_event(g, g.at(13, mm), staging, identity, "s3.amazonaws.com", "PutBucketPolicy",
                     "192.0.2.61", BROWSERS[1],
                     requestParameters={"bucketName": "acme-staging-exports", "policy": "<redacted>"})
        )
    for _ in range(5):
        identity = ct_identity(g, "AssumedRole", prod, "acme-terraform-apply", f"ci-run-{rng.randint(4000, 4999)}")
        events.append(
            ct_event(g, g.random_time(1, 6), prod, identity, "s3.amazonaws.com", "PutBucketPolicy",
                     "10.20.1.15", SDK_AGENTS[3],
                     requestParameters={"bucketName": rng.choice(["acme-prod-artifacts", "acme-prod-logs"])})
        )

    # Access keys: for someone else (alert), by an admin (ok), own rotation (ok).
    def create_key(when, account_id, actor, target):
        identity = ct_identity(g, "IAMUser", account_id, actor)
        return ct_event(
            g, when, account_id, identity, "iam.amazonaws.com", "CreateAccessKey",
            rng.choice(HOME_IPS), SDK_AGENTS[0],
            requestParameters={"userName": target},
            responseElements={"accessKey": {"accessKeyId": "AKIA" + g.hexid(16).upper(),
                                            "status": "Active", "userName": target}},
        )

    events.append(create_key(g.at(15, 10), staging, "frank.ops", "svc-reporting"))
    events.append(create_key(g.at(10, 5), prod, "alice.admin", "svc-backup"))
    for user in ("carol.dev", "grace.data", "erin.dev"):
        events.append(create_key(g.random_time(8, 18), staging, user, user))

    # Audit tampering and key destruction by a temporary account.
    identity = ct_identity(g, "IAMUser", staging, "mallory.temp")
    trail = f"arn:aws:cloudtrail:us-east-1:{staging}:trail/acme-org-trail"
    events.append(ct_event(g, g.at(16, 0), staging, identity, "cloudtrail.amazonaws.com", "StopLogging",
                           "203.0.113.77", SDK_AGENTS[0], requestParameters={"name": trail}))
    events.append(ct_event(g, g.at(16, 2), staging, identity, "cloudtrail.amazonaws.com", "DeleteTrail",
                           "203.0.113.77", SDK_AGENTS[0], requestParameters={"name": trail}))
    events.append(ct_event(g, g.at(17, 45), staging, identity, "kms.amazonaws.com", "ScheduleKeyDeletion",
                           "203.0.113.77", SDK_AGENTS[0],
                           requestParameters={"keyId": f"arn:aws:kms:us-east-1:{staging}:key/1a2b3c4d-0000-4000-8000-00000000demo",
                                              "pendingWindowInDays": 7}))
    return events


# --------------------------------------------------------------------------
# Okta System Log
# --------------------------------------------------------------------------


def okta_event(g, identities, when, event_type, actor, ip, result="SUCCESS", reason=None,
               targets=None, debug=None, message=None):
    user_agent = g.rng.choice(BROWSERS)
    event = {
        "uuid": g.uuid(),
        "published": iso_z(when, 3),
        "eventType": event_type,
        "version": "0",
        "severity": "INFO" if result == "SUCCESS" else "WARN",
        "displayMessage": message or event_type.replace(".", " "),
        "actor": {
            "id": "00u" + g.hexid(17),
            "type": "User",
            "alternateId": actor,
            "displayName": actor.split("@")[0].replace(".", " ").title(),
        },
        "client": {
            "userAgent": {"rawUserAgent": user_agent, "os": "Unknown", "browser": "UNKNOWN"},
            "zone": "null",
            "device": "Computer",
            "ipAddress": ip,
            "geographicalContext": {"country": "United States" if ip.startswith(("198.51", "192.0")) else "Unknown"},
        },
        "authenticationContext": {"externalSessionId": "102" + g.hexid(22)},
        "outcome": {"result": result},
        "target": targets or [],
        "transaction": {"type": "WEB", "id": g.hexid(24)},
        "debugContext": {"debugData": debug or {"requestUri": "/api/v1/authn"}},
    }
    if reason:
        event["outcome"]["reason"] = reason
    event.update(g.p_fields("Okta.SystemLog", when, "acme-okta", [ip]))
    enrich = enrichment(identities, "actor.alternateId", actor)
    if enrich:
        event["p_enrichment"] = enrich
    return event


def okta_user_target(email):
    return {"id": "00u" + email.split("@")[0].replace(".", "")[:12].ljust(12, "0"),
            "type": "User", "alternateId": email, "displayName": email.split("@")[0].replace(".", " ").title()}


def gen_okta(g, identities):
    rng = g.rng
    events = []
    for _ in range(560):
        user = rng.choice(OKTA_USERS)
        when = g.random_time(6, 22)
        ip = rng.choice(CORP_IPS + HOME_IPS)
        kind = rng.random()
        if kind < 0.35:
            events.append(okta_event(g, identities, when, "user.session.start", user, ip))
        elif kind < 0.75:
            app = rng.choice(OKTA_APPS)
            events.append(okta_event(g, identities, when, "user.authentication.sso", user, ip,
                                     targets=[{"type": "AppInstance", "alternateId": app, "displayName": app}]))
        elif kind < 0.9:
            events.append(okta_event(g, identities, when, "user.authentication.auth_via_mfa", user, ip,
                                     debug={"factor": rng.choice(["OKTA_VERIFY_PUSH", "WEBAUTHN"])}))
        elif kind < 0.97:
            events.append(okta_event(g, identities, when, "policy.evaluate_sign_on", user, ip))
        else:  # a single typo now and then
            events.append(okta_event(g, identities, when, "user.session.start", user, ip,
                                     result="FAILURE", reason="INVALID_CREDENTIALS"))

    # Password guessing: 12 failures for j.doe, 7 for k.lee, 3 for carol.
    for user, ip, count, start in (
        ("j.doe@acme.example", "203.0.113.66", 12, g.at(13, 50)),
        ("k.lee@acme.example", "198.18.7.20", 7, g.at(21, 5)),
        ("carol.dev@acme.example", "192.0.2.45", 3, g.at(8, 31)),
    ):
        for i in range(count):
            when = start + timedelta(seconds=25 * i + rng.randint(0, 20))
            events.append(okta_event(g, identities, when, "user.session.start", user, ip,
                                     result="FAILURE", reason="INVALID_CREDENTIALS",
                                     message="User login to Okta"))

    # MFA reset for j.doe by the help desk, then a Super administrator grant
    # to the same user 15 minutes later (correlation rule scenario).
    events.append(okta_event(g, identities, g.at(14, 5), "user.mfa.factor.reset_all",
                             "helpdesk.kim@acme.example", "198.51.100.11",
                             targets=[okta_user_target("j.doe@acme.example")],
                             message="Reset all factors for user"))
    events.append(okta_event(g, identities, g.at(14, 20), "user.account.privilege.grant",
                             "alice.admin@acme.example", "198.51.100.10",
                             targets=[okta_user_target("j.doe@acme.example")],
                             debug={"privilegeGranted": "Super administrator"},
                             message="Grant user privilege"))
    events.append(okta_event(g, identities, g.at(16, 0), "group.privilege.grant",
                             "bob.ops@acme.example", "198.51.100.10",
                             targets=[{"type": "UserGroup", "alternateId": "it-helpdesk", "displayName": "IT Helpdesk"}],
                             debug={"privilegeGranted": "Help Desk administrator"},
                             message="Grant group privilege"))
    events.append(okta_event(g, identities, g.at(10, 15), "user.mfa.factor.deactivate",
                             "ivy.legal@acme.example", "192.0.2.120",
                             targets=[okta_user_target("ivy.legal@acme.example")],
                             message="Reset factor for user"))

    # Okta Admin Console access: admins (expected) and contractors.
    for user, times in (
        ("alice.admin@acme.example", ((9, 0), (13, 12), (17, 40))),
        ("bob.ops@acme.example", ((10, 22),)),
        ("helpdesk.kim@acme.example", ((14, 1), (14, 3))),
        ("dave.contractor@acme.example", ((19, 48),)),
    ):
        for hh, mm in times:
            events.append(okta_event(g, identities, g.at(hh, mm), "user.session.access_admin_app", user,
                                     rng.choice(CORP_IPS),
                                     targets=[{"type": "AppInstance", "alternateId": "Okta Admin Console",
                                               "displayName": "Okta Admin Console"}],
                                     message="User accessing Okta admin app"))
    return events


# --------------------------------------------------------------------------
# GitHub audit
# --------------------------------------------------------------------------


def gh_event(g, when, action, actor, repo=None, org="acme-corp", **extra):
    ip = g.rng.choice(CORP_IPS + HOME_IPS)
    event = {
        "@timestamp": int(when.timestamp() * 1000),
        "action": action,
        "actor": actor,
        "actor_id": 4000 + GITHUB_USERS.index(actor) if actor in GITHUB_USERS else 4999,
        "actor_ip": ip,
        "actor_location": {"country_code": "US"},
        "business": "acme",
        "created_at": int(when.timestamp() * 1000),
        "org": org,
        "operation_type": "modify",
        "_document_id": g.hexid(22),
    }
    if repo:
        event["repo"] = repo
    event.update(extra)
    event.update(g.p_fields("GitHub.Audit", when, "acme-github-enterprise", [ip]))
    return event


def gen_github(g):
    rng = g.rng
    events = []
    for _ in range(440):
        when = g.random_time(7, 23)
        actor = rng.choice(GITHUB_USERS)
        repo = rng.choice(GITHUB_REPOS)
        action = rng.choice([
            "git.clone", "git.clone", "git.push", "git.push", "git.fetch",
            "pull_request.create", "pull_request.merge", "workflows.completed_workflow_run",
            "repo.download_zip", "team.add_member", "protected_branch.create",
        ])
        extra = {}
        if action.startswith("protected_branch"):
            extra["name"] = "main"
        if action == "team.add_member":
            extra["team"] = "acme-corp/" + rng.choice(["platform", "payments", "data"])
            extra["user"] = rng.choice(GITHUB_USERS)
        events.append(gh_event(g, when, action, actor, repo, **extra))
    for _ in range(6):
        events.append(gh_event(g, g.random_time(9, 17), "repo.access", "alice-admin",
                               rng.choice(GITHUB_REPOS[:4]), visibility="private"))

    # Scenarios
    events.append(gh_event(g, g.at(10, 40), "protected_branch.destroy", "eve-dev",
                           "acme-corp/payments-api", name="main"))
    events.append(gh_event(g, g.at(10, 41), "protected_branch.update_admin_enforced", "eve-dev",
                           "acme-corp/payments-api", name="main", admin_enforced=False))
    events.append(gh_event(g, g.at(10, 55), "protected_branch.update_admin_enforced", "alice-admin",
                           "acme-corp/payments-api", name="main", admin_enforced=True))
    for mm in (5, 6, 9):  # admins pushing past required reviews (covered by upstream 2.0)
        events.append(gh_event(g, g.at(22, mm), "protected_branch.policy_override", "bob-ops",
                               "acme-corp/infra-terraform", name="main"))
    events.append(gh_event(g, g.at(18, 0), "repo.access", "eve-dev", "acme-corp/billing-service",
                           visibility="public"))
    events.append(gh_event(g, g.at(18, 2), "repo.access", "alice-admin", "acme-corp/docs", visibility="public"))
    events.append(gh_event(g, g.at(18, 30), "repo.access", "intern-sam", "acme-sandbox/hackday-2026",
                           org="acme-sandbox", visibility="public"))
    return events


# --------------------------------------------------------------------------
# GCP audit
# --------------------------------------------------------------------------


def gcp_event(g, identities, when, method, principal, project, service, resource_type, resource_name,
              request=None, code=None):
    ip = "10.128.0.12" if principal.endswith("gserviceaccount.com") else g.rng.choice(CORP_IPS + HOME_IPS)
    payload = {
        "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
        "authenticationInfo": {"principalEmail": principal},
        "requestMetadata": {
            "callerIp": ip,
            "callerSuppliedUserAgent": g.rng.choice(
                ["google-cloud-sdk gcloud/462.0.1 command/gcloud.iam", "Terraform/1.7.4 terraform-provider-google/5.18.0",
                 "grpc-python/1.62.0"]),
        },
        "serviceName": service,
        "methodName": method,
        "resourceName": resource_name,
        "authorizationInfo": [{"resource": resource_name, "permission": method.rsplit(".", 1)[-1], "granted": code is None}],
    }
    if request:
        payload["request"] = request
    if code:
        payload["status"] = {"code": code, "message": "PERMISSION_DENIED"}
    event = {
        "insertId": g.hexid(12),
        "logName": f"projects/{project}/logs/cloudaudit.googleapis.com%2Factivity",
        "protoPayload": payload,
        "receiveTimestamp": iso_z(when + timedelta(seconds=1), 6),
        "resource": {"type": resource_type, "labels": {"project_id": project}},
        "severity": "NOTICE" if code is None else "ERROR",
        "timestamp": iso_z(when, 6),
    }
    event.update(g.p_fields("GCP.AuditLog", when, "acme-gcp-org-audit", [ip]))
    enrich = enrichment(identities, "protoPayload.authenticationInfo.principalEmail", principal)
    if enrich:
        event["p_enrichment"] = enrich
    return event


def gen_gcp(g, identities):
    rng = g.rng
    events = []
    background = [
        ("v1.compute.instances.list", "compute.googleapis.com", "gce_instance"),
        ("storage.buckets.list", "storage.googleapis.com", "gcs_bucket"),
        ("google.iam.admin.v1.ListServiceAccountKeys", "iam.googleapis.com", "service_account"),
        ("google.iam.admin.v1.GetServiceAccount", "iam.googleapis.com", "service_account"),
        ("SetIamPolicy", "cloudresourcemanager.googleapis.com", "project"),
        ("google.cloud.bigquery.v2.JobService.InsertJob", "bigquery.googleapis.com", "bigquery_project"),
    ]
    for _ in range(270):
        method, service, rtype = rng.choice(background)
        principal = rng.choice(GCP_PEOPLE + GCP_SERVICE_ACCOUNTS[:2])
        project = rng.choice(GCP_PROJECTS)
        events.append(gcp_event(g, identities, g.random_time(), method, principal, project, service, rtype,
                                f"projects/{project}", code=7 if rng.random() < 0.02 else None))

    def create_key(when, principal, account, code=None):
        name = f"projects/-/serviceAccounts/{account}"
        return gcp_event(g, identities, when, "google.iam.admin.v1.CreateServiceAccountKey", principal,
                         "acme-data-prod", "iam.googleapis.com", "service_account", name,
                         request={"name": name, "@type": "type.googleapis.com/google.iam.admin.v1.CreateServiceAccountKeyRequest"},
                         code=code)

    for hh in (2, 6, 10, 14, 18, 22):  # rotation automation, expected
        events.append(create_key(g.at(hh, 0), GCP_SERVICE_ACCOUNTS[2], GCP_SERVICE_ACCOUNTS[0]))
    events.append(create_key(g.at(19, 12), "grace.data@acme.example", GCP_SERVICE_ACCOUNTS[1]))
    events.append(create_key(g.at(19, 40), "contractor.tmp@gmail.com", GCP_SERVICE_ACCOUNTS[0]))
    events.append(create_key(g.at(20, 1), "carol.dev@acme.example", GCP_SERVICE_ACCOUNTS[0], code=7))
    return events


# --------------------------------------------------------------------------


def to_jsonl(events):
    events = sorted(events, key=lambda e: (e["p_event_time"], e["p_row_id"]))
    return "".join(json.dumps(e, separators=(",", ":"), ensure_ascii=False) + "\n" for e in events)


def write_text(path, text):
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)


def write_gzip(path, text):
    buffer = io.BytesIO()
    # filename="" and mtime=0 keep the gzip header free of names and dates.
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as gz:
        gz.write(text.encode("utf-8"))
    with open(path, "wb") as handle:
        handle.write(buffer.getvalue())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out", default=DEFAULT_OUT, help="output folder (default: base/sample_logs)")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    identities = load_identities()
    # One generator per log type so that changing one does not shift the others.
    outputs = [
        ("aws_cloudtrail.jsonl.gz", gen_cloudtrail(Gen(SEED + 1)), True),
        ("okta_systemlog.jsonl", gen_okta(Gen(SEED + 2), identities), False),
        ("github_audit.jsonl", gen_github(Gen(SEED + 3)), False),
        ("gcp_auditlog.jsonl", gen_gcp(Gen(SEED + 4), identities), False),
    ]
    for name, events, compressed in outputs:
        path = os.path.join(args.out, name)
        text = to_jsonl(events)
        if compressed:
            write_gzip(path, text)
        else:
            write_text(path, text)
        print(f"{name}: {len(events)} events, {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()

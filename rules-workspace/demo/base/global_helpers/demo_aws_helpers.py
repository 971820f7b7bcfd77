"""AWS-specific helpers for the Acme demo detections (stdlib only)."""

from demo_base_helpers import deep_get

# Acme's AWS organisation. Account names show up in alert titles.
ACME_AWS_ACCOUNTS = {
    "111122223333": "acme-prod",
    "444455556666": "acme-staging",
    "777788889999": "acme-sandbox",
}

PROD_ACCOUNT_IDS = frozenset({"111122223333"})


def aws_account_name(account_id) -> str:
    """Friendly name of an Acme account, or the raw ID for unknown accounts."""
    if not account_id:
        return "unknown-account"
    return ACME_AWS_ACCOUNTS.get(str(account_id), str(account_id))


def is_prod_account(account_id) -> bool:
    return str(account_id) in PROD_ACCOUNT_IDS


def actor_name(event) -> str:
    """Best-effort human readable name of the CloudTrail principal."""
    identity = deep_get(event, "userIdentity", default={})
    identity_type = deep_get(identity, "type", default="")
    if identity_type == "Root":
        return "root"
    if identity_type == "AssumedRole":
        issuer = deep_get(identity, "sessionContext", "sessionIssuer", "userName")
        arn = deep_get(identity, "arn", default="")
        session = arn.rsplit("/", 1)[-1] if arn else ""
        return f"{issuer}/{session}" if issuer and session else (issuer or arn or "unknown")
    return (
        deep_get(identity, "userName")
        or deep_get(identity, "principalId")
        or deep_get(identity, "arn")
        or "unknown"
    )


def aws_alert_context(event) -> dict:
    """Common alert context for CloudTrail detections."""
    return {
        "account_id": deep_get(event, "recipientAccountId", default=""),
        "account_name": aws_account_name(deep_get(event, "recipientAccountId")),
        "actor": actor_name(event),
        "actor_arn": deep_get(event, "userIdentity", "arn", default=""),
        "event_name": deep_get(event, "eventName", default=""),
        "event_source": deep_get(event, "eventSource", default=""),
        "region": deep_get(event, "awsRegion", default=""),
        "source_ip": deep_get(event, "sourceIPAddress", default=""),
        "user_agent": deep_get(event, "userAgent", default=""),
    }


def is_failed_call(event) -> bool:
    """CloudTrail records a failed call with an errorCode."""
    return bool(deep_get(event, "errorCode"))

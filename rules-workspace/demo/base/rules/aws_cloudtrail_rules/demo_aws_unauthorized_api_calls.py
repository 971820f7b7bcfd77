from demo_aws_helpers import aws_alert_context

DENIED_ERROR_CODES = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "Client.UnauthorizedOperation",
}

# Read-only probing by the security scanner is expected to hit denials.
IGNORED_SOURCES = {"securityhub.amazonaws.com", "config.amazonaws.com"}


def rule(event):
    if event.get("errorCode") not in DENIED_ERROR_CODES:
        return False
    return event.udm("source_ip") not in IGNORED_SOURCES


def title(event):
    return f"Repeated access denied errors for [{event.udm('actor_user')}]"


def dedup(event):
    # Threshold counts events per dedup string, so group by principal.
    return event.deep_get("userIdentity", "arn", default=event.udm("actor_user"))


def alert_context(event):
    context = aws_alert_context(event)
    context["error_code"] = event.get("errorCode", "")
    return context

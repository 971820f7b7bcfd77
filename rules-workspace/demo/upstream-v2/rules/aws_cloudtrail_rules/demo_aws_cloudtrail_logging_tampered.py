from demo_aws_helpers import aws_account_name, aws_alert_context

# Replaces Demo.AWS.CloudTrail.Stopped (removed in 2.0), which only saw
# StopLogging.
TAMPERING_EVENTS = {
    "StopLogging",
    "DeleteTrail",
    "UpdateTrail",
    "PutEventSelectors",
}

# The organisation trail is managed by Terraform.
TERRAFORM_ROLES = {"acme-terraform-apply"}


def rule(event):
    if event.get("eventSource") != "cloudtrail.amazonaws.com":
        return False
    if event.get("eventName") not in TAMPERING_EVENTS or event.get("errorCode"):
        return False
    role = event.deep_get("userIdentity", "sessionContext", "sessionIssuer", "userName")
    return role not in TERRAFORM_ROLES


def trail_name(event):
    name = event.deep_get("requestParameters", "name") or event.deep_get(
        "requestParameters", "trailName", default="<unknown trail>"
    )
    return name.rsplit("/", 1)[-1]


def title(event):
    account = aws_account_name(event.get("recipientAccountId"))
    return (
        f"CloudTrail [{trail_name(event)}] tampered with ({event.get('eventName')}) "
        f"in [{account}] by [{event.udm('actor_user')}]"
    )


def dedup(event):
    return f"{event.get('recipientAccountId')}:{trail_name(event)}"


def severity(event):
    if event.get("eventName") in ("StopLogging", "DeleteTrail"):
        return "CRITICAL"
    return "DEFAULT"


def alert_context(event):
    context = aws_alert_context(event)
    context["trail"] = trail_name(event)
    return context

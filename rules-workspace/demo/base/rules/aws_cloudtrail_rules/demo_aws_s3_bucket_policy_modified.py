from demo_aws_helpers import aws_alert_context

# The InlineFilters in the YAML already restrict events to S3; the Python
# repeats the event-name check so the rule is correct on its own (PAT ignores
# inline filters without a Panther API token).
POLICY_EVENTS = {
    "PutBucketPolicy",
    "DeleteBucketPolicy",
    "PutBucketAcl",
    "DeleteBucketPublicAccessBlock",
}

# Infrastructure-as-code pipelines are expected to change bucket policies.
TERRAFORM_ROLES = {"acme-terraform-apply"}


def rule(event):
    if event.get("eventName") not in POLICY_EVENTS:
        return False
    if event.get("errorCode"):
        return False
    role = event.deep_get("userIdentity", "sessionContext", "sessionIssuer", "userName")
    return role not in TERRAFORM_ROLES


def title(event):
    bucket = event.deep_get("requestParameters", "bucketName", default="<unknown bucket>")
    return f"S3 bucket [{bucket}] access policy changed by [{event.udm('actor_user')}]"


def dedup(event):
    return event.deep_get("requestParameters", "bucketName", default="unknown-bucket")


def alert_context(event):
    context = aws_alert_context(event)
    context["bucket"] = event.deep_get("requestParameters", "bucketName", default="")
    return context

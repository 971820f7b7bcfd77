from demo_aws_helpers import aws_account_name, aws_alert_context


def rule(event):
    return (
        event.get("eventSource") == "cloudtrail.amazonaws.com"
        and event.get("eventName") == "StopLogging"
        and not event.get("errorCode")
    )


def title(event):
    trail = event.deep_get("requestParameters", "name", default="<unknown trail>")
    account = aws_account_name(event.get("recipientAccountId"))
    return f"CloudTrail [{trail}] stopped in [{account}] by [{event.udm('actor_user')}]"


def alert_context(event):
    return aws_alert_context(event)

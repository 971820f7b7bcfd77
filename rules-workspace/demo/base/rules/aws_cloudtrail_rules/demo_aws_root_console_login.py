from demo_aws_helpers import aws_account_name, aws_alert_context, is_prod_account


def rule(event):
    return (
        event.get("eventName") == "ConsoleLogin"
        and event.deep_get("userIdentity", "type") == "Root"
        and event.get("eventType") == "AwsConsoleSignIn"
    )


def title(event):
    outcome = event.deep_get("responseElements", "ConsoleLogin", default="Unknown")
    account = aws_account_name(event.get("recipientAccountId"))
    return f"AWS root user console login ({outcome}) in [{account}] from [{event.udm('source_ip')}]"


def dedup(event):
    # One alert per account and source address.
    return f"{event.get('recipientAccountId')}:{event.udm('source_ip')}"


def severity(event):
    # Failed root logins are noisy (password spraying); keep the YAML severity
    # for successful ones.
    if event.deep_get("responseElements", "ConsoleLogin") == "Failure":
        return "Medium"
    return "DEFAULT"


def destinations(event):
    # Root activity in production pages the on-call engineer as well.
    if is_prod_account(event.get("recipientAccountId")):
        return ["acme-secops-pager", "acme-secops-slack"]
    return None


def alert_context(event):
    context = aws_alert_context(event)
    context["mfa_used"] = event.udm("mfa_used") or "No"
    return context

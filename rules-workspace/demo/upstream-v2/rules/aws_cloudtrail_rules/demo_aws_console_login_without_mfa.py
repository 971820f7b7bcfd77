from demo_aws_helpers import aws_account_name, aws_alert_context, is_prod_account

# Principals allowed to sign in without MFA (exceptions approved by the
# security team, reviewed quarterly). Keep sorted.
MFA_EXEMPT_USERS = {
    "kiosk-readonly",
    "qa-shared-console",
}


def rule(event):
    if event.get("eventName") != "ConsoleLogin":
        return False
    if event.deep_get("responseElements", "ConsoleLogin") != "Success":
        return False
    # Since 2.0: SSO (SAML) sessions get MFA from the identity provider, and
    # CloudTrail always reports MFAUsed=No for them.
    if event.deep_get("additionalEventData", "SamlProviderArn"):
        return False
    if event.udm("actor_user") in MFA_EXEMPT_USERS:
        return False
    return event.udm("mfa_used") != "Yes"


def title(event):
    account = aws_account_name(event.get("recipientAccountId"))
    return f"[{event.udm('actor_user')}] signed in to AWS console [{account}] without MFA"


def dedup(event):
    return f"{event.get('recipientAccountId')}:{event.udm('actor_user')}"


def runbook(event):
    if is_prod_account(event.get("recipientAccountId")):
        return (
            "Production account: disable the user's console password immediately, "
            "then contact the user to enrol an MFA device."
        )
    return "Contact the user and ask them to enrol an MFA device within 24 hours."


def alert_context(event):
    return aws_alert_context(event)

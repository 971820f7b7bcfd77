from demo_aws_helpers import aws_account_name, aws_alert_context, is_failed_call
from demo_base_helpers import is_admin_user

# Both imported helpers are module attributes of this detection, so unit tests
# can replace them with "Mocks" (objectName: is_admin_user / aws_account_name).


def rule(event):
    if event.get("eventName") != "CreateAccessKey" or is_failed_call(event):
        return False
    target = event.deep_get("requestParameters", "userName")
    actor = event.deep_get("userIdentity", "userName")
    # Users rotating their own key are fine.
    if not target or target == actor:
        return False
    # Administrators provisioning keys for service users is routine.
    return not is_admin_user(actor)


def title(event):
    account = aws_account_name(event.get("recipientAccountId"))
    actor = event.udm("actor_user")
    target = event.deep_get("requestParameters", "userName")
    return f"[{actor}] created an access key for [{target}] in [{account}]"


def severity(event):
    # A key minted for an administrator is a persistence red flag.
    if is_admin_user(event.deep_get("requestParameters", "userName")):
        return "HIGH"
    return "DEFAULT"


def alert_context(event):
    context = aws_alert_context(event)
    context["target_user"] = event.deep_get("requestParameters", "userName", default="")
    context["access_key_id"] = event.deep_get(
        "responseElements", "accessKey", "accessKeyId", default=""
    )
    return context

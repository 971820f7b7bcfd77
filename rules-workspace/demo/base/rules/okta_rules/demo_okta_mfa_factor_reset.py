from demo_okta_helpers import okta_alert_context, okta_target_user

RESET_EVENTS = {
    "user.mfa.factor.reset_all",
    "user.mfa.factor.deactivate",
}


def rule(event):
    if event.get("eventType") not in RESET_EVENTS:
        return False
    return event.deep_get("outcome", "result") == "SUCCESS"


def title(event):
    target = okta_target_user(event)
    actor = event.udm("actor_user")
    if actor == target:
        return f"Okta: [{target}] removed their own MFA factors"
    return f"Okta: [{actor}] reset MFA factors of [{target}]"


def dedup(event):
    return okta_target_user(event)


def alert_context(event):
    return okta_alert_context(event)

from demo_okta_helpers import okta_alert_context

FAILURE_REASONS = {"INVALID_CREDENTIALS", "VERIFICATION_ERROR", "LOCKED_OUT"}


def rule(event):
    if event.get("eventType") != "user.session.start":
        return False
    if event.udm("outcome") != "FAILURE":
        return False
    return event.deep_get("outcome", "reason") in FAILURE_REASONS


def title(event):
    return (
        f"Okta: repeated sign-in failures for [{event.udm('actor_user')}] "
        f"from [{event.udm('source_ip')}]"
    )


def dedup(event):
    # Threshold is counted per dedup string: one bucket per user and address.
    return f"{event.udm('actor_user')}:{event.udm('source_ip')}"


def alert_context(event):
    return okta_alert_context(event)

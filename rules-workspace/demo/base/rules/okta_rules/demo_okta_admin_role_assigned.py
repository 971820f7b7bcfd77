from demo_okta_helpers import okta_alert_context, okta_outcome, okta_targets

GRANT_EVENTS = {"user.account.privilege.grant", "group.privilege.grant"}


def rule(event):
    return event.get("eventType") in GRANT_EVENTS and okta_outcome(event) == "SUCCESS"


def privileges(event):
    granted = event.deep_get("debugContext", "debugData", "privilegeGranted", default="")
    return [p.strip() for p in granted.split(",") if p.strip()]


def grantee(event):
    # The first target is the user or group that received the privilege.
    targets = okta_targets(event)
    return targets[0].get("alternateId", "unknown") if targets else "unknown"


def title(event):
    roles = ", ".join(privileges(event)) or "an admin role"
    return f"Okta: [{event.udm('actor_user')}] granted [{roles}] to [{grantee(event)}]"


def severity(event):
    if any(p.lower() == "super administrator" for p in privileges(event)):
        return "CRITICAL"
    return "DEFAULT"


def alert_context(event):
    context = okta_alert_context(event)
    context["privileges"] = privileges(event)
    return context

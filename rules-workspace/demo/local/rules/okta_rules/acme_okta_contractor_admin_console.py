from demo_base_helpers import deep_get
from demo_okta_helpers import okta_alert_context

# Acme-only detection (not part of the upstream content).
# Relies on the demo_acme_identities lookup table, which Panther adds to
# matching events under p_enrichment.
LOOKUP_TABLE = "demo_acme_identities"
ADMIN_APP_EVENT = "user.session.access_admin_app"


def identity(event):
    """The lookup-table row that matched the actor, whatever the selector."""
    matches = deep_get(event, "p_enrichment", LOOKUP_TABLE, default={}) or {}
    actor = event.udm("actor_user")
    for row in matches.values():
        if deep_get(row, "p_match") == actor:
            return row
    return {}


def rule(event):
    if event.get("eventType") != ADMIN_APP_EVENT:
        return False
    return deep_get(identity(event), "employment_type") == "contractor"


def title(event):
    return f"Contractor [{event.udm('actor_user')}] opened the Okta Admin Console"


def dedup(event):
    return event.udm("actor_user") or "unknown"


def alert_context(event):
    context = okta_alert_context(event)
    row = identity(event)
    context["department"] = deep_get(row, "department", default="")
    context["manager"] = deep_get(row, "manager", default="")
    return context

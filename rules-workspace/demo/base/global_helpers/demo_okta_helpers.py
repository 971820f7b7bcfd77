"""Okta System Log helpers for the Acme demo detections (stdlib only)."""

from demo_base_helpers import deep_get

OKTA_ADMIN_CONSOLE_APP = "Okta Admin Console"


def okta_actor(event) -> str:
    return deep_get(event, "actor", "alternateId", default="unknown")


def okta_targets(event, target_type=None) -> list:
    """Targets of an Okta event, optionally filtered by ``type`` (e.g. "User")."""
    targets = deep_get(event, "target", default=[]) or []
    return [t for t in targets if target_type is None or deep_get(t, "type") == target_type]


def okta_target_user(event) -> str:
    """alternateId of the first User target, falling back to the actor."""
    users = okta_targets(event, "User")
    if users:
        return deep_get(users[0], "alternateId", default="unknown")
    return okta_actor(event)


def okta_outcome(event) -> str:
    return deep_get(event, "outcome", "result", default="UNKNOWN")


def okta_alert_context(event) -> dict:
    """Common alert context for Okta detections."""
    return {
        "actor": okta_actor(event),
        "target_user": okta_target_user(event),
        "event_type": deep_get(event, "eventType", default=""),
        "outcome": okta_outcome(event),
        "outcome_reason": deep_get(event, "outcome", "reason", default=""),
        "client_ip": deep_get(event, "client", "ipAddress", default=""),
        "user_agent": deep_get(event, "client", "userAgent", "rawUserAgent", default=""),
        "country": deep_get(event, "client", "geographicalContext", "country", default=""),
        "session_id": deep_get(event, "authenticationContext", "externalSessionId", default=""),
    }

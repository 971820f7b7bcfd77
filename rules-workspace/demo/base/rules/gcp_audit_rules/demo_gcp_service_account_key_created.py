from demo_base_helpers import is_acme_identity

CREATE_KEY_METHOD = "google.iam.admin.v1.CreateServiceAccountKey"

# Service accounts that legitimately mint keys (key rotation automation).
KEY_ROTATION_PRINCIPALS = {
    "key-rotator@acme-security.iam.gserviceaccount.com",
}


def rule(event):
    if event.udm("event_type") != CREATE_KEY_METHOD:
        return False
    if event.deep_get("protoPayload", "status", "code"):
        return False  # the call failed
    return event.udm("actor_user") not in KEY_ROTATION_PRINCIPALS


def title(event):
    service_account = event.deep_get("protoPayload", "request", "name", default="<unknown>")
    return (
        f"GCP: [{event.udm('actor_user')}] created a key for "
        f"[{service_account.rsplit('/', 1)[-1]}] in project [{event.udm('project_id')}]"
    )


def severity(event):
    # Keys minted by identities outside Acme's domain are much more suspicious.
    if not is_acme_identity(event.udm("actor_user")):
        return "HIGH"
    return "DEFAULT"


def alert_context(event):
    return {
        "actor": event.udm("actor_user"),
        "project_id": event.udm("project_id"),
        "caller_ip": event.udm("source_ip"),
        "service_account": event.deep_get("protoPayload", "request", "name", default=""),
    }

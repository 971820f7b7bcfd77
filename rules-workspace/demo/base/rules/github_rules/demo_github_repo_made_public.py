# Repositories that are meant to be open source.
PUBLIC_BY_DESIGN = {
    "acme-corp/acme-sdk-python",
    "acme-corp/docs",
}

SANDBOX_ORGS = {"acme-sandbox"}


def rule(event):
    if event.get("action") != "repo.access":
        return False
    if event.get("visibility") != "public":
        return False
    return event.udm("repository") not in PUBLIC_BY_DESIGN


def title(event):
    return f"GitHub: repository [{event.udm('repository')}] made public by [{event.udm('actor_user')}]"


def destinations(event):
    # Sandbox experiments still create an alert but are not delivered anywhere.
    if event.get("org") in SANDBOX_ORGS:
        return []
    return None


def alert_context(event):
    return {
        "repository": event.udm("repository"),
        "actor": event.udm("actor_user"),
        "org": event.get("org"),
        "visibility": event.get("visibility"),
    }

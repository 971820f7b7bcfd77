from demo_base_helpers import deep_get

# Audit actions that weaken or remove branch protection.
PROTECTION_REMOVED = {
    "protected_branch.destroy",
    "protected_branch.policy_override",
    "protected_branch.update_admin_enforced",
}


def rule(event):
    action = event.get("action")
    if action not in PROTECTION_REMOVED:
        return False
    if action == "protected_branch.update_admin_enforced":
        # Only alert when admins are exempted, not when enforcement is turned on.
        return event.get("admin_enforced") is False
    return True


def title(event):
    branch = event.get("name", "<unknown branch>")
    return (
        f"GitHub: branch protection on [{event.udm('repository')}:{branch}] "
        f"weakened by [{event.udm('actor_user')}]"
    )


def description(event):
    return (
        f"Audit action {event.get('action')} removed or weakened protection of branch "
        f"{event.get('name')}. Unreviewed code can now reach this branch."
    )


def alert_context(event):
    return {
        "action": event.get("action"),
        "actor": event.udm("actor_user"),
        "repository": event.udm("repository"),
        "branch": event.get("name"),
        "org": event.get("org"),
        "country": deep_get(event, "actor_location", "country_code", default=""),
    }

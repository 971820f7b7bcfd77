def get_repository(event):
    # Repository events carry "repo" ("org/name"); some protected-branch events
    # only carry the bare repository name under "data".
    repo = event.get("repo")
    if repo:
        return repo
    data = event.get("data") or {}
    name = data.get("repo") or data.get("repository")
    org = event.get("org")
    if name and org and "/" not in name:
        return f"{org}/{name}"
    return name

REQUIRED_SETTINGS = (
    "BlockPublicAcls",
    "BlockPublicPolicy",
    "IgnorePublicAcls",
    "RestrictPublicBuckets",
)

# Buckets that intentionally serve public content (static website assets).
PUBLIC_BUCKETS = {"acme-public-website"}


def policy(resource):
    if resource.get("Name") in PUBLIC_BUCKETS:
        return True
    config = resource.get("PublicAccessBlockConfiguration") or {}
    return all(config.get(setting) is True for setting in REQUIRED_SETTINGS)


def title(resource):
    return f"S3 bucket [{resource.get('Name')}] does not block public access"


def alert_context(resource):
    config = resource.get("PublicAccessBlockConfiguration") or {}
    return {
        "bucket": resource.get("Name"),
        "account_id": resource.get("AccountId"),
        "missing_settings": [s for s in REQUIRED_SETTINGS if config.get(s) is not True],
    }

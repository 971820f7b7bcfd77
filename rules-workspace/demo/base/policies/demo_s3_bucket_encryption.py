ALLOWED_ALGORITHMS = {"aws:kms", "aws:kms:dsse", "AES256"}


def policy(resource):
    # Policies receive a plain dict: keys are case-sensitive and there is no
    # deep_get()/udm() helper on it.
    rules = resource.get("EncryptionRules") or []
    return any(r.get("SSEAlgorithm") in ALLOWED_ALGORITHMS for r in rules)


def title(resource):
    return f"S3 bucket [{resource.get('Name')}] has no default encryption"

"""Generic helpers shared by the Acme demo detections.

Written for Prowl's demo workspace. Only the standard library is used so the
module can be imported by PAT, by Prowl's embedded interpreter and by plain
``python -c 'import demo_base_helpers'`` alike.
"""

from collections.abc import Mapping, Sequence

# Acme's corporate e-mail domain. Identities outside of it are "external".
ACME_EMAIL_DOMAIN = "acme.example"

# Human administrators. Detections use is_admin_user() instead of reading this
# set directly so that unit tests can mock the decision.
ACME_ADMINS = frozenset(
    {
        "alice.admin",
        "alice.admin@acme.example",
        "bob.ops",
        "bob.ops@acme.example",
    }
)


def deep_get(obj, *keys, default=None):
    """Walk nested mappings and sequences.

    ``deep_get(event, "userIdentity", "sessionContext", "mfaAuthenticated")``
    returns ``default`` as soon as a key is missing or a value is ``None``.
    Integer keys index into lists/tuples.
    """
    current = obj
    for key in keys:
        if current is None:
            return default
        if isinstance(key, int) and isinstance(current, Sequence) and not isinstance(current, str):
            if -len(current) <= key < len(current):
                current = current[key]
                continue
            return default
        if isinstance(current, Mapping):
            current = current.get(key)
            continue
        return default
    return default if current is None else current


def first_of(obj, *paths, default=None):
    """Return the first non-empty value among several dotted paths.

    ``first_of(event, "actor.alternateId", "actor.displayName")``
    """
    for path in paths:
        value = deep_get(obj, *path.split("."))
        if value not in (None, "", [], {}):
            return value
    return default


def is_admin_user(username) -> bool:
    """True when ``username`` belongs to one of Acme's human administrators."""
    if not username:
        return False
    return str(username).lower() in ACME_ADMINS


def is_acme_identity(email) -> bool:
    """True for identities in Acme's own e-mail domain."""
    if not email or "@" not in str(email):
        return False
    return str(email).lower().rsplit("@", 1)[1] == ACME_EMAIL_DOMAIN


def pretty_list(values, limit=5) -> str:
    """Join values for alert titles, eliding the tail: ``a, b, c (+2 more)``."""
    values = [str(v) for v in values if v not in (None, "")]
    if len(values) <= limit:
        return ", ".join(values)
    return ", ".join(values[:limit]) + f" (+{len(values) - limit} more)"

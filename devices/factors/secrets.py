"""What every first factor shares: keyed hashing of its secrets."""

import hashlib
import hmac

from recognize_project import keys


def secret_hash(value: str) -> str:
    """The stored form of a code, link or recovery code: HMAC-SHA256 under a server key.

    Keyed, so a copy of the database alone does not allow guessing short codes offline.
    """
    key = keys.derive("recognize/first-factor-secrets/v1")
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def constant_time_equal(a: str, b: str) -> bool:
    """Compare two hashes without leaking where they differ."""
    return hmac.compare_digest(a.encode(), b.encode())

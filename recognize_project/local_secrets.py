"""Secrets for the embedded default: generated once into a 0600 file outside git.

Production sets ``RECOGNIZE_SECRET_KEY`` and ``RECOGNIZE_MASTER_KEY`` in the environment and
``RECOGNIZE_REQUIRE_SECRETS=1`` so that a missing key is an error instead of a new file.
"""

import base64
import json
import os
import secrets
from pathlib import Path


def load_or_create(path: Path) -> dict[str, str]:
    """Return the secrets stored at ``path``, creating the file atomically if it is missing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fresh = {
        "secret_key": secrets.token_urlsafe(50),
        "master_key": base64.b64encode(secrets.token_bytes(32)).decode(),
    }
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return json.loads(path.read_text())
    with os.fdopen(fd, "w") as handle:
        json.dump(fresh, handle)
    return fresh

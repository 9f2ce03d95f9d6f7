"""What a device signs to prove a request came from it: the challenge and the content hash.

Signing ``challengeId.sha256(content)`` binds a face template or probe to one fresh challenge
and one device key, so it can be neither replayed nor swapped in transit. Shared by the device
SDK and the server, so both build the message the same way.
"""

import base64
import hashlib


def content_digest(content: bytes) -> str:
    """URL-safe base64 SHA-256 of ``content``, unpadded."""
    return base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=").decode()


def proof_message(challenge_id: str, content: bytes) -> str:
    """The message a device signs for ``content`` under ``challenge_id``."""
    return f"{challenge_id}.{content_digest(content)}"

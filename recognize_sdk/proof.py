"""What a device signs to prove a request came from it: the challenge and the content hash.

Signing ``challengeId.sha256(content)`` binds a face template or probe to one fresh challenge
and one device key, so it can be neither replayed nor swapped in transit. A request that
changes the device's own credentials (unbind it, change or stop its push registration, fetch
its pending push challenge) signs ``device_request_message``: the purpose, the tenant, a
single-use nonce the server issued for that key and purpose, and the hash of the request's
other fields. Shared by the device SDK and the server, so both build the message the same way.
"""

import base64
import hashlib
import json
from collections.abc import Mapping


def content_digest(content: bytes) -> str:
    """URL-safe base64 SHA-256 of ``content``, unpadded."""
    return base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=").decode()


def proof_message(challenge_id: str, content: bytes) -> str:
    """The message a device signs for ``content`` under ``challenge_id``."""
    return f"{challenge_id}.{content_digest(content)}"


def request_content(fields: Mapping[str, object]) -> bytes:
    """The canonical bytes of a request's fields (all but ``signature``): sorted keys, compact."""
    kept = {key: value for key, value in fields.items() if key != "signature"}
    return json.dumps(kept, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def device_request_message(
    *, purpose: str, tenant_id: str, challenge_id: str, fields: Mapping[str, object]
) -> str:
    """The message a device signs for one request of ``purpose`` under a server-issued nonce."""
    return f"{purpose}.{tenant_id}.{proof_message(challenge_id, request_content(fields))}"

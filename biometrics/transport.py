"""Face data inside Celery task messages, encrypted so the broker never holds it in the clear.

AES-256-GCM under a key derived from the master key; the associated data is the job id, so a
payload cannot be replayed into another job. Nothing here is logged or stored.
"""

import base64
import json
import os
import uuid

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from recognize_project import keys


def _cipher() -> AESGCM:
    return AESGCM(keys.derive("recognize/face-task-payload/v1"))


def payload_seal(job_id: uuid.UUID, fields: dict[str, bytes]) -> str:
    """Encrypt ``fields`` (name → bytes) for the task running ``job_id``."""
    plain = json.dumps({k: base64.b64encode(v).decode() for k, v in fields.items()}).encode()
    nonce = os.urandom(12)
    return base64.b64encode(nonce + _cipher().encrypt(nonce, plain, job_id.bytes)).decode()


def payload_open(job_id: uuid.UUID, payload: str) -> dict[str, bytes]:
    """Decrypt a payload made by :func:`payload_seal` for the same job."""
    raw = base64.b64decode(payload)
    try:
        plain = _cipher().decrypt(raw[:12], raw[12:], job_id.bytes)
    except InvalidTag:
        raise ValueError("the task payload does not belong to this job") from None
    return {k: base64.b64decode(v) for k, v in json.loads(plain).items()}

"""Secrets inside Celery task messages, encrypted so the broker never holds them in the clear.

Face data on its way to a matching worker and one-time codes on their way to the mailer travel
this way. AES-256-GCM under a key derived from the master key for each ``purpose``; the
associated data is the row id the task works on, so a payload cannot be replayed into another
task. Nothing here is logged or stored.
"""

import base64
import json
import os
import uuid

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from recognize_project import keys

FACE_JOB = "recognize/face-task-payload/v1"
CODE_DELIVERY = "recognize/code-delivery-payload/v1"


def _cipher(purpose: str) -> AESGCM:
    return AESGCM(keys.derive(purpose))


def payload_seal(purpose: str, row_id: uuid.UUID, fields: dict[str, bytes]) -> str:
    """Encrypt ``fields`` (name → bytes) for the task of ``purpose`` working on ``row_id``."""
    plain = json.dumps({k: base64.b64encode(v).decode() for k, v in fields.items()}).encode()
    nonce = os.urandom(12)
    sealed = _cipher(purpose).encrypt(nonce, plain, row_id.bytes)
    return base64.b64encode(nonce + sealed).decode()


def payload_open(purpose: str, row_id: uuid.UUID, payload: str) -> dict[str, bytes]:
    """Decrypt a payload made by :func:`payload_seal` for the same purpose and row."""
    raw = base64.b64decode(payload)
    try:
        plain = _cipher(purpose).decrypt(raw[:12], raw[12:], row_id.bytes)
    except InvalidTag:
        raise ValueError("the task payload does not belong to this task") from None
    return {k: base64.b64decode(v) for k, v in json.loads(plain).items()}

"""Protected templates as bytes: parsing what devices send, sealing what is stored."""

import base64
import binascii

import numpy as np

from accounts import encryption
from biometrics.models import FaceTemplate
from recognize_project.errors import ApplicationError

DIMENSIONS = 128
TEMPLATE_BYTES = DIMENSIONS * 4
NORM_TOLERANCE = 1e-3
SEED_BYTES = 32
PURPOSE = "face-template"


def template_parse(encoded: str, field: str) -> np.ndarray:
    """A protected template or probe sent as base64 little-endian float32[128], checked."""
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != TEMPLATE_BYTES:
        raise ApplicationError(
            "invalid_template", f"{field} must be base64 of {DIMENSIONS} little-endian float32."
        )
    vector = np.frombuffer(raw, dtype="<f4").astype(np.float32)
    if not np.all(np.isfinite(vector)):
        raise ApplicationError("invalid_template", f"{field} contains NaN or infinite values.")
    if abs(float(np.linalg.norm(vector)) - 1.0) > NORM_TOLERANCE:
        raise ApplicationError("invalid_template", f"{field} must have unit L2 norm.")
    return vector


def seed_parse(encoded: str) -> bytes:
    """The 32-byte template seed a device sends in upload mode."""
    try:
        seed = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        seed = b""
    if len(seed) != SEED_BYTES:
        raise ApplicationError("invalid_seed", f"seed must be base64 of {SEED_BYTES} bytes.")
    return seed


def template_seal(template: FaceTemplate, vector: np.ndarray) -> None:
    """Store ``vector`` in ``template`` encrypted under the tenant's data key."""
    template.sealed_template = encryption.seal(
        tenant=template.tenant,
        plaintext=np.asarray(vector, dtype="<f4").tobytes(),
        purpose=PURPOSE,
        context=template.id.bytes + str(template.user_id).encode(),
    )


def template_open(template: FaceTemplate) -> np.ndarray:
    """The stored protected template, decrypted (in worker memory only)."""
    raw = encryption.unseal(
        tenant=template.tenant,
        blob=template.sealed_template,
        purpose=PURPOSE,
        context=template.id.bytes + str(template.user_id).encode(),
    )
    return np.frombuffer(raw, dtype="<f4").astype(np.float32)

"""Key material derived from the master key in the environment.

One secret (``RECOGNIZE_MASTER_KEY``, 32 random bytes, base64) is the root; every other key is
derived from it with HKDF-SHA256 and a purpose label, so keys for different jobs never
coincide. Derived keys are computed once per process.
"""

import base64
import functools
import hashlib

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_P256_ORDER = int("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16)


def master_key() -> bytes:
    """The 32-byte master key from settings."""
    raw = base64.b64decode(settings.RECOGNIZE_MASTER_KEY)
    if len(raw) != 32:
        raise ValueError("RECOGNIZE_MASTER_KEY must be 32 bytes, base64-encoded")
    return raw


def derive(purpose: str, length: int = 32) -> bytes:
    """A key for ``purpose`` derived from the master key (HKDF-SHA256)."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=purpose.encode()).derive(
        master_key()
    )


@functools.cache
def token_signing_key() -> ec.EllipticCurvePrivateKey:
    """The P-256 key that signs action tokens; its public half is published as a JWK."""
    scalar = int.from_bytes(derive("recognize/token-signing/v1", 48), "big") % (_P256_ORDER - 1)
    return ec.derive_private_key(scalar + 1, ec.SECP256R1())


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@functools.cache
def token_signing_jwk() -> dict[str, str]:
    """The public token-signing key as a JWK, with a key id derived from its coordinates."""
    numbers = token_signing_key().public_key().public_numbers()
    x, y = numbers.x.to_bytes(32, "big"), numbers.y.to_bytes(32, "big")
    kid = hashlib.sha256(x + y).hexdigest()[:16]
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": _b64url(x),
        "y": _b64url(y),
        "kid": kid,
        "use": "sig",
        "alg": "ES256",
    }

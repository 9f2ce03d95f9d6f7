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


def _decode_master(value: str) -> bytes:
    raw = base64.b64decode(value)
    if len(raw) != 32:
        raise ValueError("master keys must be 32 bytes, base64-encoded")
    return raw


def master_key() -> bytes:
    """The 32-byte master key from settings."""
    return _decode_master(settings.RECOGNIZE_MASTER_KEY)


def master_key_id(key: bytes | None = None) -> str:
    """A public identifier of a master key (never the key): the start of its SHA-256."""
    return hashlib.sha256(b"recognize/master-key-id" + (key or master_key())).hexdigest()[:16]


def master_keys() -> dict[str, bytes]:
    """The current master key and the previous ones still accepted for unwrapping, by id."""
    keys = [master_key()] + [
        _decode_master(v) for v in settings.RECOGNIZE_PREVIOUS_MASTER_KEYS if v.strip()
    ]
    return {master_key_id(key): key for key in keys}


def derive(purpose: str, length: int = 32, root: bytes | None = None) -> bytes:
    """A key for ``purpose`` derived from the master key, or from ``root`` (HKDF-SHA256)."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=purpose.encode())
    return hkdf.derive(root or master_key())


def derive_p256_key(purpose: str) -> ec.EllipticCurvePrivateKey:
    """A P-256 private key derived from the master key for ``purpose`` (scalar in [1, n-1])."""
    scalar = int.from_bytes(derive(purpose, 48), "big") % (_P256_ORDER - 1)
    return ec.derive_private_key(scalar + 1, ec.SECP256R1())


@functools.cache
def token_signing_key() -> ec.EllipticCurvePrivateKey:
    """The P-256 key that signs action tokens; its public half is published as a JWK."""
    return derive_p256_key("recognize/token-signing/v1")


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

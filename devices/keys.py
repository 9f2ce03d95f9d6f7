"""P-256 device keys: parse what the SDKs send, verify ECDSA-SHA256 signatures.

iOS sends its public key as the X9.63 uncompressed point, Android and our SDK as a
SubjectPublicKeyInfo; both arrive base64-encoded and are stored in one canonical form.
Signatures may be DER (X9.62, what iOS/Android/OpenSSL produce) or raw r‖s (WebCrypto).
"""

import base64
import binascii
import functools
import hashlib
import math
import time
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from recognize_project.errors import ApplicationError

REMOVAL_WINDOW_SECONDS = 600


@dataclass(frozen=True)
class DevicePublicKey:
    """A validated P-256 public key in canonical form."""

    key: ec.EllipticCurvePublicKey
    spki_b64: str
    fingerprint: str


def b64decode_any(value: str) -> bytes:
    """Decode standard or URL-safe base64, with or without padding."""
    cleaned = value.strip().replace("-", "+").replace("_", "/")
    return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), validate=True)


def public_key_parse(encoded: str) -> DevicePublicKey:
    """Parse a base64 P-256 public key (SPKI DER or uncompressed point) or raise a 400."""
    if not isinstance(encoded, str) or len(encoded) > 1024:
        raise _invalid_public_key()
    return _public_key_parsed(encoded)


def _invalid_public_key() -> ApplicationError:
    return ApplicationError("invalid_public_key", "publicKey is not a base64 P-256 public key.")


@functools.lru_cache(maxsize=4096)
def _public_key_parsed(encoded: str) -> DevicePublicKey:
    """``public_key_parse`` of a string, remembered: every verification of a device presents
    the same key, and a parsed key is immutable (invalid ones raise and are not kept)."""
    invalid = _invalid_public_key()
    try:
        raw = b64decode_any(encoded)
        if len(raw) == 65 and raw[0] == 4:
            key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
        else:
            key = serialization.load_der_public_key(raw)
    except (ValueError, binascii.Error, TypeError):
        raise invalid from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise invalid
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return DevicePublicKey(
        key=key,
        spki_b64=base64.b64encode(der).decode(),
        fingerprint=hashlib.sha256(der).hexdigest(),
    )


def public_key_from_query(value: str) -> DevicePublicKey:
    """Parse a key from a query string, where the mobile SDKs base64url-encode it once more."""
    try:
        return public_key_parse(b64decode_any(value).decode("ascii"))
    except (ApplicationError, ValueError, binascii.Error, UnicodeDecodeError):
        return public_key_parse(value)


def _signature_candidates(signature: str) -> list[bytes]:
    """The DER encodings ``signature`` (base64) may stand for: itself when it is strict DER,
    and its r‖s reading when it is 64 bytes long.

    A raw r‖s whose r begins with 0x30 looks like DER at a glance (1 signature in 256), so
    the length and first byte decide nothing; both readings are tried.
    """
    try:
        raw = b64decode_any(signature) if isinstance(signature, str) else b""
    except (ValueError, binascii.Error):
        return []
    if not raw or len(raw) > 80:
        return []
    candidates = []
    try:
        decode_dss_signature(raw)  # strict DER, or ValueError
    except ValueError:
        pass
    else:
        candidates.append(raw)
    if len(raw) == 64:
        r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
        if r and s:
            candidates.append(encode_dss_signature(r, s))
    return candidates


def signature_is_valid(key: ec.EllipticCurvePublicKey, signature: str, message: str) -> bool:
    """Whether ``signature`` (base64, DER or raw r‖s) is an ECDSA-SHA256 signature of
    ``message`` by ``key``."""
    data = message.encode()
    for candidate in _signature_candidates(signature):
        try:
            key.verify(candidate, data, ec.ECDSA(hashes.SHA256()))
        except (InvalidSignature, ValueError):
            continue
        return True
    return False


def time_window_messages(now: float | None = None) -> list[str]:
    """The messages a device may sign to prove possession without a server challenge.

    Authsignal's SDKs sign ``floor(unix_time / 600)``; iOS formats it as a float ("N.0").
    The neighbouring windows are accepted to allow for clock skew.
    """
    window = math.floor((now if now is not None else time.time()) / REMOVAL_WINDOW_SECONDS)
    return [text for n in (window, window - 1, window + 1) for text in (str(n), f"{n}.0")]


def time_window_signature_is_valid(key: ec.EllipticCurvePublicKey, signature: str) -> bool:
    """Whether ``signature`` signs one of the current :func:`time_window_messages`."""
    return any(signature_is_valid(key, signature, m) for m in time_window_messages())


def timestamp_signature_is_valid(
    key: ec.EllipticCurvePublicKey, signature: str, timestamp: str, *, skew: int = 60
) -> bool:
    """Whether ``signature`` signs ``timestamp`` (unix seconds) and that is within ``skew``
    seconds of now: a request signature that cannot be replayed for long."""
    if not timestamp.isdigit() or len(timestamp) > 12:
        return False
    if abs(time.time() - int(timestamp)) > skew:
        return False
    return signature_is_valid(key, signature, timestamp)

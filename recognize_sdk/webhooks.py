"""Signed webhooks: how Recognize signs an event and how a receiver checks it.

Each delivery carries three signatures, each over the raw body:

- ``X-Signature-V2: t=<unix seconds>,v2=<sig>[,v2=<sig>…]``, Authsignal's format, which every
  official Authsignal server SDK verifies (@authsignal/node src/webhook.ts
  ``Webhook.constructEvent``, authsignalgo client/webhook.go ``ConstructEvent``, …): ``<sig>``
  is the standard base64 of HMAC-SHA256 over ``"<t>." + body`` keyed with the tenant's API
  secret key, ``=`` padding removed; one ``v2`` per active key (``authsignal_sign``).
- Standard Webhooks (``webhook-id``, ``webhook-timestamp``, ``webhook-signature: v1,<base64
  HMAC-SHA256 of "<id>.<t>." + body>``) keyed with the endpoint's own ``whsec_`` secret
  (``standard_webhook_headers``), for receivers using a Standard Webhooks library.
- ``Recognize-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`` over ``"<t>." + body`` with the
  endpoint's secret (``webhook_sign`` / ``webhook_verify``), as before.

A receiver recomputes a signature over the raw body, compares in constant time, and rejects a
timestamp more than five minutes away from its clock, so a captured request cannot be replayed
later. Importable without Django.
"""

import base64
import binascii
import hashlib
import hmac
import time

SIGNATURE_HEADER = "Recognize-Signature"
AUTHSIGNAL_SIGNATURE_HEADER = "X-Signature-V2"
TOLERANCE_SECONDS = 300


class WebhookSignatureError(Exception):
    """The request was not signed by the endpoint's secret, or too long ago."""


def _mac(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def webhook_sign(*, secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The ``Recognize-Signature`` header value for ``body``."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return f"t={timestamp},v1={_mac(secret, timestamp, body)}"


def webhook_verify(
    *,
    secret: str,
    header: str,
    body: bytes,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> None:
    """Check a received webhook; raises WebhookSignatureError unless it is genuine and fresh."""
    parts: dict[str, list[str]] = {}
    for item in (header or "").split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        raise WebhookSignatureError("no timestamp in the signature header") from None
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        raise WebhookSignatureError("the signature is too old or from the future")
    expected = _mac(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, given) for given in parts.get("v1", [])):
        raise WebhookSignatureError("the signature does not match")


def _authsignal_mac(key: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(key.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode().rstrip("=")


def authsignal_sign(*, keys: list[str], body: bytes, timestamp: int | None = None) -> str:
    """The ``X-Signature-V2`` value for ``body``: one ``v2`` signature per key in ``keys``."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signatures = ",".join(f"v2={_authsignal_mac(key, timestamp, body)}" for key in keys)
    return f"t={timestamp},{signatures}"


def authsignal_verify(
    *,
    key: str,
    header: str,
    body: bytes,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> None:
    """Check an ``X-Signature-V2`` value as Authsignal's SDKs do (any ``v2`` made with ``key``,
    a timestamp not older than ``tolerance``); raises WebhookSignatureError otherwise."""
    parts: dict[str, list[str]] = {}
    for item in (header or "").split(","):
        name, _, value = item.strip().partition("=")
        parts.setdefault(name, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        raise WebhookSignatureError("no timestamp in the signature header") from None
    now = time.time() if now is None else now
    if timestamp < now - tolerance:
        raise WebhookSignatureError("the signature is too old")
    expected = _authsignal_mac(key, timestamp, body)
    if not any(hmac.compare_digest(expected, given) for given in parts.get("v2", [])):
        raise WebhookSignatureError("the signature does not match")


def _standard_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_`` secret: its base64 part decoded (standard alphabet, or the
    URL-safe one of older Recognize secrets)."""
    encoded = secret.removeprefix("whsec_")
    padded = encoded + "=" * (-len(encoded) % 4)
    try:
        return base64.b64decode(padded, validate=True)
    except binascii.Error:
        return base64.urlsafe_b64decode(padded)


def standard_webhook_headers(
    *, secret: str, message_id: str, body: bytes, timestamp: int | None = None
) -> dict[str, str]:
    """The Standard Webhooks headers (https://www.standardwebhooks.com) for ``body``."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_standard_key(secret), signed, hashlib.sha256).digest()
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": "v1," + base64.b64encode(digest).decode(),
    }

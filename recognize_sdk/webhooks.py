"""Signed webhooks: how Recognize signs an event and how a receiver checks it.

The signature header is ``Recognize-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>``, the
HMAC taken with the endpoint's secret over ``"<t>." + body``. A receiver recomputes it over the
raw body, compares in constant time, and rejects a timestamp more than five minutes away from
its clock, so a captured request cannot be replayed later. Importable without Django.
"""

import hashlib
import hmac
import time

SIGNATURE_HEADER = "Recognize-Signature"
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

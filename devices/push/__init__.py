"""Push delivery: hand a small message to a device through Web Push, FCM or APNs.

``push_send(channel=..., registration=..., message=..., ttl_seconds=...)`` is the one entry
point; ``push_registration_validate`` checks a registration's shape when a device registers;
``vapid_public_key()`` is the browser's ``applicationServerKey``. Gateway endpoints and
credentials come from the ``RECOGNIZE_PUSH_*`` settings. See ``errors`` for what a caller
retries (``PushDeliveryError``), disables (``StaleRegistration``) or gives up on
(``PushRejected``).
"""

import json

from devices.push.apns import apns_registration_validate, apns_send
from devices.push.errors import (
    InvalidPushMessage,
    InvalidRegistration,
    PushDeliveryError,
    PushError,
    PushNotConfigured,
    PushRejected,
    StaleRegistration,
)
from devices.push.fcm import fcm_registration_validate, fcm_send
from devices.push.transport import push_connections_close
from devices.push.webpush import vapid_public_key, webpush_registration_validate, webpush_send

__all__ = [
    "CHANNELS",
    "InvalidPushMessage",
    "InvalidRegistration",
    "PushDeliveryError",
    "PushError",
    "PushNotConfigured",
    "PushRejected",
    "StaleRegistration",
    "push_connections_close",
    "push_registration_validate",
    "push_send",
    "vapid_public_key",
]

CHANNELS = ("WEB_PUSH", "FCM", "APNS")
# FCM and APNs keep a message for at most four weeks; a push challenge lives minutes.
MAX_TTL_SECONDS = 28 * 24 * 3600

_VALIDATORS = {
    "WEB_PUSH": webpush_registration_validate,
    "FCM": fcm_registration_validate,
    "APNS": apns_registration_validate,
}


def push_registration_validate(*, channel: str, registration: object) -> dict:
    """The registration in canonical form for ``channel``, or ``InvalidRegistration``."""
    if channel not in _VALIDATORS:
        raise InvalidRegistration(f"unknown push channel {channel!r}; one of {', '.join(CHANNELS)}")
    return _VALIDATORS[channel](registration)


def _message_validate(message: object) -> dict:
    if not isinstance(message, dict) or not all(isinstance(k, str) for k in message):
        raise InvalidPushMessage("a push message must be an object with string keys")
    try:
        json.dumps(message)
    except (TypeError, ValueError):
        raise InvalidPushMessage("a push message must be JSON-serialisable") from None
    return message


def push_send(*, channel: str, registration: dict, message: dict, ttl_seconds: int = 300) -> None:
    """Deliver ``message`` to one device registration through ``channel``'s gateway.

    Returns when the gateway accepted the message. Raises ``InvalidRegistration`` /
    ``InvalidPushMessage`` (``ValueError``s) before any network call, ``PushNotConfigured`` when
    the channel has no settings, ``StaleRegistration`` when the gateway says the registration is
    gone, ``PushDeliveryError`` for a transient failure and ``PushRejected`` for a permanent one.
    """
    registration = push_registration_validate(channel=channel, registration=registration)
    message = _message_validate(message)
    if isinstance(ttl_seconds, bool) or not isinstance(ttl_seconds, int):
        raise InvalidPushMessage("ttl_seconds must be an integer")
    if not 0 <= ttl_seconds <= MAX_TTL_SECONDS:
        raise InvalidPushMessage(f"ttl_seconds must be between 0 and {MAX_TTL_SECONDS}")
    if channel == "WEB_PUSH":
        payload = json.dumps(message, separators=(",", ":")).encode()
        webpush_send(registration=registration, payload=payload, ttl_seconds=ttl_seconds)
    elif channel == "FCM":
        fcm_send(registration=registration, message=message, ttl_seconds=ttl_seconds)
    else:
        apns_send(registration=registration, message=message, ttl_seconds=ttl_seconds)

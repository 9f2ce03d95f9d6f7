"""Apple Push Notification service: the provider API over HTTP/2 with token-based auth.

``POST /3/device/<deviceToken>`` on a pooled HTTP/2 connection, with ``authorization: bearer
<JWT>`` (ES256 with the .p8 signing key; ``kid`` its key id, ``iss`` the team id, ``iat``).
APNs refuses tokens older than an hour and throttles refreshing more often than every 20
minutes, so one token is reused for 50 minutes; ``ExpiredProviderToken`` gets one fresh token.

The notification is an alert (priority 10, expiring with the challenge) carrying the message's
fields beside ``aps`` for the app. ``BadDeviceToken`` also means a development (sandbox) token
sent to the production gateway: point ``RECOGNIZE_PUSH_APNS_URL`` at the gateway the app's
build registered with.
"""

import json
import re
import threading
import time

import jwt
from django.conf import settings

from devices.push import transport
from devices.push.errors import (
    InvalidPushMessage,
    InvalidRegistration,
    PushNotConfigured,
    PushRejected,
    StaleRegistration,
)

GATEWAY = "APNs"
TOKEN_REUSE_SECONDS = 50 * 60
MAX_PAYLOAD_BYTES = 4096
# What the device shows; the app itself reads the challenge from the custom fields.
ALERT_TITLE_DEFAULT = "Sign-in request"
ALERT_BODY = "Approve or deny this request in the app."

_DEVICE_TOKEN = re.compile(r"(?:[0-9a-fA-F]{2}){16,100}")
_tokens: dict[tuple[str, str, str], tuple[str, float]] = {}
_tokens_lock = threading.Lock()


def apns_registration_validate(registration: object) -> dict:
    """The registration, checked: ``{"deviceToken": <hex>}`` (normalised to lower case)."""
    if not isinstance(registration, dict):
        raise InvalidRegistration("an APNs registration must be an object")
    token = registration.get("deviceToken")
    if not isinstance(token, str) or not _DEVICE_TOKEN.fullmatch(token):
        raise InvalidRegistration("an APNs registration needs deviceToken as a hex string")
    return {"deviceToken": token.lower()}


def _config() -> dict[str, str]:
    names = {
        "key_file": "RECOGNIZE_PUSH_APNS_KEY_FILE",
        "key_id": "RECOGNIZE_PUSH_APNS_KEY_ID",
        "team_id": "RECOGNIZE_PUSH_APNS_TEAM_ID",
        "topic": "RECOGNIZE_PUSH_APNS_TOPIC",
        "url": "RECOGNIZE_PUSH_APNS_URL",
    }
    config = {key: getattr(settings, name, "") for key, name in names.items()}
    missing = [names[key] for key, value in config.items() if not value]
    if missing:
        raise PushNotConfigured(f"APNs needs {', '.join(missing)}")
    return config


def _provider_token(config: dict[str, str], *, renew: bool = False) -> str:
    """The provider JWT, reused for up to 50 minutes."""
    key = (config["key_file"], config["key_id"], config["team_id"])
    now = time.time()
    with _tokens_lock:
        cached = _tokens.get(key)
        if cached and not renew and now - cached[1] < TOKEN_REUSE_SECONDS:
            return cached[0]
        try:
            with open(config["key_file"], encoding="ascii") as handle:
                signing_key = handle.read()
            token = jwt.encode(
                {"iss": config["team_id"], "iat": int(now)},
                signing_key,
                algorithm="ES256",
                headers={"kid": config["key_id"]},
            )
        except (OSError, ValueError, TypeError, jwt.PyJWTError) as error:
            raise PushNotConfigured(f"the APNs signing key is unusable: {error}") from None
        _tokens[key] = (token, now)
        return token


def apns_payload(message: dict) -> bytes:
    """The notification JSON: an ``aps`` alert and the message's fields for the app."""
    if "aps" in message:
        raise InvalidPushMessage("APNs reserves the key 'aps'")
    title = message.get("tenantName")
    alert = {"title": title if isinstance(title, str) and title else ALERT_TITLE_DEFAULT}
    alert["body"] = ALERT_BODY
    aps = {"alert": alert, "sound": "default", "interruption-level": "time-sensitive"}
    payload = json.dumps({"aps": aps, **message}, separators=(",", ":")).encode()
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise InvalidPushMessage(f"an APNs payload is limited to {MAX_PAYLOAD_BYTES} bytes")
    return payload


def _reason(response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("reason", "")) if isinstance(body, dict) else ""


def apns_send(*, registration: dict, message: dict, ttl_seconds: int) -> None:
    """Send ``message`` as an alert notification to the device token."""
    payload = apns_payload(message)
    config = _config()
    url = f"{config['url'].rstrip('/')}/3/device/{registration['deviceToken']}"
    renew = False
    while True:
        headers = {
            "authorization": f"bearer {_provider_token(config, renew=renew)}",
            "apns-topic": config["topic"],
            "apns-push-type": "alert",
            "apns-priority": "10",
            "apns-expiration": str(int(time.time()) + ttl_seconds),
            "content-type": "application/json",
        }
        response = transport.post(GATEWAY, url, http2=True, content=payload, headers=headers)
        status, reason = response.status_code, _reason(response)
        if status == 200:
            return
        if status == 403 and reason == "ExpiredProviderToken" and not renew:
            renew = True
            continue
        if status == 410 or reason in ("BadDeviceToken", "Unregistered"):
            raise StaleRegistration(f"APNs says the device token is gone ({reason or status})")
        if transport.is_transient(status):
            raise transport.transient(GATEWAY, response)
        raise PushRejected(f"APNs refused the notification (HTTP {status} {reason})".rstrip())

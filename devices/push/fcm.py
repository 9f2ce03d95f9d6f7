"""Firebase Cloud Messaging, HTTP v1 API (``projects.messages.send``).

Authentication is OAuth 2.0 with a service account (RFC 7523 JWT bearer grant): a JWT signed
RS256 with the service account's private key (``iss`` its e-mail, ``aud`` its ``token_uri``,
``scope`` firebase.messaging, one hour at most) is exchanged at ``token_uri`` for an access
token, cached until five minutes before it expires. A 401 from FCM gets one fresh token.

The push is a data message (``data`` values are strings, so non-string values are sent as
JSON) with Android priority high and the challenge's time to live.
"""

import json
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

GATEWAY = "FCM"
SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ASSERTION_SECONDS = 3600
_TOKEN_MARGIN_SECONDS = 300
# FCM's limit for a message's data (keys and values); keys FCM keeps for itself.
MAX_DATA_BYTES = 4096
_RESERVED_KEYS = {"from", "notification", "message_type", "collapse_key"}
_RESERVED_PREFIXES = ("google", "gcm")
_FCM_ERROR_TYPE = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
_BAD_REQUEST_TYPE = "type.googleapis.com/google.rpc.BadRequest"

_tokens: dict[tuple[str, str, str], tuple[str, float]] = {}
_tokens_lock = threading.Lock()


def fcm_registration_validate(registration: object) -> dict:
    """The registration, checked: ``{"token": <non-empty string>}``."""
    if not isinstance(registration, dict):
        raise InvalidRegistration("an FCM registration must be an object")
    token = registration.get("token")
    if not isinstance(token, str) or not token.strip() or len(token) > 4096:
        raise InvalidRegistration("an FCM registration needs its token string")
    if any(c.isspace() for c in token):
        raise InvalidRegistration("an FCM token has no whitespace")
    return {"token": token}


def _service_account() -> dict:
    path = settings.RECOGNIZE_PUSH_FCM_SERVICE_ACCOUNT_FILE
    if not path:
        raise PushNotConfigured("FCM needs RECOGNIZE_PUSH_FCM_SERVICE_ACCOUNT_FILE")
    try:
        with open(path, encoding="utf-8") as handle:
            account = json.load(handle)
    except (OSError, ValueError) as error:
        raise PushNotConfigured(f"cannot read the FCM service account file: {error}") from None
    required = ("project_id", "private_key", "client_email", "token_uri")
    if not isinstance(account, dict) or account.get("type") != "service_account":
        raise PushNotConfigured("the FCM service account file is not a service account key")
    missing = [name for name in required if not isinstance(account.get(name), str)]
    if missing:
        raise PushNotConfigured(f"the FCM service account file lacks {', '.join(missing)}")
    return account


def _access_token(account: dict, *, renew: bool = False) -> str:
    """An OAuth access token for ``account``, from the cache or from its token endpoint."""
    key = (account["token_uri"], account["client_email"], account.get("private_key_id", ""))
    with _tokens_lock:
        cached = _tokens.get(key)
        if cached and not renew and time.time() < cached[1]:
            return cached[0]
        now = int(time.time())
        claims = {
            "iss": account["client_email"],
            "scope": SCOPE,
            "aud": account["token_uri"],
            "iat": now,
            "exp": now + ASSERTION_SECONDS,
        }
        headers = {"kid": account["private_key_id"]} if account.get("private_key_id") else None
        try:
            assertion = jwt.encode(claims, account["private_key"], "RS256", headers=headers)
        except (ValueError, TypeError, jwt.PyJWTError) as error:
            raise PushNotConfigured(f"the FCM service account key is unusable: {error}") from None
        response = transport.post(
            "FCM token endpoint",
            account["token_uri"],
            data={"grant_type": JWT_BEARER_GRANT, "assertion": assertion},
        )
        if transport.is_transient(response.status_code):
            raise transport.transient("FCM token endpoint", response)
        try:
            answer = response.json()
            token, lifetime = answer["access_token"], float(answer.get("expires_in", 3600))
        except (ValueError, KeyError, TypeError):
            error = _json_field(response, "error") or f"HTTP {response.status_code}"
            raise PushRejected(f"FCM token endpoint refused the service account: {error}") from None
        _tokens[key] = (token, time.time() + lifetime - _TOKEN_MARGIN_SECONDS)
        return token


def _json_field(response, name: str):
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get(name) if isinstance(body, dict) else None


def fcm_data(message: dict) -> dict[str, str]:
    """The message as FCM ``data``: string values kept, others as JSON; reserved keys refused."""
    data = {}
    for key, value in message.items():
        if key.lower() in _RESERVED_KEYS or key.lower().startswith(_RESERVED_PREFIXES):
            raise InvalidPushMessage(f"FCM reserves the data key {key!r}")
        data[key] = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    if sum(len(k.encode()) + len(v.encode()) for k, v in data.items()) > MAX_DATA_BYTES:
        raise InvalidPushMessage(f"FCM data is limited to {MAX_DATA_BYTES} bytes")
    return data


def _error_details(response) -> tuple[str, bool]:
    """The FcmError ``errorCode`` of an error answer, and whether it names a bad field."""
    error = _json_field(response, "error")
    details = error.get("details", []) if isinstance(error, dict) else []
    code, bad_field = "", False
    for detail in details if isinstance(details, list) else []:
        if isinstance(detail, dict) and detail.get("@type") == _FCM_ERROR_TYPE:
            code = str(detail.get("errorCode", ""))
        if isinstance(detail, dict) and detail.get("@type") == _BAD_REQUEST_TYPE:
            bad_field = True
    return code, bad_field


def fcm_send(*, registration: dict, message: dict, ttl_seconds: int) -> None:
    """Send ``message`` as a data message to the registration token."""
    data = fcm_data(message)
    account = _service_account()
    url = (
        f"{settings.RECOGNIZE_PUSH_FCM_API_URL.rstrip('/')}"
        f"/v1/projects/{account['project_id']}/messages:send"
    )
    body = {
        "message": {
            "token": registration["token"],
            "data": data,
            "android": {"priority": "high", "ttl": f"{ttl_seconds}s"},
        }
    }
    renew = False
    while True:
        token = _access_token(account, renew=renew)
        response = transport.post(
            GATEWAY, url, json=body, headers={"Authorization": f"Bearer {token}"}
        )
        status = response.status_code
        if status == 200:
            return
        if status == 401 and not renew:
            renew = True
            continue
        code, bad_field = _error_details(response)
        if status == 404 or code == "UNREGISTERED":
            raise StaleRegistration(f"FCM says the token is no longer registered ({code})")
        if status == 400 and code == "INVALID_ARGUMENT" and not bad_field:
            raise StaleRegistration("FCM says the registration token is not valid")
        if transport.is_transient(status):
            raise transport.transient(GATEWAY, response)
        raise PushRejected(f"FCM refused the message (HTTP {status} {code})".rstrip())

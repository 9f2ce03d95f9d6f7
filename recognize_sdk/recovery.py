"""Account recovery on a new device: restore the face from a client state and a selfie.

The new device gets a recovery token (from the deep link ``recognize://recover#server=...
&token=...`` that the tenant's backend or the portal shows), creates its own key and a new
template seed, and sends the client state, a selfie and the seed, signed with the new key over
a fresh challenge. On a match the server binds the key and re-enrolls the face under the new
seed, which is then kept in this device's key file (mode 0600) for later face authentication.
"""

import base64
import os
from urllib.parse import parse_qs, urlparse

from recognize_sdk.device import InAppDevice
from recognize_sdk.keystore import DeviceKey
from recognize_sdk.proof import proof_message

SEED_BYTES = 32
DEEP_LINK_SCHEME = "recognize"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def deep_link_parse(url: str) -> tuple[str, str]:
    """The server URL and recovery token of a ``recognize://recover#...`` deep link (servers
    before the token moved out of the query string sent ``recognize://recover?...``)."""
    parsed = urlparse(url)
    query = parse_qs(parsed.fragment or parsed.query)
    if parsed.scheme != DEEP_LINK_SCHEME or parsed.netloc != "recover":
        raise ValueError("not a recognize://recover link")
    try:
        return query["server"][0], query["token"][0]
    except (KeyError, IndexError):
        raise ValueError("the recovery link lacks server or token") from None


def recover(
    device: InAppDevice,
    *,
    token: str,
    client_state: str,
    image: bytes,
    name: str = "",
    platform: str = "python",
) -> dict:
    """Recover the account on ``device`` (a new install) with the face in ``image``.

    Returns the server's answer (``deviceId``, ``userAuthenticatorId``, ``state``, a new
    ``token``); raises ``RecognizeError`` when the face does not match or the input is refused.
    """
    key = DeviceKey.load(device.key_path) if device.key_path.exists() else DeviceKey.generate()
    if key.binding.get("userAuthenticatorId"):
        raise LookupError(f"{device.key_path} already holds a bound key; use another key file")
    new_seed = os.urandom(SEED_BYTES)
    key.binding = {"pendingFaceSeed": _b64(new_seed)}
    key.save(device.key_path)  # keep key and seed before the server knows them
    challenge_id = device.client.challenge(token=token)["challengeId"]
    body = {
        "clientState": client_state,
        "image": _b64(image),
        "newSeed": _b64(new_seed),
        "publicKey": key.public_key,
        "signature": key.sign(proof_message(challenge_id, image + new_seed)),
        "challengeId": challenge_id,
        "deviceName": name,
        "devicePlatform": platform,
    }
    result = device.client.request("POST", "/v1/client/recovery/complete", body, token)
    result = device.client.face_job_wait(result, token=token)
    if result.get("status") != "SUCCEEDED":
        return result  # still pending: the key file keeps the pending seed
    key.binding = {
        "userAuthenticatorId": result["userAuthenticatorId"],
        "userId": result["userId"],
        "deviceId": result["deviceId"],
        "faceSeed": _b64(new_seed),
    }
    key.save(device.key_path)
    return result

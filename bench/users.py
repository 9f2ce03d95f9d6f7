"""Setup phase (not timed): users whose app installs hold a bound P-256 device key."""

from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

from cryptography.hazmat.primitives import serialization

from bench.http import Address, basic_auth, post_json
from bench.loadgen import ClientSpec
from recognize_sdk.keystore import DeviceKey


def bind_user(address: Address, secret: str, user_id: str) -> ClientSpec:
    """Track with ``add:authenticators`` and bind a fresh device key with that token."""
    key = DeviceKey.generate()
    tracked = post_json(
        address,
        f"/v1/users/{quote(user_id, safe='')}/actions/bench-enroll",
        {"scope": "add:authenticators"},
        basic_auth(secret),
    )
    bound = post_json(
        address,
        "/v1/client/user-authenticators/in-app",
        {"publicKey": key.public_key, "deviceName": "bench"},
        f"Bearer {tracked['token']}",
    )
    if not bound.get("userAuthenticatorId"):
        raise RuntimeError(f"binding {user_id} failed: {bound}")
    pem = key.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return ClientSpec(user_id=user_id, private_key_pem=pem)


def bind_users(address: Address, secret: str, count: int) -> list[ClientSpec]:
    """``count`` users ``bench-user-NN`` with one bound device each."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(
            pool.map(lambda n: bind_user(address, secret, f"bench-user-{n:02d}"), range(count))
        )

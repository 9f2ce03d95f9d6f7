"""What an app install does: bind its key, answer challenges, unbind."""

import math
import time
from pathlib import Path

from recognize_sdk.client import RecognizeClient
from recognize_sdk.keystore import DeviceKey

TIME_WINDOW_SECONDS = 600


class InAppDevice:
    """An app install whose key lives at ``key_path``."""

    def __init__(self, client: RecognizeClient, key_path: Path) -> None:
        self.client = client
        self.key_path = Path(key_path)

    def key(self) -> DeviceKey:
        """The stored key; raises FileNotFoundError when the device was never bound."""
        return DeviceKey.load(self.key_path)

    def key_or_create(self) -> DeviceKey:
        """The stored key, or a new one saved first: the private key is kept before the server
        ever learns the public one."""
        key = DeviceKey.load(self.key_path) if self.key_path.exists() else DeviceKey.generate()
        key.save(self.key_path)
        return key

    def bind(self, *, token: str, name: str = "", platform: str = "python") -> dict:
        """Create a key (or reuse the stored one) and bind it with a token from ``track``."""
        key = self.key_or_create()
        result = self.client.add_in_app_credential(
            token=token, public_key=key.public_key, device_name=name, platform=platform
        )
        key.binding = result
        key.save(self.key_path)
        return result

    def verify(self, *, token: str | None = None, action: str | None = None) -> dict:
        """Fetch a challenge, sign it and answer; returns the server's new token."""
        key = self.key()
        challenge = self.client.challenge(token=token, action=action)
        return self.client.verify_in_app(
            challenge_id=challenge["challengeId"],
            public_key=key.public_key,
            signature=key.sign(challenge["challengeId"]),
            token=token,
        )

    def remove(self) -> dict:
        """Unbind this device (signing the current time window) and delete the local key."""
        key = self.key()
        message = str(math.floor(time.time() / TIME_WINDOW_SECONDS))
        result = self.client.remove_in_app_credential(
            public_key=key.public_key, signature=key.sign(message)
        )
        self.key_path.unlink()
        return result

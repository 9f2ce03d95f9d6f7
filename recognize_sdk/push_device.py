"""What an app install does with push challenges: register, poll, approve or deny."""

import time

from recognize_sdk.device import InAppDevice
from recognize_sdk.proof import device_request_message


class PushDevice:
    """Push on top of an install's key (``InAppDevice``)."""

    def __init__(self, device: InAppDevice) -> None:
        self.device = device
        self.client = device.client

    def register(self, *, token: str, channel: str = "POLL", registration: dict | None = None):
        """Make this install a push authenticator (creating its key if it has none)."""
        key = self.device.key_or_create()
        return self.client.add_push_credential(
            token=token,
            public_key=key.public_key,
            channel=channel,
            registration=registration,
            device_name="Python device",
        )

    def poll(self) -> dict:
        """The pending challenge (``challengeId`` None when there is none)."""
        key = self.device.key()
        nonce = self.client.device_challenge(public_key=key.public_key, purpose="push.poll")
        message = device_request_message(
            purpose="push.poll",
            tenant_id=self.client.tenant_id,
            challenge_id=nonce["challengeId"],
            fields={},
        )
        return self.client.get_push_challenge(
            public_key=key.public_key,
            challenge_id=nonce["challengeId"],
            signature=key.sign(message),
        )

    def update_registration(self, *, channel: str, registration: dict | None = None) -> dict:
        """Tell the server this install's new gateway registration (e.g. a rotated FCM token)."""
        fields = {"channel": channel}
        if registration is not None:
            fields["registration"] = registration
        signed = self.device.signed("push.register", fields)
        return self.client.update_push_registration(fields=signed)

    def remove(self) -> dict:
        """Stop push challenges on this install (its key and other credentials stay)."""
        return self.client.remove_push_credential(fields=self.device.signed("push.remove"))

    def wait(self, *, timeout: float = 30.0, interval: float = 0.5) -> dict:
        """Poll until a challenge is pending or ``timeout`` passes."""
        deadline = time.monotonic() + timeout
        pending = self.poll()
        while pending.get("challengeId") is None and time.monotonic() < deadline:
            time.sleep(interval)
            pending = self.poll()
        return pending

    def answer(
        self,
        *,
        approved: bool,
        challenge_id: str | None = None,
        code: str | None = None,
        image: bytes | None = None,
    ) -> dict:
        """Approve (with the number shown on the sign-in page, if asked) or deny; without a
        ``challenge_id``, the pending one. When the challenge asks for the face, approving
        is a face authentication with ``image`` (a selfie)."""
        if challenge_id is None or image is not None:
            pending = self.poll()
            challenge_id = challenge_id or pending.get("challengeId")
            if challenge_id is None:
                raise LookupError("no push challenge is pending for this device")
            if approved and pending.get("faceRequired"):
                if image is None:
                    raise LookupError("this challenge asks for your face: pass a selfie")
                from recognize_sdk.face_device import FaceDevice

                return FaceDevice(self.device).authenticate(token=pending["token"], image=image)
        key = self.device.key()
        return self.client.answer_push_challenge(
            challenge_id=challenge_id,
            public_key=key.public_key,
            signature=key.sign(challenge_id),
            approved=approved,
            verification_code=code,
        )

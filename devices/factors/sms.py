"""Sending SMS: one small interface, a console backend for development and an HTTP provider.

``RECOGNIZE_SMS_BACKEND`` picks the backend: ``console`` (default, for a laptop: with DEBUG on,
the message goes to an owner-only file under ``var/sms/`` and the console says where; never
the code itself on the console, which is the shared log) or ``twilio`` (Twilio's Messages
API, or anything that speaks it, at ``RECOGNIZE_SMS_API_URL`` with ``RECOGNIZE_SMS_ACCOUNT_SID``,
``RECOGNIZE_SMS_AUTH_TOKEN`` and ``RECOGNIZE_SMS_FROM``).

WhatsApp messages go through the same interface (``channel="whatsapp"``): Twilio's API takes
them at the same endpoint with both numbers prefixed ``whatsapp:``.
"""

from typing import Protocol

import requests
from django.conf import settings

from recognize_project.dev_backends import dev_sms_write


class SmsError(Exception):
    """The provider did not take the message; worth retrying."""


SMS = "sms"
WHATSAPP = "whatsapp"


class SmsBackend(Protocol):
    def send(self, *, to: str, body: str, channel: str = SMS) -> None:
        """Hand ``body`` to the provider for delivery to ``to`` (E.164) by ``channel`` (``sms``
        or ``whatsapp``), or raise SmsError."""


class ConsoleSmsBackend:
    """For development: see ``recognize_project.dev_backends.dev_sms_write``."""

    def send(self, *, to: str, body: str, channel: str = SMS) -> None:
        dev_sms_write(to=f"whatsapp:{to}" if channel == WHATSAPP else to, body=body)


class TwilioSmsBackend:
    """Twilio's ``POST /2010-04-01/Accounts/{sid}/Messages.json`` (form-encoded, Basic auth)."""

    def __init__(self, *, api_url: str, account_sid: str, auth_token: str, sender: str):
        self.url = f"{api_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        self.auth = (account_sid, auth_token)
        self.sender = sender

    def send(self, *, to: str, body: str, channel: str = SMS) -> None:
        prefix = "whatsapp:" if channel == WHATSAPP else ""
        try:
            response = requests.post(
                self.url,
                data={"To": prefix + to, "From": prefix + self.sender, "Body": body},
                auth=self.auth,
                timeout=10,
            )
        except requests.RequestException as error:
            raise SmsError(f"SMS provider unreachable: {type(error).__name__}") from None
        if response.status_code >= 300:
            raise SmsError(f"SMS provider answered HTTP {response.status_code}")


def sms_backend() -> SmsBackend:
    """The backend the settings choose."""
    if settings.RECOGNIZE_SMS_BACKEND == "twilio":
        return TwilioSmsBackend(
            api_url=settings.RECOGNIZE_SMS_API_URL,
            account_sid=settings.RECOGNIZE_SMS_ACCOUNT_SID,
            auth_token=settings.RECOGNIZE_SMS_AUTH_TOKEN,
            sender=settings.RECOGNIZE_SMS_FROM,
        )
    return ConsoleSmsBackend()

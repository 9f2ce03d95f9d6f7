"""A user in a browser-like Django test client, signing in to the portal by e-mail."""

import re

from django.core import mail
from django.test import Client

CODE = re.compile(r"Your code: (\d{6})")
LINK = re.compile(r"http\S+/portal/link#token=(\S+)")


def last_mail_to(address: str):
    """The newest message sent to ``address``."""
    messages = [m for m in mail.outbox if address in m.to]
    assert messages, f"no mail to {address}"
    return messages[-1]


def code_in(message) -> str:
    return CODE.search(message.body).group(1)


def link_token_in(message) -> str:
    """The magic link's token, which the link carries in its fragment."""
    return LINK.search(message.body).group(1)


class PortalUser:
    """One browser (cookie jar) of a user of ``tenant``."""

    def __init__(self, tenant, email: str = "alice@example.com"):
        self.tenant = tenant
        self.email = email
        self.client = Client()

    def sign_in_url(self) -> str:
        return f"/portal/t/{self.tenant.pk}/"

    def ask_code(self, address: str | None = None):
        return self.client.post(self.sign_in_url(), {"address": address or self.email})

    def enter_code(self, code: str, step: str = "code"):
        return self.client.post("/portal/code", {"step": step, "code": code})

    def sign_in(self):
        """Ask for a code, read it from the mail, enter it; returns the last response."""
        self.ask_code()
        return self.enter_code(code_in(last_mail_to(self.email)))

    def home(self):
        return self.client.get("/portal/")

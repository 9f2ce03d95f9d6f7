"""Phone numbers as people type them, stored in one form: E.164 (``+15551234567``).

``+1 555 123 4567``, ``15551234567`` and ``(555) 123-4567`` (with the tenant's default region,
``Tenant.phone_region`` or ``RECOGNIZE_DEFAULT_PHONE_REGION``) are one number; everything that
takes a number (the server API, the portal, the admin) normalises it here, so a code is sent to
the number on record and lookups by number find it. A number that cannot be a phone number is
refused with a message saying what to type. A user's profile keeps the number as the tenant
gave it too (``EndUser.phone_number``, which Authsignal's SDKs read back unchanged) beside its
E.164 form (``phone_number_e164``).
"""

import phonenumbers
from django.conf import settings

from accounts.models import Tenant
from recognize_project.errors import ApplicationError

INVALID_MESSAGE = (
    "Enter a phone number with its country code, like +44 20 7946 0958"
    " (or a number of your own country, like (555) 123-4567)."
)


def phone_region(tenant: Tenant | None) -> str:
    """The region a number without a country code is read in."""
    own = tenant.phone_region if tenant is not None else ""
    return (own or settings.RECOGNIZE_DEFAULT_PHONE_REGION or "").upper()


def phone_number_normalize(value: str | None, *, tenant: Tenant | None) -> str:
    """``value`` in E.164, "" for no number; raises ``invalid_request`` (400) saying what to
    type."""
    text = (value or "").strip()
    if not text:
        return ""
    try:
        parsed = phonenumbers.parse(text, phone_region(tenant) or None)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_possible_number(parsed):
        raise ApplicationError("invalid_request", INVALID_MESSAGE)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)

"""The audit log as a user reads it: "You signed in with a code sent to j•••@example.com",
"New phone added: Pixel 8", failures marked.

One message catalogue (Django's gettext): a second language is a translation of these
strings, not a code change. Event details hold ids and names only (never secrets), and an
address is shown masked.
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import EndUser
from events.models import AuditEvent

#: How each verification method reads in a sentence.
METHOD_WORDS = {
    "IN_APP": gettext_lazy("the app on your phone"),
    "PUSH": gettext_lazy("a notification on your phone"),
    "FACE": gettext_lazy("your face"),
    "EMAIL_OTP": gettext_lazy("a code sent by e-mail"),
    "SMS_OTP": gettext_lazy("a code sent by text message"),
    "EMAIL_MAGIC_LINK": gettext_lazy("a link sent by e-mail"),
    "TOTP": gettext_lazy("your authenticator app"),
    "RECOVERY_CODE": gettext_lazy("a recovery code"),
    "PASSKEY": gettext_lazy("a passkey"),
}
#: Why an attempt failed, in words.
REASON_WORDS = {
    "face_mismatch": gettext_lazy("the face did not match"),
    "face_replayed": gettext_lazy("the photo was a copy of an earlier one"),
    "invalid_code": gettext_lazy("the code was wrong"),
    "invalid_signature": gettext_lazy("it was not signed by your device"),
    "wrong_verification_code": gettext_lazy("the number did not match"),
    "liveness_failed": gettext_lazy("the photo did not look live"),
    "no_face": gettext_lazy("no face was found"),
}
#: Action states a user sees in the activity.
STATE_WORDS = {
    "CHALLENGE_SUCCEEDED": gettext_lazy("You approved “%(action)s”"),
    "CHALLENGE_FAILED": gettext_lazy("“%(action)s” was refused"),
    "REVIEW_SUCCEEDED": gettext_lazy("“%(action)s” was approved after review"),
    "REVIEW_FAILED": gettext_lazy("“%(action)s” was refused after review"),
    "BLOCK": gettext_lazy("“%(action)s” was blocked"),
}


@dataclass(frozen=True)
class ActivityLine:
    text: str
    at: datetime
    place: str
    failure: bool


def address_mask(address: str) -> str:
    """An e-mail address or phone number as the portal shows it: ``a•••@example.com``,
    ``•••67``."""
    if "@" in address:
        name, _at, domain = address.partition("@")
        return f"{name[:1]}•••@{domain}"
    return f"•••{address[-2:]}" if address else ""


def _method(code: str, user: EndUser) -> str:
    words = str(METHOD_WORDS.get(code, code.replace("_", " ").lower()))
    if code in ("EMAIL_OTP", "EMAIL_MAGIC_LINK") and user.email:
        words = _("%(words)s to %(address)s") % {
            "words": words,
            "address": address_mask(user.email),
        }
    if code == "SMS_OTP" and user.phone_number_e164:
        words = _("%(words)s to %(address)s") % {
            "words": words,
            "address": address_mask(user.phone_number_e164),
        }
    return words


def _factors(detail: str, user: EndUser) -> str:
    parts = [part.strip() for part in detail.split("+") if part.strip()]
    named = [
        _method(part, user) if part in METHOD_WORDS else _("a code or link sent to you")
        for part in parts
    ]
    return _(" and ").join(named) if named else _("a code or link sent to you")


def _text(event: AuditEvent, user: EndUser) -> tuple[str, bool]:
    """The sentence for ``event`` and whether it is a failure."""
    d = event.detail
    kind = event.event_type
    method = _method(d.get("verificationMethod", ""), user)
    if kind == "portal.signed_in":
        return _("You signed in here with %(factors)s") % {
            "factors": _factors(d.get("factors", ""), user)
        }, False
    if kind == "portal.signed_out":
        return _("You signed out"), False
    if kind == "portal.reauthenticated":
        return _("You confirmed it was you before a change"), False
    if kind == "device.bound":
        if d.get("deviceType") == "BACKUP":
            return _("A backup for recovery was made"), False
        return _("New device added: %(name)s") % {
            "name": d.get("deviceName") or _("a phone")
        }, False
    if kind == "device.deleted":
        return _("Device removed: %(name)s") % {"name": d.get("deviceName") or _("a phone")}, False
    if kind == "authenticator.created":
        return _("New way to verify: %(method)s") % {"method": method}, False
    if kind == "authenticator.deleted":
        return _("Way to verify removed: %(method)s") % {"method": method}, False
    if kind == "authentication.failed":
        reason = str(REASON_WORDS.get(d.get("reason", ""), _("it did not work")))
        text = _("A failed attempt with %(method)s: %(reason)s") % {
            "method": method,
            "reason": reason,
        }
        if d.get("locked") == "True":
            text += _(" — it is locked for a while")
        return text, True
    if kind in ("action.created", "action.updated"):
        template = str(STATE_WORDS.get(d.get("state", ""), _("“%(action)s” was started")))
        text = template % {"action": d.get("actionCode", "")}
        if d.get("state") == "CHALLENGE_SUCCEEDED" and d.get("verificationMethod"):
            text += _(" with %(method)s") % {"method": method}
        return text, d.get("state") in ("CHALLENGE_FAILED", "REVIEW_FAILED", "BLOCK")
    if kind == "push.created":
        return _("A request to approve was sent to your phone"), False
    if kind == "push.denied":
        return _("You denied a request on your phone"), True
    if kind == "totp.enrolled":
        return _("You set up an authenticator app"), False
    if kind == "recovery_codes.generated":
        return _("You made new recovery codes (the old ones stopped working)"), False
    if kind == "recovery.started":
        return _("You started setting up a new phone"), False
    if kind == "recovery.completed":
        return _("A new phone was set up after your face matched"), False
    if kind == "recovery.face_mismatch":
        return _("A new phone's selfie did not match your face"), True
    return _("Something changed in your account (%(kind)s)") % {"kind": kind}, False


def activity_lines(*, user: EndUser, events: list[AuditEvent]) -> list[ActivityLine]:
    """The user's recent events in words, newest first."""
    lines = []
    for event in events:
        text, failure = _text(event, user)
        lines.append(ActivityLine(text, event.created_at, event.ip_address or "", failure))
    return lines

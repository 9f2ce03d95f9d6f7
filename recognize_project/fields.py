"""Input fields and validators shared by the API serializers, the admin and the commands.

Identifiers that rules, tokens and e-mails are keyed on are validated strictly and never
normalised: a value that is not already in canonical form is rejected, because a silently
trimmed or re-encoded value is a different key to some other part of the system.
"""

import re

from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

#: The tenant's own user id: any non-empty string up to 255 characters.
USER_ID_MAX = 255
#: Action codes: letters, digits and ``_ - . :``, up to 100 characters. This spelling is the
#: one published in the OpenAPI schema; code checks with :func:`action_code_is_valid`, which
#: matches the whole string (``$`` alone would also accept a trailing newline).
ACTION_CODE_PATTERN = r"^[A-Za-z0-9_.:\-]{1,100}$"
ACTION_CODE_MESSAGE = "action must be 1 to 100 letters, digits or the characters _ - . :"
_ACTION_CODE = re.compile(r"[A-Za-z0-9_.:\-]{1,100}")


def action_code_is_valid(value: object) -> bool:
    """Whether ``value`` is an action code exactly as given (no trimming)."""
    return isinstance(value, str) and _ACTION_CODE.fullmatch(value) is not None


def validate_action_code(value: object) -> None:
    """Django validator for action codes (admin forms)."""
    if not action_code_is_valid(value):
        raise ValidationError(ACTION_CODE_MESSAGE, code="invalid")


def user_id_problem(value: object) -> str | None:
    """Why ``value`` is not a valid ``userId``, or None when it is."""
    if not isinstance(value, str) or not value or len(value) > USER_ID_MAX:
        return f"userId must be 1 to {USER_ID_MAX} characters."
    # ``isprintable`` is false for controls (Cc), format characters (Cf: zero-width spaces and
    # joiners, bidi overrides), surrogates, unassigned and private-use code points, line and
    # paragraph separators, and every space but U+0020 (no look-alike blanks).
    if not value.isprintable():
        return "userId must not contain control or invisible characters."
    return None


#: Device names as stored and shown (in lists, pages and the security e-mail).
DEVICE_NAME_MAX = 64
#: A user's username and display name (shown in e-mails and the portal).
NAME_MAX = 255
DEVICE_PLATFORM_MAX = 32


def display_text_clean(value: str, max_length: int) -> str:
    """``value`` made safe to show a person: control, format (bidi, zero-width) and other
    invisible characters removed, line breaks and runs of whitespace turned into one space,
    then cut to ``max_length`` characters.

    For free text a client names things with (device names), where a sanitised value serves
    the user better than a refusal; identifiers are refused instead (see above).
    """
    if value.isascii() and value.isprintable() and "  " not in value:
        return value.strip()[:max_length]
    visible = "".join(
        char if char.isprintable() else (" " if char.isspace() else "") for char in value
    )
    return " ".join(visible.split())[:max_length].strip()


class DisplayTextField(serializers.CharField):
    """Free text to be shown to people (a device name): cleaned by :func:`display_text_clean`
    to ``clean_length`` characters; input longer than ``max_length`` is refused."""

    def __init__(self, *, clean_length: int, **kwargs) -> None:
        kwargs.setdefault("max_length", 1000)
        self.clean_length = clean_length
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> str:
        return display_text_clean(super().to_internal_value(data), self.clean_length)


@extend_schema_field(
    {"type": "string", "pattern": ACTION_CODE_PATTERN, "minLength": 1, "maxLength": 100}
)
class ActionCodeField(serializers.CharField):
    """An action code in a request body: validated as sent, never trimmed."""

    default_error_messages = {"invalid_action_code": ACTION_CODE_MESSAGE}

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("trim_whitespace", False)
        kwargs.setdefault("max_length", 100)
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> str:
        value = super().to_internal_value(data)
        if not action_code_is_valid(value):
            self.fail("invalid_action_code")
        return value


class UserIdField(serializers.CharField):
    """A ``userId`` in a request body: printable, visible characters, never trimmed."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("trim_whitespace", False)
        kwargs.setdefault("max_length", USER_ID_MAX)
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> str:
        value = super().to_internal_value(data)
        problem = user_id_problem(value)
        if problem:
            raise serializers.ValidationError(problem)
        return value


class PhoneNumberField(serializers.CharField):
    """A phone number as typed; the service normalises it to E.164 with the tenant's region and
    refuses one that cannot be a number, saying what to type (``accounts.phones``)."""

    def __init__(self, **kwargs):
        super().__init__(max_length=32, **kwargs)

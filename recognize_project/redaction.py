"""Redaction of credentials in log output, shared by gunicorn's logger and Django's logging.

Tokens, codes and links never travel in URLs by design (they ride in fragments or bodies);
this is the second line: whatever still looks like one is replaced before it is written.
Imports neither Django nor gunicorn.
"""

import logging
import re

REDACTED = "[redacted]"

#: Query parameters whose value is (or may be) a credential. Tokens never travel in a query
#: string by design; this is the belt to that pair of braces.
_SECRET_QUERY = re.compile(
    r"(?i)((?:^|[?&;])[^=&;\s\"]*(?:token|code|secret|key|password|signature|state|link|otp)"
    r"[^=&;\s\"]*=)[^&;#\s\"]*"
)
#: Paths whose last segment is a credential (old-style magic links).
_SECRET_PATH = re.compile(r"(/portal/link/)[^\s?#\"]+")
#: Names of headers and environ variables that hold credentials.
_SECRET_NAME = re.compile(r"(?i)authorization|cookie|signature|token|secret|x-api-key")


def redact(text: object) -> object:
    """``text`` with credential-carrying query values and link paths replaced."""
    if not isinstance(text, str):
        return text
    return _SECRET_PATH.sub(r"\1" + REDACTED, _SECRET_QUERY.sub(r"\1" + REDACTED, text))


def secret_atom(name: str) -> bool:
    """Whether a header or environ variable called ``name`` holds a credential."""
    return _SECRET_NAME.search(name) is not None


class RedactingFilter(logging.Filter):
    """A logging filter that redacts every record's message and arguments (Django's
    ``django.request`` logs the path of each 4xx and 5xx)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(arg) for arg in record.args)
        return True

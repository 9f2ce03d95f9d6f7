"""Validators of tenant settings that need more than a field type."""

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError


def origin_normalize(value: str) -> str:
    """``scheme://host[:port]`` in lower case, or ``ValidationError`` for anything else."""
    if not isinstance(value, str) or len(value) > 255:
        raise ValidationError("An origin is a string of at most 255 characters.")
    parts = urlsplit(value.strip())
    try:
        port = parts.port
    except ValueError:
        raise ValidationError(f"{value!r} has an invalid port.") from None
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username is not None
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        raise ValidationError(
            f"{value!r} is not an origin: write scheme://host[:port], e.g. https://app.example.com."
        )
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")


def origins_validate(value: object) -> None:
    """Model validator of ``Tenant.allowed_origins``: a list of normalized origins."""
    if not isinstance(value, list):
        raise ValidationError("Allowed origins are a list.")
    for origin in value:
        if origin_normalize(origin) != origin:
            raise ValidationError(f"Write {origin!r} as {origin_normalize(origin)!r}.")

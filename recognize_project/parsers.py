"""The API's JSON parser: hostile JSON is a 400 before any view sees it.

Python's ``json`` accepts things no database or client should receive: numbers that overflow
to infinity (``1e999999``), nesting deep enough to exhaust the interpreter's stack, and
strings holding NUL or lone surrogates (``"\\u0000"``, ``"\\ud800"``), which PostgreSQL refuses
to store. Each of them used to surface as a 500 from deep inside a view; here they are refused
as the body is parsed, so nothing is written.
"""

import json
import math

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from recognize_project.errors import ApplicationError

#: Deepest nesting of arrays and objects accepted in a request body.
MAX_DEPTH = 32


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("number out of range")
    return value


def _string_is_storable(text: str) -> bool:
    if "\x00" in text:
        return False
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return True


def json_check(data: object) -> None:
    """Raise an ``invalid_request`` error when parsed JSON nests too deep or holds a string
    (key or value) with NUL or a lone surrogate."""
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            if not _string_is_storable(value):
                raise ApplicationError(
                    "invalid_request", "Strings must not contain NUL or unpaired surrogates."
                )
        elif isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise ApplicationError(
                    "invalid_request", f"JSON must not nest deeper than {MAX_DEPTH} levels."
                )
            items = value.items() if isinstance(value, dict) else ((None, v) for v in value)
            for key, item in items:
                if key is not None:
                    pending.append((key, depth))
                pending.append((item, depth + 1))


class StrictJSONParser(JSONParser):
    """JSON bodies as DRF parses them, minus what cannot be stored or safely processed."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            text = stream.read().decode("utf-8") if stream is not None else ""
            data = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
        except (ValueError, RecursionError) as error:
            raise ParseError(f"JSON parse error - {type(error).__name__}") from None
        json_check(data)
        return data

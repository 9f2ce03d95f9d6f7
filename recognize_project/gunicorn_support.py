"""What gunicorn needs to keep secrets out of its logs and errors in the API's format.

- :class:`RedactingLogger` is gunicorn's logger minus everything secret: no HTTP Basic user
  (the tenant's secret key), no Authorization/Cookie/signature headers, and query-string
  values or portal-link paths that could carry a token or code replaced by ``[redacted]``,
  in the access log and in the error log alike.
- :func:`json_errors_install` makes the errors gunicorn answers itself, before Django sees
  the request (414 for a request line too long, 431, 400 for a malformed request), use the
  API's JSON error format instead of an HTML page.

``recognize_project/gunicorn.conf.py`` wires both in; ``make run`` and the Dockerfile use it.
This module imports neither Django nor the apps: it runs in gunicorn's master process.
"""

import json

from gunicorn import glogging, util

from recognize_project.redaction import redact, secret_atom

_STATUS_CODES = {
    400: "invalid_request",
    403: "forbidden",
    404: "not_found",
    413: "payload_too_large",
    414: "uri_too_long",
    417: "invalid_request",
    431: "headers_too_large",
    500: "internal_error",
    501: "not_implemented",
}


class RedactingLogger(glogging.Logger):
    """gunicorn's logger that never writes a credential (see the module docstring)."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        safe = {key: value for key, value in atoms.items() if not secret_atom(key)}
        safe["u"] = "-"
        for key in ("r", "q", "U", "f", "{referer}i"):
            if key in safe:
                safe[key] = redact(safe[key])
        return safe

    def _log(self, method, msg, args, kwargs):
        return method(redact(msg), *(redact(arg) for arg in args), **kwargs)

    def critical(self, msg, *args, **kwargs):
        self._log(super().critical, msg, args, kwargs)

    def error(self, msg, *args, **kwargs):
        self._log(super().error, msg, args, kwargs)

    def warning(self, msg, *args, **kwargs):
        self._log(super().warning, msg, args, kwargs)

    def info(self, msg, *args, **kwargs):
        self._log(super().info, msg, args, kwargs)

    def debug(self, msg, *args, **kwargs):
        self._log(super().debug, msg, args, kwargs)

    def exception(self, msg, *args, **kwargs):
        self._log(super().exception, msg, args, kwargs)


def json_error_write(sock, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's ``util.write_error`` in the API's error format (``ApplicationError.body``'s
    shape, written here because gunicorn's master imports no Django).

    ``mesg`` is left out: gunicorn puts the offending request line or header in it, which
    may hold a credential and is the client's own input anyway.
    """
    code = _STATUS_CODES.get(status_int, "invalid_request")
    body = json.dumps({"error": code, "errorCode": code, "errorDescription": reason}).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)


def json_errors_install() -> None:
    """Make gunicorn's own error answers JSON (workers inherit this from the master)."""
    util.write_error = json_error_write

"""One domain error for the whole project and the renderers that turn errors into API JSON.

Every API error body is ``{"error": "...", "errorCode": "...", "errorDescription": "..."}``
(plus optional camelCase details), with ``error`` and ``errorCode`` carrying the same code: the
official SDKs disagree on which key holds it. ``error`` is read by @authsignal/node
(src/error.ts), authsignal-ruby (lib/authsignal.rb), authsignal-java
(model/AuthsignalErrorResponse.java), authsignal-dotnet (src/Models.cs), the browser SDK
(src/api/helpers.ts) and the Android SDK (APIError.kt); ``errorCode`` by the Python
(authsignal/client.py), Go (client/error.go) and PHP (AuthsignalClient.php) SDKs. See
docs/compatibility.md.
"""

from typing import Any

from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response


class ApplicationError(Exception):
    """A failure the client can act on: an error code, a human message and an HTTP status."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int = 400,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.extra = extra or {}
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        """The JSON body of this error."""
        return {
            "error": self.code,
            "errorCode": self.code,
            "errorDescription": self.message,
            **self.extra,
        }


# Authsignal's exact 401 text: the SDKs' own live suites assert it (authsignal-python
# client_tests.py test_get_action_with_bad_secret, authsignal-node test/client.test.ts
# "invalid secret error", authsignalgo client/actions_test.go, authsignal-ruby spec).
UNAUTHORIZED_DESCRIPTION = (
    "The request is unauthorized. Check that your API key and region base URL are correctly "
    "configured."
)

_DRF_CODES: list[tuple[type[exceptions.APIException], str]] = [
    (exceptions.ParseError, "malformed_json"),
    (exceptions.NotAuthenticated, "unauthorized"),
    (exceptions.AuthenticationFailed, "unauthorized"),
    (exceptions.PermissionDenied, "forbidden"),
    (exceptions.NotFound, "not_found"),
    (exceptions.MethodNotAllowed, "method_not_allowed"),
    (exceptions.NotAcceptable, "not_acceptable"),
    (exceptions.UnsupportedMediaType, "unsupported_media_type"),
    (exceptions.Throttled, "rate_limited"),
]


def _flatten(detail: Any, prefix: str = "") -> list[str]:
    """Turn DRF's nested validation detail into ``field: message`` strings."""
    if isinstance(detail, dict):
        return [
            line
            for key, value in detail.items()
            for line in _flatten(value, key if key == "non_field_errors" else f"{prefix}{key}")
        ]
    if isinstance(detail, list):
        return [line for item in detail for line in _flatten(item, prefix)]
    text = str(detail)
    if not prefix or prefix == "non_field_errors":
        return [text]
    return [f"{prefix}: {text}"]


def _from_drf(exc: exceptions.APIException) -> ApplicationError:
    if isinstance(exc, exceptions.ValidationError):
        return ApplicationError("invalid_request", "; ".join(_flatten(exc.detail)))
    code = next((c for cls, c in _DRF_CODES if isinstance(exc, cls)), "invalid_request")
    if isinstance(exc, exceptions.ParseError):
        message = "The request body is not valid JSON."
    elif code == "unauthorized":
        message = UNAUTHORIZED_DESCRIPTION
    else:
        message = str(exc.detail)
    headers = {}
    if isinstance(exc, exceptions.Throttled) and exc.wait:
        headers["Retry-After"] = str(int(exc.wait))
    return ApplicationError(code, message, status=exc.status_code, headers=headers)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF exception handler: render every known failure in the API's error format."""
    if isinstance(exc, Http404):
        exc = ApplicationError("not_found", "Not found.", status=status.HTTP_404_NOT_FOUND)
    elif isinstance(exc, exceptions.APIException):
        exc = _from_drf(exc)
    if not isinstance(exc, ApplicationError):
        return None
    return Response(exc.body(), status=exc.status, headers=exc.headers)


def error_response(error: ApplicationError) -> JsonResponse:
    """A plain Django response for an error raised outside DRF (middleware, URL fallbacks)."""
    response = JsonResponse(error.body(), status=error.status)
    for name, value in error.headers.items():
        response[name] = value
    return response


def _is_api(request) -> bool:
    return request.path.startswith("/v1/") or request.path.startswith("/.well-known/")


def page_not_found(request, exception=None):
    """404 handler: JSON for API paths, Django's page elsewhere."""
    if _is_api(request):
        return error_response(ApplicationError("not_found", "Not found.", status=404))
    return defaults.page_not_found(request, exception)


def server_error(request):
    """500 handler: JSON for API paths, never with internals in the message."""
    if _is_api(request):
        return error_response(
            ApplicationError("internal_error", "An unexpected error occurred.", status=500)
        )
    return defaults.server_error(request)

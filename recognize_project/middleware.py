"""Request-level guards that must run before a view reads the body, and the API's error format
for the errors Django answers itself."""

from http import HTTPStatus

from django.conf import settings
from django.core.exceptions import BadRequest

from recognize_project.errors import ApplicationError, error_response

#: Error codes of the statuses Django (or a non-API renderer) may answer with under /v1/.
_STATUS_CODES = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    429: "rate_limited",
}
#: Headers of the original answer that still apply to the JSON one.
_KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")


_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class NulInputMiddleware:
    """Refuse (400) a query string or form whose keys or values hold a NUL character.

    NUL cannot be stored in PostgreSQL text, so such input used to fail deep in a view with a
    500 on PostgreSQL and pass on SQLite; it is never legitimate. JSON bodies are checked by
    ``recognize_project.parsers``; this covers query strings and the portal's forms.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        sources = [request.GET]
        if request.method == "POST" and request.content_type in _FORM_TYPES:
            sources.append(request.POST)
        for data in sources:
            for key, values in data.lists():
                if "\x00" in key or any("\x00" in value for value in values):
                    raise BadRequest("NUL characters are not allowed in input.")
        return self.get_response(request)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class ApiErrorFormatMiddleware:
    """Every error under ``/v1/`` and ``/.well-known/`` is in the API's error format.

    DRF's views render their own errors; this catches the rest, whatever answered: Django's
    400 for a bad Host header, its debug 404 and 500 pages, a renderer that is not JSON (the
    schema view's YAML). Outermost, so it sees every other middleware's answer too.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code < 400 or not (
            request.path.startswith("/v1/") or request.path.startswith("/.well-known/")
        ):
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        status = response.status_code
        error = ApplicationError(
            _STATUS_CODES.get(status, "invalid_request" if status < 500 else "internal_error"),
            f"{_phrase(status)}.",
            status=status,
            headers={name: response[name] for name in _KEPT_HEADERS if response.has_header(name)},
        )
        return error_response(error)


class BodySizeLimitMiddleware:
    """Refuse bodies larger than the view allows (413) before anything reads them.

    DRF parses ``request`` as a stream, so Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` alone would
    not stop a huge JSON body; the limit is checked here against ``Content-Length``. A view that
    takes images declares a larger ``max_body_bytes``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        view_class = getattr(view_func, "cls", None) or getattr(view_func, "view_class", None)
        limit = getattr(view_class, "max_body_bytes", settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            return error_response(
                ApplicationError(
                    "payload_too_large",
                    f"The request body is larger than {limit} bytes.",
                    status=413,
                )
            )
        return None


#: The pages' policy: scripts and styles only from our own static files (no inline code, so
#: an injected tag or attribute does not run), no plugins, no framing, forms post only here.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    """Send :data:`CONTENT_SECURITY_POLICY` with every HTML page but the Django admin's (which
    has inline scripts of its own)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.get("Content-Type", "").startswith("text/html")
            and not request.path.startswith("/admin/")
            and not response.has_header("Content-Security-Policy")
        ):
            response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        return response

"""Request-level guards that must run before a view reads the body."""

from django.conf import settings

from recognize_project.errors import ApplicationError, error_response


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

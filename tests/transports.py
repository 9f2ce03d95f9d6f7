"""Run the real client SDKs against the Django app in-process, without a socket.

The official ``authsignal`` SDK (requests) and our device SDK send their real requests; these
adapters hand them to Django's WSGI stack through its test client, so the fast suite can run
inside a rolled-back transaction. The integration suite uses real HTTP instead.
"""

from types import SimpleNamespace
from urllib.parse import urlsplit

import requests
from django.test import Client
from requests.structures import CaseInsensitiveDict
from urllib3 import HTTPHeaderDict

BASE_URL = "http://testserver"


def _call(client: Client, method: str, url: str, headers, body: bytes | None):
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    meta = {
        f"HTTP_{name.upper().replace('-', '_')}": value
        for name, value in headers.items()
        if name.lower() not in {"content-type", "content-length"}
    }
    return client.generic(
        method,
        path,
        data=body or b"",
        content_type=headers.get("Content-Type", "application/octet-stream"),
        **meta,
    )


class DjangoAdapter(requests.adapters.BaseAdapter):
    """A ``requests`` transport adapter that answers from the Django app."""

    def __init__(self) -> None:
        super().__init__()
        self.client = Client()

    def send(self, request, **kwargs):
        body = request.body.encode() if isinstance(request.body, str) else request.body
        answer = _call(self.client, request.method, request.url, request.headers, body)
        response = requests.Response()
        response.status_code = answer.status_code
        response._content = answer.content
        response.headers = CaseInsensitiveDict(answer.headers.items())
        # What schemathesis reads headers from (urllib3's response, in real HTTP).
        response.raw = SimpleNamespace(headers=HTTPHeaderDict(answer.headers.items()), version=11)
        response.url = request.url
        response.request = request
        response.reason = answer.reason_phrase
        return response

    def close(self) -> None:
        pass


def device_transport():
    """A transport for ``recognize_sdk.RecognizeClient`` answering from the Django app."""
    client = Client()

    def send(method: str, url: str, headers: dict[str, str], body: bytes | None):
        answer = _call(client, method, url, headers, body)
        return answer.status_code, answer.content

    return send

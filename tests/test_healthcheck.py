"""The container's HEALTHCHECK probe asks as a proxied request for the public name would."""

import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from recognize_project.healthcheck import health_ok


@pytest.fixture
def server():
    """A stand-in web process answering 200 only to the host and scheme production accepts."""
    seen: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(dict(self.headers))
            good = self.headers["Host"] == "id.example.com" and self.path == "/v1/health"
            self.send_response(200 if good else 400)
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1], seen
    httpd.shutdown()
    httpd.server_close()


def test_healthy_when_the_server_answers_for_its_public_name(server, monkeypatch):
    port, seen = server
    monkeypatch.setenv("RECOGNIZE_ALLOWED_HOSTS", "id.example.com,.example.com")
    monkeypatch.setenv("RECOGNIZE_PROXY_SSL_HEADER", "X-Forwarded-Proto")
    assert health_ok(port)
    assert seen[-1]["X-Forwarded-Proto"] == "https"


def test_unhealthy_on_an_error_or_when_nothing_listens(server, monkeypatch):
    port, _ = server
    monkeypatch.setenv("RECOGNIZE_ALLOWED_HOSTS", "other.example.com")
    assert not health_ok(port)
    monkeypatch.setenv("RECOGNIZE_ALLOWED_HOSTS", "id.example.com")
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        closed = unused.getsockname()[1]
    assert not health_ok(closed, timeout=1)

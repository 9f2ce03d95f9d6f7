"""``python -m recognize_project.healthcheck``: the container's HEALTHCHECK probe.

Asks this container's gunicorn (port 8000, or RECOGNIZE_HEALTHCHECK_PORT) for ``/v1/health``
and exits 0 when it answers 200. The request names the first of RECOGNIZE_ALLOWED_HOSTS as its
Host (a bare 127.0.0.1 would be refused once operators list only their public name) and says it
came through the TLS proxy, so production's settings treat it as any proxied request. Standard
library only: it runs every few seconds and must not import Django.
"""

import http.client
import os
import sys


def health_ok(port: int = 8000, timeout: float = 4.0) -> bool:
    """Whether the server on 127.0.0.1:``port`` answers ``GET /v1/health`` with 200."""
    hosts = [h.strip() for h in os.environ.get("RECOGNIZE_ALLOWED_HOSTS", "").split(",")]
    host = next((h.lstrip(".") for h in hosts if h and h != "*"), "127.0.0.1")
    headers = {"Host": host}
    proxy_header = os.environ.get("RECOGNIZE_PROXY_SSL_HEADER", "").strip()
    if proxy_header:
        headers[proxy_header] = "https"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", "/v1/health", headers=headers)
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


if __name__ == "__main__":
    sys.exit(0 if health_ok(int(os.environ.get("RECOGNIZE_HEALTHCHECK_PORT", "8000"))) else 1)

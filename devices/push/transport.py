"""HTTP clients for the push gateways: one pooled client per process and protocol.

APNs asks providers to keep their HTTP/2 connections open across notifications rather than
reconnect for each; the others benefit from keep-alive too. Clients are created lazily per
process (a Celery prefork child never reuses its parent's sockets) and trust the system CAs, or
only ``RECOGNIZE_PUSH_CA_FILE`` when set (local stand-ins).
"""

import os
import ssl
import threading

import httpx
from django.conf import settings

from devices.push.errors import PushDeliveryError

_clients: dict[tuple, httpx.Client] = {}
_lock = threading.Lock()


def http_client(*, http2: bool = False) -> httpx.Client:
    """The shared client for this process, speaking HTTP/2 when ``http2`` (APNs)."""
    ca_file = settings.RECOGNIZE_PUSH_CA_FILE
    timeout = settings.RECOGNIZE_PUSH_TIMEOUT_SECONDS
    key = (os.getpid(), http2, ca_file, timeout)
    with _lock:
        client = _clients.get(key)
        if client is None:
            verify = ssl.create_default_context(cafile=ca_file) if ca_file else True
            client = httpx.Client(http1=not http2, http2=http2, verify=verify, timeout=timeout)
            _clients[key] = client
        return client


def push_connections_close() -> None:
    """Close every pooled gateway connection of this process (tests, worker shutdown)."""
    with _lock:
        clients = [c for key, c in _clients.items() if key[0] == os.getpid()]
        _clients.clear()
    for client in clients:
        client.close()


def post(gateway: str, url: str, *, http2: bool = False, **kwargs) -> httpx.Response:
    """POST to a gateway; a network failure becomes a (retryable) ``PushDeliveryError``."""
    try:
        return http_client(http2=http2).post(url, **kwargs)
    except httpx.HTTPError as error:
        raise PushDeliveryError(f"{gateway} unreachable: {type(error).__name__}") from error


def retry_after(response: httpx.Response) -> float | None:
    """The ``Retry-After`` delay in seconds, when the gateway gave one as a number."""
    value = response.headers.get("retry-after", "")
    return float(value) if value.strip().isdigit() else None


def transient(gateway: str, response: httpx.Response) -> PushDeliveryError:
    """The retryable error for a 429 or 5xx answer."""
    return PushDeliveryError(
        f"{gateway} answered HTTP {response.status_code}", retry_after=retry_after(response)
    )


def is_transient(status: int) -> bool:
    """Whether a gateway status is worth retrying: rate-limited or a server-side failure."""
    return status == 429 or status >= 500

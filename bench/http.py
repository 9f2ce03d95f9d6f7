"""A minimal HTTP/1.1 client on raw sockets: one connection per request, as cheap as possible.

gunicorn's sync workers answer with ``Connection: close`` and close the socket, so a request is
connect → send → read until EOF. Nothing here is shared between threads.
"""

import base64
import json
import socket
from dataclasses import dataclass
from typing import Any

Address = tuple[str, int]


class HTTPFailure(Exception):
    """A request that did not produce the expected answer (status, body or connection)."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def basic_auth(username: str) -> str:
    """The ``Authorization`` value for HTTP Basic with ``username`` and an empty password."""
    return "Basic " + base64.b64encode(f"{username}:".encode()).decode()


def _dechunk(body: bytes) -> bytes:
    out, pos = bytearray(), 0
    while True:
        line_end = body.index(b"\r\n", pos)
        size = int(body[pos:line_end].split(b";")[0], 16)
        if size == 0:
            return bytes(out)
        start = line_end + 2
        out += body[start : start + size]
        pos = start + size + 2


def request(
    address: Address,
    method: str,
    path: str,
    *,
    authorization: str | None = None,
    body: bytes | None = None,
    timeout: float = 10.0,
) -> Response:
    """Send one request on a fresh connection and read the whole answer."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {address[0]}:{address[1]}", "Connection: close"]
    if authorization:
        lines.append(f"Authorization: {authorization}")
    if body is not None:
        lines.append("Content-Type: application/json")
        lines.append(f"Content-Length: {len(body)}")
    payload = ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")
    # A numeric IPv4 address: no getaddrinfo (socket.create_connection would call it every time).
    # One sendall of the whole request, so Nagle's algorithm never delays anything.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(address)
    except OSError as error:
        sock.close()
        raise HTTPFailure("connect", type(error).__name__) from None
    chunks: list[bytes] = []
    try:
        sock.sendall(payload)
        while True:
            data = sock.recv(65536)
            if not data:
                break
            chunks.append(data)
    except OSError as error:
        raise HTTPFailure("io", type(error).__name__) from None
    finally:
        sock.close()
    raw = b"".join(chunks)
    head, separator, content = raw.partition(b"\r\n\r\n")
    if not separator or not head.startswith(b"HTTP/1."):
        raise HTTPFailure("malformed", raw[:60].decode(errors="replace"))
    if b"transfer-encoding: chunked" in head.lower():
        content = _dechunk(content)
    return Response(int(head[9:12]), content)


def post_json(
    address: Address, path: str, data: dict[str, Any], authorization: str, expect: int = 200
) -> Any:
    """POST ``data`` as JSON and return the decoded answer; any other status is a failure."""
    answer = request(
        address, "POST", path, authorization=authorization, body=json.dumps(data).encode()
    )
    if answer.status != expect:
        raise HTTPFailure(f"http_{answer.status}", answer.body[:200].decode(errors="replace"))
    try:
        return answer.json()
    except ValueError:
        raise HTTPFailure("bad_json", answer.body[:60].decode(errors="replace")) from None

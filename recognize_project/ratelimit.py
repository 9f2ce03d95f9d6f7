"""Rate limits shared by all web processes: counted in Redis when ``REDIS_URL`` is set.

A fixed one-minute window per key. With Redis, one command (a server-side script: ``INCR``,
and ``EXPIRE`` when the window's key is new) counts exactly across any number of processes;
a script runs atomically, so no key is left without its expiry. The embedded default counts in
process memory, which is enough to stop a runaway client on one machine.

Every app request is counted, so the command goes over a connection of the calling thread's
own, straight through redis-py's ``Connection``: the client-level call (connection pool,
retries, metrics) cost 75 µs of CPU per command, three times the round trip itself.
"""

import functools
import os
import threading
import time

from django.conf import settings
from rest_framework.throttling import BaseThrottle

WINDOW_SECONDS = 60
_COUNT_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""
_local_counts: dict[str, int] = {}
_local_lock = threading.Lock()
_redis_connections = threading.local()


@functools.cache
def _redis_pool():
    """Where this process's Redis connections come from (address, password, db, TLS)."""
    import redis

    return redis.ConnectionPool.from_url(settings.REDIS_URL, socket_timeout=1)


def _redis_connection():
    """This thread's Redis connection (a new one in a forked child, which must not share it).

    Made from the pool's settings but not counted by the pool: a thread keeps its connection
    for its life and nothing returns it, so a server that starts a thread per request (the
    test's live server) would exhaust the pool's limit; a finished thread's connection closes
    when it is collected.
    """
    held = getattr(_redis_connections, "held", None)
    if held is None or held[0] != os.getpid():
        pool = _redis_pool()
        connection = pool.connection_class(**pool.connection_kwargs)
        held = _redis_connections.held = (os.getpid(), connection)
    return held[1]


def _redis_count(bucket: str) -> int:
    """Run the counting script for ``bucket``: one round trip.

    redis-py drops a connection on any error and reconnects on the next command, so a
    connection that went stale while idle (Redis restarted) is retried once at once.
    """
    from redis.exceptions import ConnectionError

    connection = _redis_connection()

    def count() -> int:
        connection.send_command("EVAL", _COUNT_SCRIPT, 1, bucket, WINDOW_SECONDS * 2)
        return connection.read_response()

    try:
        return count()
    except ConnectionError:
        return count()


def _count(bucket: str) -> int:
    if settings.REDIS_URL:
        return _redis_count(bucket)
    with _local_lock:
        window = bucket.rsplit(":", 1)[1]
        for stale in [k for k in _local_counts if not k.endswith(f":{window}")]:
            del _local_counts[stale]
        _local_counts[bucket] = _local_counts.get(bucket, 0) + 1
        return _local_counts[bucket]


def hit(key: str, limit: int) -> tuple[bool, int]:
    """Count one request under ``key``: whether it is within ``limit`` a minute, and the wait."""
    now = time.time()
    count = _count(f"ratelimit:{key}:{int(now // WINDOW_SECONDS)}")
    return count <= limit, int(WINDOW_SECONDS - now % WINDOW_SECONDS) + 1


class ClientRateThrottle(BaseThrottle):
    """Limits app requests per tenant and client address (``RECOGNIZE_CLIENT_RATE_PER_MINUTE``).

    The Client API is reachable by anyone who knows a public tenant id; this caps what one
    address can make the server do (create challenges, run face matches) before lockouts and
    signatures even come into play. 0 turns it off.
    """

    def allow_request(self, request, view) -> bool:
        limit = settings.RECOGNIZE_CLIENT_RATE_PER_MINUTE
        if not limit or request.auth is None:
            return True
        key = f"client:{request.auth.tenant.pk}:{self.get_ident(request)}"
        allowed, self._wait = hit(key, limit)
        return allowed

    def wait(self) -> float:
        return self._wait

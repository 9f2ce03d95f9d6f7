"""Rate limits shared by all web processes: counted in Redis when ``REDIS_URL`` is set.

A fixed one-minute window per key. With Redis, one pipelined round trip (``INCR`` + ``EXPIRE
NX``) counts exactly across any number of processes. The embedded default counts in process
memory, which is enough to stop a runaway client on one machine.
"""

import functools
import threading
import time

from django.conf import settings
from rest_framework.throttling import BaseThrottle

WINDOW_SECONDS = 60
_local_counts: dict[str, int] = {}
_local_lock = threading.Lock()


@functools.cache
def _redis():
    import redis

    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1)


def _count(bucket: str) -> int:
    if settings.REDIS_URL:
        pipe = _redis().pipeline(transaction=False)
        pipe.incr(bucket)
        pipe.expire(bucket, WINDOW_SECONDS * 2, nx=True)
        return pipe.execute()[0]
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

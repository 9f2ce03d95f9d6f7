"""WSGI entry point for gunicorn, with the cyclic garbage collector tuned for short pauses.

A sync worker serves one request at a time, so a collection pauses every request queued behind
it. Measured in the workers under the in-app flow benchmark (docs/benchmarks.md, "Garbage
collector pauses"): with the young generation collected every 10 000 allocations and the
modules the first requests import left in the collector's sight, young collections paused
7–9 ms (up to 31 ms), middle ones up to 47 ms and full ones 48 ms; such a pause alone puts
every request waiting at that worker above the 50 ms p99 target. So:

* every view, and everything it imports, is imported now, and then the objects that live as
  long as the process are frozen (moved out of the collector's sight) after a full collection,
  so nothing that is garbage gets frozen;
* the young generation is collected every 2 000 allocations (about 1 ms each);
* after ``WARM_UP_REQUESTS`` requests, whatever the first requests built to keep (bound
  serializer fields, prepared-statement maps, URL caches) is frozen the same way, once.

Frozen objects are never collected, so only long-lived ones may be frozen: both freezes follow
a full collection, and a cycle that later dies among them (say, a database connection replaced
after ``CONN_MAX_AGE``) stays allocated, once, rather than being freed.
"""

import gc
import os

from django.core.signals import request_finished
from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

WARM_UP_REQUESTS = 500

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recognize_project.settings")

application = get_wsgi_application()
get_resolver().url_patterns  # noqa: B018 (imports the URL conf: every view and its imports)


def _freeze() -> None:
    gc.collect()
    gc.freeze()


_freeze()
gc.set_threshold(2_000, 10, 10)
_served = 0


def _freeze_after_warm_up(**kwargs: object) -> None:
    global _served
    _served += 1
    if _served >= WARM_UP_REQUESTS:
        request_finished.disconnect(_freeze_after_warm_up)
        _freeze()


request_finished.connect(_freeze_after_warm_up)

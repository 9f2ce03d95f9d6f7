"""The web process's collector setup (recognize_project/wsgi.py): views are imported and frozen
at start, the young generation is collected often, and what the first requests keep is frozen
once, after the warm-up (in a child process: freezing would change this test process)."""

import json
import os
import subprocess
import sys
from pathlib import Path

PROBE = """
import gc, io, json
from recognize_project import wsgi

def get():
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/v1/health", "SERVER_NAME": "testserver",
               "SERVER_PORT": "80", "HTTP_HOST": "testserver", "wsgi.url_scheme": "http",
               "wsgi.input": io.BytesIO(), "wsgi.errors": io.StringIO()}
    wsgi.application(environ, lambda status, headers: None).close()

import actions.api.views  # already imported by the URL conf: no new module objects
at_start = gc.get_freeze_count()
for _ in range(wsgi.WARM_UP_REQUESTS - 1):
    get()
before = gc.get_freeze_count()
get()
after = gc.get_freeze_count()
for _ in range(50):
    get()
print(json.dumps({"threshold": gc.get_threshold(), "at_start": at_start, "before": before,
                  "after": after, "later": gc.get_freeze_count()}))
"""


def test_views_are_frozen_at_start_and_the_warm_up_is_frozen_once():
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["threshold"] == [2000, 10, 10]
    assert seen["at_start"] > 50_000  # Django, the apps and every view
    # Frozen objects that die still leave the count, so it may only shrink between freezes.
    assert seen["before"] <= seen["at_start"]  # nothing frozen during the warm-up
    assert seen["after"] > seen["before"] + 100  # the warm-up's keepers, frozen once
    assert seen["later"] <= seen["after"]  # and never again

"""WSGI entry point for gunicorn."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recognize_project.settings")

application = get_wsgi_application()

# The objects loaded so far (Django, the apps, the libraries) live as long as the process: move
# them out of the cyclic collector's sight, so a full collection no longer walks them (tens of
# milliseconds, stalling every request queued behind it). Requests allocate thousands of
# short-lived containers; collecting the young generation every 10 000 instead of 700 lets
# most of them die by reference counting first, instead of being promoted and walked again.
gc.collect()
gc.freeze()
gc.set_threshold(10_000, 10, 10)

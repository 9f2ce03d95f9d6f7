"""Settings of the events app, with defaults; each can be overridden in Django settings."""

from django.conf import settings

#: A due outbox row younger than this (seconds) is probably still in a queued task, so the
#: periodic sweep leaves it alone. (The name predates the events app and is kept for operators.)
ACTIONS_OUTBOX_SWEEP_GRACE_SECONDS: float = float(
    getattr(settings, "ACTIONS_OUTBOX_SWEEP_GRACE_SECONDS", 15.0)
)

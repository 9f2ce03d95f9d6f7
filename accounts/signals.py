"""Signals ``accounts`` sends about a tenant's keys.

``accounts`` is the lowest domain app, below the event log, so it never records an event
itself: ``events.signals`` listens and records (as authentik's events app does for the others).
"""

from django.dispatch import Signal

#: Sent by ``accounts.services`` inside the transaction of the change, with ``tenant``,
#: ``event_type`` and ``detail`` (ids and names only, never a secret).
account_changed = Signal()

"""Rows a web process remembers until PostgreSQL says they changed.

Every Server API request looks its secret key up, which on PostgreSQL is a round trip per
request for a row that changes a few times a year. ``NotifiedCache`` keeps such rows in the
memory of the database connection, and forgets all of them as soon as a trigger on their tables
sends a ``NOTIFY`` on the cache's channel (``accounts`` migration 0007): PostgreSQL delivers it
to every listening connection when the changing transaction commits, whichever way the rows were
changed (service, admin, a ``QuerySet.update``, plain SQL). Before answering, the cache reads
whatever the server sent the idle connection (a non-blocking ``recv``: no round trip), so a
revocation committed before a request began is seen by that request, give or take the time the
notification takes to cross the network. A new connection starts with an empty cache and
``LISTEN``s first, so nothing missed while disconnected is ever served.

The cache answers only on PostgreSQL and outside a transaction: inside one, its own changes
notify nobody until it commits, and there the query is what the transaction must see. SQLite
(the embedded default) has no round trips to save. Values are whatever the caller stores; keep
them immutable.
"""

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

V = TypeVar("V")

#: Entries one connection keeps at most (it starts over beyond).
MAX_ENTRIES = 1000


class _Entries(dict):
    """The remembered values of one connection, and how many times they were forgotten."""

    generation = 0

    def forget(self) -> None:
        self.clear()
        self.generation += 1


class NotifiedCache:
    """A per-connection dict, emptied by every notification on ``channel``."""

    def __init__(self, channel: str) -> None:
        self.channel = channel
        self._attribute = f"_recognize_notified_{channel}"

    def get_or_load(self, key: Hashable, load: Callable[[], V | None]) -> V | None:
        """The value remembered under ``key``, else ``load()``.

        A loaded value is remembered unless a notification arrived meanwhile (so nothing
        loaded before a change outlives it); None is never remembered, so unknown keys cannot
        fill the memory, and at most ``MAX_ENTRIES`` are kept.
        """
        entries = self._entries()
        if entries is None:
            return load()
        found = entries.get(key)
        if found is not None:
            return found
        generation = entries.generation
        value = load()
        if value is not None and self._entries() is entries and entries.generation == generation:
            if len(entries) >= MAX_ENTRIES:
                entries.clear()
            entries[key] = value
        return value

    def _entries(self) -> _Entries | None:
        """This connection's entries after reading pending notifications, or None when the
        cache must not answer now."""
        db = connections[DEFAULT_DB_ALIAS]
        if db.vendor != "postgresql" or db.in_atomic_block:
            return None
        raw = db.connection
        held = db.__dict__.get(self._attribute)
        if raw is None or held is None or held[0] is not raw:
            try:
                held = self._listen(db)
            except DatabaseError:
                return None
            raw = db.connection
        entries = held[1]
        try:
            raw.pgconn.consume_input()  # what arrived while idle, without waiting
            while (note := raw.pgconn.notifies()) is not None:
                raw.pgconn.notify_handler(note)  # psycopg's dispatch: calls ``forget``
        except Exception:  # a broken connection: the query will find out and say so
            entries.forget()
            return None
        return entries

    def _listen(self, db: Any) -> tuple[Any, _Entries]:
        """Start listening on this (new) connection, with empty entries."""
        with db.cursor() as cursor:  # connects if needed
            cursor.execute(f"LISTEN {self.channel}")
        entries = _Entries()
        channel = self.channel

        def forget(note: Any) -> None:
            if note.channel == channel:
                entries.forget()

        db.connection.add_notify_handler(forget)
        held = db.__dict__[self._attribute] = (db.connection, entries)
        return held

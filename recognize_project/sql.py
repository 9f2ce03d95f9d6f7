"""Plain SQL for the few statements every in-app flow sends, on PostgreSQL and SQLite alike.

Building and compiling a query through the ORM costs about 1 ms of CPU on the production
machine, a ``cursor.execute`` of the same SQL about 0.2 ms (docs/benchmarks.md, "In-app flow:
analysis"); on the four requests of the in-app flow that was most of the server's time. Those
statements are therefore written out in the selector or service that owns them, in SQL that
both backends accept (``… RETURNING`` needs SQLite ≥ 3.35), and everything else stays on the
ORM. This module keeps their values in the ORM's form: parameters are adapted as the ORM
adapts them (SQLite stores UUIDs and datetimes as text), rows come back as model instances
through the ORM's own converters, and ``insert`` / ``update`` send what ``save()`` would.
"""

import functools
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model

M = TypeVar("M", bound=Model)
Converter = Callable[[Any, Any, Any], Any]


def _db() -> BaseDatabaseWrapper:
    """This thread's connection (looked up once per call: each ``connection.x`` costs that)."""
    return connections[DEFAULT_DB_ALIAS]


def _adapted(db: BaseDatabaseWrapper, params: Sequence[Any]) -> list[Any]:
    """``params`` in the form the database compares and stores them."""
    native_uuid = db.features.has_native_uuid_field
    adapted = []
    for value in params:
        if isinstance(value, uuid.UUID) and not native_uuid:
            value = value.hex
        elif isinstance(value, datetime):
            value = db.ops.adapt_datetimefield_value(value)
        adapted.append(value)
    return adapted


def _cursor(db: BaseDatabaseWrapper) -> Any:
    """A cursor of ``db``'s current connection, kept for the statements that follow.

    Making and closing a cursor per statement cost 30 of the 80 µs a short statement takes on
    PostgreSQL here. A cursor belongs to one connection, so a new one is made whenever Django
    has (re)connected; while Django logs queries (``DEBUG``, ``CaptureQueriesContext``) each
    statement gets a fresh logging cursor, as through the ORM.
    """
    if db.queries_logged:
        return db.cursor()
    db.ensure_connection()
    kept = db.__dict__.get("_recognize_cursor")
    if kept is None or kept[0] is not db.connection:
        kept = db._recognize_cursor = (db.connection, db.cursor())
    return kept[1]


def fetch_one(sql: str, params: Sequence[Any]) -> tuple | None:
    """The first row of a query, or None."""
    db = _db()
    cursor = _cursor(db)
    cursor.execute(sql, _adapted(db, params))
    return cursor.fetchone()


def fetch_all(sql: str, params: Sequence[Any]) -> list[tuple]:
    """Every row of a query."""
    db = _db()
    cursor = _cursor(db)
    cursor.execute(sql, _adapted(db, params))
    return cursor.fetchall()


def execute(sql: str, params: Sequence[Any]) -> int:
    """Run a statement; the number of rows it changed."""
    db = _db()
    cursor = _cursor(db)
    cursor.execute(sql, _adapted(db, params))
    return cursor.rowcount


def asynchronous_commit() -> str:
    """``, set_config(…)`` to end the RETURNING list of a statement whose loss in a database
    crash is harmless, so that its commit does not wait for the WAL to reach the disk.

    PostgreSQL's asynchronous commit for one autocommit statement: ``set_config(…, true)`` is
    ``SET LOCAL``, which lasts until that statement's own transaction commits, so nothing
    else on the connection is affected. The row is visible to everyone at once as usual; only
    a crash of the database server (not of a web process) may lose it, within about
    3 × ``wal_writer_delay`` (0.6 s by default). A later synchronous commit on the server
    flushes it too, as the WAL is written in order. Empty inside a transaction (whose own
    commit decides) and on SQLite (which ``synchronous=NORMAL`` already relaxes the same way).

    Only for rows whose loss cannot be turned into a second use of something single-use: a
    challenge or an action that vanishes is unknown afterwards, so it is refused.
    """
    db = _db()
    if db.vendor != "postgresql" or db.in_atomic_block:
        return ""
    return ", set_config('synchronous_commit', 'off', true)"


def for_update_of(alias: str) -> str:
    """`` FOR UPDATE OF alias`` where the backend locks rows (SQLite locks the whole database
    for the transaction instead, as ``transaction_mode`` IMMEDIATE begins it)."""
    return f" FOR UPDATE OF {alias}" if _db().features.has_select_for_update_of else ""


def columns(model: type[Model], alias: str | None = None) -> str:
    """Every column of ``model`` (as ``alias.column`` with an alias), in the order that
    ``instance_from_row`` reads them."""
    prefix = f"{alias}." if alias else ""
    return ", ".join(f"{prefix}{field.column}" for field in model._meta.concrete_fields)


@functools.lru_cache(maxsize=64)
def _converters(ops: Any, model: type[Model]) -> list[tuple[int, Any, list[Converter]]]:
    """The concrete fields the ORM converts on this backend: position, column, converters."""
    table = model._meta.db_table
    found = []
    for position, field in enumerate(model._meta.concrete_fields):
        column = field.get_col(table)
        converters = ops.get_db_converters(column) + column.get_db_converters(ops.connection)
        if converters:
            found.append((position, column, converters))
    return found


def instance_from_row(model: type[M], values: Sequence[Any]) -> M:
    """A ``model`` instance from the values of ``columns(model, …)``, converted as by the ORM."""
    db = _db()
    values = list(values)
    for position, column, converters in _converters(db.ops, model):
        for convert in converters:
            values[position] = convert(values[position], column, db)
    return model.from_db(db.alias, None, values)


def instances_from_row(row: Sequence[Any], *models: type[Model]) -> list[Model]:
    """One instance per model from a row that holds ``columns()`` of each, in turn."""
    found, start = [], 0
    for model in models:
        end = start + len(model._meta.concrete_fields)
        found.append(instance_from_row(model, row[start:end]))
        start = end
    return found


def _prepared(instance: Model, fields: Sequence[Field], add: bool) -> list[Any]:
    db = _db()
    return [field.get_db_prep_save(field.pre_save(instance, add), db) for field in fields]


def _generated(instance: Model) -> Field | None:
    """The primary key the database will generate for ``instance``, if any."""
    return instance._meta.auto_field if instance.pk is None else None


def _insert_parts(instance: Model) -> tuple[str, list[Field], list[Any]]:
    """The table, the fields an INSERT of a new ``instance`` fills, and the values ``save()``
    would store in them (after ``pre_save``, e.g. ``auto_now_add``), in that order."""
    meta = instance._meta
    generated = _generated(instance)
    fields = [field for field in meta.local_concrete_fields if field is not generated]
    return meta.db_table, fields, _prepared(instance, fields, add=True)


def insert_select(instance: Model, *, columns_from: dict[str, str]) -> tuple[str, list[Any]]:
    """``INSERT INTO table (columns) SELECT …`` for a new ``instance``, to be completed with a
    ``FROM`` clause: the columns named in ``columns_from`` take those SQL expressions, every
    other column a parameter, whose values are returned in order."""
    table, fields, values = _insert_parts(instance)
    quote = _db().ops.quote_name
    selected, params = [], []
    for field, value in zip(fields, values, strict=True):
        if field.column in columns_from:
            selected.append(columns_from[field.column])
        else:
            selected.append("%s")
            params.append(value)
    columns = ", ".join(quote(field.column) for field in fields)
    return f"INSERT INTO {quote(table)} ({columns}) SELECT {', '.join(selected)}", params


def insert(instance: Model, *, durable: bool = True) -> None:
    """INSERT a new ``instance`` as ``save()`` would, setting its generated primary key.

    Fields get their ``pre_save`` (``auto_now_add``) and database form as through the ORM;
    no model signals are sent (none is connected to the models this is used for). With
    ``durable=False`` the commit may be asynchronous (see ``asynchronous_commit``).
    """
    generated = _generated(instance)
    table, fields, values = _insert_parts(instance)
    quote = _db().ops.quote_name
    sql = (
        f"INSERT INTO {quote(table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608 (model names)
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    relaxed = "" if durable else asynchronous_commit()
    if generated is not None:
        row = fetch_one(f"{sql} RETURNING {quote(generated.column)}{relaxed}", values)
        setattr(instance, generated.attname, row[0])
    elif relaxed:
        fetch_one(f"{sql} RETURNING {relaxed.removeprefix(', ')}", values)
    else:
        execute(sql, values)
    mark_saved(instance)


def mark_saved(instance: Model) -> None:
    """Mark ``instance`` as a stored row, as ``save()`` does after its INSERT."""
    instance._state.adding = False
    instance._state.db = DEFAULT_DB_ALIAS


def update(instance: Model, field_names: Sequence[str]) -> None:
    """The UPDATE ``instance.save(update_fields=field_names)`` sends (without signals)."""
    meta = instance._meta
    fields = [meta.get_field(name) for name in field_names]
    quote = _db().ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    changed = execute(
        f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s",  # noqa: S608 (model names)
        [*_prepared(instance, fields, add=False), instance.pk],
    )
    if changed == 0:
        raise DatabaseError("Save with update_fields did not affect any rows.")

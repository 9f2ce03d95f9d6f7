"""On PostgreSQL, every committed change to a tenant or a secret key sends a NOTIFY on
``recognize_auth``, which empties the key lookups web processes remember
(``recognize_project.notified_cache``). Statement-level triggers, so a change made any way at
all (service, admin, bulk update, plain SQL) is announced. SQLite keeps no such cache."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION recognize_auth_changed() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('recognize_auth', '');
    RETURN NULL;
END
$$ LANGUAGE plpgsql
"""
TABLES = ("accounts_tenant", "accounts_secretkey")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    for table in TABLES:
        for event in ("INSERT OR UPDATE OR DELETE", "TRUNCATE"):
            name = f"{table}_{'truncated' if event == 'TRUNCATE' else 'changed'}"
            schema_editor.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON {table}"
                " FOR EACH STATEMENT EXECUTE FUNCTION recognize_auth_changed()"
            )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        for name in (f"{table}_changed", f"{table}_truncated"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS recognize_auth_changed()")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0006_lean_indexes")]

    operations = [migrations.RunPython(create, drop, elidable=False)]

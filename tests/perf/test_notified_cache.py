"""Secret-key lookups remembered by a connection are forgotten the moment a tenant or key
changes (PostgreSQL NOTIFY from a trigger), in every process, whichever way it changed."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from accounts import selectors
from accounts.models import SecretKey, Tenant
from accounts.services import secret_key_revoke, tenant_create

pytestmark = pytest.mark.integration


@pytest.fixture
def other_process(transactional_db):
    """A thread with a database connection of its own, standing in for another web process."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    pool = ThreadPoolExecutor(max_workers=1)

    def run(function, *args):
        return pool.submit(function, *args).result(timeout=10)

    yield run
    run(connections.close_all)
    pool.shutdown()


def _lookup(secret: str) -> tuple[Tenant | None, int]:
    """The tenant for ``secret`` and the number of statements the lookup sent."""
    with CaptureQueriesContext(connection) as sent:
        tenant = selectors.tenant_get_by_secret_key(secret=secret)
    return tenant, len(sent)


def _notified_within(seconds: float, check) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.01)
    return False


def test_a_remembered_key_costs_no_statement(other_process):
    _, secret = tenant_create(name="acme")
    other_process(_lookup, secret)  # LISTEN (once per connection) and the query
    tenant, statements = other_process(_lookup, secret)
    assert (tenant.name, statements) == ("acme", 0)


def test_a_revoked_key_stops_working_at_once_where_it_was_remembered(other_process):
    _, secret = tenant_create(name="acme")
    other_process(_lookup, secret)
    secret_key_revoke(key=SecretKey.objects.get())  # commits
    # The notification is on its way when the revoking statement returns; on an idle machine
    # it has arrived before the next request could, on a loaded one within a scheduling slice
    # or two (the remembered entry itself would live on indefinitely).
    assert _notified_within(2, lambda: other_process(_lookup, secret)[0] is None)


def test_a_change_made_by_plain_sql_is_announced_too(other_process):
    tenant, secret = tenant_create(name="acme")
    other_process(_lookup, secret)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_tenant SET lockout_threshold = 3 WHERE id = %s", [tenant.pk]
        )
    assert _notified_within(2, lambda: other_process(_lookup, secret)[0].lockout_threshold == 3)


def test_a_transaction_sees_its_own_revocation(other_process):
    _, secret = tenant_create(name="acme")
    selectors.tenant_get_by_secret_key(secret=secret)  # remembered outside
    with transaction.atomic():
        secret_key_revoke(key=SecretKey.objects.get())
        assert selectors.tenant_get_by_secret_key(secret=secret) is None


def test_unknown_keys_are_not_remembered(other_process):
    _, secret = tenant_create(name="acme")
    _lookup(secret)  # LISTEN
    unknown = selectors.SECRET_KEY_PREFIX + "not-a-key"
    for _ in range(3):
        assert _lookup(unknown) == (None, 1)


def test_a_change_committed_while_loading_is_not_remembered(other_process):
    _, secret = tenant_create(name="acme")
    key_hash = selectors.secret_key_hash(secret)
    row = selectors.sql.fetch_one(selectors._TENANT_BY_SECRET_KEY_HASH, [key_hash])

    def load_then_revoke():
        done = threading.Thread(target=lambda: other_process(_revoke_all))
        done.start()
        done.join()
        time.sleep(0.05)  # the notification reaches this connection while "loading"
        return row  # read before the revocation

    assert selectors._key_lookups.get_or_load(key_hash, load_then_revoke) == row
    assert _lookup(secret) == (None, 1)  # not remembered: asked again


def _revoke_all():
    for key in SecretKey.objects.all():
        secret_key_revoke(key=key)


def test_a_new_connection_listens_again(other_process):
    _, secret = tenant_create(name="acme")
    other_process(_lookup, secret)
    other_process(connections.close_all)  # e.g. CONN_MAX_AGE reached
    assert other_process(_lookup, secret)[1] >= 1  # forgot everything with the connection
    other_process(_lookup, secret)
    _revoke_all()
    assert _notified_within(2, lambda: other_process(_lookup, secret)[0] is None)

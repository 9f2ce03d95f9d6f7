"""Without a per-request health check, a database connection that broke while idle is still
replaced: the request that meets it fails, Django tests and drops the connection when that
request ends, and the next request reconnects (PostgreSQL, through the real WSGI handler so
that Django's request signals run)."""

import base64
import io

import psycopg
import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection

from accounts.services import tenant_create

pytestmark = pytest.mark.integration


def _get(handler: WSGIHandler, path: str, secret: str, method: str = "GET") -> int:
    """One request through the WSGI handler, closed as a server closes it; its status."""
    statuses = []
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "HTTP_AUTHORIZATION": "Basic " + base64.b64encode(f"{secret}:".encode()).decode(),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": io.StringIO(),
    }
    response = handler(environ, lambda status, headers: statuses.append(int(status[:3])))
    response.close()  # request_finished: Django drops an unusable connection here
    return statuses[0]


def _terminate_backend(pid: int) -> None:
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.mark.parametrize(
    "method, path",
    [("GET", "/v1/users/alice"), ("POST", "/v1/users/alice/actions/signIn")],
    ids=["orm", "plain-sql"],  # track's statements go through the kept cursor of `sql`
)
def test_a_connection_broken_while_idle_is_replaced_after_one_failed_request(
    transactional_db, method, path
):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    _, secret = tenant_create(name="acme")
    handler = WSGIHandler()
    assert _get(handler, path, secret, method) == 200
    assert _get(handler, path, secret, method) == 200  # alice exists: the plain-SQL path
    _terminate_backend(connection.connection.info.backend_pid)

    assert _get(handler, path, secret, method) == 500
    assert _get(handler, path, secret, method) == 200

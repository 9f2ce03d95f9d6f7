"""Fuzz every operation of the OpenAPI contract: never a 5xx, every error in the API format."""

import base64

import pytest
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings

from tests.transports import BASE_URL, DjangoAdapter

schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))


@pytest.fixture
def session():
    import requests

    session = requests.Session()
    session.mount(BASE_URL, DjangoAdapter())
    return session


def _basic(username: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:".encode()).decode()


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_operation_never_fails_with_5xx(case, acme, session):
    if case.path.startswith("/v1/client/"):
        authorization = _basic(acme.tenant_id)
    else:
        authorization = _basic(acme.secret)
    response = case.call(
        base_url=BASE_URL, session=session, headers={"Authorization": authorization}
    )
    assert response.status_code < 500, response.text
    if response.status_code >= 400 and response.headers.get("Content-Type", "").startswith(
        "application/json"
    ):
        body = response.json()
        assert set(body) >= {"error", "errorCode", "errorDescription"}, body

"""Item 5 of the security audit: hostile JSON is a 400 in the API's error format, nothing written.

Run on SQLite by the fast suite and on PostgreSQL with ``DATABASE_URL`` set, where NUL and lone
surrogates used to reach the database and fail there with a 500.
"""

import base64
import json

import pytest
from django.test import Client

from accounts.models import EndUser
from actions.models import Action, Rule
from devices.models import OneTimeCode

DEEP = '{"custom": {"a": ' + "[" * 20_000 + "]" * 20_000 + "}}"
NESTED_40 = '{"custom": {"a": ' + "[" * 40 + "]" * 40 + "}}"
HOSTILE = {
    "deep_nesting": DEEP,
    "nesting_past_limit": NESTED_40,
    "huge_exponent": '{"custom": {"amount": 1e999999}}',
    "negative_huge_exponent": '{"custom": {"amount": -1e999999}}',
    "infinity_literal": '{"custom": {"amount": Infinity}}',
    "nan_literal": '{"custom": {"amount": NaN}}',
    "nul_in_value": '{"custom": {"note": "a\\u0000b"}}',
    "nul_in_key": '{"custom": {"a\\u0000b": 1}}',
    "nul_in_nested_list": '{"custom": {"notes": [["x", "\\u0000"]]}}',
    "lone_high_surrogate": '{"custom": {"note": "\\ud800"}}',
    "lone_low_surrogate_in_key": '{"custom": {"\\udc00": 1}}',
    "nul_in_text_field": '{"displayName": "\\u0000"}',
    "invalid_utf8": b'{"custom": {"note": "\xff\xfe"}}',
}


@pytest.fixture
def auth(acme):
    secret = base64.b64encode(f"{acme.secret}:".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {secret}"}


def _assert_400(response):
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["errorCode"] in {"malformed_json", "invalid_request"}
    assert body["errorDescription"]


@pytest.mark.parametrize("body", HOSTILE.values(), ids=HOSTILE.keys())
def test_item05_hostile_json_is_400_and_writes_nothing(client, auth, acme, body):
    acme.server.update_user("bob", {"custom": {"plan": "gold"}})
    _assert_400(
        client.post("/v1/users/alice/actions/signIn", body, content_type="application/json", **auth)
    )
    _assert_400(client.patch("/v1/users/bob", body, content_type="application/json", **auth))
    rule = body if isinstance(body, bytes) else body.replace('"custom"', '"conditions": [], "x"')
    _assert_400(client.post("/v1/actions/pay/rules", rule, content_type="application/json", **auth))
    assert not Action.objects.exists()
    assert not Rule.objects.exists()
    assert list(EndUser.objects.values_list("external_id", "custom")) == [("bob", {"plan": "gold"})]


def test_item05_ordinary_json_still_accepted(client, auth):
    body = {"custom": {"amount": 1.5e300, "note": "naïve ☃ 😀", "deep": [[[[1]]]], "n": -0.0}}
    response = client.post(
        "/v1/users/alice/actions/signIn", json.dumps(body), content_type="application/json", **auth
    )
    assert response.status_code == 200, response.content
    assert Action.objects.get().custom["note"] == "naïve ☃ 😀"


@pytest.mark.parametrize(
    "path, form",
    [
        ("/portal/t/{tenant}/", {"address": "alice\x00@example.com"}),
        ("/portal/t/{tenant}/", {"address\x00": "alice@example.com"}),
        ("/portal/link", {"token": "abc\x00"}),
        ("/challenge", {"token": "abc\x00"}),
    ],
)
def test_item05_nul_in_a_form_is_400_and_writes_nothing(acme, path, form):
    browser = Client()
    page = path.format(tenant=acme.tenant_id)
    browser.get(page)
    assert browser.post(page, form).status_code == 400
    assert not OneTimeCode.objects.exists()


def test_item05_nul_in_a_query_string_is_400_in_the_api_format(client, auth):
    response = client.get("/v1/client/user-authenticators/in-app?publicKey=a%00b", **auth)
    _assert_400(response)

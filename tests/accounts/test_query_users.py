"""``GET /v1/users`` (queryUsers) and ``GET /v1/users/{userId}/actions`` (queryUserActions).

Request shapes copied from @authsignal/node src/authsignal.ts ``queryUsers`` and
``queryUserActions`` (authsignal/authsignal-node): filters and the page cursor in the query
string, ``codes`` comma-separated.
"""

import pytest
from authsignal.client import ApiException

from actions.models import Action


def _get(acme, path: str, params: dict):
    return acme.server.session.get(f"{acme.server.api_url}{path}", params=params)


def _refused(acme, path: str, params: dict) -> tuple[int, str]:
    """The status and error code of a request the SDK's session reports as an error."""
    with pytest.raises(ApiException) as error:
        _get(acme, path, params)
    return error.value.status_code, error.value.error_code


@pytest.fixture
def people(acme):
    for name in ("ann", "bob", "cat", "dan", "eve"):
        acme.server.update_user(name, {"email": f"{name}@example.com", "username": name})
    acme.server.update_user("bob2", {"email": "BOB@example.com", "emailVerified": True})
    return acme


def test_query_users_by_email_in_any_case(people):
    response = _get(people, "/users", {"email": "bob@example.com"})
    assert response.status_code == 200
    body = response.json()
    assert [u["userId"] for u in body["users"]] == ["bob", "bob2"]
    assert body["users"][1]["emailVerified"] is True
    assert "lastEvaluatedUserId" not in body


def test_query_users_by_username_and_phone_number(people):
    people.server.update_user("ann", {"phoneNumber": "+64270000001"})
    assert [u["userId"] for u in _get(people, "/users", {"username": "cat"}).json()["users"]] == [
        "cat"
    ]
    found = _get(people, "/users", {"phoneNumber": "+64270000001"}).json()["users"]
    assert [(u["userId"], u["phoneNumber"]) for u in found] == [("ann", "+64270000001")]


def test_query_users_pages_with_last_evaluated_user_id(people):
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"lastEvaluatedUserId": cursor} if cursor else {})}
        body = _get(people, "/users", params).json()
        seen += [u["userId"] for u in body["users"]]
        cursor = body.get("lastEvaluatedUserId")
        if cursor is None:
            break
    assert seen == ["ann", "bob", "bob2", "cat", "dan", "eve"]


def test_query_users_by_token_returns_its_user_and_payload(people):
    tracked = people.track("dan")
    body = _get(people, "/users", {"token": tracked["token"]}).json()
    assert [u["userId"] for u in body["users"]] == ["dan"]
    assert body["tokenPayload"]["sub"] == "dan"
    assert body["tokenPayload"]["idempotencyKey"] == tracked["idempotency_key"]


def test_query_users_sees_only_the_tenant_s_users(people, db, tmp_path):
    from tests.support import TenantContext

    other = TenantContext("other", tmp_path)
    other.server.update_user("zed", {"email": "bob@example.com"})
    assert _get(other, "/users", {"email": "bob@example.com"}).json()["users"][0]["userId"] == (
        "zed"
    )
    foreign = {"token": people.track("dan")["token"]}
    assert _refused(other, "/users", foreign) == (400, "invalid_token")


@pytest.mark.parametrize(
    "params, code",
    [
        ({"limit": "0"}, "invalid_request"),
        ({"limit": "many"}, "invalid_request"),
        ({"limit": "100000"}, "invalid_request"),
        ({"token": "not.a.token"}, "invalid_token"),
    ],
)
def test_query_users_bad_input(people, params, code):
    assert _refused(people, "/users", params) == (400, code)


def test_query_user_actions_filters_by_codes_state_and_date(acme):
    acme.server.update_user("alice", {"email": "alice@example.com"})
    sign_in = acme.track("alice", "signIn")
    pay = acme.track("alice", "pay")
    acme.track("alice", "other")
    acme.track("bob", "signIn")
    acme.server.update_action("alice", "pay", pay["idempotency_key"], {"state": "REVIEW_REQUIRED"})

    listed = _get(acme, "/users/alice/actions", {"codes": "signIn,pay"}).json()
    assert [(a["actionCode"], a["idempotencyKey"]) for a in listed] == [
        ("pay", pay["idempotency_key"]),
        ("signIn", sign_in["idempotency_key"]),
    ]
    assert {"createdAt", "updatedAt", "stateUpdatedAt", "verificationMethod"} <= set(listed[0])
    by_state = _get(acme, "/users/alice/actions", {"state": "REVIEW_REQUIRED"}).json()
    assert [a["actionCode"] for a in by_state] == ["pay"]
    assert _get(acme, "/users/alice/actions", {"fromDate": "2999-01-01T00:00:00.000Z"}).json() == []
    assert len(_get(acme, "/users/alice/actions", {}).json()) == 3
    assert _get(acme, "/users/nobody/actions", {}).json() == []


@pytest.mark.parametrize(
    "params", [{"fromDate": "yesterday"}, {"state": "MAYBE"}, {"codes": "a b,c"}]
)
def test_query_user_actions_bad_input(acme, params):
    acme.track("alice")
    assert _refused(acme, "/users/alice/actions", params) == (400, "invalid_request")
    assert Action.objects.count() == 1

"""Items 13 and 15 of the security audit: identifiers are validated as sent, never normalised.

An action code with a trailing newline would slip past rules keyed on the clean code; a userId
with a zero-width or bidi character looks like another user's in every list and e-mail.
"""

import base64
import json
from urllib.parse import quote

import pytest
from django.core.management import CommandError, call_command

from accounts.models import EndUser
from actions.models import Action, ActionConfig, Rule

BAD_ACTION_CODES = ["signIn\n", "signIn ", " signIn", "sign\tIn", "signIn\x00", "signIn\u200b", ""]
BAD_USER_IDS = ["ali\u200bce", "alice\u202e", "\u2066alice", "alice\x00", "alice\n", "al\u00adice"]


@pytest.fixture
def auth(acme):
    secret = base64.b64encode(f"{acme.secret}:".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {secret}"}


def _quote(text: str) -> str:
    return quote(text, safe="")


def _assert_error(response):
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json()["errorCode"] == "invalid_request"


@pytest.mark.parametrize("code", [c for c in BAD_ACTION_CODES if c])
def test_item13_action_code_in_path_is_rejected_not_trimmed(client, auth, code):
    response = client.post(
        f"/v1/users/alice/actions/{_quote(code)}", "{}", content_type="application/json", **auth
    )
    _assert_error(response)
    assert not Action.objects.exists()
    rules = client.post(
        f"/v1/actions/{_quote(code)}/rules",
        '{"name": "n", "outcome": "BLOCK"}',
        content_type="application/json",
        **auth,
    )
    _assert_error(rules)
    assert not Rule.objects.exists()


@pytest.mark.parametrize("code", BAD_ACTION_CODES)
def test_item13_action_code_in_body_is_rejected_not_trimmed(client, auth, acme, code):
    token = acme.track("alice", "signIn")["token"]
    response = client.post(
        "/v1/validate",
        json.dumps({"token": token, "action": code}),
        content_type="application/json",
        **auth,
    )
    _assert_error(response)
    challenge = client.post(
        "/v1/client/challenge",
        json.dumps({"action": code}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    _assert_error(challenge)


@pytest.mark.parametrize("code", ["signIn\n", "signIn ", "sign\tIn"])
def test_item13_action_code_in_admin_is_rejected_not_trimmed(admin_client, acme, code):
    response = admin_client.post(
        "/admin/actions/actionconfig/add/",
        {"tenant": acme.tenant.pk, "action_code": code, "default_outcome": "BLOCK"},
    )
    assert response.status_code == 200  # the form again, with the error
    assert "action must be" in response.content.decode()
    assert not ActionConfig.objects.exists()
    response = admin_client.post(
        "/admin/actions/rule/add/",
        {
            "tenant": acme.tenant.pk,
            "action_code": code,
            "position": 0,
            "name": "block",
            "enabled": "on",
            "conditions": "[]",
            "outcome": "BLOCK",
        },
    )
    assert response.status_code == 200
    assert "action must be" in response.content.decode()
    assert not Rule.objects.exists()


def test_item13_action_code_in_command_is_rejected(acme):
    with pytest.raises(CommandError):
        call_command("set_action_outcome", "--tenant", acme.tenant_id, "signIn\n", "BLOCK")
    assert not ActionConfig.objects.exists()


@pytest.mark.parametrize("user_id", BAD_USER_IDS)
def test_item15_user_id_with_invisible_characters_is_rejected(client, auth, user_id):
    path = f"/v1/users/{_quote(user_id)}"
    for response in [
        client.post(f"{path}/actions/signIn", "{}", content_type="application/json", **auth),
        client.get(path, **auth),
        client.get(f"{path}/authenticators", **auth),
        client.get(f"{path}/devices", **auth),
    ]:
        _assert_error(response)
    assert not EndUser.objects.exists()


def test_item15_ordinary_user_ids_still_work(client, auth):
    for user_id in ["alice", "alice@example.com", "Zoë Ünal", "用户-42", "a b"]:
        response = client.post(
            f"/v1/users/{_quote(user_id)}/actions/signIn",
            "{}",
            content_type="application/json",
            **auth,
        )
        assert response.status_code == 200, (user_id, response.content)


@pytest.mark.parametrize("user_id", ["ali\u200bce", "alice\n", " alice"])
def test_item15_user_id_in_admin_is_checked_like_the_api(admin_client, acme, user_id):
    form = {"tenant": acme.tenant.pk, "external_id": user_id, "custom": "{}"}
    response = admin_client.post("/admin/accounts/enduser/add/", form)
    if user_id == " alice":  # a visible space is allowed, and kept as typed
        assert EndUser.objects.get().external_id == " alice"
        return
    assert response.status_code == 200
    assert "must not contain control or invisible characters" in response.content.decode()
    assert not EndUser.objects.exists()

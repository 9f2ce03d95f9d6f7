"""The page behind track's ``url``: ``/challenge#token=...``, the token posted by its script."""

from urllib.parse import parse_qs, urlsplit

import jwt


def _open(client, url: str):
    """What the browser does with track's url: GET the page, then POST the fragment's token."""
    parts = urlsplit(url)
    assert parts.path == "/challenge" and not parts.query
    shell = client.get(parts.path)
    assert shell.status_code == 200 and b"data-fragment-token" in shell.content
    return client.post(parts.path, {"token": parse_qs(parts.fragment)["token"][0]})


def test_pending_action_shows_a_qr_code_with_the_deep_link(acme, client):
    tracked = acme.track("alice")
    page = _open(client, tracked["url"])
    assert page.status_code == 200
    assert b"<svg" in page.content
    assert b"recognize://verify#" in page.content
    assert b"data-resubmit-after" in page.content


def test_succeeded_action_sends_the_user_back_with_a_token(acme, client):
    device = acme.bound_device("alice")
    tracked = acme.track("alice", redirectUrl="https://shop.example/done?order=7")
    device.verify(token=tracked["token"])
    page = _open(client, tracked["url"])
    assert b"Confirmed" in page.content
    continue_url = urlsplit(page.context["continue_url"])
    assert parse_qs(continue_url.query) == {"order": ["7"]}  # the token is not in the query
    token = parse_qs(continue_url.fragment)["token"][0]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["idk"] == tracked["idempotency_key"]
    assert acme.server.validate_challenge({"token": token})["is_valid"] is True


def test_bad_token_gets_a_clear_page(client, db):
    page = client.post("/challenge", {"token": "nonsense"})
    assert page.status_code == 400
    assert b"cannot be used" in page.content

"""The page behind track's ``url``."""

from urllib.parse import parse_qs, urlsplit

import jwt


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_pending_action_shows_a_qr_code_with_the_deep_link(acme, client):
    tracked = acme.track("alice")
    page = client.get(_path(tracked["url"]))
    assert page.status_code == 200
    assert b"<svg" in page.content
    assert b"recognize://verify?" in page.content
    assert b'http-equiv="refresh"' in page.content


def test_succeeded_action_sends_the_user_back_with_a_token(acme, client):
    device = acme.bound_device("alice")
    tracked = acme.track("alice", redirectUrl="https://shop.example/done?order=7")
    device.verify(token=tracked["token"])
    page = client.get(_path(tracked["url"]))
    assert b"Confirmed" in page.content
    continue_url = page.context["continue_url"]
    query = parse_qs(urlsplit(continue_url).query)
    assert query["order"] == ["7"]
    claims = jwt.decode(query["token"][0], options={"verify_signature": False})
    assert claims["idk"] == tracked["idempotency_key"]
    assert acme.server.validate_challenge({"token": query["token"][0]})["is_valid"] is True


def test_bad_token_gets_a_clear_page(client, db):
    page = client.get("/challenge?token=nonsense")
    assert page.status_code == 400
    assert b"cannot be used" in page.content

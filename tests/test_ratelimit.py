"""Client API rate limit per tenant and address, counted in the shared cache."""

import pytest
from django.core.cache import cache

from recognize_sdk import RecognizeError


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


def test_client_requests_beyond_the_limit_get_429(acme, globex, settings):
    settings.RECOGNIZE_CLIENT_RATE_PER_MINUTE = 3
    client = acme.device_client()
    for _ in range(3):
        client.challenge(action="signIn")
    with pytest.raises(RecognizeError) as error:
        client.challenge(action="signIn")
    assert (error.value.status, error.value.code) == (429, "rate_limited")
    globex.device_client().challenge(action="signIn")  # other tenants keep their own budget


def test_server_api_is_not_limited_by_the_client_budget(acme, settings):
    settings.RECOGNIZE_CLIENT_RATE_PER_MINUTE = 1
    for _ in range(3):
        acme.track("alice")


def test_a_redis_connection_closed_while_idle_is_replaced_without_losing_a_request(
    settings, monkeypatch
):
    if not settings.REDIS_URL:
        pytest.skip("needs Redis")
    import redis

    from recognize_project import ratelimit

    monkeypatch.setattr(ratelimit.time, "time", lambda: 1_800_000_000.0)  # one window
    key = "client:test-reconnect"
    assert ratelimit.hit(key, 2)[0] is True
    connection = ratelimit._redis_connection()
    connection.send_command("CLIENT", "ID")
    client_id = connection.read_response()
    admin = redis.Redis.from_url(settings.REDIS_URL)
    try:
        assert admin.client_kill_filter(_id=client_id) == 1  # as a Redis restart would
        assert ratelimit.hit(key, 2)[0] is True  # the second request, on a new connection
        assert ratelimit.hit(key, 2)[0] is False  # the third: each was counted once
    finally:
        admin.close()

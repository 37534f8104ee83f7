"""GET /health: the database and Redis checked at most once a second while both are fine, so
anonymous requests cannot load them; an outage still shows at once."""

from __future__ import annotations

import time

import pytest

from backend.blueprints.health import FRESH_SECONDS
from tests.backend.tcp_proxy import app_behind_redis_proxy

UNAVAILABLE = {"status": "unavailable", "database": "ok", "redis": "unavailable"}


@pytest.fixture
def behind_a_proxy(database_url, redis_url, redis_client):
    """(the Redis forwarder, a test client of an app that reaches Redis through it)."""
    with app_behind_redis_proxy(database_url, redis_url) as (proxy, app):
        client = app.test_client()
        assert client.get("/health").status_code == 200
        yield proxy, client


def test_a_flood_of_health_checks_reaches_redis_once_a_second(behind_a_proxy):
    proxy, client = behind_a_proxy
    sends, started = proxy.client_sends, time.monotonic()
    for _ in range(200):
        assert client.get("/health").get_json()["status"] == "ok"
    elapsed = time.monotonic() - started
    assert proxy.client_sends - sends <= elapsed // FRESH_SECONDS + 1


def test_an_outage_a_request_met_shows_at_once(behind_a_proxy):
    proxy, client = behind_a_proxy
    proxy.stop()
    assert client.get("/profile/1", headers={"Authorization": "x" * 43}).status_code == 503
    health = client.get("/health")
    assert (health.status_code, health.get_json()) == (503, UNAVAILABLE)


def test_an_outage_no_request_met_shows_within_a_second(behind_a_proxy):
    proxy, client = behind_a_proxy
    proxy.stop()
    stopped = time.monotonic()
    while (health := client.get("/health")).status_code == 200:
        assert time.monotonic() - stopped < FRESH_SECONDS + 0.5
        time.sleep(0.05)
    assert health.get_json() == UNAVAILABLE
    proxy.start(proxy.port)
    assert client.get("/health").status_code == 200  # a failure is never remembered

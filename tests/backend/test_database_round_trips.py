"""One round trip to PostgreSQL per request, and a pool that still survives a restart; one
round trip to Redis for a profile read, its rank included.

The traffic goes through a counting TCP forwarder: what the app writes to the server is what
a round trip costs. No BEGIN, no ROLLBACK, no pre-ping `SELECT 1`.
"""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from backend.migrate import upgrade
from tests.backend.tcp_proxy import TcpProxy, app_behind_redis_proxy
from tests.conftest import TEST_PASSWORD, app_on


@pytest.fixture
def proxied_postgres(database_url):
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql" or not url.host or url.host.startswith("/"):
        pytest.skip("SMARTBRAIN_TEST_DATABASE_URL is not a PostgreSQL server reached over TCP")
    upgrade(database_url)
    with TcpProxy((url.host, url.port or 5432)) as proxy:
        yield (
            proxy,
            url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False),
        )


def _registered(client) -> tuple[int, dict[str, str]]:
    body = {"name": "Dana", "email": "dana@example.com", "password": TEST_PASSWORD}
    registered = client.post("/register", json=body).get_json()
    return registered["userId"], {"Authorization": registered["token"]}


def _round_trips(proxy: TcpProxy, request) -> int:
    before = proxy.client_sends
    response = request()
    assert response.status_code == 200, response.get_json()
    return proxy.client_sends - before


def test_each_request_is_one_round_trip(proxied_postgres, redis_url, redis_client):
    proxy, url = proxied_postgres
    with app_on(url, redis_url) as app:
        client = app.test_client()
        user_id, headers = _registered(client)
        client.get(f"/profile/{user_id}", headers=headers)  # a process's first rank checks

        for _ in range(3):
            assert (
                _round_trips(proxy, lambda: client.get(f"/profile/{user_id}", headers=headers)) == 1
            )
            assert _round_trips(proxy, lambda: client.put("/image", json={}, headers=headers)) == 1


def test_pooled_connections_survive_a_restart_without_a_ping(
    proxied_postgres, redis_url, redis_client
):
    proxy, url = proxied_postgres
    with app_on(url, redis_url) as app:
        client = app.test_client()
        user_id, headers = _registered(client)
        assert client.get(f"/profile/{user_id}", headers=headers).status_code == 200

        port = proxy.port
        proxy.stop()  # every pooled connection is cut while idle, as by a restart
        proxy.start(port)

        assert client.get(f"/profile/{user_id}", headers=headers).status_code == 200
        assert client.put("/image", json={}, headers=headers).get_json() == 1
        assert _round_trips(proxy, lambda: client.get(f"/profile/{user_id}", headers=headers)) == 1


def test_a_profile_read_is_one_round_trip_to_redis(database_url, redis_url, redis_client):
    with app_behind_redis_proxy(database_url, redis_url) as (proxy, app):
        client = app.test_client()
        user_id, headers = _registered(client)
        client.get(f"/profile/{user_id}", headers=headers)  # a process's first rank checks
        for _ in range(3):
            read = lambda: client.get(f"/profile/{user_id}", headers=headers)  # noqa: E731
            assert _round_trips(proxy, read) == 1
            assert read().get_json()["rank"] == 1
        save = lambda: client.post(  # noqa: E731
            f"/profile/{user_id}", json={"formInput": {"pet": "cat"}}, headers=headers
        )
        assert _round_trips(proxy, save) == 1  # a protected request that needs no rank

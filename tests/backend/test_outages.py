"""Redis or the database going away: the API answers 503 "unavailable" at once, never 401,
200 or 500, and recovers by itself when the service comes back on the same address.

The outages are real: the app talks to the real test Redis (or PostgreSQL) through a TCP
forwarder on loopback, and the test stops the forwarder (listening socket and live
connections) and starts it again on the same port.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable

import pytest
from sqlalchemy.engine import make_url

from backend.migrate import upgrade
from tests.backend.tcp_proxy import TcpProxy, app_behind_redis_proxy, redis_upstream
from tests.conftest import TEST_PASSWORD, app_on

MAX_SECONDS_WHILE_DOWN = 6.0

PG_URL = os.environ.get("SMARTBRAIN_TEST_DATABASE_URL", "")
needs_postgres = pytest.mark.skipif(
    not PG_URL.startswith("postgresql"),
    reason="SMARTBRAIN_TEST_DATABASE_URL is not a PostgreSQL URL",
)


def _timed(call, *args, **kwargs):
    started = time.monotonic()
    response = call(*args, **kwargs)
    elapsed = time.monotonic() - started
    assert elapsed < MAX_SECONDS_WHILE_DOWN, f"took {elapsed:.1f} s while the service was down"
    return response


def _assert_unavailable(response) -> None:
    body = response.get_json()
    assert response.status_code == 503, (response.status_code, body)
    assert body["error"]["code"] == "unavailable"
    assert body["error"]["message"]


def _register(client, email: str = "dana@example.com") -> tuple[int, dict[str, str]]:
    response = client.post(
        "/register", json={"name": "Dana", "email": email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    return body["userId"], {"Authorization": body["token"]}


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _protected_calls(client, user_id: int, headers: dict[str, str]) -> dict[str, Callable]:
    """Every protected endpoint, called the way a signed-in client would."""
    return {
        "GET /profile": lambda: client.get(f"/profile/{user_id}", headers=headers),
        "POST /profile": lambda: client.post(
            f"/profile/{user_id}", headers=headers, json={"formInput": {"pet": "cat"}}
        ),
        "PUT /image": lambda: client.put("/image", headers=headers, json={"id": user_id}),
        "GET /sessions": lambda: client.get("/sessions", headers=headers),
        "POST /signin (restore)": lambda: client.post("/signin", headers=headers),
        "POST /signout": lambda: client.post("/signout", headers=headers),
    }


def _assert_all_unavailable(calls: dict[str, Callable]) -> None:
    for name, call in calls.items():
        response = _timed(call)
        assert response.status_code == 503, (name, response.status_code, response.get_json())
        _assert_unavailable(response)


def test_redis_outage_answers_503_and_the_same_token_works_when_it_is_back(
    database_url, redis_url, redis_client
):
    with app_behind_redis_proxy(database_url, redis_url) as (proxy, app):
        client = app.test_client()
        user_id, headers = _register(client)
        assert client.get(f"/profile/{user_id}", headers=headers).status_code == 200
        assert client.get("/health").status_code == 200

        port = proxy.port
        proxy.stop()
        _assert_all_unavailable(_protected_calls(client, user_id, headers))
        health = _timed(client.get, "/health")
        assert health.status_code == 503
        assert health.get_json() == {
            "status": "unavailable",
            "database": "ok",
            "redis": "unavailable",
        }
        signin = _timed(
            client.post, "/signin", json={"email": "dana@example.com", "password": TEST_PASSWORD}
        )
        _assert_unavailable(signin)

        proxy.start(port)  # back on the same address; the app is not restarted
        profile = client.get(f"/profile/{user_id}", headers=headers)
        assert profile.status_code == 200, profile.get_json()
        assert profile.get_json()["entries"] == 0  # nothing counted while it was down
        assert profile.get_json()["pet"] is None  # nor saved: the token was not checked
        assert client.get("/health").get_json() == {
            "status": "ok",
            "database": "ok",
            "redis": "ok",
        }
        signin = client.post(
            "/signin", json={"email": "dana@example.com", "password": TEST_PASSWORD}
        )
        assert signin.status_code == 200
        # the sign-out attempted during the outage did not end the session
        assert client.post("/signout", headers=headers).status_code == 200
        assert client.get(f"/profile/{user_id}", headers=headers).status_code == 401


def test_an_app_started_while_redis_is_down_serves_once_it_comes_up(
    database_url, redis_url, redis_client
):
    upstream, url_template = redis_upstream(redis_url)
    upgrade(database_url)
    proxy = TcpProxy(upstream)
    port = proxy.start()
    proxy.stop()
    try:
        with app_on(database_url, url_template.format(port=port)) as app:
            client = app.test_client()
            health = _timed(client.get, "/health")
            assert health.status_code == 503
            assert health.get_json()["redis"] == "unavailable"
            _assert_unavailable(
                _timed(client.get, "/profile/1", headers={"Authorization": "x" * 43})
            )
            proxy.start(port)
            user_id, headers = _register(client)
            assert client.get(f"/profile/{user_id}", headers=headers).status_code == 200
            assert client.get("/health").status_code == 200
    finally:
        proxy.stop()


def test_a_register_refused_during_a_redis_outage_can_be_retried(
    database_url, redis_url, redis_client
):
    with app_behind_redis_proxy(database_url, redis_url) as (proxy, app):
        client = app.test_client()
        port = proxy.port
        proxy.stop()
        body = {"name": "Dana", "email": "dana@example.com", "password": TEST_PASSWORD}
        _assert_unavailable(_timed(client.post, "/register", json=body))
        proxy.start(port)
        # the client was told to try again: its email must not be taken by a half-made account
        retry = client.post("/register", json=body)
        assert retry.status_code == 200, retry.get_json()
        assert client.post("/signin", json=body).status_code == 200


@needs_postgres
def test_postgres_outage_answers_503_and_recovers_without_a_restart(
    database_url, redis_url, redis_client
):
    url = make_url(database_url)
    if not url.host or url.host.startswith("/"):
        pytest.skip("the test database is not reached over TCP")
    upgrade(database_url)
    with TcpProxy((url.host, url.port or 5432)) as proxy:
        proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        with app_on(proxied, redis_url) as app:
            client = app.test_client()
            user_id, headers = _register(client)
            assert client.get(f"/profile/{user_id}", headers=headers).status_code == 200

            port = proxy.port
            proxy.stop()
            calls = _protected_calls(client, user_id, headers)
            _assert_all_unavailable(
                {k: calls[k] for k in ("GET /profile", "POST /profile", "PUT /image")}
            )
            _assert_unavailable(
                _timed(
                    client.post,
                    "/signin",
                    json={"email": "dana@example.com", "password": TEST_PASSWORD},
                )
            )
            health = _timed(client.get, "/health")
            assert health.status_code == 503
            assert health.get_json() == {
                "status": "unavailable",
                "database": "unavailable",
                "redis": "ok",
            }

            proxy.start(port)
            profile = client.get(f"/profile/{user_id}", headers=headers)
            assert profile.status_code == 200, profile.get_json()
            assert profile.get_json()["entries"] == 0
            assert client.get("/health").status_code == 200
            signin = client.post(
                "/signin", json={"email": "dana@example.com", "password": TEST_PASSWORD}
            )
            assert signin.status_code == 200


def test_a_database_that_cannot_be_reached_answers_503(redis_url, redis_client):
    pytest.importorskip("psycopg")
    unreachable = f"postgresql+psycopg://smartbrain@127.0.0.1:{_closed_port()}/smartbrain"
    with app_on(unreachable, redis_url) as app:
        client = app.test_client()
        token = app.extensions["smartbrain.tokens"].issue(1, "test")  # a live session
        headers = {"Authorization": token}
        assert client.post("/signin", headers=headers).get_json() == {"id": 1}  # Redis is fine

        health = _timed(client.get, "/health")
        assert health.status_code == 503
        assert health.get_json() == {
            "status": "unavailable",
            "database": "unavailable",
            "redis": "ok",
        }
        _assert_unavailable(
            _timed(
                client.post,
                "/signin",
                json={"email": "dana@example.com", "password": TEST_PASSWORD},
            )
        )
        _assert_unavailable(
            _timed(
                client.post,
                "/register",
                json={"name": "Dana", "email": "dana@example.com", "password": TEST_PASSWORD},
            )
        )
        _assert_unavailable(_timed(client.get, "/profile/1", headers=headers))
        _assert_unavailable(_timed(client.put, "/image", headers=headers, json={"id": 1}))

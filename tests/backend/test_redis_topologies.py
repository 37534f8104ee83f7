"""The session suite on a real 3-master Valkey cluster and behind a real sentinel."""

from __future__ import annotations

import time

import pyotp
import pytest

from backend.redis_connection import redis_from_url
from tests.backend.redis_topologies import cluster, sentinel
from tests.backend.test_two_step import steady_now
from tests.conftest import TEST_PASSWORD, built_app


@pytest.fixture(scope="module", params=["cluster", "sentinel"])
def topology_url(request, tmp_path_factory):
    start = {"cluster": cluster, "sentinel": sentinel}[request.param]
    with start(tmp_path_factory.mktemp(request.param)) as url:
        yield url


@pytest.fixture
def topology_client(config, topology_url):
    """A client of an app on the topology whose sessions idle out after a second."""
    config.redis_url = topology_url
    config.session_idle_seconds = 1
    with built_app(config) as app:
        yield app.test_client()


@pytest.fixture
def patient_topology_client(config, topology_url):
    """The same with sessions of the usual idle time: for tests that wait for a TOTP step."""
    config.redis_url = topology_url
    with built_app(config) as app:
        yield app.test_client()


def _sign_in(client, email):
    response = client.post("/signin", json={"email": email, "password": TEST_PASSWORD})
    assert response.status_code == 200
    return {"Authorization": response.get_json()["token"]}


def test_sessions_live_and_end_on_the_topology(topology_client, topology_url):
    client = topology_client
    body = {"name": "Dana", "email": "dana@example.com", "password": TEST_PASSWORD}
    first = {"Authorization": client.post("/register", json=body).get_json()["token"]}
    second = _sign_in(client, "dana@example.com")
    third = _sign_in(client, "dana@example.com")
    assert client.post("/signin", headers=first).status_code == 200
    assert len(client.get("/sessions", headers=first).get_json()["sessions"]) == 3

    assert client.post("/signout", headers=first).status_code == 200
    assert client.get("/sessions", headers=first).status_code == 401
    assert client.get("/sessions", headers=second).status_code == 200

    everywhere = client.post(
        "/signout/everywhere", json={"password": TEST_PASSWORD}, headers=second
    )
    assert everywhere.get_json()["revoked"] == 2
    assert client.get("/sessions", headers=third).status_code == 401

    idle = _sign_in(client, "dana@example.com")
    time.sleep(1.3)
    assert client.get("/sessions", headers=idle).status_code == 401

    store = redis_from_url(topology_url)
    try:
        assert not [key for key in store.scan_iter("sb:s:*")]
    finally:
        store.close()


def test_two_step_sign_in_and_deleting_the_account_work_on_the_topology(
    patient_topology_client,
):
    """Challenges, the spent-step ledger, pending setups, the leaderboard's removal: one key a
    call (or one slot), so every script runs on a cluster too."""
    client = patient_topology_client
    body = {"name": "Dana", "email": "dana@example.com", "password": TEST_PASSWORD}
    headers = {"Authorization": client.post("/register", json=body).get_json()["token"]}
    setup = client.post("/two-step/setup", headers=headers, json={"password": TEST_PASSWORD})
    app = pyotp.TOTP(setup.get_json()["secret"])
    now = steady_now()
    enabled = client.post("/two-step/enable", headers=headers, json={"code": app.at(now)})
    assert enabled.status_code == 200

    sign_in = {"email": "dana@example.com", "password": TEST_PASSWORD}
    for code, status in [(app.at(now), 400), (app.at(now + 30), 200)]:  # a replay, then the next
        challenge = client.post("/signin", json=sign_in).get_json()["error"]["challenge"]
        answer = client.post("/signin/code", json={"challenge": challenge, "code": code})
        assert answer.status_code == status, answer.get_json()
    headers = {"Authorization": answer.get_json()["token"]}

    recovery = enabled.get_json()["recoveryCodes"][0]
    body = {"password": TEST_PASSWORD, "email": "dana@example.com", "code": recovery}
    user_id = answer.get_json()["userId"]
    assert client.delete(f"/profile/{user_id}", headers=headers, json=body).status_code == 200
    assert client.get(f"/profile/{user_id}", headers=headers).status_code == 401

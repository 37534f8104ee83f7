"""Sessions: listing, revoking one or all, password changes, and expiry."""

from __future__ import annotations

import logging
import time

import pytest

from backend.config import Config
from tests.conftest import TEST_PASSWORD, built_app


def sign_in(client, email, device="Laptop"):
    response = client.post(
        "/signin", json={"email": email, "password": TEST_PASSWORD, "device": device}
    )
    assert response.status_code == 200
    return {"Authorization": response.get_json()["token"]}


def sessions(client, headers):
    response = client.get("/sessions", headers=headers)
    assert response.status_code == 200
    return response.get_json()["sessions"]


def test_list_marks_this_device_and_shows_labels(client, auth):
    laptop = sign_in(client, auth.user["email"], "Laptop")
    listed = sessions(client, laptop)
    assert len(listed) == 2
    current = [s for s in listed if s["current"]]
    assert len(current) == 1 and current[0]["device"] == "Laptop"
    assert {"id", "device", "created", "lastUsed", "current"} == set(listed[0])
    assert all(s["created"].endswith("Z") for s in listed)


def test_revoke_one_session(client, auth):
    laptop = sign_in(client, auth.user["email"], "Laptop")
    other = next(s for s in sessions(client, laptop) if not s["current"])
    response = client.delete(f"/sessions/{other['id']}", headers=laptop)
    assert response.get_json() == {"success": True}
    assert client.get("/sessions", headers=auth.headers).status_code == 401
    assert len(sessions(client, laptop)) == 1
    assert client.delete(f"/sessions/{other['id']}", headers=laptop).status_code == 404


def test_a_user_cannot_revoke_someone_elses_session(client, accounts):
    dana, eve = accounts.register("Dana"), accounts.register("Eve")
    dana_session = sessions(client, dana.headers)[0]["id"]
    assert client.delete(f"/sessions/{dana_session}", headers=eve.headers).status_code == 404
    assert client.get("/sessions", headers=dana.headers).status_code == 200


def test_sign_out_everywhere_needs_the_password_and_ends_every_session(client, accounts):
    dana, eve = accounts.register("Dana"), accounts.register("Eve")
    laptop = sign_in(client, dana.user["email"])
    wrong = client.post("/signout/everywhere", json={"password": "nope nope"}, headers=laptop)
    assert wrong.status_code == 400 and "password" in wrong.get_json()["error"]["fields"]
    assert client.post("/signout/everywhere", json={}, headers=laptop).status_code == 400
    response = client.post("/signout/everywhere", json={"password": TEST_PASSWORD}, headers=laptop)
    assert response.get_json() == {"success": True, "revoked": 2}
    for headers in (laptop, dana.headers):
        assert client.get("/sessions", headers=headers).status_code == 401
    assert client.get("/sessions", headers=eve.headers).status_code == 200


def test_password_change_keeps_this_session_and_ends_the_others(client, auth):
    laptop = sign_in(client, auth.user["email"])
    body = {"currentPassword": TEST_PASSWORD, "newPassword": "a brand new secret"}
    assert client.post("/password", json=body, headers=laptop).get_json() == {"success": True}
    assert client.get("/sessions", headers=laptop).status_code == 200
    assert client.get("/sessions", headers=auth.headers).status_code == 401
    old = client.post("/signin", json={"email": auth.user["email"], "password": TEST_PASSWORD})
    assert old.status_code == 400
    new = client.post(
        "/signin", json={"email": auth.user["email"], "password": "a brand new secret"}
    )
    assert new.status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"currentPassword": "wrong one", "newPassword": "a brand new secret"}, "currentPassword"),
        ({"currentPassword": TEST_PASSWORD, "newPassword": "short"}, "newPassword"),
        ({"newPassword": "a brand new secret"}, "currentPassword"),
        ({"currentPassword": TEST_PASSWORD}, "newPassword"),
    ],
)
def test_bad_password_changes_change_nothing(client, auth, body, field):
    response = client.post("/password", json=body, headers=auth.headers)
    assert response.status_code == 400
    assert field in response.get_json()["error"]["fields"]
    again = client.post("/signin", json={"email": auth.user["email"], "password": TEST_PASSWORD})
    assert again.status_code == 200


@pytest.fixture
def short_lived_client(config, redis_client):
    """A client of an app whose sessions idle out after 1 s and end 2 s after sign-in."""
    config.session_idle_seconds = 1
    config.session_max_seconds = 2
    with built_app(config) as app:
        yield app.test_client()


def test_idle_sessions_expire_and_leave_the_index(short_lived_client, redis_client, caplog):
    caplog.set_level(logging.INFO, logger="smartbrain.sessions")
    client = short_lived_client
    response = client.post(
        "/register", json={"name": "Dana", "email": "d@example.com", "password": TEST_PASSWORD}
    )
    idle = {"Authorization": response.get_json()["token"]}
    active = sign_in(client, "d@example.com")
    time.sleep(0.6)
    assert client.get("/sessions", headers=active).status_code == 200
    time.sleep(0.6)  # `idle` unused for 1.2 s, `active` used 0.6 s ago
    assert client.get("/sessions", headers=idle).status_code == 401
    listed = client.get("/sessions", headers=active).get_json()["sessions"]
    assert len(listed) == 1 and listed[0]["current"]
    index = next(redis_client.scan_iter("sb:u:*"))
    assert redis_client.hlen(index) == 1
    assert "sessions expired user=" in caplog.text


def test_use_never_extends_a_session_past_its_absolute_lifetime(short_lived_client):
    client = short_lived_client
    response = client.post(
        "/register", json={"name": "Dana", "email": "d@example.com", "password": TEST_PASSWORD}
    )
    headers = {"Authorization": response.get_json()["token"]}
    deadline = time.monotonic() + 1.8
    while time.monotonic() < deadline:
        assert client.get("/sessions", headers=headers).status_code == 200
        time.sleep(0.3)
    time.sleep(0.4)
    assert client.get("/sessions", headers=headers).status_code == 401


def test_config_rejects_bad_numbers():
    with pytest.raises(ValueError, match="SMARTBRAIN_BCRYPT_ROUNDS"):
        Config({"SMARTBRAIN_BCRYPT_ROUNDS": "three"})
    with pytest.raises(ValueError, match="between 4 and 31"):
        Config({"SMARTBRAIN_BCRYPT_ROUNDS": "40"})

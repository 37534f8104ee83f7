"""Register, sign in, restore and sign out: every token's life end to end."""

from __future__ import annotations

import os

import pytest

from tests.conftest import TEST_PASSWORD

USER_FIELDS = {"id", "name", "email", "entries", "joined", "age", "pet"}


def sign_in(client, email, password=TEST_PASSWORD, **extra):
    return client.post("/signin", json={"email": email, "password": password, **extra})


def test_register_answers_with_a_session_and_the_user_at_the_top_level(client):
    response = client.post(
        "/register", json={"name": "Dana", "email": "dana@example.com", "password": TEST_PASSWORD}
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["success"] == "true"
    assert set(body["user"]) == USER_FIELDS
    assert body["id"] == body["userId"] == body["user"]["id"]
    assert body["name"] == "Dana" and body["entries"] == 0
    assert len(body["token"]) >= 43  # 256 bits, base64url
    profile = client.get(f"/profile/{body['id']}", headers={"Authorization": body["token"]})
    assert profile.status_code == 200


def test_sign_in_shape_and_a_new_token_each_time(client, auth):
    first = sign_in(client, auth.user["email"])
    second = sign_in(client, auth.user["email"])
    assert first.status_code == second.status_code == 200
    body = first.get_json()
    assert body["success"] == "true"
    assert body["userId"] == auth.user["id"]
    assert set(body["user"]) == USER_FIELDS
    assert len({auth.token, body["token"], second.get_json()["token"]}) == 3


def test_email_is_case_insensitive_for_sign_in_and_registration(client, accounts):
    accounts.register(email="Mixed.Case@Example.com")
    assert sign_in(client, "mixed.case@EXAMPLE.com").status_code == 200
    again = client.post(
        "/register",
        json={"name": "Other", "email": "MIXED.case@example.COM", "password": TEST_PASSWORD},
    )
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "email_taken"
    assert "email" in again.get_json()["error"]["fields"]


def test_unknown_email_and_wrong_password_answer_exactly_alike(client, auth):
    wrong_password = sign_in(client, auth.user["email"], "not the password")
    unknown_email = sign_in(client, "nobody@example.com", "not the password")
    assert wrong_password.status_code == unknown_email.status_code == 400
    first, second = wrong_password.get_json()["error"], unknown_email.get_json()["error"]
    assert first.pop("requestId") != second.pop("requestId")  # the only difference
    assert first == second and first["code"] == "invalid_credentials"
    assert set(wrong_password.headers.keys()) == set(unknown_email.headers.keys())


def test_restore_a_session_with_the_token_alone(client, auth):
    response = client.post("/signin", headers=auth.headers)
    assert response.status_code == 200
    assert response.get_json() == {"id": auth.user["id"]}


@pytest.mark.parametrize("body", [{}, {"device": "Laptop"}], ids=["empty", "device only"])
def test_a_token_with_a_json_body_without_credentials_restores_the_session(client, auth, body):
    """As on the original server, which restores whenever Authorization is sent."""
    response = client.post("/signin", headers=auth.headers, json=body)
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"id": auth.user["id"]}
    forged = client.post("/signin", headers={"Authorization": "Bearer forged"}, json=body)
    assert forged.status_code == 401


def test_a_token_with_credentials_signs_in_with_the_credentials(client, auth, accounts):
    other = accounts.register(name="Eve")
    credentials = {"email": other.user["email"], "password": TEST_PASSWORD}
    response = client.post("/signin", headers=auth.headers, json=credentials)
    assert response.status_code == 200
    assert response.get_json()["userId"] == other.user["id"]
    partial = client.post("/signin", headers=auth.headers, json={"email": other.user["email"]})
    assert partial.status_code == 400
    assert "password" in partial.get_json()["error"]["fields"]


def test_an_empty_json_body_without_a_token_is_refused(client):
    response = client.post("/signin", json={})
    assert response.status_code == 400
    assert set(response.get_json()["error"]["fields"]) == {"email", "password"}


@pytest.mark.parametrize(
    "header",
    ["", "Bearer", "Bearer ", "not-a-token", "Bearer not-a-token", "x" * 5000, "a b c"],
)
def test_bad_tokens_are_refused(client, auth, header):
    assert client.post("/signin", headers={"Authorization": header}).status_code in (400, 401)
    response = client.get(f"/profile/{auth.user['id']}", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_bearer_scheme_is_accepted(client, auth):
    headers = {"Authorization": f"Bearer {auth.token}"}
    assert client.get(f"/profile/{auth.user['id']}", headers=headers).status_code == 200


def test_sign_out_revokes_the_token_at_once(client, auth):
    assert client.post("/signout", headers=auth.headers).get_json() == {"success": True}
    after = client.get(f"/profile/{auth.user['id']}", headers=auth.headers)
    assert after.status_code == 401
    assert client.post("/signin", headers=auth.headers).status_code == 401
    assert client.post("/signout", headers=auth.headers).status_code == 401


def test_sign_out_ends_only_the_presented_session(client, auth):
    other = sign_in(client, auth.user["email"]).get_json()["token"]
    client.post("/signout", headers=auth.headers)
    assert (
        client.get(f"/profile/{auth.user['id']}", headers={"Authorization": other}).status_code
        == 200
    )


def test_redis_holds_only_a_hash_of_the_token(client, auth, redis_client):
    dump = []
    for key in redis_client.scan_iter("*"):
        dump.append(key)
        kind = redis_client.type(key)
        if kind == "hash":
            dump.extend(f"{k}={v}" for k, v in redis_client.hgetall(key).items())
    text = "\n".join(dump)
    assert auth.token not in text
    assert any(key.startswith("sb:s:") for key in dump)


@pytest.mark.skipif(
    bool(os.environ.get("SMARTBRAIN_TEST_REDIS_URL")),
    reason="command statistics are server-wide: exact only on the suite's own embedded server",
)
def _redis_calls(redis_client, request) -> dict[str, int]:
    redis_client.config_resetstat()
    assert request().status_code == 200
    stats = redis_client.info("commandstats")
    return {
        name.removeprefix("cmdstat_"): stat["calls"]
        for name, stat in stats.items()
        if not name.startswith(("cmdstat_config", "cmdstat_info"))
    }


def test_a_protected_request_costs_one_redis_round_trip_and_a_rank_one_more(
    client, auth, redis_client
):
    uid, headers = auth.user["id"], auth.headers
    save = client.post(f"/profile/{uid}", json={"formInput": {"pet": "cat"}}, headers=headers)
    assert save.status_code == 200
    # One EVALSHA from the client; the rest run inside that script, on the server.
    session = {"evalsha": 1, "hmget": 1, "pexpire": 1, "hset": 1}
    calls = _redis_calls(
        redis_client,
        lambda: client.post(f"/profile/{uid}", json={"formInput": {"pet": "dog"}}, headers=headers),
    )
    assert calls == session
    client.get(f"/profile/{uid}", headers=headers)  # a process's first rank checks the set
    calls = _redis_calls(redis_client, lambda: client.get(f"/profile/{uid}", headers=headers))
    rank = {"hget": 1, "zscore": 1, "zcount": 1, "zcard": 1}  # sent with the session's
    assert calls == {**session, **rank, "evalsha": 2}

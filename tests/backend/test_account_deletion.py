"""Deleting an account through DELETE /profile/<id>: what it asks for, that nothing changes until
all of it is right, and then that the account is gone everywhere at once: its rows, every
session on every backend process, and its place on the leaderboard (others' ranks right at once).
"""

from __future__ import annotations

from sqlalchemy import text

from backend.extensions import db
from backend.leaderboard import ENTRIES, STATE, Leaderboard
from tests.backend import test_two_step
from tests.backend.test_many_processes import call
from tests.backend.test_ranking import Players
from tests.backend.test_two_step import STRANGER, steady_now, turn_on
from tests.conftest import TEST_PASSWORD

two_backends = test_two_step.two_backends
shared_secret_key = test_two_step.shared_secret_key


def delete(client, signed_in, environ=None, user_id: int | None = None, **body):
    body = {"password": TEST_PASSWORD, "email": signed_in.user["email"], **body}
    return client.delete(
        f"/profile/{user_id or signed_in.user['id']}",
        headers=signed_in.headers,
        json=body,
        environ_base=environ or {},
    )


def rows_of(app, user_id: int, email: str) -> dict[str, int]:
    counts = {
        "users": "SELECT count(*) FROM users WHERE id = :id",
        "login": "SELECT count(*) FROM login WHERE email = :email",
        "two_step": "SELECT count(*) FROM two_step WHERE user_id = :id",
        "recovery_codes": "SELECT count(*) FROM recovery_codes WHERE user_id = :id",
    }
    with db.engine_of(app).connect() as connection:
        return {
            table: connection.execute(text(query), {"id": user_id, "email": email}).scalar_one()
            for table, query in counts.items()
        }


def error_of(response) -> dict:
    return response.get_json()["error"]


def test_deleting_takes_the_password_and_the_email_typed_out_and_changes_nothing_before(
    app, client, accounts
):
    me, other = accounts.register("Me"), accounts.register("Other")
    second_session = client.post(
        "/signin", json={"email": me.user["email"], "password": TEST_PASSWORD}
    ).get_json()["token"]
    kept = rows_of(app, me.user["id"], me.user["email"])
    assert kept == {"users": 1, "login": 1, "two_step": 0, "recovery_codes": 0}

    not_mine = delete(client, me, user_id=other.user["id"])
    assert (not_mine.status_code, error_of(not_mine)["code"]) == (403, "forbidden")
    mistyped = delete(client, me, email="someone@example.com")
    assert (mistyped.status_code, error_of(mistyped)["code"]) == (400, "invalid_input")
    assert error_of(mistyped)["fields"] == {"email": "Type your email exactly as shown."}
    wrong = delete(client, me, password="not my password")
    assert (wrong.status_code, error_of(wrong)["code"]) == (400, "invalid_credentials")
    assert "password" in error_of(wrong)["fields"]
    assert rows_of(app, me.user["id"], me.user["email"]) == kept
    assert client.get(f"/profile/{me.user['id']}", headers=me.headers).status_code == 200

    typed = "  " + me.user["email"].upper() + " "  # case and spaces do not matter
    deleted = delete(client, me, email=typed)
    assert (deleted.status_code, deleted.get_json()) == (200, {"success": True, "deleted": True})

    assert set(rows_of(app, me.user["id"], me.user["email"]).values()) == {0}
    for token in (me.token, second_session):
        for method, path in [("GET", f"/profile/{me.user['id']}"), ("GET", "/two-step")]:
            gone = client.open(path, method=method, headers={"Authorization": token})
            assert (gone.status_code, error_of(gone)["code"]) == (401, "unauthorized"), path
        restore = client.post("/signin", headers={"Authorization": token}, json={})
        assert restore.status_code == 401
    signin = client.post("/signin", json={"email": me.user["email"], "password": TEST_PASSWORD})
    assert error_of(signin)["code"] == "invalid_credentials"
    assert client.get(f"/profile/{other.user['id']}", headers=other.headers).status_code == 200
    again = client.post(
        "/register", json={"name": "Me", "email": me.user["email"], "password": TEST_PASSWORD}
    )
    assert again.status_code == 200  # the email is free again


def test_with_two_step_on_deleting_also_takes_a_code(app, client, accounts):
    me = accounts.register()
    user = turn_on(client, me)
    missing = delete(client, me)
    assert (missing.status_code, error_of(missing)["code"]) == (400, "invalid_input")
    assert error_of(missing)["fields"] == {"code": "Enter a code from your authenticator app."}
    wrong = delete(client, me, code=user.code(steady_now(), steps=-2))
    assert (wrong.status_code, error_of(wrong)["code"]) == (400, "invalid_code")
    assert rows_of(app, me.user["id"], me.user["email"])["recovery_codes"] == 10

    deleted = delete(client, me, code=user.code(steady_now(), steps=1))
    assert deleted.status_code == 200, deleted.get_json()
    assert set(rows_of(app, me.user["id"], me.user["email"]).values()) == {0}


def test_other_users_ranks_are_right_at_once(client, accounts, redis_client):
    players = Players(client, accounts, {"Top": 5, "Ann": 3, "Ben": 3, "Low": 1})
    assert players.ranks() == {"Top": 1, "Ann": 2, "Ben": 2, "Low": 4}
    top = str(players.signed_in["Top"].user["id"])

    assert delete(client, players.signed_in["Top"]).status_code == 200
    del players.signed_in["Top"]
    assert players.ranks() == {"Ann": 1, "Ben": 1, "Low": 3}
    assert {body["totalUsers"] for body in players.profiles().values()} == {3}
    # The set and its totals stay in step with the database: no rebuild needed.
    assert redis_client.hmget(STATE, "ready", "users", "entries") == ["1", "3", "7"]
    assert top not in redis_client.zrange(ENTRIES, 0, -1)

    assert delete(client, players.signed_in["Ann"]).status_code == 200
    del players.signed_in["Ann"]
    assert players.ranks() == {"Ben": 1, "Low": 2}


def test_a_removal_during_a_rebuild_spoils_it_and_the_next_rebuild_is_right(redis_client):
    board = Leaderboard(redis_client)

    def rows_while_one_user_is_deleted():
        yield 1, 4
        board.remove(1)  # deleted after the snapshot read its row
        yield 2, 2

    assert board.rebuild(rows_while_one_user_is_deleted) is False
    assert board.rank(0) is None  # not served from the spoiled set
    assert board.rebuild(lambda: iter([(2, 2)])) is True
    assert board.rank(2) == (1, 1)
    assert board.in_step_with(1, 2)


def test_deleting_shares_the_failure_limits_of_password_checks(client, accounts):
    me = accounts.register()
    for _ in range(10):  # the account's first window: 10 failures in 15 minutes
        wrong = delete(client, me, STRANGER, password="not my password")
        assert wrong.status_code == 400
    limited = delete(client, me, STRANGER)
    assert (limited.status_code, error_of(limited)["code"]) == (429, "rate_limited")
    assert client.get(f"/profile/{me.user['id']}", headers=me.headers).status_code == 200


def test_a_deleted_accounts_tokens_are_refused_at_once_by_every_process(
    shared_secret_key, two_backends
):
    first, second = two_backends
    registered = {}
    for name, base in [("Dana", first), ("Eli", second)]:
        body = {"name": name, "email": f"{name.lower()}@example.com", "password": TEST_PASSWORD}
        registered[name] = call(base, "POST", "/register", body)[1]
    dana, eli = registered["Dana"], registered["Eli"]
    sign_in = {"email": "dana@example.com", "password": TEST_PASSWORD}
    tokens = [dana["token"], call(second, "POST", "/signin", sign_in)[1]["token"]]
    for _ in range(2):
        call(first, "PUT", "/image", {"id": dana["id"]}, dana["token"])
    assert call(second, "GET", f"/profile/{eli['id']}", token=eli["token"])[1]["rank"] == 2

    body = {"password": TEST_PASSWORD, "email": "dana@example.com"}
    status, answer = call(second, "DELETE", f"/profile/{dana['id']}", body, tokens[1])
    assert (status, answer) == (200, {"success": True, "deleted": True})
    for base in (first, second):
        for token in tokens:
            status, answer = call(base, "GET", f"/profile/{dana['id']}", token=token)
            assert (status, answer["error"]["code"]) == (401, "unauthorized")
        profile = call(base, "GET", f"/profile/{eli['id']}", token=eli["token"])[1]
        assert (profile["rank"], profile["totalUsers"]) == (1, 1)

"""The profile and the entry counter: the original contract, for one's own account only."""

from __future__ import annotations

import pytest


def profile(client, signed_in, user_id=None):
    return client.get(f"/profile/{user_id or signed_in.user['id']}", headers=signed_in.headers)


def save(client, signed_in, form_input, user_id=None):
    return client.post(
        f"/profile/{user_id or signed_in.user['id']}",
        json={"formInput": form_input},
        headers=signed_in.headers,
    )


def test_profile_round_trip_with_age_as_text(client, auth):
    response = save(client, auth, {"name": "Dana S", "age": "31", "pet": "cat"})
    assert response.status_code == 200
    assert response.get_json() == "success"
    body = profile(client, auth).get_json()
    assert (body["name"], body["age"], body["pet"]) == ("Dana S", 31, "cat")
    assert body["email"] == auth.user["email"] and body["joined"].endswith("Z")


def test_absent_fields_stay_and_null_or_empty_clears(client, auth):
    save(client, auth, {"name": "Dana", "age": 40, "pet": "dog"})
    save(client, auth, {"pet": "fish"})
    assert profile(client, auth).get_json()["age"] == 40
    save(client, auth, {"age": "", "pet": None})
    body = profile(client, auth).get_json()
    assert (body["name"], body["age"], body["pet"]) == ("Dana", None, None)


@pytest.mark.parametrize(
    ("form_input", "field"),
    [
        ({"age": -1}, "age"),
        ({"age": 151}, "age"),
        ({"age": "thirty"}, "age"),
        ({"age": "3.5"}, "age"),
        ({"age": 3.5}, "age"),
        ({"age": True}, "age"),
        ({"age": [31]}, "age"),
        ({"age": "٣١"}, "age"),
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"pet": "x" * 101}, "pet"),
        ({"pet": 7}, "pet"),
    ],
)
def test_bad_profile_fields_change_nothing(client, auth, form_input, field):
    save(client, auth, {"name": "Dana", "age": 30, "pet": "cat"})
    response = save(client, auth, {"name": "Changed", "pet": "dog", **form_input})
    assert response.status_code == 400
    assert field in response.get_json()["error"]["fields"]
    body = profile(client, auth).get_json()
    assert (body["name"], body["age"], body["pet"]) == ("Dana", 30, "cat")


@pytest.mark.parametrize("body", [{}, {"formInput": "x"}, {"formInput": None}, {"form": {}}])
def test_profile_body_without_form_input(client, auth, body):
    response = client.post(f"/profile/{auth.user['id']}", json=body, headers=auth.headers)
    assert response.status_code == 400


def test_nobody_reads_or_changes_another_users_data(client, accounts):
    dana, eve = accounts.register("Dana"), accounts.register("Eve")
    assert profile(client, eve, dana.user["id"]).status_code == 403
    assert save(client, eve, {"name": "pwned"}, dana.user["id"]).status_code == 403
    assert profile(client, eve, 999999).status_code == 403
    response = client.put("/image", json={"id": dana.user["id"]}, headers=eve.headers)
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
    body = profile(client, dana).get_json()
    assert (body["name"], body["entries"]) == ("Dana", 0)


def test_image_counts_entries_for_the_caller(client, auth):
    first = client.put("/image", json={"id": auth.user["id"]}, headers=auth.headers)
    second = client.put("/image", json={}, headers=auth.headers)
    assert (first.get_json(), second.get_json()) == (1, 2)
    assert profile(client, auth).get_json()["entries"] == 2


@pytest.mark.parametrize("body", [{"id": "1"}, {"id": None, "x": 1}, {"id": [1]}])
def test_image_with_a_bad_id(client, auth, body):
    response = client.put("/image", json=body, headers=auth.headers)
    if body.get("id") is None:
        assert response.status_code == 200
    else:
        assert response.status_code == 400


def test_protected_endpoints_need_a_session(client, auth):
    uid = auth.user["id"]
    for method, path in [
        ("get", f"/profile/{uid}"),
        ("post", f"/profile/{uid}"),
        ("put", "/image"),
        ("get", "/sessions"),
        ("post", "/signout"),
        ("post", "/signout/everywhere"),
        ("post", "/password"),
        ("delete", "/sessions/abc"),
    ]:
        response = getattr(client, method)(path, json={})
        assert response.status_code == 401, path


def test_profile_ranks_users_by_entries(client, accounts):
    dana, eve, sam = accounts.register("Dana"), accounts.register("Eve"), accounts.register("Sam")
    for _ in range(3):
        client.put("/image", json={}, headers=eve.headers)
    client.put("/image", json={}, headers=sam.headers)
    ranks = {
        who.user["name"]: (
            profile(client, who).get_json()["rank"],
            profile(client, who).get_json()["totalUsers"],
        )
        for who in (dana, eve, sam)
    }
    assert ranks == {"Eve": (1, 3), "Sam": (2, 3), "Dana": (3, 3)}


def test_get_profile_and_count_entry_are_one_sql_statement_each(app, client, auth):
    """What the driver runs, seen by SQLite's own trace (on PostgreSQL the round trips are
    counted through a forwarder: test_database_round_trips.py)."""
    from sqlalchemy import event

    engine = app.extensions["smartbrain.db.engine"]
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's statement trace; PostgreSQL is covered by its round trips")
    statements: list[str] = []
    engine.dispose()  # every connection from here on traces what it runs
    event.listen(
        engine, "connect", lambda connection, _: connection.set_trace_callback(statements.append)
    )
    assert profile(client, auth).status_code == 200  # a process's first rank checks the set
    statements.clear()
    assert profile(client, auth).status_code == 200
    assert len(statements) == 1 and statements[0].startswith("SELECT"), statements
    statements.clear()
    assert client.put("/image", json={}, headers=auth.headers).status_code == 200
    assert len(statements) == 1 and statements[0].startswith("UPDATE"), statements

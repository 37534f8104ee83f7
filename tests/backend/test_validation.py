"""Malformed requests get a 4xx in the one error shape and change nothing."""

from __future__ import annotations

import pytest

from tests.conftest import TEST_PASSWORD

GOOD = {"name": "Dana", "email": "dana@example.com", "password": TEST_PASSWORD}


def _error(response):
    body = response.get_json()
    assert set(body) == {"error"}, body
    assert {"code", "message"} <= set(body["error"])
    return body["error"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**GOOD, "name": ""}, "name"),
        ({**GOOD, "name": "   "}, "name"),
        ({**GOOD, "name": "x" * 101}, "name"),
        ({**GOOD, "name": 42}, "name"),
        ({**GOOD, "name": None}, "name"),
        ({**GOOD, "name": "Da\x00na"}, "name"),
        ({**GOOD, "email": "not-an-email"}, "email"),
        ({**GOOD, "email": "a@b"}, "email"),
        ({**GOOD, "email": ["dana@example.com"]}, "email"),
        ({**GOOD, "email": "x" * 250 + "@example.com"}, "email"),
        ({**GOOD, "password": "short"}, "password"),
        ({**GOOD, "password": 12345678}, "password"),
        ({**GOOD, "password": "x" * 5000}, "password"),
        ({k: v for k, v in GOOD.items() if k != "name"}, "name"),
        ({k: v for k, v in GOOD.items() if k != "email"}, "email"),
        ({k: v for k, v in GOOD.items() if k != "password"}, "password"),
    ],
)
def test_register_rejects_bad_fields(client, redis_client, body, field):
    response = client.post("/register", json=body)
    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "invalid_input"
    assert field in error["fields"]
    assert (
        client.post("/signin", json={"email": GOOD["email"], "password": TEST_PASSWORD}).status_code
        == 400
    )
    remembered = [key for key in redis_client.scan_iter("sb:*") if ":failures:" not in key]
    assert not remembered  # no session, no known address: only the failed sign-in's count


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        ("not json", "application/json"),
        ("[1, 2, 3]", "application/json"),
        ('"a string"', "application/json"),
        ("null", "application/json"),
        ('{"email": ', "application/json"),
        (b'{"email": "\xff\xfe"}', "application/json"),
        ("email=a@b.c&password=x", "application/x-www-form-urlencoded"),
        ("", "application/json"),
    ],
)
@pytest.mark.parametrize("path", ["/register", "/signin"])
def test_bodies_that_are_not_json_objects(client, path, data, content_type):
    response = client.post(path, data=data, content_type=content_type)
    assert response.status_code == 400
    assert _error(response)["code"] in ("invalid_json", "invalid_input")


def test_oversized_body_is_refused_before_it_is_read(client):
    response = client.post(
        "/register",
        data='{"name": "' + "x" * (2 * 1024 * 1024) + '"}',
        content_type="application/json",
    )
    assert response.status_code == 413
    assert _error(response)["code"] == "payload_too_large"


def test_unknown_path_and_wrong_method_are_json(client):
    assert _error(client.get("/nope"))["code"] == "not_found"
    response = client.get("/signin")
    assert response.status_code == 405
    assert _error(response)["code"] == "method_not_allowed"


def test_a_long_unicode_password_works_and_is_not_cut(client):
    password = "🧠🌍" * 32  # 256 bytes of UTF-8, far beyond bcrypt's 72
    response = client.post("/register", json={**GOOD, "password": password})
    assert response.status_code == 200
    assert (
        client.post("/signin", json={"email": GOOD["email"], "password": password}).status_code
        == 200
    )
    almost = "🧠🌍" * 31 + "🧠🙂"  # the same first 72 bytes
    assert (
        client.post("/signin", json={"email": GOOD["email"], "password": almost}).status_code == 400
    )


def test_sign_in_accepts_short_legacy_passwords_but_register_does_not(client):
    response = client.post("/register", json={**GOOD, "password": "1234567"})
    assert _error(response)["fields"]["password"] == "Use at least 8 characters."


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("password", "most common"),
        ("iloveyou", "most common"),
        ("sunlit harbour 7", None),
        ("DANA12345@example.com!", "email address"),
        ("my dana12345 pass", "email address"),
        ("Dana Scully rocks", "your name"),
        ("qwertyuiop", "most common"),
        ("zzzzzzzzzzzzzzzzzzzz", "most common"),
        ("ZzZzZzZzZz", "most common"),
        ("🧠" * 12, "most common"),
        (" " * 12, "most common"),
        ("\t \u3000\n \t \u3000\n", "most common"),
    ],
)
def test_new_passwords_that_are_common_or_personal_are_refused(client, password, why):
    body = {"name": "Dana Scully", "email": "dana12345@example.com", "password": password}
    response = client.post("/register", json=body)
    if why is None:
        assert response.status_code == 200
        return
    assert response.status_code == 400
    assert why in response.get_json()["error"]["fields"]["password"]


def test_a_password_change_to_a_common_password_is_refused(client, auth):
    body = {"currentPassword": TEST_PASSWORD, "newPassword": "123456789"}
    response = client.post("/password", json=body, headers=auth.headers)
    assert response.status_code == 400
    assert "common" in response.get_json()["error"]["fields"]["newPassword"]

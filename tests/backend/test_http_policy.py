"""Request ids, security headers, CORS, hostile bodies, and what the logs never hold."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import TEST_PASSWORD, built_app


def test_every_response_has_a_request_id_and_security_headers(client):
    for response in (client.get("/health"), client.get("/nope"), client.post("/signin", json={})):
        assert len(response.headers["X-Request-Id"]) >= 8
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["Cache-Control"] == "no-store"


def test_error_bodies_carry_the_request_id(client):
    response = client.post("/signin", json={}, headers={"X-Request-Id": "client-chosen-id-42"})
    assert response.headers["X-Request-Id"] == "client-chosen-id-42"
    assert response.get_json()["error"]["requestId"] == "client-chosen-id-42"
    forged = client.post("/signin", json={}, headers={"X-Request-Id": "bad id <script>"})
    assert forged.headers["X-Request-Id"] != "bad id <script>"


def test_no_origin_is_allowed_by_default(client):
    response = client.get("/health", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_listed_origins_are_allowed(config):
    config.cors_origins = ["http://localhost:3001"]
    with built_app(config) as app:
        client = app.test_client()
        preflight = client.options(
            "/signin",
            headers={
                "Origin": "http://localhost:3001",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        )
        assert preflight.headers["Access-Control-Allow-Origin"] == "http://localhost:3001"
        other = client.get("/health", headers={"Origin": "https://evil.example"})
        assert "Access-Control-Allow-Origin" not in other.headers


@pytest.mark.parametrize(
    "data",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"a":' * 50_000 + "1" + "}" * 50_000,
        '{"email": "a\\u0000@example.com", "password": "x"}',
        b'{"email": "\xc3\x28@example.com", "password": "x"}',
    ],
)
def test_hostile_bodies_get_a_4xx(client, data):
    response = client.post("/signin", data=data, content_type="application/json")
    assert 400 <= response.status_code < 500
    assert "error" in response.get_json()


def test_logs_never_hold_a_password_or_a_token(client, caplog):
    caplog.set_level(logging.DEBUG)
    body = {"name": "Dana", "email": "dana@example.com", "password": TEST_PASSWORD}
    token = client.post("/register", json=body).get_json()["token"]
    client.post("/signin", json={"email": "dana@example.com", "password": TEST_PASSWORD})
    client.post("/signin", json={"email": "dana@example.com", "password": "wrong" + TEST_PASSWORD})
    client.post("/signin", headers={"Authorization": token})
    client.post("/signout", headers={"Authorization": token})
    text = caplog.text
    assert "POST /signin" in text  # the access log is there, and the session events...
    for event in ("session created", "session renewed", "session revoked"):
        assert event in text
    assert TEST_PASSWORD not in text and token not in text  # ...without secrets

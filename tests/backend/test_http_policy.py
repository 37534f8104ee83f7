"""Request ids, security headers, CORS, hostile bodies, and what the logs never hold."""

from __future__ import annotations

import logging

import pytest

from backend.config import Config
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


def cors_answer(config: Config, configured: str, origin: str) -> str | None:
    """The Access-Control-Allow-Origin an app configured with `configured` gives `origin`."""
    config.cors_origins = Config({"SMARTBRAIN_CORS_ORIGINS": configured}).cors_origins
    with built_app(config) as app:
        client = app.test_client()
        simple = client.get("/health", headers={"Origin": origin})
        preflight = client.options(
            "/signin", headers={"Origin": origin, "Access-Control-Request-Method": "POST"}
        )
    answers = {
        response.headers.get("Access-Control-Allow-Origin") for response in (simple, preflight)
    }
    assert len(answers) == 1, answers
    return answers.pop()


@pytest.mark.parametrize(
    ("configured", "origin"),
    [
        ("http://localhost:3001", "http://localhost:3001"),
        ("https://app.example.com", "https://app.example.com"),
        ("HTTPS://App.Example.COM:443", "https://app.example.com"),
        ("http://[::1]:3001", "http://[::1]:3001"),
        ("http://localhost:3001, https://app.example.com", "https://app.example.com"),
    ],
)
def test_a_configured_origin_is_allowed(config, configured, origin):
    assert cors_answer(config, configured, origin) == origin


@pytest.mark.parametrize(
    ("configured", "origin"),
    [
        ("http://localhost:3001", "http://localhost:30011"),
        ("http://localhost:3001", "http://localhost:3001.evil.example"),
        ("https://app.example.com", "https://app.example.com.evil.example"),
        ("https://app.example.com", "http://app.example.com"),
        ("http://[::1]:3001", "http://1:3001"),  # as a pattern, [::1] is one character
        ("http://[::1]:3001", "http://1:3001.evil.example"),
        ("http://[::1]:3001", "http://[::1]:30011"),
    ],
)
def test_an_origin_is_never_matched_as_a_pattern_or_a_prefix(config, configured, origin):
    assert cors_answer(config, configured, origin) is None


@pytest.mark.parametrize(
    "value",
    [
        "*",
        "https://.*",
        "http://localhost:300[0-9]",
        "https://*.example.com",
        "^https://app\\.example\\.com$",
        "http://localhost:3001/",
        "http://localhost:3001/app",
        "http://localhost:3001?x=1",
        "http://localhost:3001#top",
        "http://user@localhost:3001",
        "localhost:3001",
        "//localhost:3001",
        "ftp://files.example.com",
        "null",
        "http://localhost:99999",
        "http://localhost:0",
        "http://localhost:",
        "http://exa mple.com",
        "http://[not-ipv6]:3001",
        "http://localhost:3001,https://(a|b).example.com",
    ],
)
def test_a_value_that_is_not_an_exact_origin_is_refused_at_start_up(value):
    with pytest.raises(ValueError, match="SMARTBRAIN_CORS_ORIGINS") as refused:
        Config({"SMARTBRAIN_CORS_ORIGINS": value})
    assert "scheme://host[:port]" in str(refused.value)


def test_origins_are_read_as_browsers_send_them():
    config = Config({"SMARTBRAIN_CORS_ORIGINS": " HTTP://LocalHost:3001 ,,https://a.example:443 "})
    assert config.cors_origins == ["http://localhost:3001", "https://a.example"]


PROXY = {"REMOTE_ADDR": "10.0.0.1"}  # the reverse proxy, as the app sees it


def proxied_app(config: Config, trusted_proxies: str):
    """An app behind `trusted_proxies` proxies, allowing each client 2 sign-in attempts."""
    settings = {
        "SMARTBRAIN_DATABASE_URL": config.database_url,
        "SMARTBRAIN_REDIS_URL": str(config.redis_url),
        "SMARTBRAIN_BCRYPT_ROUNDS": "4",
        "SMARTBRAIN_TRUSTED_PROXIES": trusted_proxies,
        "SMARTBRAIN_RATE_LIMITS": "address=2/minute",
    }
    return built_app(Config(settings))


def sign_in_through_the_proxy(client, forwarded_for: str, **headers: str) -> int:
    response = client.post(
        "/signin",
        json={"email": "nobody@example.com", "password": "wrong guess"},
        environ_base=PROXY,
        headers={"X-Forwarded-For": forwarded_for, **headers},
    )
    return response.status_code


def access_log_addresses(caplog) -> list[str]:
    return [r.getMessage().split()[0] for r in caplog.records if r.name == "smartbrain.access"]


def test_behind_a_trusted_proxy_each_forwarded_client_is_itself(config, caplog):
    caplog.set_level(logging.INFO, logger="smartbrain.access")
    with proxied_app(config, "1") as app:
        client = app.test_client()
        first = [sign_in_through_the_proxy(client, "203.0.113.7") for _ in range(3)]
        second = [sign_in_through_the_proxy(client, "203.0.113.8") for _ in range(2)]
    assert first == [400, 400, 429]  # one client's budget...
    assert second == [400, 400]  # ...is not another's
    assert access_log_addresses(caplog) == ["203.0.113.7"] * 3 + ["203.0.113.8"] * 2


def test_only_the_hops_trusted_are_believed(config, caplog):
    caplog.set_level(logging.INFO, logger="smartbrain.access")
    with proxied_app(config, "1") as app:
        client = app.test_client()
        # The client wrote the first address; the one trusted proxy appended the real one.
        statuses = [
            sign_in_through_the_proxy(client, f"198.51.100.{n}, 203.0.113.7") for n in range(3)
        ]
    assert statuses == [400, 400, 429]
    assert access_log_addresses(caplog) == ["203.0.113.7"] * 3


def test_with_no_trusted_proxy_a_forwarded_address_is_ignored(config, caplog):
    caplog.set_level(logging.INFO, logger="smartbrain.access")
    with proxied_app(config, "0") as app:
        client = app.test_client()
        spoofed = [sign_in_through_the_proxy(client, f"203.0.113.{n}") for n in range(3)]
        secure = client.get("/health", environ_base=PROXY, headers={"X-Forwarded-Proto": "https"})
    assert spoofed == [400, 400, 429]  # a made-up X-Forwarded-For escapes no limit
    assert access_log_addresses(caplog) == ["10.0.0.1"] * 4
    assert "Strict-Transport-Security" not in secure.headers


def test_a_trusted_proxy_tells_the_app_the_request_was_https(config):
    with proxied_app(config, "1") as app:
        response = app.test_client().get(
            "/health", environ_base=PROXY, headers={"X-Forwarded-Proto": "https"}
        )
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_trusted_proxies_is_off_by_default(config):
    assert config.trusted_proxies == 0


@pytest.mark.parametrize("value", ["-1", "one", "1.5"])
def test_a_bad_number_of_trusted_proxies_is_refused_at_start_up(value):
    with pytest.raises(ValueError, match="SMARTBRAIN_TRUSTED_PROXIES"):
        Config({"SMARTBRAIN_TRUSTED_PROXIES": value})


@pytest.mark.parametrize(
    ("forwarded_for", "seen_as"),
    [
        ("203.0.113.7:51234", "203.0.113.7"),  # some proxies add the client's port
        ("[2001:db8::7]:51234", "2001:db8::7"),
        ("2001:db8::7", "2001:db8::7"),
        ("not-an-address", "10.0.0.1"),  # not believed: the proxy's own address stays
        ("203.0.113.7 , <script>", "10.0.0.1"),
    ],
)
def test_a_forwarded_client_is_an_ip_address_or_not_believed(
    config, caplog, forwarded_for, seen_as
):
    caplog.set_level(logging.INFO, logger="smartbrain.access")
    with proxied_app(config, "1") as app:
        sign_in_through_the_proxy(app.test_client(), forwarded_for)
    assert access_log_addresses(caplog) == [seen_as]


def test_ports_added_by_the_proxy_give_a_client_no_extra_budget(config):
    with proxied_app(config, "1") as app:
        client = app.test_client()
        statuses = [sign_in_through_the_proxy(client, f"203.0.113.7:{port}") for port in range(3)]
    assert statuses == [400, 400, 429]

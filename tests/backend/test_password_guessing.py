"""However guesses arrive, no more wrong passwords are checked than the failure limits allow.

Every endpoint that checks a password (sign-in, /password, /signout/everywhere) counts against
the same per-account and per-address limits; a guess is counted before bcrypt runs, so a burst
of concurrent guesses cannot slip past, and a right password takes its count back.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from backend.rate_limits import parse_rate_limits
from tests.backend.serve_process import call
from tests.conftest import TEST_PASSWORD, built_app

ACCOUNT_LIMIT = 10  # account_failures' first window, by default
ATTACKER = {"REMOTE_ADDR": "203.0.113.9"}
OWNER = {"REMOTE_ADDR": "198.51.100.7"}


def _sign_in(client, email: str, password: str, environ=None):
    body = {"email": email, "password": password}
    return client.post("/signin", json=body, environ_base=environ or ATTACKER)


@pytest.fixture
def config(config):
    """Default limits on, and bcrypt slow enough (10 rounds) for guesses to overlap."""
    config.bcrypt_rounds = 10
    config.rate_limits = parse_rate_limits("")
    return config


def test_fifty_concurrent_guesses_get_no_more_checks_than_the_limit(live_server, accounts):
    email = accounts.register().user["email"]
    guess = {"email": email, "password": "a wrong guess"}

    with ThreadPoolExecutor(50) as pool:
        statuses = list(pool.map(lambda _: call("POST", f"{live_server}/signin", guess), range(50)))

    counted = Counter(status for status, _body in statuses)
    assert counted == {400: ACCOUNT_LIMIT, 429: 50 - ACCOUNT_LIMIT}, counted
    refused = [body for status, body in statuses if status == 429]
    assert all(body["error"]["code"] == "rate_limited" for body in refused)


def test_a_right_password_takes_its_count_back(client, accounts):
    email = accounts.register().user["email"]
    for _ in range(ACCOUNT_LIMIT - 1):
        assert _sign_in(client, email, "a wrong guess").status_code == 400
    elsewhere = {"REMOTE_ADDR": "192.0.2.1"}
    for _ in range(5):
        assert _sign_in(client, email, TEST_PASSWORD, elsewhere).status_code == 200
    assert _sign_in(client, email, "a wrong guess").status_code == 400
    assert _sign_in(client, email, "a wrong guess").status_code == 429


@pytest.mark.parametrize(
    ("path", "field"), [("/password", "currentPassword"), ("/signout/everywhere", "password")]
)
def test_a_session_guesses_no_faster_than_sign_in(client, accounts, path, field):
    signed_in = accounts.register()
    email = signed_in.user["email"]
    assert _sign_in(client, email, TEST_PASSWORD, OWNER).status_code == 200
    body = {field: "a wrong guess", "newPassword": "a brand new passphrase"}
    statuses = [
        client.post(path, json=body, headers=signed_in.headers).status_code for _ in range(60)
    ]
    assert statuses == [400] * ACCOUNT_LIMIT + [429] * (60 - ACCOUNT_LIMIT)
    refused = client.post(path, json=body, headers=signed_in.headers)
    assert int(refused.headers["Retry-After"]) > 0
    # Nothing changed meanwhile: the session lives, and the password is the old one (tried
    # from an address the owner signed in from, which the account's limit exempts).
    assert client.get("/sessions", headers=signed_in.headers).status_code == 200
    assert _sign_in(client, email, TEST_PASSWORD, OWNER).status_code == 200


def test_every_password_check_shares_one_budget(client, accounts):
    signed_in = accounts.register()
    email = signed_in.user["email"]
    for _ in range(4):
        assert _sign_in(client, email, "a wrong guess").status_code == 400
    for _ in range(3):
        response = client.post(
            "/signout/everywhere", json={"password": "a wrong guess"}, headers=signed_in.headers
        )
        assert response.status_code == 400
    for _ in range(3):
        response = client.post(
            "/password",
            json={"currentPassword": "a wrong guess", "newPassword": "a brand new passphrase"},
            headers=signed_in.headers,
        )
        assert response.status_code == 400
    assert _sign_in(client, email, "a wrong guess").status_code == 429
    wrong = client.post(
        "/signout/everywhere", json={"password": "a wrong guess"}, headers=signed_in.headers
    )
    assert wrong.status_code == 429


def test_a_refused_new_password_does_not_count_as_a_wrong_one(client, accounts):
    signed_in = accounts.register()
    weak = {"currentPassword": TEST_PASSWORD, "newPassword": "password"}
    for _ in range(ACCOUNT_LIMIT + 5):
        response = client.post("/password", json=weak, headers=signed_in.headers)
        assert response.get_json()["error"]["fields"] == {
            "newPassword": "That password is one of the most common ones. Choose another."
        }


def test_ipv6_clients_are_limited_by_their_64_network(config, accounts):
    config.rate_limits = parse_rate_limits("address_failures=3/15minutes")
    with built_app(config) as app:
        client = app.test_client()
        for _ in range(3):
            response = _sign_in(client, "nobody@example.com", "x", {"REMOTE_ADDR": "2001:db8::1"})
            assert response.status_code == 400
        same_network = {"REMOTE_ADDR": "2001:db8::ffff:1234"}
        assert _sign_in(client, "nobody@example.com", "x", same_network).status_code == 429
        next_network = {"REMOTE_ADDR": "2001:db8:0:1::1"}
        assert _sign_in(client, "nobody@example.com", "x", next_network).status_code == 400

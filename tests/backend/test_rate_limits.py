"""Sign-in and register are rate limited per address and per account, in Redis."""

from __future__ import annotations

import pytest

from backend.rate_limits import DEFAULT_LIMITS, parse_rate_limits
from tests.conftest import TEST_PASSWORD, Accounts, built_app

ATTACKER = {"REMOTE_ADDR": "203.0.113.9"}
OWNER = {"REMOTE_ADDR": "198.51.100.7"}


def sign_in(client, email, password, address=None):
    return client.post(
        "/signin", json={"email": email, "password": password}, environ_base=address or OWNER
    )


def test_an_accounts_failures_are_limited_and_answered_with_the_wait(client, auth):
    email = auth.user["email"]
    for _ in range(10):
        assert sign_in(client, email, "wrong guess", ATTACKER).status_code == 400
    response = sign_in(client, email, "wrong guess", ATTACKER)
    assert response.status_code == 429
    error = response.get_json()["error"]
    assert error["code"] == "rate_limited"
    wait = int(response.headers["Retry-After"])
    assert 0 < wait <= 15 * 60 and abs(error["retryAfter"] - wait) <= 1
    assert f"{error['retryAfter']} seconds" in error["message"]
    # From an address that never signed in to it, the account is closed for now...
    assert sign_in(client, email, TEST_PASSWORD, {"REMOTE_ADDR": "192.0.2.1"}).status_code == 429


def test_the_owners_known_address_still_gets_in_during_an_attack(client, auth):
    email = auth.user["email"]
    assert sign_in(client, email, TEST_PASSWORD, OWNER).status_code == 200
    for _ in range(12):
        sign_in(client, email, "wrong guess", ATTACKER)
    assert sign_in(client, email, TEST_PASSWORD, ATTACKER).status_code == 429
    assert sign_in(client, email, TEST_PASSWORD, OWNER).status_code == 200


def test_successful_sign_ins_are_never_slowed(client, auth):
    for _ in range(25):
        assert sign_in(client, auth.user["email"], TEST_PASSWORD).status_code == 200


def test_an_address_guessing_many_accounts_is_limited(client, accounts):
    emails = [accounts.register().user["email"] for _ in range(4)]
    statuses = [
        sign_in(client, emails[n % 4], "wrong guess", ATTACKER).status_code for n in range(31)
    ]
    assert statuses[:30] == [400] * 30 and statuses[30] == 429


def test_rate_limits_can_be_turned_off(config, auth):
    config.rate_limits = parse_rate_limits("off")
    with built_app(config) as app:
        client = app.test_client()
        for _ in range(40):
            assert sign_in(client, auth.user["email"], "wrong", ATTACKER).status_code == 400


def test_limits_are_configurable():
    limits = parse_rate_limits("account_failures=3/minute, register=5/hour")
    assert limits == {**DEFAULT_LIMITS, "account_failures": "3/minute", "register": "5/hour"}
    assert parse_rate_limits("") == DEFAULT_LIMITS
    with pytest.raises(ValueError, match="SMARTBRAIN_RATE_LIMITS"):
        parse_rate_limits("everything=1/second")


def test_face_detections_are_limited_per_user(config, accounts):
    config.rate_limits = parse_rate_limits("image=2/minute")
    with built_app(config) as app:
        client = app.test_client()
        first, second = (Accounts(client).register(email=f"{n}@example.com") for n in "ab")
        for _ in range(2):
            response = client.post("/imageurl", json={"input": "ftp://x"}, headers=first.headers)
            assert response.status_code == 400
        refused = client.post("/imageurl", json={"input": "ftp://x"}, headers=first.headers)
        assert refused.status_code == 429
        assert refused.get_json()["error"]["code"] == "rate_limited"
        assert int(refused.headers["Retry-After"]) > 0
        # Another user, from the same address, has a budget of their own.
        other = client.post("/imageurl", json={"input": "ftp://x"}, headers=second.headers)
        assert other.status_code == 400

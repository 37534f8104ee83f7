"""An unknown email costs what a wrong password costs, whatever its hash's cost, so timing
tells an attacker nothing."""

from __future__ import annotations

import statistics
import time

import bcrypt
import pytest

from backend.extensions import db
from backend.models import Login, User
from backend.rate_limits import parse_rate_limits
from tests.conftest import TEST_PASSWORD, built_app

SAMPLES = 200
LEGACY_SAMPLES = 40


@pytest.fixture
def realistic_client(config):
    """bcrypt at 8 rounds (~15 ms), so that hashing, not noise, dominates; no rate limits."""
    config.bcrypt_rounds = 8
    config.rate_limits = parse_rate_limits("off")
    with built_app(config) as app:
        yield app.test_client()


def _timed(client, email: str) -> float:
    started = time.perf_counter()
    response = client.post("/signin", json={"email": email, "password": "not " + TEST_PASSWORD})
    elapsed = time.perf_counter() - started
    assert response.status_code == 400
    return elapsed


def test_unknown_email_and_wrong_password_take_the_same_time(realistic_client):
    client = realistic_client
    body = {"name": "Dana", "email": "dana@example.com", "password": TEST_PASSWORD}
    assert client.post("/register", json=body).status_code == 200
    for _ in range(5):  # warm up both paths
        _timed(client, "dana@example.com"), _timed(client, "nobody@example.com")
    known, unknown = [], []
    for _ in range(SAMPLES):  # interleaved, so drift hits both alike
        known.append(_timed(client, "dana@example.com"))
        unknown.append(_timed(client, "nobody@example.com"))
    known_median, unknown_median = statistics.median(known), statistics.median(unknown)
    difference = abs(known_median - unknown_median) / max(known_median, unknown_median)
    assert difference < 0.05, (known_median, unknown_median)


def _add_legacy_account(app, email: str) -> None:
    """An account carried over from the original server: a bcrypt-nodejs hash of cost 10."""
    legacy = bcrypt.hashpw(TEST_PASSWORD.encode(), bcrypt.gensalt(10)).decode()
    with app.app_context():
        session = db.session
        session.add_all([Login(email=email, hash="$2a$" + legacy[4:]), User(email=email)])
        session.commit()


def test_every_hash_cost_present_takes_the_same_time(config):
    """Legacy hashes (cost 10) beside new ones (8 here): every check costs the dearest."""
    config.bcrypt_rounds = 8
    config.rate_limits = parse_rate_limits("off")
    with built_app(config) as app:
        client = app.test_client()
        body = {"name": "Dana", "email": "dana@example.com", "password": TEST_PASSWORD}
        assert client.post("/register", json=body).status_code == 200
        _add_legacy_account(app, "old@example.com")
        emails = ["old@example.com", "dana@example.com", "nobody@example.com"]
        for _ in range(3):
            for email in emails:
                _timed(client, email)
        timings: dict[str, list[float]] = {email: [] for email in emails}
        for _ in range(LEGACY_SAMPLES):
            for email in emails:
                timings[email].append(_timed(client, email))
    medians = {email: statistics.median(times) for email, times in timings.items()}
    slowest, fastest = max(medians.values()), min(medians.values())
    assert (slowest - fastest) / slowest < 0.05, medians

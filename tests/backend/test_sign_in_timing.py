"""An unknown email costs what a wrong password costs, so timing tells an attacker nothing."""

from __future__ import annotations

import statistics
import time

import pytest

from backend.rate_limits import parse_rate_limits
from tests.conftest import TEST_PASSWORD, built_app

SAMPLES = 200


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

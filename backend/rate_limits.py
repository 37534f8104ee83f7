"""Rate limits on sign-in and register, kept in the same Redis as the sessions.

- Per client address: every sign-in and register request (`address`), and sign-in failures
  (`address_failures`).
- Per account: sign-in failures (`account_failures`), in growing windows, so guessing one
  account's password stalls quickly. An address that has signed in to that account before
  is exempt from the per-account limit, so an attacker cannot lock its owner out; it still
  has its own per-address limits.
Successful sign-ins never count towards a failure limit.
"""

from __future__ import annotations

import hashlib
import time

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from backend.extensions import redis_store

DEFAULT_LIMITS = {
    "address": "60/minute;600/hour",
    "address_failures": "30/15minutes",
    "account_failures": "10/15minutes;20/hour;40/6hours",
    "register": "20/hour",
}
_KNOWN_SECONDS = 90 * 24 * 3600

limiter = Limiter(key_func=get_remote_address, headers_enabled=True)


def parse_rate_limits(spec: str) -> dict[str, str] | None:
    """SMARTBRAIN_RATE_LIMITS: "off", or overrides such as "account_failures=5/minute"."""
    spec = spec.strip()
    if spec.lower() in {"off", "0", "false", "no"}:
        return None
    limits = dict(DEFAULT_LIMITS)
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, _, value = item.partition("=")
        if name.strip() not in DEFAULT_LIMITS or not value.strip():
            raise ValueError(f"SMARTBRAIN_RATE_LIMITS: unknown or empty limit {item!r}")
        limits[name.strip()] = value.strip()
    return limits


def storage_uri(redis_url: str) -> str:
    """The `limits` library's spelling of our Redis URL (it says redis+unix for sockets)."""
    return "redis+unix" + redis_url[len("unix") :] if redis_url.startswith("unix:") else redis_url


def init_rate_limits(app: Flask, limits: dict[str, str] | None) -> None:
    app.config["RATE_LIMITS"] = limits or {}
    app.config["RATELIMIT_ENABLED"] = limits is not None
    app.config["RATELIMIT_STORAGE_URI"] = storage_uri(app.config["REDIS_URL"])
    app.config["RATELIMIT_STRATEGY"] = "moving-window"
    app.config["RATELIMIT_SWALLOW_ERRORS"] = False
    limiter.init_app(app)


def _limit(name: str):
    return lambda: current_app.config["RATE_LIMITS"].get(name, DEFAULT_LIMITS[name])


def _email_in_body() -> str:
    body = request.get_json(silent=True)
    email = body.get("email") if isinstance(body, dict) else None
    return email.strip().lower() if isinstance(email, str) else ""


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _known_key(email: str) -> str:
    return f"sb:known:{{{_digest(email)}}}"


def _account_key() -> str:
    return "account:" + _digest(_email_in_body())


def _is_known_address() -> bool:
    email = _email_in_body()
    if not email:
        return True  # a session restore: no account to guess
    return bool(redis_store.client.sismember(_known_key(email), _digest(get_remote_address())))


def remember_address(email: str) -> None:
    """After a good password: this address may sign in to `email` despite others' failures."""
    key = _known_key(email.lower())
    with redis_store.client.pipeline(transaction=True) as pipe:
        pipe.sadd(key, _digest(get_remote_address()))
        pipe.expire(key, _KNOWN_SECONDS)
        pipe.execute()


def _failed(response) -> bool:
    return response.status_code == 400


sign_in_limits = [
    limiter.limit(_limit("address")),
    limiter.limit(_limit("address_failures"), deduct_when=_failed),
    limiter.limit(
        _limit("account_failures"),
        key_func=_account_key,
        deduct_when=_failed,
        exempt_when=_is_known_address,
    ),
]
register_limits = [limiter.limit(_limit("address")), limiter.limit(_limit("register"))]


def rate_limited(decorators):
    """Apply a list of limiter decorators to a view."""

    def apply(view):
        for decorate in reversed(decorators):
            view = decorate(view)
        return view

    return apply


def seconds_until_retry() -> int:
    """How long the client must wait, for the 429 message and body."""
    current = limiter.current_limit
    if current is None:
        return 60
    return max(1, int(current.reset_at - time.time()))  # as Flask-Limiter's Retry-After

"""Rate limits, kept in the same Redis as the sessions.

- Per client address: every sign-in and register request (`address`), and failed password
  checks (`address_failures`).
- Per account: failed password checks (`account_failures`), in growing windows, so guessing
  one account's password stalls quickly. Sign-in, changing the password and signing out
  everywhere all check a password, and all share these limits: a session guesses no faster
  than sign-in. An address that has signed in to the account before is exempt from the
  per-account limit, so an attacker cannot lock its owner out; it keeps its own limits.
- Per user: face detections (`image`).
A password check is counted before it runs and refunded when it succeeds (failure_limits.py),
so concurrent guesses cannot slip past a limit. Client addresses are IPv6 /64 networks.
"""

from __future__ import annotations

import hashlib
import ipaddress
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from flask import Flask, current_app, g, request
from flask_limiter import Limiter, RateLimitExceeded

from backend.errors import WrongPassword, api_error_response, too_many_attempts
from backend.extensions import redis_store
from backend.failure_limits import FailureLimit, LimitReached

DEFAULT_LIMITS = {
    "address": "60/minute;600/hour",
    "address_failures": "30/15minutes",
    "account_failures": "10/15minutes;20/hour;40/6hours",
    "register": "20/hour",
    "image": "30/minute;300/hour",
}
_FAILURE_LIMITS = ("address_failures", "account_failures")
_KNOWN_SECONDS = 90 * 24 * 3600


def client_address() -> str:
    """The client as rate limits see it: its IPv4 address, or its IPv6 /64 network.

    One IPv6 subscriber usually holds a whole /64, so single addresses would be free to pick.
    """
    address = request.remote_addr or "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((int(ip) >> 64 << 64, 64)))
    return address


# Our 429 handler sends Retry-After; the limiter must not rewrite it on other answers (503 busy).
limiter = Limiter(key_func=client_address, headers_enabled=False)


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
    app.register_error_handler(RateLimitExceeded, _too_many_requests)
    redis = app.extensions["smartbrain.redis"]
    app.extensions["smartbrain.failure_limits"] = {
        name: FailureLimit(redis, name, limits[name]) for name in _FAILURE_LIMITS if limits
    }


def _limit(name: str):
    return lambda: current_app.config["RATE_LIMITS"].get(name, DEFAULT_LIMITS[name])


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _known_key(email: str) -> str:
    return f"sb:known:{{{_digest(email)}}}"


def _is_known_address(email: str) -> bool:
    return bool(redis_store.client.sismember(_known_key(email), _digest(client_address())))


def remember_address(email: str) -> None:
    """After a good password: this address may sign in to `email` despite others' failures."""
    key = _known_key(email.lower())
    with redis_store.client.pipeline(transaction=True) as pipe:
        pipe.sadd(key, _digest(client_address()))
        pipe.expire(key, _KNOWN_SECONDS)
        pipe.execute()


@contextmanager
def password_attempt(email: str) -> Iterator[None]:
    """Count the password check inside against the address's and the account's failure limits.

    429 before the check when either limit is spent. The attempt stays counted only when the
    block raises WrongPassword; anything else, success included, takes it back.
    """
    failure_limits: dict[str, FailureLimit] = current_app.extensions["smartbrain.failure_limits"]
    email = email.strip().lower()
    with ExitStack() as refunds:
        for name, key in _charged_limits(email) if failure_limits else ():
            try:
                reservation = failure_limits[name].reserve(key)
            except LimitReached as full:
                raise too_many_attempts(full.retry_after) from None
            refunds.callback(failure_limits[name].refund, reservation)
        try:
            yield
        except WrongPassword:
            refunds.pop_all()
            raise


def _charged_limits(email: str) -> list[tuple[str, str]]:
    """(limit, key) pairs a password check for `email` from this client counts against."""
    charged = [("address_failures", _digest(client_address()))]
    if not _is_known_address(email):
        charged.append(("account_failures", _digest(email)))
    return charged


def _too_many_requests(_error: RateLimitExceeded):
    current = limiter.current_limit
    wait = 60 if current is None else max(1, int(current.reset_at - time.time()))
    return api_error_response(too_many_attempts(wait))


sign_in_limits = [limiter.limit(_limit("address"))]
register_limits = [limiter.limit(_limit("address")), limiter.limit(_limit("register"))]
image_limits = [limiter.limit(_limit("image"), key_func=lambda: f"user:{g.user_id}")]


def rate_limited(decorators):
    """Apply a list of limiter decorators to a view."""

    def apply(view):
        for decorate in reversed(decorators):
            view = decorate(view)
        return view

    return apply

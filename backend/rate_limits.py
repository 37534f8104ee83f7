"""Rate limits, kept in the same Redis as the sessions.

- Per client address: every sign-in and register request (`address`), and failed password
  checks (`address_failures`).
- Per account: failed password checks (`account_failures`), in growing windows, so guessing
  one account's password stalls quickly. Sign-in, changing the password and signing out
  everywhere all check a password, and all share these limits: a session guesses no faster
  than sign-in. A wrong two-step code counts as a wrong password. An address that has signed
  in to the account before is exempt from the per-account limit, so an attacker cannot lock
  its owner out; it keeps its own limits.
- Per user: face detections (`image`).
A password check is counted before it runs and refunded when it succeeds (failure_limits.py),
so concurrent guesses cannot slip past a limit. Client addresses are IPv6 /64 networks.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import TypeVar

from flask import Flask, current_app, g, request
from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from backend.errors import FailedCheck, too_many_attempts
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
_REQUEST_LIMITS = ("address", "register", "image")
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


class RequestLimits:
    """Limits on requests (not on failures): a moving window per limit, view and key, in Redis.

    Every request a limited view receives counts, whatever its answer.
    """

    def __init__(self, redis_url: str, limits: dict[str, str]) -> None:
        self._windows = MovingWindowRateLimiter(storage_from_string(storage_uri(redis_url)))
        self._items = {name: parse_many(limits[name]) for name in _REQUEST_LIMITS}

    def count(self, name: str, view: str, key: str) -> None:
        """Count one request against limit `name`; 429 with the wait when it is spent."""
        for item in self._items[name]:
            if not self._windows.hit(item, name, view, key):
                raise too_many_attempts(self._wait(item, name, view, key))

    def _wait(self, item: RateLimitItem, *identifiers: str) -> int:
        reset_at = self._windows.get_window_stats(item, *identifiers).reset_time
        return max(1, int(reset_at - time.time()))


def init_rate_limits(app: Flask) -> None:
    """The limits app.config["RATE_LIMITS"] names (None: none at all)."""
    limits: dict[str, str] | None = app.config["RATE_LIMITS"]
    redis = app.extensions["smartbrain.redis"]
    app.extensions["smartbrain.request_limits"] = (
        RequestLimits(app.config["REDIS_URL"], limits) if limits else None
    )
    app.extensions["smartbrain.failure_limits"] = {
        name: FailureLimit(redis, name, limits[name]) for name in _FAILURE_LIMITS if limits
    }


View = TypeVar("View", bound=Callable)


def rate_limited(*names: str, per_user: bool = False) -> Callable[[View], View]:
    """Count each request to the view against the named limits, per client address (or, with
    `per_user`, per signed-in user: put it under require_auth)."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def limited(*args, **kwargs):
            request_limits: RequestLimits | None = current_app.extensions[
                "smartbrain.request_limits"
            ]
            if request_limits is not None:
                key = f"user:{g.user_id}" if per_user else client_address()
                for name in names:
                    request_limits.count(name, view.__name__, key)
            return view(*args, **kwargs)

        return limited  # type: ignore[return-value]

    return decorate


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


def forget_addresses(email: str) -> None:
    """The account is gone: no address keeps its exemption for a new account of `email`."""
    redis_store.client.delete(_known_key(email.strip().lower()))


@contextmanager
def password_attempt(email: str) -> Iterator[None]:
    """Count the password (or two-step code) check inside against the address's and the
    account's failure limits.

    429 before the check when either limit is spent. The attempt stays counted only when the
    block raises FailedCheck (a wrong password or code); anything else, success included,
    takes it back.
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
        except FailedCheck:
            refunds.pop_all()
            raise


def _charged_limits(email: str) -> list[tuple[str, str]]:
    """(limit, key) pairs a password check for `email` from this client counts against."""
    charged = [("address_failures", _digest(client_address()))]
    if not _is_known_address(email):
        charged.append(("account_failures", _digest(email)))
    return charged

"""Limits on failed password checks that hold under any concurrency.

A check is counted before the password is compared, atomically in Redis, and taken back when
the password was right. So however many guesses arrive at once, no more than a limit's amount
of wrong passwords are ever compared in its window: the rest are refused before bcrypt runs.

Each limited thing (an account, a client address) is one sorted set of its pending and failed
attempts, scored by the Redis server's clock, so every backend process agrees on the time.
One key per call: the layout works on Redis Cluster.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from typing import Any

from limits import RateLimitItem, parse_many

# KEYS[1]: the attempts; ARGV[1]: the new attempt's id; ARGV[2...]: amount, window ms pairs.
# Returns 0 when the attempt was counted, else the milliseconds until one would be.
_RESERVE = """
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local longest = 0
for i = 2, #ARGV, 2 do longest = math.max(longest, tonumber(ARGV[i + 1])) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - longest)
local wait = 0
for i = 2, #ARGV, 2 do
  local amount, window = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
  local inside = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. (now - window), '+inf', 'WITHSCORES')
  local count = #inside / 2
  if count >= amount then
    local oldest_to_leave = tonumber(inside[(count - amount) * 2 + 2])
    wait = math.max(wait, oldest_to_leave + window - now)
  end
end
if wait > 0 then return wait end
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('PEXPIRE', KEYS[1], longest)
return 0
"""


class LimitReached(Exception):
    """No attempt may be made now; `retry_after` says in how many seconds one may."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry in {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Reservation:
    """One counted attempt, which `refund` takes back."""

    key: str
    attempt_id: str


class FailureLimit:
    """Attempts per key, in one or more moving windows (the `limits` syntax: "10/15minutes")."""

    def __init__(self, redis: Any, name: str, spec: str) -> None:
        self._redis = redis
        self._prefix = f"sb:failures:{name}:"
        self._windows = [_window(item) for item in parse_many(spec)]
        self._reserve = redis.register_script(_RESERVE)

    def reserve(self, key: str) -> Reservation:
        """Count an attempt for `key` now; raises LimitReached when a window is full."""
        reservation = Reservation(f"{self._prefix}{{{key}}}", secrets.token_hex(8))
        arguments: list[str | int] = [reservation.attempt_id]
        for amount, window_ms in self._windows:
            arguments += [amount, window_ms]
        wait_ms = int(self._reserve(keys=[reservation.key], args=arguments))
        if wait_ms > 0:
            raise LimitReached(max(1, math.ceil(wait_ms / 1000)))
        return reservation

    def refund(self, reservation: Reservation) -> None:
        """Take back an attempt that turned out not to be a failure."""
        self._redis.zrem(reservation.key, reservation.attempt_id)


def _window(item: RateLimitItem) -> tuple[int, int]:
    return item.amount, item.get_expiry() * 1000

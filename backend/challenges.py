"""Sign-in challenges: what a right password earns from an account with two-step verification
on, to exchange with a code for a session.

Opaque to the client; in Redis only as its SHA-256 hash (as tokens are), for five minutes, bound
to the user and the device that signed in. Used once; gone after five wrong codes.
Key: `sb:challenge:{<hash>}` a hash {uid, device, wrong} (one key per call: fits Redis Cluster).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from backend.token_store import hash_token

LIFETIME_SECONDS = 5 * 60
MAX_WRONG_CODES = 5

# KEYS[1]: the challenge; ARGV[1]: wrong codes it survives. Counts one; ends it at the last.
_WRONG = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local wrong = redis.call('HINCRBY', KEYS[1], 'wrong', 1)
if wrong >= tonumber(ARGV[1]) then redis.call('DEL', KEYS[1]) end
return wrong
"""


@dataclass(frozen=True)
class Challenge:
    user_id: int
    device: str


class Challenges:
    """Start, look up, spend and count wrong codes against sign-in challenges."""

    def __init__(self, redis: Any) -> None:
        self._redis = redis
        self._wrong = redis.register_script(_WRONG)

    @staticmethod
    def _key(challenge: str) -> str:
        return f"sb:challenge:{{{hash_token(challenge)}}}"

    def start(self, user_id: int, device: str) -> str:
        """A new challenge for `user_id` on `device` (shown to the client once)."""
        challenge = secrets.token_urlsafe(32)
        key = self._key(challenge)
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping={"uid": user_id, "device": device, "wrong": 0})
            pipe.expire(key, LIFETIME_SECONDS)
            pipe.execute()
        return challenge

    def find(self, challenge: str) -> Challenge | None:
        """The live challenge, or None (unknown, used, expired or spent)."""
        user_id, device = self._redis.hmget(self._key(challenge), "uid", "device")
        return None if user_id is None else Challenge(int(user_id), device or "")

    def spend(self, challenge: str) -> bool:
        """End the challenge; True for the one caller that ended it."""
        return bool(self._redis.delete(self._key(challenge)))

    def count_wrong_code(self, challenge: str) -> None:
        self._wrong(keys=[self._key(challenge)], args=[MAX_WRONG_CODES])

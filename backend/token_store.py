"""Sessions in Redis: opaque tokens for clients, only their SHA-256 hashes at rest.

Keys (all under the `sb:` prefix):
- `sb:s:{<token hash>}` a hash {uid, sid, created, used, exp, device} for one session. It
  carries its own idle expiry, slid on every use but never past the absolute end `exp`.
- `sb:u:{<user id>}:sessions` a hash sid -> token hash: the user's sessions index, used to
  list and revoke them. The session key is the truth; index entries whose session expired
  are dropped whenever the index is read.

Every operation touches one key at a time (or one key per cluster slot, via the hash tags in
braces), so no multi-key atomicity is needed and the layout works on Redis Cluster.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any

from redis import Redis

from backend.script_calls import ScriptCall, run_together

_PREFIX = "sb"
log = logging.getLogger("smartbrain.sessions")

# Resolve in one round trip: read, check the absolute end, slide the idle expiry, stamp use.
_RESOLVE = """
local v = redis.call('HMGET', KEYS[1], 'uid', 'sid', 'exp')
if not v[1] then return false end
local now = tonumber(ARGV[1])
local left = tonumber(v[3]) - now
if left <= 0 then
  redis.call('DEL', KEYS[1])
  return false
end
redis.call('PEXPIRE', KEYS[1], math.min(tonumber(ARGV[2]), left))
redis.call('HSET', KEYS[1], 'used', ARGV[1])
return {v[1], v[2]}
"""


@dataclass(frozen=True)
class ResolvedSession:
    user_id: int
    session_id: str


@dataclass(frozen=True)
class SessionInfo:
    session_id: str
    device: str
    created_ms: int
    last_used_ms: int


def _now_ms() -> int:
    return int(time.time() * 1000)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class TokenStore:
    """Issue, resolve, list and revoke sessions. Knows user ids, not users."""

    def __init__(self, redis: Redis, idle_seconds: int, max_seconds: int) -> None:
        # Made with decode_responses=True, so replies are str; redis-py's types cannot say so.
        self._redis: Any = redis
        self._idle_ms = idle_seconds * 1000
        self._max_ms = max_seconds * 1000
        self._resolve = redis.register_script(_RESOLVE)

    @staticmethod
    def _session_key(token_hash: str) -> str:
        return f"{_PREFIX}:s:{{{token_hash}}}"

    @staticmethod
    def _index_key(user_id: int) -> str:
        return f"{_PREFIX}:u:{{{user_id}}}:sessions"

    def issue(self, user_id: int, device: str) -> str:
        """Start a session for `user_id` and return its token (shown to the client once)."""
        token = secrets.token_urlsafe(32)
        token_hash = hash_token(token)
        session_id = secrets.token_urlsafe(12)
        now = _now_ms()
        key = self._session_key(token_hash)
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(
                key,
                mapping={
                    "uid": user_id,
                    "sid": session_id,
                    "created": now,
                    "used": now,
                    "exp": now + self._max_ms,
                    "device": device,
                },
            )
            pipe.pexpire(key, min(self._idle_ms, self._max_ms))
            pipe.execute()
        index = self._index_key(user_id)
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(index, session_id, token_hash)
            pipe.pexpire(index, self._max_ms)
            pipe.execute()
        log.info("session created user=%s session=%s", user_id, session_id)
        return token

    def resolve(self, token: str) -> ResolvedSession | None:
        """The live session behind `token`, sliding its idle expiry; one Redis round trip."""
        return self.resolve_along(token, None)[0]

    def resolve_along(
        self, token: str, along: ScriptCall | None
    ) -> tuple[ResolvedSession | None, Any]:
        """`resolve`, and the script call `along` (on any keys) in the same round trip.

        The second item is the call's answer, or None when there is no call.
        """
        call = ScriptCall(
            self._resolve, [self._session_key(hash_token(token))], [_now_ms(), self._idle_ms]
        )
        found, *answers = run_together(self._redis, [call] if along is None else [call, along])
        if not found:
            return None, None
        log.debug("session renewed user=%s session=%s", found[0], found[1])
        return ResolvedSession(user_id=int(found[0]), session_id=found[1]), (answers or [None])[0]

    def revoke(self, token: str) -> None:
        """End the session behind `token` at once."""
        key = self._session_key(hash_token(token))
        user_id, session_id = self._redis.hmget(key, "uid", "sid")
        self._redis.delete(key)
        if user_id is not None:
            self._redis.hdel(self._index_key(int(user_id)), session_id)
            log.info("session revoked user=%s session=%s", user_id, session_id)

    def sessions(self, user_id: int) -> list[SessionInfo]:
        """The user's live sessions, newest first; expired ones are dropped from the index."""
        index = self._index_key(user_id)
        entries = self._redis.hgetall(index)
        live: list[SessionInfo] = []
        expired: list[str] = []
        for session_id, token_hash in entries.items():
            data = self._redis.hgetall(self._session_key(token_hash))
            if not data or int(data["uid"]) != user_id:
                expired.append(session_id)
                continue
            live.append(
                SessionInfo(
                    session_id=session_id,
                    device=data.get("device", ""),
                    created_ms=int(data["created"]),
                    last_used_ms=int(data["used"]),
                )
            )
        if expired:
            self._redis.hdel(index, *expired)
            log.info("sessions expired user=%s sessions=%s", user_id, ",".join(expired))
        return sorted(live, key=lambda s: s.created_ms, reverse=True)

    def revoke_session(self, user_id: int, session_id: str) -> bool:
        """End one of the user's sessions by its public id; False when there is none."""
        index = self._index_key(user_id)
        token_hash = self._redis.hget(index, session_id)
        if token_hash is None:
            return False
        removed = self._redis.delete(self._session_key(token_hash))
        self._redis.hdel(index, session_id)
        log.info("session revoked user=%s session=%s", user_id, session_id)
        return bool(removed)

    def revoke_all(self, user_id: int, keep_session_id: str | None = None) -> int:
        """End every session of the user (but `keep_session_id`); returns how many ended."""
        index = self._index_key(user_id)
        revoked = 0
        for session_id, token_hash in self._redis.hgetall(index).items():
            if session_id == keep_session_id:
                continue
            revoked += self._redis.delete(self._session_key(token_hash))
            self._redis.hdel(index, session_id)
            log.info("session revoked user=%s session=%s", user_id, session_id)
        return revoked

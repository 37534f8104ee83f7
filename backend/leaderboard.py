"""Users ranked by entries in a Redis sorted set kept in step with the database: O(log n) ranks.

The database stays the truth. The set is written after each change the database has committed
(a new user, one more entry) and rebuilt from the database when it cannot be trusted: missing
(a Redis restart or flush), or out of step with the database's user count and entry total
(the database was restored, or upgraded from the original server, while no backend ran).
Until it is ready again, `rank` answers None and the caller counts in SQL: slower, never wrong.

A rank is 1 + the number of users with more entries (ties share a rank), counted against the
entries the caller read from the database, so a user's own rank is exact however the set lags.

Keys share one hash tag, so they live in one slot of a Redis Cluster:
- `sb:{rank}:entries` the set: member user id, score entries;
- `sb:{rank}:state` a hash: `ready`, `building`, and `users` and `entries`: the totals of the
  database snapshot the set was built from plus every change recorded since the build began,
  to compare with the database's own;
- `sb:{rank}:building` the set being rebuilt, and `sb:{rank}:lock` its builder's lock.
Scores only rise (ZADD GT), so a rebuild and the changes made while it runs can land in any
order: the greatest value, the database's latest, wins. A user removed (their account deleted)
leaves the set and the totals at once; removed while a rebuild runs, they spoil it (its
snapshot may or may not hold them), and the set stays not ready until the next rebuild.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterable
from typing import Any

from backend.script_calls import ScriptCall

log = logging.getLogger("smartbrain.leaderboard")

ENTRIES, STATE, BUILDING, LOCK = (
    f"sb:{{rank}}:{name}" for name in ("entries", "state", "building", "lock")
)
_KEYS = [ENTRIES, STATE, BUILDING]
_LOCK_MS = 10 * 60 * 1000

_RANK = """
if redis.call('HGET', KEYS[2], 'ready') ~= '1' then return false end
local above = redis.call('ZCOUNT', KEYS[1], '(' .. ARGV[1], '+inf')
return {above + 1, redis.call('ZCARD', KEYS[1])}
"""

# ARGV: user id. The member's own score says how many entries to count above.
_MEMBER_RANK = """
if redis.call('HGET', KEYS[2], 'ready') ~= '1' then return false end
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score then return false end
local above = redis.call('ZCOUNT', KEYS[1], '(' .. score, '+inf')
return {above + 1, redis.call('ZCARD', KEYS[1]), score}
"""

# ARGV: user id, entries, users added, entries added.
_RECORD = """
redis.call('ZADD', KEYS[1], 'GT', ARGV[2], ARGV[1])
if redis.call('HGET', KEYS[2], 'building') == '1' then
  redis.call('ZADD', KEYS[3], 'GT', ARGV[2], ARGV[1])
end
redis.call('HINCRBY', KEYS[2], 'users', ARGV[3])
redis.call('HINCRBY', KEYS[2], 'entries', ARGV[4])
"""

# ARGV: user id. Takes the member and its entries out of the set and the totals.
_REMOVE = """
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if redis.call('HGET', KEYS[2], 'building') == '1' then
  redis.call('HSET', KEYS[2], 'spoiled', '1')
end
if not score then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HINCRBY', KEYS[2], 'users', -1)
redis.call('HINCRBY', KEYS[2], 'entries', -tonumber(score))
return 1
"""

# ARGV: the lock's token, the snapshot's users and entries. Swaps the new set in, if still ours
# and not spoiled by a removal meanwhile.
_FINISH = """
if redis.call('GET', KEYS[4]) ~= ARGV[1] then return 0 end
if redis.call('HGET', KEYS[2], 'spoiled') == '1' then
  redis.call('DEL', KEYS[3], KEYS[4])
  redis.call('HSET', KEYS[2], 'building', '0', 'spoiled', '0')
  return 0
end
if redis.call('EXISTS', KEYS[3]) == 1 then
  redis.call('RENAME', KEYS[3], KEYS[1])
else
  redis.call('DEL', KEYS[1])
end
redis.call('HINCRBY', KEYS[2], 'users', ARGV[2])
redis.call('HINCRBY', KEYS[2], 'entries', ARGV[3])
redis.call('HSET', KEYS[2], 'ready', '1', 'building', '0')
redis.call('DEL', KEYS[4])
return 1
"""

Rows = Iterable[tuple[int, int]]  # (user id, entries)


class Leaderboard:
    """Ranks from the sorted set; keeps it in step, and rebuilds it, from database rows."""

    def __init__(self, redis: Any) -> None:
        self._redis = redis
        self._rank = redis.register_script(_RANK)
        self._member_rank = redis.register_script(_MEMBER_RANK)
        self._record = redis.register_script(_RECORD)
        self._remove = redis.register_script(_REMOVE)
        self._finish = redis.register_script(_FINISH)

    def rank(self, entries: int) -> tuple[int, int] | None:
        """(rank, number of users) for a user with `entries`; None while the set is not ready."""
        found = self._rank(keys=_KEYS, args=[entries])
        return None if not found else (int(found[0]), int(found[1]))

    def member_rank_call(self, user_id: int) -> ScriptCall:
        """A call for `member_rank`, to send along another (the session's) in one round trip."""
        return ScriptCall(self._member_rank, [ENTRIES, STATE], [user_id])

    @staticmethod
    def member_rank(answer: Any) -> tuple[int, int, int] | None:
        """(rank, number of users, entries in the set) from a member_rank_call's answer."""
        if not answer:
            return None
        return int(answer[0]), int(answer[1]), int(float(answer[2]))

    def record(self, user_id: int, entries: int, *, new_user: bool = False) -> None:
        """After the database committed it: a new user (0 entries) or one more entry."""
        added = [1, 0] if new_user else [0, 1]
        self._record(keys=_KEYS, args=[user_id, entries, *added])

    def remove(self, user_id: int) -> None:
        """After the database committed it: the user is gone."""
        self._remove(keys=_KEYS, args=[user_id])

    def in_step_with(self, users: int, entries: int) -> bool:
        """Whether the set is ready and was built from a database with these totals."""
        state = self._redis.hmget(STATE, "ready", "users", "entries")
        return state == ["1", str(users), str(entries)]

    def rebuild(self, rows: Callable[[], Rows], batch: int = 5000) -> bool:
        """Rebuild the set from `rows`, unless another process is at it; True when done here.

        `rows` must read one snapshot of the database (one query). Ranks are not served from
        the set meanwhile. Changes recorded while the rows are read land in the new set too,
        so none is lost, and they are added to the snapshot's totals.
        """
        token = secrets.token_hex(8)
        if not self._redis.set(LOCK, token, nx=True, px=_LOCK_MS):
            return False
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(
                STATE,
                mapping={"ready": "0", "building": "1", "spoiled": "0", "users": 0, "entries": 0},
            )
            pipe.delete(BUILDING)
            pipe.execute()
        users = entries = 0
        pending: dict[str, int] = {}
        for user_id, user_entries in rows():
            users, entries = users + 1, entries + user_entries
            pending[str(user_id)] = user_entries
            if len(pending) >= batch:
                self._redis.zadd(BUILDING, pending, gt=True)
                pending = {}
        if pending:
            self._redis.zadd(BUILDING, pending, gt=True)
        done = bool(self._finish(keys=[*_KEYS, LOCK], args=[token, users, entries]))
        log.info(
            "leaderboard rebuilt users=%d"
            if done
            else "leaderboard rebuild lost its lock or was spoiled by a removal",
            users,
        )
        return done

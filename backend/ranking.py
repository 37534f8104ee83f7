"""The app's leaderboard: checked against the database once per process, rebuilt when needed.

Each process compares the set's totals with the database's at its first rank (one pass over
`users`, once), so a database changed while no backend ran is noticed. A set that is missing
or out of step is rebuilt by the request that finds it so (one pass over `users`; a few
seconds for a million users), in one process at a time; every rank asked for meanwhile is
counted in SQL, so none is ever wrong.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

from flask import Flask, current_app
from redis.exceptions import RedisError
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from backend.extensions import db
from backend.leaderboard import Leaderboard
from backend.models import User
from backend.script_calls import ScriptCall

log = logging.getLogger("smartbrain.leaderboard")

_TOTALS = select(func.count(User.id), func.coalesce(func.sum(User.entries), 0))


class Ranking:
    """Ranks by entries: from the leaderboard when it is in step, from SQL otherwise."""

    def __init__(self, board: Leaderboard) -> None:
        self._board = board
        self._checked = False
        self._rebuilding = threading.Lock()

    def member_rank_call(self, user_id: int) -> ScriptCall:
        """The leaderboard's call for a user's rank, to send along the session's."""
        return self._board.member_rank_call(user_id)

    def rank(self, entries: int, along: Any = None) -> tuple[int, int]:
        """(rank, number of users) for a user with `entries`, as the database just said.

        `along` is the answer to a member_rank_call made in the session's round trip: used
        when the set held the same entries as the database read after it (else asked anew).
        """
        if not self._checked:
            self._check()
            along = None  # read before the check, from a set that may have been out of step
        prefetched = self._board.member_rank(along)
        if prefetched is not None and prefetched[2] == entries:
            return prefetched[0], prefetched[1]
        found = self._board.rank(entries)
        if found is None and self._rebuild():
            found = self._board.rank(entries)
        if found is not None:
            return found
        with db.connect() as connection:
            above = connection.scalar(select(func.count(User.id)).where(User.entries > entries))
            total = connection.scalar(select(func.count(User.id)))
        return int(above or 0) + 1, int(total or 0)

    def record(self, user_id: int, entries: int, *, new_user: bool = False) -> None:
        """Tell the leaderboard what the database committed; a Redis failure only logs."""
        try:
            self._board.record(user_id, entries, new_user=new_user)
        except RedisError as error:  # the set lags for this user until their next entry
            log.warning("leaderboard not updated: %s", type(error).__name__)

    def remove(self, user_id: int) -> None:
        """Tell the leaderboard the database deleted the user; after a Redis failure, the next
        rank checks the set against the database again (and rebuilds it)."""
        try:
            self._board.remove(user_id)
        except RedisError as error:
            log.warning("leaderboard not updated: %s", type(error).__name__)
            self._checked = False

    def _check(self) -> None:
        with db.connect() as connection:
            users, entries = connection.execute(_TOTALS).one()
        self._checked = True
        if not self._board.in_step_with(int(users), int(entries)):
            log.info("leaderboard out of step with the database: rebuilding")
            self._rebuild()

    def _rebuild(self) -> bool:
        """Rebuild the set unless this or another process is at it; True when done here."""
        if not self._rebuilding.acquire(blocking=False):
            return False
        try:
            return self._board.rebuild(self._rows)
        except (RedisError, SQLAlchemyError) as error:  # tried again at the next rank
            log.warning("leaderboard rebuild failed: %s", type(error).__name__)
            return False
        finally:
            self._rebuilding.release()

    def _rows(self) -> Iterator[tuple[int, int]]:
        """Every user's (id, entries), from one snapshot of the database."""
        with db.transaction() as session:
            query = select(User.id, User.entries).execution_options(yield_per=10_000)
            for user_id, entries in session.connection().execute(query):  # Core: no ORM rows
                yield int(user_id), int(entries or 0)


def init_ranking(app: Flask) -> None:
    app.extensions["smartbrain.ranking"] = Ranking(Leaderboard(app.extensions["smartbrain.redis"]))


def ranking() -> Ranking:
    return current_app.extensions["smartbrain.ranking"]

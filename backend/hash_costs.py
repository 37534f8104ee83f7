"""How much every sign-in's password check costs: as much as the dearest stored hash.

A database carried over from the original server holds bcrypt hashes of cost 10 beside ours
of the current rounds; an operator may also have changed the rounds over time. If a check
cost what its own hash costs, the time to answer would tell an unknown email from a legacy
account. So every check, and the dummy check for an unknown email, is topped up to the
highest cost present (verify_password's costs_as).
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from flask import current_app
from sqlalchemy import case, func, select

from backend.extensions import db
from backend.models import Login
from backend.passwords import hash_cost

_REREAD_SECONDS = 600
_NEW_STYLE_PREFIX = "sha256$"


class HashCosts:
    """The highest bcrypt cost among the stored hashes, re-read every few minutes."""

    def __init__(self, rounds: int) -> None:
        self._rounds = rounds
        self._stored = 0
        self._read_at = float("-inf")

    def at_least(self, hashes: Iterable[str]) -> int:
        """The cost to give a check: the highest of the stored, the current and these hashes'."""
        if time.monotonic() - self._read_at > _REREAD_SECONDS:
            self._stored, self._read_at = _highest_stored_cost(), time.monotonic()
        seen = [cost for cost in map(hash_cost, hashes) if cost is not None]
        self._stored = max([self._stored, *seen])
        return max(self._stored, self._rounds)


def hash_costs() -> HashCosts:
    """This app's HashCosts."""
    extensions = current_app.extensions
    if "smartbrain.hash_costs" not in extensions:
        extensions["smartbrain.hash_costs"] = HashCosts(current_app.config["BCRYPT_ROUNDS"])
    return extensions["smartbrain.hash_costs"]


def _highest_stored_cost() -> int:
    """One pass over the login table; a handful of distinct costs come back."""
    cost_digits = case(
        (Login.hash.startswith(_NEW_STYLE_PREFIX), func.substr(Login.hash, 12, 2)),
        else_=func.substr(Login.hash, 5, 2),
    )
    costs = db.session.scalars(select(cost_digits).distinct()).all()
    return max((int(cost) for cost in costs if cost and cost.isdigit()), default=0)

"""Accounts whose emails differ only in letter case, as the original server allowed.

The original server matched emails exactly, so "Bob@x.com" and "bob@x.com" could be two
accounts. SmartBrain keeps both: each login belongs to the user with exactly its email, and
the password decides which of them signs in. `db upgrade` names them, for the operator.
"""

from __future__ import annotations

from itertools import groupby

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from backend.models import User


def email_case_collisions(engine: Engine) -> list[list[int]]:
    """The ids of the users sharing an email but for letter case, one list per email."""
    lowered = func.lower(User.email)
    shared = select(lowered).group_by(lowered).having(func.count() > 1)
    query = select(lowered, User.id).where(lowered.in_(shared)).order_by(lowered, User.id)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return [
        [user_id for _email, user_id in group] for _email, group in groupby(rows, lambda r: r[0])
    ]


def describe(user_ids: list[int]) -> str:
    """One sentence about one collision, naming ids, not emails (the output may be logged)."""
    *first, last = (str(user_id) for user_id in user_ids)
    return (
        f"Accounts {', '.join(first)} and {last} have emails that differ only in letter case; "
        "each keeps signing in with its own password only."
    )

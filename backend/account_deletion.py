"""Deleting an account: its rows in one database transaction, then its traces in Redis."""

from __future__ import annotations

import logging

from sqlalchemy import delete

from backend import two_step
from backend.extensions import db, tokens
from backend.models import Login, RecoveryCode, TwoStep, User
from backend.ranking import ranking
from backend.rate_limits import forget_addresses

log = logging.getLogger("smartbrain.accounts")


def delete_account(user: User) -> None:
    """Remove the user, their login, two-step verification and recovery codes (all or none),
    then end every session (refused at once by every process: the sessions live in Redis)
    and take the user off the leaderboard, so other users' ranks are right at once."""
    with db.transaction() as session:
        session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
        session.execute(delete(TwoStep).where(TwoStep.user_id == user.id))
        session.execute(delete(Login).where(Login.email == user.email))
        session.execute(delete(User).where(User.id == user.id))
    revoked = tokens.store.revoke_all(user.id)
    ranking().remove(user.id)
    two_step.forget(user.id)
    forget_addresses(user.email)
    log.info("account deleted user=%s sessions=%d", user.id, revoked)

"""Two-step verification of accounts: turning it on and off, checking codes, recovery codes.

The TOTP secret is kept encrypted (secret_box.py): in Redis, for ten minutes, while a setup
waits for its first code (`sb:2fa:{<user id>}:setup`), then in `two_step` once it is on.
Recovery codes are kept only as keyed fingerprints, one row each, deleted when used.
Wrong codes raise WrongCode, which the callers' failure limits count (rate_limits.py).
"""

from __future__ import annotations

import time
from typing import Any, cast

from cryptography.fernet import InvalidToken
from flask import Flask, current_app
from sqlalchemy import CursorResult, delete, func, select
from sqlalchemy.exc import IntegrityError

from backend import recovery_codes, totp
from backend.challenges import Challenges
from backend.errors import ApiError, WrongCode
from backend.extensions import db, redis_store
from backend.models import RecoveryCode, TwoStep, User
from backend.secret_box import secret_box
from backend.totp import StepLedger

SETUP_SECONDS = 10 * 60


def init_two_step(app: Flask) -> None:
    redis = app.extensions["smartbrain.redis"]
    app.extensions["smartbrain.step_ledger"] = StepLedger(redis)
    app.extensions["smartbrain.challenges"] = Challenges(redis)


def challenges() -> Challenges:
    return current_app.extensions["smartbrain.challenges"]


def _ledger() -> StepLedger:
    return current_app.extensions["smartbrain.step_ledger"]


def _redis() -> Any:
    """The app's client; made with decode_responses=True (replies are str), which redis-py's
    types cannot say."""
    return redis_store.client


def _setup_key(user_id: int) -> str:
    return f"sb:2fa:{{{user_id}}}:setup"


def two_step_on() -> ApiError:
    return ApiError(409, "two_step_on", "Two-step verification is already on.")


def two_step_off() -> ApiError:
    return ApiError(409, "two_step_off", "Two-step verification is off.")


def is_on(user_id: int) -> bool:
    return db.session.scalar(select(TwoStep.user_id).where(TwoStep.user_id == user_id)) is not None


def status(user_id: int) -> dict:
    """{"enabled": false}, or {"enabled": true, "recoveryCodesLeft": n}."""
    if not is_on(user_id):
        return {"enabled": False}
    return {"enabled": True, "recoveryCodesLeft": _codes_left(user_id)}


def _codes_left(user_id: int) -> int:
    query = select(func.count(RecoveryCode.id)).where(RecoveryCode.user_id == user_id)
    return int(db.session.scalar(query) or 0)


def start_setup(user: User) -> dict:
    """A new secret, pending for ten minutes (replacing any pending one); sign-in is unchanged."""
    if is_on(user.id):
        raise two_step_on()
    secret = totp.new_secret()
    _redis().set(_setup_key(user.id), secret_box().encrypt(secret), ex=SETUP_SECONDS)
    return {"secret": secret, "uri": totp.provisioning_uri(secret, user.email)}


def enable(user: User, code: str) -> list[str]:
    """Turn two-step on with the pending secret, once `code` proves the app has it; returns
    the new recovery codes (shown once)."""
    if is_on(user.id):
        raise two_step_on()
    encrypted: str | None = _redis().get(_setup_key(user.id))
    secret = _decrypted(encrypted) if encrypted else None
    if secret is None:
        raise ApiError(409, "setup_expired", "Start again: this setup has expired.")
    _check_totp(user.id, secret, code)
    codes = recovery_codes.new_codes()
    try:
        with db.transaction() as session:
            session.add(TwoStep(user_id=user.id, secret=encrypted))
            session.add_all(_code_rows(user.id, codes))
    except IntegrityError:  # another request turned it on meanwhile
        raise two_step_on() from None
    _redis().delete(_setup_key(user.id))
    return codes


def _decrypted(encrypted: str) -> str | None:
    """The secret, or None when it was encrypted with another key (SMARTBRAIN_SECRET_KEY
    changed): it cannot be read any more."""
    try:
        return secret_box().decrypt(encrypted)
    except InvalidToken:
        return None


def check_code(user_id: int, code: str) -> int | None:
    """Accept `code` (a TOTP code or a recovery code, as the schemas normalise them) for an
    account with two-step on; raises WrongCode otherwise.

    Returns the recovery codes left when a recovery code was used (and is now spent), else None.
    """
    if len(code) != totp.DIGITS:  # a recovery code
        return _use_recovery_code(user_id, code)
    encrypted = db.session.scalar(select(TwoStep.secret).where(TwoStep.user_id == user_id))
    secret = _decrypted(encrypted) if encrypted else None
    if secret is None:
        raise WrongCode()
    _check_totp(user_id, secret, code)
    return None


def _check_totp(user_id: int, secret: str, code: str) -> None:
    step = totp.matching_step(secret, code, time.time())
    if step is None or not _ledger().claim(user_id, step):
        raise WrongCode()


def _use_recovery_code(user_id: int, code: str) -> int:
    fingerprint = secret_box().fingerprint(code)
    with db.transaction() as session:
        deleted = session.execute(
            delete(RecoveryCode).where(
                RecoveryCode.user_id == user_id, RecoveryCode.code_hash == fingerprint
            )
        )
        used = cast(CursorResult, deleted).rowcount
    if not used:
        raise WrongCode()
    return _codes_left(user_id)


def disable(user_id: int) -> None:
    with db.transaction() as session:
        session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
        session.execute(delete(TwoStep).where(TwoStep.user_id == user_id))


def new_recovery_codes(user_id: int) -> list[str]:
    """A new set of recovery codes; the old set stops working."""
    codes = recovery_codes.new_codes()
    with db.transaction() as session:
        session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
        session.add_all(_code_rows(user_id, codes))
    return codes


def _code_rows(user_id: int, codes: list[str]) -> list[RecoveryCode]:
    box = secret_box()
    return [
        RecoveryCode(user_id=user_id, code_hash=box.fingerprint(code.replace("-", "")))
        for code in codes
    ]


def forget(user_id: int) -> None:
    """The account is gone: drop its pending setup and its last accepted step."""
    redis_store.client.delete(_setup_key(user_id))
    _ledger().forget(user_id)

"""The signed-in user's two-step verification: its state, turning it on (a setup, then a first
code) and off, and a new set of recovery codes. Every change checks the password, a code or
both, against the same failure limits as sign-in."""

from __future__ import annotations

from flask import Blueprint, g

from backend import accounts, responses, two_step
from backend.auth import own_password_attempt, require_auth
from backend.contract import endpoint
from backend.schemas import PasswordAndCodeBody, PasswordBody, TotpCodeBody

bp = Blueprint("two_step", __name__)


@bp.get("/two-step")
@require_auth
@endpoint(responses.TwoStepStatus)
def get_status():
    """Whether two-step verification is on, and how many recovery codes are left."""
    return two_step.status(accounts.get_user(g.user_id).id)  # 401 once the account is gone


@bp.post("/two-step/setup")
@require_auth
@endpoint(responses.TwoStepSetup, body=PasswordBody, errors=(409, 429))
def start_setup(body: PasswordBody):
    """Start turning two-step verification on: a new secret, for the authenticator app."""
    with own_password_attempt() as user:
        accounts.check_current_password(user, body.password, "password")
    return two_step.start_setup(user)


@bp.post("/two-step/enable")
@require_auth
@endpoint(responses.TwoStepEnabled, body=TotpCodeBody, errors=(409, 429))
def enable(body: TotpCodeBody):
    """Turn two-step verification on with a first code from the app; answers the recovery codes."""
    with own_password_attempt() as user:
        codes = two_step.enable(user, body.code)
    return {"enabled": True, "recoveryCodes": codes}


def _check_password_and_code(body: PasswordAndCodeBody) -> int:
    """The signed-in user's id, once their password and a current code are checked."""
    with own_password_attempt() as user:
        if not two_step.is_on(user.id):
            raise two_step.two_step_off()
        accounts.check_current_password(user, body.password, "password")
        two_step.check_code(user.id, body.code)
    return user.id


@bp.post("/two-step/disable")
@require_auth
@endpoint(responses.TwoStepDisabled, body=PasswordAndCodeBody, errors=(409, 429))
def disable(body: PasswordAndCodeBody):
    """Turn two-step verification off; needs the password and a current code."""
    two_step.disable(_check_password_and_code(body))
    return {"enabled": False}


@bp.post("/two-step/recovery-codes")
@require_auth
@endpoint(responses.RecoveryCodes, body=PasswordAndCodeBody, errors=(409, 429))
def new_recovery_codes(body: PasswordAndCodeBody):
    """A new set of recovery codes (the old set stops working); needs the password and a code."""
    return {"recoveryCodes": two_step.new_recovery_codes(_check_password_and_code(body))}

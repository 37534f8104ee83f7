"""The user's own profile: read it (with their rank) and change it (the original /profile
contract), and delete the account."""

from __future__ import annotations

from flask import Blueprint, g, jsonify

from backend import accounts, responses, two_step
from backend.account_deletion import delete_account
from backend.auth import own_password_attempt, require_auth, require_own_user
from backend.contract import endpoint
from backend.errors import invalid_input
from backend.ranking import ranking
from backend.schemas import ENTER_A_CODE, DeleteAccountBody, ProfileBody

bp = Blueprint("profile", __name__)


@bp.get("/profile/<int:user_id>")
@require_auth(along=lambda user_id: ranking().member_rank_call(user_id))
@endpoint(responses.Profile, errors=(403,))
def get_profile(user_id: int):
    """The signed-in user's profile, with their rank by entries."""
    require_own_user(user_id)
    return accounts.profile(user_id, rank_along=g.along)


@bp.post("/profile/<int:user_id>")
@require_auth
@endpoint(responses.Success, body=ProfileBody, errors=(403,))
def update_profile(user_id: int, body: ProfileBody):
    """Save name, age and pet; fields left out stay unchanged."""
    require_own_user(user_id)
    accounts.update_profile(accounts.get_user(user_id), body.form_input)
    return jsonify("success")


@bp.delete("/profile/<int:user_id>")
@require_auth
@endpoint(responses.AccountDeleted, body=DeleteAccountBody, errors=(403, 429))
def delete_profile(user_id: int, body: DeleteAccountBody):
    """Delete the account; needs the password, the email typed out, and a code if two-step is on."""
    require_own_user(user_id)
    with own_password_attempt() as user:
        if body.email.lower() != user.email.strip().lower():
            raise invalid_input({"email": "Type your email exactly as shown."})
        code = _code_if_on(user.id, body.code)
        accounts.check_current_password(user, body.password, "password")
        if code is not None:
            two_step.check_code(user.id, code)
    delete_account(user)
    return {"success": True, "deleted": True}


def _code_if_on(user_id: int, code: str | None) -> str | None:
    """The code to check: required while two-step is on; None (none checked) while it is off."""
    if not two_step.is_on(user_id):
        return None
    if code is None:
        raise invalid_input({"code": ENTER_A_CODE})
    return code

"""The account's password: change it."""

from __future__ import annotations

from flask import Blueprint, g

from backend import accounts, responses
from backend.auth import own_password_attempt, require_auth
from backend.contract import endpoint
from backend.extensions import tokens
from backend.schemas import ChangePasswordBody

bp = Blueprint("password", __name__)


@bp.post("/password")
@require_auth
@endpoint(responses.Done, body=ChangePasswordBody, errors=(429,))
def change_password(body: ChangePasswordBody):
    """Change the password; every other session ends."""
    with own_password_attempt() as user:
        accounts.change_password(user, body.current_password, body.new_password)
    tokens.store.revoke_all(g.user_id, keep_session_id=g.session_id)
    return {"success": True}

"""The user's own profile: read it (with their rank) and change it (the original /profile
contract)."""

from __future__ import annotations

from flask import Blueprint, g, jsonify

from backend import accounts, responses
from backend.auth import require_auth, require_own_user
from backend.contract import endpoint
from backend.ranking import ranking
from backend.schemas import ProfileBody

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

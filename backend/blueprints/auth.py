"""Register, sign in (with a password or by restoring a session) and sign out."""

from __future__ import annotations

from flask import Blueprint, g, request

from backend import accounts
from backend.auth import presented_token, require_auth, session_ended
from backend.extensions import tokens
from backend.models import User
from backend.rate_limits import rate_limited, register_limits, remember_address, sign_in_limits
from backend.schemas import RegisterBody, SignInBody
from backend.validation import parse_body

bp = Blueprint("auth", __name__)


def _device(label: str | None) -> str:
    return (label or request.user_agent.string or "Unknown device")[:100]


def _session_response(user: User, token: str) -> dict:
    return {"success": "true", "userId": user.id, "token": token, "user": user.to_json()}


@bp.post("/register")
@rate_limited(register_limits)
def register():
    """Create an account and sign it in."""
    body = parse_body(RegisterBody)
    user, token = accounts.register(
        body.name,
        body.email,
        body.password,
        start_session=lambda new_user: tokens.store.issue(new_user.id, _device(body.device)),
        end_session=tokens.store.revoke,
    )
    return {**user.to_json(), **_session_response(user, token)}


@bp.post("/signin")
@rate_limited(sign_in_limits)
def sign_in():
    """Sign in with email and password, or restore a session from its token."""
    has_credentials = bool(request.get_data(cache=True).strip())
    token = presented_token()
    if token is not None and not has_credentials:
        session = tokens.store.resolve(token)
        if session is None:
            raise session_ended()
        return {"id": session.user_id}
    body = parse_body(SignInBody)
    user = accounts.authenticate(body.email, body.password)
    remember_address(body.email)
    return _session_response(user, tokens.store.issue(user.id, _device(body.device)))


@bp.post("/signout")
@require_auth
def sign_out():
    """End the presented session at once."""
    tokens.store.revoke(g.token)
    return {"success": True}

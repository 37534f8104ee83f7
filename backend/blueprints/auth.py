"""Register, sign in (with a password, then a two-step code where it is on, or by restoring a
session), and sign out: of this session, or of every session at once."""

from __future__ import annotations

from flask import Blueprint, g, request

from backend import accounts, responses, two_step
from backend.auth import own_password_attempt, presented_token, require_auth
from backend.challenges import LIFETIME_SECONDS
from backend.contract import endpoint
from backend.errors import ApiError, WrongCode, session_ended
from backend.extensions import tokens
from backend.models import User
from backend.rate_limits import password_attempt, rate_limited, remember_address
from backend.schemas import PasswordBody, RegisterBody, SignInBody, SignInCodeBody

bp = Blueprint("auth", __name__)


def _device(label: str | None) -> str:
    return (label or request.user_agent.string or "Unknown device")[:100]


def _session_response(user: User, token: str) -> dict:
    return {"success": "true", "userId": user.id, "token": token, "user": user.to_json()}


@bp.post("/register")
@rate_limited("address", "register")
@endpoint(responses.Registered, body=RegisterBody, errors=(409, 429))
def register(body: RegisterBody):
    """Create an account and sign it in."""
    user, token = accounts.register(body.name, body.email, body.password, _device(body.device))
    return {**user.to_json(), **_session_response(user, token)}


def _sends_no_credentials() -> bool:
    """An empty body, or (with a token, as the original server allows) none of the credentials.

    The original server restores the session of any sign-in that carries Authorization; here
    a sign-in that also sends an email or a password signs in with them.
    """
    if not request.get_data(cache=True).strip():
        return True
    sent = request.get_json(silent=True) if "Authorization" in request.headers else None
    return isinstance(sent, dict) and not sent.keys() & {"email", "password"}


@bp.post("/signin")
@rate_limited("address")
@endpoint(
    (responses.Session, responses.Restored),
    body=SignInBody,
    body_absent_when=_sends_no_credentials,
    errors=(401, 429),
)
def sign_in(body: SignInBody | None):
    """Sign in with email and password, or (no credentials) restore the session of the token."""
    if body is None:
        return _restore()
    with password_attempt(body.email):
        user = accounts.authenticate(body.email, body.password)
    device = _device(body.device)
    if two_step.is_on(user.id):
        raise _second_step_required(two_step.challenges().start(user.id, device))
    remember_address(body.email)
    return _session_response(user, _new_session(user.id, device))


def _new_session(user_id: int, device: str) -> str:
    """A new session's token, unless the account was deleted while this sign-in ran.

    A deletion commits, then ends the sessions it finds: a session started before that ends
    with them, and one started after finds no account here and is ended at once.
    """
    token = tokens.store.issue(user_id, device)
    if not accounts.still_exists(user_id):
        tokens.store.revoke(token)
        raise session_ended()
    return token


def _second_step_required(challenge: str) -> ApiError:
    """401: the password was right; a code must follow, with this challenge (the original web
    front end, which knows no second step, stays on its form)."""
    return ApiError(
        401,
        "second_step_required",
        "This account uses two-step verification. Enter the code from your authenticator app.",
        extra={"challenge": challenge, "expiresIn": LIFETIME_SECONDS},
    )


def _challenge_expired() -> ApiError:
    return ApiError(401, "challenge_expired", "This sign-in has expired. Please sign in again.")


@bp.post("/signin/code")
@rate_limited("address")
@endpoint(responses.SessionByCode, body=SignInCodeBody, errors=(401, 429))
def sign_in_with_code(body: SignInCodeBody):
    """Finish a two-step sign-in: the password step's challenge and a code, for a session."""
    challenges = two_step.challenges()
    challenge = challenges.find(body.challenge)
    user = accounts.find_user(challenge.user_id) if challenge else None
    if challenge is None or user is None or not two_step.is_on(user.id):
        raise _challenge_expired()
    if body.device is not None and _device(body.device) != challenge.device:
        raise _challenge_expired()  # bound to the device that signed in
    try:
        with password_attempt(user.email):
            codes_left = two_step.check_code(user.id, body.code)
    except WrongCode:
        challenges.count_wrong_code(body.challenge)
        raise
    if not challenges.spend(body.challenge):
        raise _challenge_expired()  # a concurrent request with the same challenge won
    remember_address(user.email)
    session = _session_response(user, _new_session(user.id, challenge.device))
    return session if codes_left is None else {**session, "recoveryCodesLeft": codes_left}


def _restore() -> dict:
    """The user id of the presented token's session: what a stored token is restored with."""
    if "Authorization" not in request.headers:
        raise ApiError(400, "invalid_json", "Send an email and a password to sign in.")
    token = presented_token()
    session = tokens.store.resolve(token) if token else None
    if session is None:
        raise session_ended()
    return {"id": session.user_id}


@bp.post("/signout")
@require_auth
@endpoint(responses.Done)
def sign_out():
    """End the presented session at once."""
    tokens.store.revoke(g.token)
    return {"success": True}


@bp.post("/signout/everywhere")
@require_auth
@endpoint(responses.SignedOutEverywhere, body=PasswordBody, errors=(429,))
def sign_out_everywhere(body: PasswordBody):
    """End every session of the user, this one included; needs the current password."""
    with own_password_attempt() as user:
        accounts.check_current_password(user, body.password, "password")
    return {"success": True, "revoked": tokens.store.revoke_all(g.user_id)}

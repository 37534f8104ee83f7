"""The user's sessions (their devices signed in): list them, and end one."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, g

from backend import responses
from backend.auth import require_auth
from backend.contract import endpoint
from backend.errors import ApiError
from backend.extensions import tokens
from backend.token_store import SessionInfo

bp = Blueprint("sessions", __name__)


def _iso(ms: int) -> str:
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _session_json(info: SessionInfo) -> dict:
    return {
        "id": info.session_id,
        "device": info.device,
        "created": _iso(info.created_ms),
        "lastUsed": _iso(info.last_used_ms),
        "current": info.session_id == g.session_id,
    }


@bp.get("/sessions")
@require_auth
@endpoint(responses.Sessions)
def list_sessions():
    """The signed-in user's live sessions, newest first."""
    return {"sessions": [_session_json(s) for s in tokens.store.sessions(g.user_id)]}


@bp.delete("/sessions/<session_id>")
@require_auth
@endpoint(responses.Done)
def revoke_session(session_id: str):
    """End one of the user's own sessions."""
    if not tokens.store.revoke_session(g.user_id, session_id):
        raise ApiError(404, "not_found", "That session has already ended.")
    return {"success": True}

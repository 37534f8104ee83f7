"""The one require-auth decorator, and the current user it leaves on `g`."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

from flask import g, request

from backend.errors import ApiError
from backend.extensions import tokens

View = TypeVar("View", bound=Callable)

_MAX_TOKEN_LENGTH = 256


def presented_token() -> str | None:
    """The token in `Authorization: <token>` or `Authorization: Bearer <token>`, if any."""
    header = request.headers.get("Authorization", "").strip()
    scheme, _, rest = header.partition(" ")
    token = rest.strip() if scheme.lower() == "bearer" else header
    if not token or len(token) > _MAX_TOKEN_LENGTH or any(c.isspace() for c in token):
        return None
    return token


def session_ended() -> ApiError:
    return ApiError(401, "unauthorized", "Your session has ended. Please sign in again.")


def require_auth(view: View) -> View:
    """Let the view run only for a live session; sets g.user_id, g.session_id and g.token."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        token = presented_token()
        if token is None:
            raise ApiError(401, "unauthorized", "Please sign in.")
        session = tokens.store.resolve(token)
        if session is None:
            raise session_ended()
        g.user_id = session.user_id
        g.session_id = session.session_id
        g.token = token
        return view(*args, **kwargs)

    wrapper.requires_auth = True  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def require_own_user(user_id: int | None) -> None:
    """403 unless `user_id` is the signed-in user's own (absent means "me")."""
    if user_id is not None and user_id != g.user_id:
        raise ApiError(403, "forbidden", "You may only see and change your own account.")

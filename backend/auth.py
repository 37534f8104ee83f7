"""The one require-auth decorator, the current user it leaves on `g`, and re-checks of that
user's password."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from flask import g, request

from backend import accounts
from backend.contract import protect
from backend.errors import ApiError, session_ended
from backend.extensions import tokens
from backend.models import User
from backend.rate_limits import password_attempt
from backend.script_calls import ScriptCall

View = TypeVar("View", bound=Callable)
Along = Callable[..., ScriptCall]

_MAX_TOKEN_LENGTH = 256


def presented_token() -> str | None:
    """The token in `Authorization: <token>` or `Authorization: Bearer <token>`, if any."""
    header = request.headers.get("Authorization", "").strip()
    scheme, _, rest = header.partition(" ")
    token = rest.strip() if scheme.lower() == "bearer" else header
    if not token or len(token) > _MAX_TOKEN_LENGTH or any(c.isspace() for c in token):
        return None
    return token


def require_auth(view: View | None = None, *, along: Along | None = None) -> Any:
    """Let the view run only for a live session; sets g.user_id, g.session_id and g.token.

    `along(**view_arguments)`, when given, names a Redis script call the view will need; it
    is sent in the session's round trip and its answer left on g.along (None when absent).
    """
    if view is None:
        return functools.partial(require_auth, along=along)

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        token = presented_token()
        if token is None:
            raise ApiError(401, "unauthorized", "Please sign in.")
        session, g.along = tokens.store.resolve_along(token, along(**kwargs) if along else None)
        if session is None:
            raise session_ended()
        g.user_id = session.user_id
        g.session_id = session.session_id
        g.token = token
        return view(*args, **kwargs)

    protect(wrapper)
    return wrapper


def require_own_user(user_id: int | None) -> None:
    """403 unless `user_id` is the signed-in user's own (absent means "me")."""
    if user_id is not None and user_id != g.user_id:
        raise ApiError(403, "forbidden", "You may only see and change your own account.")


@contextmanager
def own_password_attempt() -> Iterator[User]:
    """The signed-in user, whose password the block checks again: the check counts against
    the guessing limits like a sign-in (password_attempt), and a 429 comes before it."""
    user = accounts.get_user(g.user_id)
    with password_attempt(user.email):
        yield user

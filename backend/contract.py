"""The request contract: what each view takes and answers, declared once by its decorators.

`@endpoint` declares a view's bodies and errors, and parses its request body at run time;
`require_auth` marks its view protected. Both record it here, by the view's name. Once the
blueprints are registered, `bind(app)` resolves the records to the app's endpoints:
`operations(app)`, a dict by endpoint, is what /openapi.json reads; the endpoints taking
uploads keep their own body caps (http_policy).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypeVar

from flask import Flask, request
from pydantic import BaseModel

from backend.http_policy import keep_own_body_caps
from backend.validation import parse_body

View = TypeVar("View", bound=Callable)

_EXTENSION = "smartbrain.operations"


@dataclass(frozen=True)
class Operation:
    """One view's contract."""

    summary: str  # the first line of the view's docstring
    response: tuple[type[BaseModel], ...]
    body: type[BaseModel] | None
    # When it says so, the view is handed None for its body: the request sends none.
    body_absent_when: Callable[[], bool] | None
    errors: tuple[int, ...]  # statuses beyond those every operation may answer
    upload_field: str | None  # a multipart field taking an upload, with its own size cap
    protected: bool = False  # needs a live session


_declared: dict[str, Operation] = {}
_protected: set[str] = set()


def _name(view: Callable) -> str:
    """The view's name: the same for the view and for every wrapper made with functools.wraps."""
    return f"{view.__module__}.{view.__qualname__}"


def endpoint(
    response: type[BaseModel] | tuple[type[BaseModel], ...],
    *,
    body: type[BaseModel] | None = None,
    body_absent_when: Callable[[], bool] | None = None,
    errors: tuple[int, ...] = (),
    upload_field: str | None = None,
) -> Callable[[View], View]:
    """Declare a view's contract; with `body`, the view receives the validated body.

    The view receives None instead when `body_absent_when()` says the request sends none, or
    when it uploads a file in `upload_field`.
    """
    answers = response if isinstance(response, tuple) else (response,)

    def decorate(view: View) -> View:
        summary = (view.__doc__ or "").strip().splitlines()[0]
        operation = Operation(summary, answers, body, body_absent_when, errors, upload_field)
        _declared[_name(view)] = operation
        if body is None:
            return view

        @functools.wraps(view)
        def with_body(*args, **kwargs):
            absent = (body_absent_when and body_absent_when()) or (
                upload_field and request.mimetype == "multipart/form-data"
            )
            kwargs["body"] = None if absent else parse_body(body)
            return view(*args, **kwargs)

        return with_body  # type: ignore[return-value]

    return decorate


def protect(view: Callable) -> None:
    """Record that the view needs a live session (require_auth calls this)."""
    _protected.add(_name(view))


def bind(app: Flask) -> None:
    """Resolve the declared operations to the app's endpoints (after its blueprints)."""
    bound = {
        endpoint: replace(_declared[name], protected=name in _protected)
        for endpoint, view in app.view_functions.items()
        if (name := _name(view)) in _declared
    }
    app.extensions[_EXTENSION] = bound
    keep_own_body_caps(app, {endpoint for endpoint, op in bound.items() if op.upload_field})


def operations(app: Flask) -> dict[str, Operation]:
    """The app's operations by endpoint; views declared with no `@endpoint` have none."""
    return app.extensions[_EXTENSION]

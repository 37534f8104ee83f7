"""What every response carries: a request id, security headers, CORS, and an access log line.

Also the JSON parser the app uses, which turns nesting deep enough to exhaust Python's
recursion into an ordinary "not JSON" error instead of a 500.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, Response, current_app, g, request
from flask.json.provider import DefaultJSONProvider
from flask_cors import CORS
from werkzeug.exceptions import RequestEntityTooLarge

access_log = logging.getLogger("smartbrain.access")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Cross-Origin-Resource-Policy": "same-site",
    "Cache-Control": "no-store",
}


class SafeJSONProvider(DefaultJSONProvider):
    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


def request_id() -> str:
    return g.get("request_id", "")


def _start_request() -> None:
    offered = request.headers.get("X-Request-Id", "")
    g.request_id = offered if _REQUEST_ID.match(offered) else uuid.uuid4().hex
    g.request_started = time.perf_counter()
    _refuse_oversized_body()


def _refuse_oversized_body() -> None:
    """413 for a declared body over the cap, before any view runs.

    Werkzeug enforces the cap only when the body is read, so a view that never reads its body
    (sign-out, ending a session) would otherwise do its work and answer 2xx. A view that takes
    uploads sets its own, larger cap and enforces it itself.
    """
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(getattr(view, "operation", None), "upload_field", None):
        return
    limit, length = request.max_content_length, request.content_length
    if limit is not None and length is not None and length > limit:
        raise RequestEntityTooLarge()


def _finish_response(response: Response) -> Response:
    response.headers["X-Request-Id"] = request_id()
    for name, value in _SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    elapsed_ms = (time.perf_counter() - g.get("request_started", time.perf_counter())) * 1000
    # The path only: no query string, no headers, no body, so no token or password.
    access_log.info(
        "%s %s %s %d %.1fms id=%s",
        request.remote_addr,
        request.method,
        request.path,
        response.status_code,
        elapsed_ms,
        request_id(),
    )
    return response


def init_http_policy(app: Flask, cors_origins: list[str]) -> None:
    app.json_provider_class = SafeJSONProvider
    app.json = SafeJSONProvider(app)
    app.before_request(_start_request)
    app.after_request(_finish_response)
    if cors_origins:
        CORS(
            app,
            origins=cors_origins,
            allow_headers=["Authorization", "Content-Type", "X-Request-Id"],
            expose_headers=["X-Request-Id", "Retry-After"],
            methods=["GET", "POST", "PUT", "DELETE"],
            max_age=600,
        )

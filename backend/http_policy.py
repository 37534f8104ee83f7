"""What every response carries: a request id, security headers, CORS, and an access log line.

A declared body over the cap is refused before any view runs (uploads keep their own cap).

Also who the client is behind trusted reverse proxies, and the allowed CORS origins.

Also the JSON parser the app uses, which turns nesting deep enough to exhaust Python's
recursion into an ordinary "not JSON" error instead of a 500.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import secrets
import time
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, request
from flask.json.provider import DefaultJSONProvider
from flask_cors import CORS
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

access_log = logging.getLogger("smartbrain.access")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_SECURITY_HEADERS = [  # each added unless the view set its own
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"),
    ("Cross-Origin-Resource-Policy", "same-site"),
    ("Cache-Control", "no-store"),
]


_OWN_BODY_CAP = "smartbrain.own_body_cap"
_HOST_NAME = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def parse_cors_origins(raw: str) -> list[str]:
    """SMARTBRAIN_CORS_ORIGINS: comma-separated exact origins, as a browser sends them.

    Each value is scheme://host[:port] (http or https; no path, no wildcard, no pattern),
    lower-cased and without its scheme's default port. Raises ValueError otherwise.
    """
    return [_exact_origin(value.strip()) for value in raw.split(",") if value.strip()]


def _exact_origin(value: str) -> str:
    refused = ValueError(
        f"SMARTBRAIN_CORS_ORIGINS: {value!r} is not an origin; each value must be "
        "scheme://host[:port] exactly (http or https, no path, no wildcard or pattern)"
    )
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise refused from None
    scheme, host = parts.scheme.lower(), (parts.hostname or "")
    well_formed = (
        scheme in _DEFAULT_PORTS
        and value.lower().startswith(f"{scheme}://")
        and not (parts.path or parts.query or parts.fragment or "@" in parts.netloc)
        and not parts.netloc.endswith(":")
        and port != 0
    )
    if not well_formed or not _is_host(host, bracketed=parts.netloc.startswith("[")):
        raise refused
    shown_host = f"[{host}]" if ":" in host else host
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{shown_host}"
    return f"{scheme}://{shown_host}:{port}"


def _is_host(host: str, *, bracketed: bool) -> bool:
    if bracketed:
        try:
            return ipaddress.ip_address(host).version == 6
        except ValueError:
            return False
    return bool(_HOST_NAME.fullmatch(host))


def _exactly(origin: str) -> re.Pattern[str]:
    """The origin as flask-cors must see it: a pattern matching that one string.

    flask-cors takes a plain string with a regex character in it ([, *, ?...) for a regular
    expression, and matches patterns from the start only: http://[::1]:3001 would match
    http://1:3001.evil.example. Schemes and hosts compare without case.
    """
    return re.compile(re.escape(origin) + r"\Z", re.IGNORECASE)


def behind_proxies(wsgi_app: WSGIApplication, hops: int) -> ProxyFix:
    """The app behind `hops` trusted reverse proxies (SMARTBRAIN_TRUSTED_PROXIES).

    The client's address and scheme are what the last `hops` entries of X-Forwarded-For and
    X-Forwarded-Proto say (the entries those proxies appended; what the client wrote before
    them is never read). A forwarded address with a port loses the port; one that is not an
    IP address at all is not believed, and the nearest proxy's address stays.
    """

    def with_a_plain_client_address(environ: WSGIEnvironment, start_response: StartResponse):
        before = environ.get("werkzeug.proxy_fix.orig", {}).get("REMOTE_ADDR")
        forwarded = environ.get("REMOTE_ADDR", "")
        if before is not None and forwarded != before:
            environ["REMOTE_ADDR"] = _plain_address(forwarded) or before
        return wsgi_app(environ, start_response)

    return ProxyFix(with_a_plain_client_address, x_for=hops, x_proto=hops)


def _plain_address(value: str) -> str | None:
    """The IP address in `value` ("203.0.113.7", "203.0.113.7:5000", "[2001:db8::7]:443")."""
    if value.startswith("[") and "]" in value:
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:
        value = value.partition(":")[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


class SafeJSONProvider(DefaultJSONProvider):
    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


def request_id() -> str:
    return g.get("request_id", "")


def _start_request() -> None:
    offered = request.environ.get("HTTP_X_REQUEST_ID", "")
    g.request_id = offered if _REQUEST_ID.match(offered) else secrets.token_hex(16)
    g.request_started = time.perf_counter()
    if request.content_length is not None:
        _refuse_oversized_body()


def _refuse_oversized_body() -> None:
    """413 for a declared body over the cap, before any view runs.

    Werkzeug enforces the cap only when the body is read, so a view that never reads its body
    (sign-out, ending a session) would otherwise do its work and answer 2xx. A view that takes
    uploads sets its own, larger cap and enforces it itself.
    """
    if request.endpoint in current_app.extensions[_OWN_BODY_CAP]:
        return
    limit, length = request.max_content_length, request.content_length
    if limit is not None and length is not None and length > limit:
        raise RequestEntityTooLarge()


def keep_own_body_caps(app: Flask, endpoints: set[str]) -> None:
    """Leave the body cap of these endpoints (those taking uploads) to their views."""
    app.extensions[_OWN_BODY_CAP] = frozenset(endpoints)


def _finish_response(response: Response) -> Response:
    headers = response.headers
    present = {name.lower() for name, _value in headers.items()}
    headers.extend(
        [(name, value) for name, value in _SECURITY_HEADERS if name.lower() not in present]
    )
    headers.add("X-Request-Id", request_id())
    if request.is_secure and "strict-transport-security" not in present:
        headers.add("Strict-Transport-Security", "max-age=31536000")
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


def init_http_policy(app: Flask) -> None:
    """Request ids, security headers, the access log and CORS (app.config["CORS_ORIGINS"])."""
    cors_origins = app.config["CORS_ORIGINS"]
    app.json_provider_class = SafeJSONProvider
    app.json = SafeJSONProvider(app)
    app.before_request(_start_request)
    app.after_request(_finish_response)
    if cors_origins:
        CORS(
            app,
            origins=[_exactly(origin) for origin in cors_origins],
            allow_headers=["Authorization", "Content-Type", "X-Request-Id"],
            expose_headers=["X-Request-Id", "Retry-After"],
            methods=["GET", "POST", "PUT", "DELETE"],
            max_age=600,
        )

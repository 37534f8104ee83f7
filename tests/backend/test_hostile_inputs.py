"""Hostile requests to every endpoint: each gets its documented 4xx in the one error shape, and
the database and Redis are exactly as they were before it.

The app in this module is built with rate limits off (`config.rate_limits =
parse_rate_limits("off")` before `create_app`): the limiter's counters are Redis state that
every request moves, refused or not. One test at the end turns them on and checks that a
refused sign-in changes nothing but the limiter's own keys (`LIMITS:...`, the `limits`
library's prefix).

Every request that presents a live token stamps that session's `used` time and slides its idle
expiry, refused or not: the session was used. The token store's clock is frozen for these
tests, so that stamp rewrites the value it already holds and the snapshots can be compared
value for value. TTLs are compared by presence, not by their remaining milliseconds.
"""

from __future__ import annotations

import http.client
import json
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import pyotp
import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from backend import token_store
from backend.extensions import db
from backend.rate_limits import parse_rate_limits
from tests.backend.faces import bombs
from tests.conftest import TEST_PASSWORD, built_app

MB = 1024 * 1024
HUGE_ID = 99999999999999999999


# --- snapshots -------------------------------------------------------------------------------


def database_snapshot(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order (SELECT * ORDER BY id)."""
    with engine.connect() as connection:
        inspector = inspect(connection)
        quote = connection.dialect.identifier_preparer.quote
        tables = {}
        for name in sorted(inspector.get_table_names()):
            order = inspector.get_pk_constraint(name)["constrained_columns"] or [
                column["name"] for column in inspector.get_columns(name)
            ]
            query = f"SELECT * FROM {quote(name)} ORDER BY {', '.join(map(quote, order))}"
            tables[name] = [tuple(row) for row in connection.execute(text(query))]
    return tables


_READERS: dict[str, Callable[[Any, str], Any]] = {
    "string": lambda r, key: r.get(key),
    "hash": lambda r, key: sorted(r.hgetall(key).items()),
    "set": lambda r, key: sorted(r.smembers(key)),
    "list": lambda r, key: r.lrange(key, 0, -1),
    "zset": lambda r, key: r.zrange(key, 0, -1, withscores=True),
}


def redis_snapshot(redis) -> dict[str, tuple]:
    """Every key with its type, its whole value, and whether it has a TTL."""
    snapshot = {}
    for key in sorted(redis.scan_iter(count=1000)):
        kind = redis.type(key)
        snapshot[key] = (kind, _READERS[kind](redis, key), redis.pttl(key) >= 0)
    return snapshot


def changed_keys(before: dict, after: dict) -> set[str]:
    return {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}


# --- the world each case runs in ---------------------------------------------------------------


@dataclass
class World:
    """Four users (`me`, `other`, `third`, and `twostep` with two-step verification on), their
    tokens and session ids, a revoked token."""

    ids: dict[str, int]
    tokens: dict[str, str]
    sids: dict[str, str]
    emails: dict[str, str]

    @property
    def vars(self) -> dict[str, Any]:
        return {
            "me": self.ids["me"],
            "other": self.ids["other"],
            "third": self.ids["third"],
            "twostep": self.ids["twostep"],
            "my_sid": self.sids["me"],
            "other_sid": self.sids["other"],
        }


@pytest.fixture
def app(config):
    """The app with rate limits off, so refused requests leave Redis exactly as it was."""
    config.rate_limits = parse_rate_limits("off")
    with built_app(config) as app:
        yield app


@pytest.fixture
def frozen_clock(monkeypatch) -> int:
    now = int(time.time() * 1000)
    monkeypatch.setattr(token_store, "_now_ms", lambda: now)
    return now


@pytest.fixture
def world(client, accounts, frozen_clock) -> World:
    users = {who: accounts.register(who.title()) for who in ("me", "other", "third", "twostep")}
    tokens = {who: signed_in.token for who, signed_in in users.items()}
    turn_on_two_step(client, tokens["twostep"])
    email = users["me"].user["email"]
    revoked = client.post("/signin", json={"email": email, "password": TEST_PASSWORD})
    tokens["revoked"] = revoked.get_json()["token"]
    assert client.post("/signout", headers={"Authorization": tokens["revoked"]}).status_code == 200
    sids = {}
    for who in ("me", "other"):
        listed = client.get("/sessions", headers={"Authorization": tokens[who]}).get_json()
        sids[who] = next(s["id"] for s in listed["sessions"] if s["current"])
    return World(
        ids={who: u.user["id"] for who, u in users.items()},
        tokens=tokens,
        sids=sids,
        emails={who: u.user["email"] for who, u in users.items()},
    )


def turn_on_two_step(client, token: str) -> None:
    headers = {"Authorization": token}
    setup = client.post("/two-step/setup", headers=headers, json={"password": TEST_PASSWORD})
    code = pyotp.TOTP(setup.get_json()["secret"]).now()
    assert client.post("/two-step/enable", headers=headers, json={"code": code}).status_code == 200


# --- the cases -------------------------------------------------------------------------------

ENDPOINTS = {
    "POST /register": ("POST", "/register"),
    "POST /signin (password)": ("POST", "/signin"),
    "POST /signin (token)": ("POST", "/signin"),
    "POST /signin/code": ("POST", "/signin/code"),
    "POST /signout": ("POST", "/signout"),
    "POST /signout/everywhere": ("POST", "/signout/everywhere"),
    "GET /sessions": ("GET", "/sessions"),
    "DELETE /sessions/<id>": ("DELETE", "/sessions/{my_sid}"),
    "POST /password": ("POST", "/password"),
    "GET /profile/<id>": ("GET", "/profile/{me}"),
    "POST /profile/<id>": ("POST", "/profile/{me}"),
    "DELETE /profile/<id>": ("DELETE", "/profile/{me}"),
    "GET /two-step": ("GET", "/two-step"),
    "POST /two-step/setup": ("POST", "/two-step/setup"),
    "POST /two-step/enable": ("POST", "/two-step/enable"),
    "POST /two-step/disable": ("POST", "/two-step/disable"),
    "POST /two-step/recovery-codes": ("POST", "/two-step/recovery-codes"),
    "PUT /image": ("PUT", "/image"),
    "POST /imageurl": ("POST", "/imageurl"),
    "GET /health": ("GET", "/health"),
}

_UNSET: Any = object()
Value = Any  # a value, or a function of the World that makes it


@dataclass
class Case:
    """One hostile request and the answer it must get.

    `auth` names whose token goes in `Authorization` ("me", "other", "third", "revoked") or is
    None; `header` is a literal Authorization header instead. `json` is sent as JSON; `data`
    as the raw body with `content_type`. `method` and `path` default to the endpoint's; path
    placeholders are World.vars. `raw` cases go over real HTTP as the exact bytes given.
    """

    endpoint: str
    id: str
    status: int
    code: str
    field: str | None = None
    auth: str | None = "me"
    header: Value = None
    json: Value = _UNSET
    data: Value = None
    content_type: str | None = None
    method: str | None = None
    path: str | None = None
    raw: bytes | None = None
    raw_body: bytes = b""
    says: str | None = None  # a word the message for `field` must hold

    def resolve(self, world: World, value: Value) -> Any:
        return value(world) if callable(value) else value

    def target(self, world: World) -> tuple[str, str]:
        method, path = ENDPOINTS[self.endpoint]
        return self.method or method, (self.path or path).format(**world.vars)

    def headers(self, world: World) -> dict[str, str]:
        headers = {}
        if self.header is not None:
            headers["Authorization"] = self.resolve(world, self.header)
        elif self.auth is not None:
            headers["Authorization"] = world.tokens[self.auth]
        return headers


def spliced(obj: dict, *, then: str = "", **raw: str) -> str:
    """json.dumps(obj) with what json.dumps will not write: the JSON texts in `raw` as the
    values of those keys (lone surrogates, Infinity), and `then` (say, a duplicate key)
    appended as more members.
    """
    dumped = json.dumps({**obj, **{key: f"@{key}@" for key in raw}})
    for key, value in raw.items():
        dumped = dumped.replace(f'"@{key}@"', value)
    return dumped[:-1] + (", " + then if then else "") + "}"


NEW = {"name": "Eve", "email": "eve@example.com", "password": TEST_PASSWORD}
SURROGATE = '"\\ud800"'  # JSON for a lone surrogate, which no UTF-8 encoder accepts
BIG_BODY = '{"pad": "' + "x" * (2 * MB) + '"}'
DEEP = "[" * 200_000 + "]" * 200_000
FORGED = "k3y_" + "A" * 39
LONG_BEARER = "Bearer " + "a" * 10_240


def register(*args, **kwargs) -> Case:
    return Case("POST /register", *args, auth=kwargs.pop("auth", None), **kwargs)


def sign_in(*args, **kwargs) -> Case:
    return Case("POST /signin (password)", *args, auth=kwargs.pop("auth", None), **kwargs)


def restore(*args, **kwargs) -> Case:
    return Case("POST /signin (token)", *args, **kwargs)


def code_step(*args, **kwargs) -> Case:
    return Case("POST /signin/code", *args, auth=kwargs.pop("auth", None), **kwargs)


UNKNOWN_CHALLENGE = "c" * 43
CODE_STEP = {"challenge": UNKNOWN_CHALLENGE, "code": "123456"}
WRONG_RECOVERY_CODE = "zzzzz-zzzzz"
PASSWORD_AND_CODE = {"password": TEST_PASSWORD, "code": "123456"}


def deleting(who: str, **changes: Any) -> Callable[[World], dict]:
    """DELETE /profile's body for `who`: the right password and email, but for `changes`."""
    return lambda w: {"password": TEST_PASSWORD, "email": w.emails[who], **changes}


def upload(case_id: str, status: int, code: str, make: Callable[[], bytes]) -> Case:
    """POST /imageurl with the bytes `make` returns as the uploaded `image` (made when sent)."""

    def body(_world: World) -> bytes:
        head = b'--b\r\nContent-Disposition: form-data; name="image"; filename="p"\r\n\r\n'
        return head + make() + b"\r\n--b--\r\n"

    return Case(
        "POST /imageurl",
        case_id,
        status,
        code,
        data=body,
        content_type="multipart/form-data; boundary=b",
    )


CASES: list[Case] = [
    # POST /register
    register("register-malformed-json", 400, "invalid_json", data='{"name": "Eve",'),
    register("register-json-array", 400, "invalid_json", data="[1, 2, 3]"),
    register("register-empty-body", 400, "invalid_json", data=""),
    register(
        "register-form-encoded",
        400,
        "invalid_json",
        data="name=Eve&email=eve%40example.com&password=correct+horse+battery",
        content_type="application/x-www-form-urlencoded",
    ),
    register(
        "register-json-as-text-plain",
        400,
        "invalid_json",
        data=json.dumps(NEW),
        content_type="text/plain",
    ),
    register(
        "register-missing-password-extra-admin-fields",
        400,
        "invalid_input",
        "password",
        json={"name": "Eve", "email": "eve@example.com", "isAdmin": True, "id": 1, "entries": 9},
    ),
    register("register-name-number", 400, "invalid_input", "name", json={**NEW, "name": 42}),
    register(
        "register-email-list", 400, "invalid_input", "email", json={**NEW, "email": [NEW["email"]]}
    ),
    register(
        "register-sql-injection-email",
        400,
        "invalid_input",
        "email",
        json={**NEW, "email": "' OR 1=1 --"},
    ),
    register(
        "register-taken-email-other-case",
        409,
        "email_taken",
        "email",
        json=lambda w: {**NEW, "email": w.emails["me"].upper()},
    ),
    register(
        "register-taken-email-drop-table-name",
        409,
        "email_taken",
        "email",
        json=lambda w: {**NEW, "name": "'; DROP TABLE users; --", "email": w.emails["me"]},
    ),
    register(
        "register-script-name-short-password",
        400,
        "invalid_input",
        "password",
        json={**NEW, "name": "<script>alert(1)</script>", "password": "short"},
    ),
    register(
        "register-password-one-repeated-character",
        400,
        "invalid_input",
        "password",
        json={**NEW, "password": "🧠" * 20},
        says="common",
    ),
    register(
        "register-password-spaces-only",
        400,
        "invalid_input",
        "password",
        json={**NEW, "password": " " * 20},
        says="common",
    ),
    register("register-nul-in-name", 400, "invalid_input", "name", json={**NEW, "name": "E\x00ve"}),
    register(
        "register-nul-in-email",
        400,
        "invalid_input",
        "email",
        json={**NEW, "email": "eve\x00@example.com"},
    ),
    register(
        "register-lone-surrogate-name",
        400,
        "invalid_input",
        "name",
        data=spliced(NEW, name=SURROGATE),
    ),
    register(
        "register-lone-surrogate-email",
        400,
        "invalid_input",
        "email",
        data=spliced(NEW, email='"e\\ud800@example.com"'),
    ),
    register(
        "register-lone-surrogate-password",
        400,
        "invalid_input",
        "password",
        data='{"name": "Eve", "email": "eve@example.com", "password": "correct horse \\udfff"}',
    ),
    register(
        "register-lone-surrogate-device",
        400,
        "invalid_input",
        "device",
        data=spliced(NEW, device=SURROGATE),
    ),
    register(
        "register-invalid-utf8-body",
        400,
        "invalid_json",
        data=b'{"name": "\xff\xfe", "email": "eve@example.com", "password": "xxxxxxxxxx"}',
    ),
    register("register-2mb-body", 413, "payload_too_large", data=BIG_BODY),
    register(
        "register-900kb-name", 400, "invalid_input", "name", json={**NEW, "name": "x" * 900_000}
    ),
    register(
        "register-5000-char-password",
        400,
        "invalid_input",
        "password",
        json={**NEW, "password": "p" * 5000},
    ),
    register(
        "register-duplicate-keys-last-wins",
        400,
        "invalid_input",
        "email",
        data=spliced(NEW, then='"email": "nope"'),
    ),
    register("register-deeply-nested", 400, "invalid_json", data=DEEP),
    register("register-json-null", 400, "invalid_json", data="null"),
    # POST /signin with a password
    sign_in(
        "signin-wrong-password",
        400,
        "invalid_credentials",
        json=lambda w: {"email": w.emails["me"], "password": "wrong password"},
    ),
    sign_in(
        "signin-unknown-email",
        400,
        "invalid_credentials",
        json={"email": "nobody@example.com", "password": TEST_PASSWORD},
    ),
    sign_in(
        "signin-sql-injection-password",
        400,
        "invalid_credentials",
        json=lambda w: {"email": w.emails["me"], "password": "' OR 1=1 --"},
    ),
    sign_in(
        "signin-sql-injection-email",
        400,
        "invalid_input",
        "email",
        json={"email": "' OR '1'='1", "password": TEST_PASSWORD},
    ),
    sign_in(
        "signin-sql-injection-email-shaped-like-one",
        400,
        "invalid_credentials",
        json={"email": "x'OR'1'='1@example.com", "password": "' OR 1=1 --"},
    ),
    sign_in(
        "signin-script-email",
        400,
        "invalid_credentials",
        json={"email": "<script>alert(1)</script>@x.io", "password": TEST_PASSWORD},
    ),
    sign_in(
        "signin-email-number",
        400,
        "invalid_input",
        "email",
        json={"email": 12345, "password": TEST_PASSWORD},
    ),
    sign_in(
        "signin-password-null",
        400,
        "invalid_input",
        "password",
        json=lambda w: {"email": w.emails["me"], "password": None},
    ),
    sign_in(
        "signin-nul-in-password",
        400,
        "invalid_input",
        "password",
        json=lambda w: {"email": w.emails["me"], "password": TEST_PASSWORD + "\x00"},
    ),
    sign_in(
        "signin-lone-surrogate-email",
        400,
        "invalid_input",
        "email",
        data='{"email": "d\\ud800@example.com", "password": "whatever1"}',
    ),
    sign_in(
        "signin-device-number",
        400,
        "invalid_input",
        "device",
        json=lambda w: {"email": w.emails["me"], "password": TEST_PASSWORD, "device": 5},
    ),
    sign_in(
        "signin-duplicate-keys-last-password-wrong",
        400,
        "invalid_credentials",
        data=lambda w: spliced(
            {"email": w.emails["me"], "password": TEST_PASSWORD}, then='"password": "wrong one"'
        ),
    ),
    sign_in("signin-json-string", 400, "invalid_json", data='"dana@example.com"'),
    sign_in(
        "signin-form-encoded",
        400,
        "invalid_json",
        data="email=a%40b.cd&password=x",
        content_type="application/x-www-form-urlencoded",
    ),
    sign_in("signin-2mb-body", 413, "payload_too_large", data=BIG_BODY),
    # POST /signin with no body: restore the session of the token
    restore("restore-forged-token", 401, "unauthorized", header=FORGED),
    restore("restore-no-token", 400, "invalid_json", auth=None),
    restore("restore-revoked-token", 401, "unauthorized", auth="revoked"),
    restore("restore-bearer-10kb", 401, "unauthorized", header=LONG_BEARER),
    restore("restore-token-with-space", 401, "unauthorized", header="Bearer abc def"),
    restore("restore-non-ascii-token", 401, "unauthorized", header="Bearer tökén"),
    restore(
        "restore-whitespace-body-forged-token",
        401,
        "unauthorized",
        header=FORGED,
        data=" \n\t ",
    ),
    # POST /signout
    Case("POST /signout", "signout-no-token", 401, "unauthorized", auth=None),
    Case("POST /signout", "signout-forged-token", 401, "unauthorized", header=FORGED),
    Case("POST /signout", "signout-revoked-token", 401, "unauthorized", auth="revoked"),
    Case("POST /signout", "signout-bearer-10kb", 401, "unauthorized", header=LONG_BEARER),
    Case(
        "POST /signout", "signout-basic-auth", 401, "unauthorized", header="Basic ZGFuYTpodW50ZXIy"
    ),
    Case("POST /signout", "signout-2mb-body", 413, "payload_too_large", data=BIG_BODY),
    Case("POST /signout", "signout-by-get", 405, "method_not_allowed", method="GET"),
    # POST /signout/everywhere
    Case(
        "POST /signout/everywhere",
        "everywhere-wrong-password",
        400,
        "invalid_credentials",
        "password",
        json={"password": "not my password"},
    ),
    Case(
        "POST /signout/everywhere",
        "everywhere-missing-password",
        400,
        "invalid_input",
        "password",
        json={"passwd": TEST_PASSWORD},
    ),
    Case(
        "POST /signout/everywhere",
        "everywhere-password-list",
        400,
        "invalid_input",
        "password",
        json={"password": [TEST_PASSWORD]},
    ),
    Case(
        "POST /signout/everywhere",
        "everywhere-lone-surrogate-password",
        400,
        "invalid_input",
        "password",
        data='{"password": ' + SURROGATE + "}",
    ),
    Case(
        "POST /signout/everywhere",
        "everywhere-malformed-json",
        400,
        "invalid_json",
        data="{'password': 'single quotes'}",
    ),
    Case(
        "POST /signout/everywhere",
        "everywhere-no-token",
        401,
        "unauthorized",
        auth=None,
        json={"password": TEST_PASSWORD},
    ),
    # GET /sessions
    Case("GET /sessions", "sessions-no-token", 401, "unauthorized", auth=None),
    Case("GET /sessions", "sessions-random-token", 401, "unauthorized", header=FORGED),
    Case("GET /sessions", "sessions-bearer-10kb", 401, "unauthorized", header=LONG_BEARER),
    Case("GET /sessions", "sessions-token-with-space", 401, "unauthorized", header="Bearer a b"),
    Case("GET /sessions", "sessions-non-ascii-token", 401, "unauthorized", header="tök€n"),
    Case(
        "GET /sessions",
        "sessions-my-token-plus-junk",
        401,
        "unauthorized",
        header=lambda w: w.tokens["me"] + "x",
    ),
    Case(
        "GET /sessions",
        "sessions-stored-hash-as-token",
        401,
        "unauthorized",
        header=lambda w: token_store.hash_token(w.tokens["me"]),
    ),
    Case(
        "GET /sessions",
        "sessions-sql-injection-token",
        401,
        "unauthorized",
        header="'OR'1'='1'--",
    ),
    # DELETE /sessions/<id>
    Case(
        "DELETE /sessions/<id>",
        "delete-other-users-session",
        404,
        "not_found",
        path="/sessions/{other_sid}",
    ),
    Case(
        "DELETE /sessions/<id>",
        "delete-my-session-with-other-users-token",
        404,
        "not_found",
        auth="other",
    ),
    Case(
        "DELETE /sessions/<id>",
        "delete-path-traversal",
        404,
        "not_found",
        path="/sessions/..%2F..%2F..%2Fetc%2Fpasswd",
    ),
    Case(
        "DELETE /sessions/<id>",
        "delete-dot-dot",
        404,
        "not_found",
        path="/sessions/..",
    ),
    Case(
        "DELETE /sessions/<id>",
        "delete-sql-injection-id",
        404,
        "not_found",
        path="/sessions/'%20OR%201=1%20--",
    ),
    Case("DELETE /sessions/<id>", "delete-redis-glob-id", 404, "not_found", path="/sessions/*"),
    Case("DELETE /sessions/<id>", "delete-nul-id", 404, "not_found", path="/sessions/%00"),
    Case(
        "DELETE /sessions/<id>",
        "delete-invalid-utf8-id",
        404,
        "not_found",
        path="/sessions/%ff%fe%ed%a0%80",
    ),
    Case(
        "DELETE /sessions/<id>",
        "delete-10kb-id",
        404,
        "not_found",
        path="/sessions/" + "a" * 10_240,
    ),
    Case("DELETE /sessions/<id>", "delete-no-token", 401, "unauthorized", auth=None),
    Case("DELETE /sessions/<id>", "delete-2mb-body", 413, "payload_too_large", data=BIG_BODY),
    # POST /password
    Case(
        "POST /password",
        "password-wrong-current",
        400,
        "invalid_credentials",
        "currentPassword",
        json={"currentPassword": "not it at all", "newPassword": "sunlit harbour 7"},
    ),
    Case(
        "POST /password",
        "password-new-too-short",
        400,
        "invalid_input",
        "newPassword",
        json={"currentPassword": TEST_PASSWORD, "newPassword": "short"},
    ),
    Case(
        "POST /password",
        "password-new-common",
        400,
        "invalid_input",
        "newPassword",
        json={"currentPassword": TEST_PASSWORD, "newPassword": "123456789"},
    ),
    Case(
        "POST /password",
        "password-new-one-repeated-character",
        400,
        "invalid_input",
        "newPassword",
        json={"currentPassword": TEST_PASSWORD, "newPassword": "zZ" * 10},
        says="common",
    ),
    Case(
        "POST /password",
        "password-new-whitespace-only",
        400,
        "invalid_input",
        "newPassword",
        json={"currentPassword": TEST_PASSWORD, "newPassword": " \t\u3000 " * 4},
        says="common",
    ),
    Case(
        "POST /password",
        "password-new-2000-chars",
        400,
        "invalid_input",
        "newPassword",
        json={"currentPassword": TEST_PASSWORD, "newPassword": "n" * 2000},
    ),
    Case(
        "POST /password",
        "password-new-lone-surrogate",
        400,
        "invalid_input",
        "newPassword",
        data=spliced({"currentPassword": TEST_PASSWORD}, newPassword='"sunlit harbour \\ud800"'),
    ),
    Case(
        "POST /password",
        "password-snake-case-keys",
        400,
        "invalid_input",
        "currentPassword",
        json={"current_password": TEST_PASSWORD, "new_password": "sunlit harbour 7"},
    ),
    Case(
        "POST /password",
        "password-no-token",
        401,
        "unauthorized",
        auth=None,
        json={"currentPassword": TEST_PASSWORD, "newPassword": "sunlit harbour 7"},
    ),
    # GET /profile/<id>
    Case("GET /profile/<id>", "profile-get-other-user", 403, "forbidden", path="/profile/{other}"),
    Case(
        "GET /profile/<id>",
        "profile-get-third-user-with-other-users-token",
        403,
        "forbidden",
        auth="other",
        path="/profile/{third}",
    ),
    Case("GET /profile/<id>", "profile-get-negative-id", 404, "not_found", path="/profile/-1"),
    Case("GET /profile/<id>", "profile-get-huge-id", 403, "forbidden", path=f"/profile/{HUGE_ID}"),
    Case("GET /profile/<id>", "profile-get-float-id", 404, "not_found", path="/profile/{me}.0"),
    Case(
        "GET /profile/<id>",
        "profile-get-sql-injection-id",
        404,
        "not_found",
        path="/profile/1%20OR%201=1",
    ),
    Case("GET /profile/<id>", "profile-get-no-token", 401, "unauthorized", auth=None),
    Case("GET /profile/<id>", "profile-get-revoked-token", 401, "unauthorized", auth="revoked"),
    # POST /profile/<id>
    *[
        Case(
            "POST /profile/<id>",
            f"profile-age-{name}",
            400,
            "invalid_input",
            "age",
            json={"formInput": {"age": age}},
            says=says,
        )
        for name, age, says in [
            ("negative", -1, "between"),
            ("10-to-the-30", 10**30, "between"),
            ("float", 31.5, "whole"),
            ("boolean", True, "whole"),
            ("text-minus-one", "-1", "whole"),
            ("5000-digit-text", "9" * 5000, "between"),  # not int()'s own words
            ("list", [31], "whole"),
        ]
    ],
    Case(
        "POST /profile/<id>",
        "profile-age-infinity",
        400,
        "invalid_input",
        "age",
        data='{"formInput": {"age": Infinity}}',
    ),
    Case(
        "POST /profile/<id>",
        "profile-name-empty",
        400,
        "invalid_input",
        "name",
        json={"formInput": {"name": "   "}},
    ),
    Case(
        "POST /profile/<id>",
        "profile-name-null-with-valid-age",
        400,
        "invalid_input",
        "name",
        json={"formInput": {"age": 30, "pet": "cat", "name": None}},
    ),
    Case(
        "POST /profile/<id>",
        "profile-name-101-chars",
        400,
        "invalid_input",
        "name",
        json={"formInput": {"name": "n" * 101}},
    ),
    Case(
        "POST /profile/<id>",
        "profile-pet-number",
        400,
        "invalid_input",
        "pet",
        json={"formInput": {"pet": 7}},
    ),
    Case(
        "POST /profile/<id>",
        "profile-pet-nul",
        400,
        "invalid_input",
        "pet",
        json={"formInput": {"pet": "c\x00at"}},
    ),
    Case(
        "POST /profile/<id>",
        "profile-pet-lone-surrogate",
        400,
        "invalid_input",
        "pet",
        data='{"formInput": {"pet": ' + SURROGATE + "}}",
    ),
    Case(
        "POST /profile/<id>",
        "profile-name-lone-surrogate",
        400,
        "invalid_input",
        "name",
        data='{"formInput": {"name": "Da\\udc00na"}}',
    ),
    Case(
        "POST /profile/<id>",
        "profile-drop-table-name-with-bad-age",
        400,
        "invalid_input",
        "age",
        json={"formInput": {"name": "'; DROP TABLE users; --", "age": -1}},
    ),
    Case(
        "POST /profile/<id>",
        "profile-script-pet-with-bad-age",
        400,
        "invalid_input",
        "age",
        json={"formInput": {"pet": "<script>alert(1)</script>", "age": 10**30}},
    ),
    Case(
        "POST /profile/<id>",
        "profile-duplicate-keys-last-age-bad",
        400,
        "invalid_input",
        "age",
        data='{"formInput": {"age": 30, "age": -1}}',
    ),
    Case(
        "POST /profile/<id>",
        "profile-form-input-missing",
        400,
        "invalid_input",
        "formInput",
        json={"name": "Dana", "age": 30},
    ),
    Case(
        "POST /profile/<id>",
        "profile-form-input-list",
        400,
        "invalid_input",
        "formInput",
        json={"formInput": ["Dana", 30]},
    ),
    Case(
        "POST /profile/<id>",
        "profile-json-as-text-plain",
        400,
        "invalid_json",
        data='{"formInput": {"name": "Dana"}}',
        content_type="text/plain",
    ),
    Case(
        "POST /profile/<id>",
        "profile-other-user",
        403,
        "forbidden",
        path="/profile/{other}",
        json={"formInput": {"name": "Mallory"}},
    ),
    Case(
        "POST /profile/<id>",
        "profile-third-user-with-other-users-token",
        403,
        "forbidden",
        auth="other",
        path="/profile/{third}",
        json={"formInput": {"name": "Mallory"}},
    ),
    Case(
        "POST /profile/<id>",
        "profile-huge-id",
        403,
        "forbidden",
        path=f"/profile/{HUGE_ID}",
        json={"formInput": {"name": "Mallory"}},
    ),
    Case(
        "POST /profile/<id>",
        "profile-negative-id",
        404,
        "not_found",
        path="/profile/-1",
        json={"formInput": {"name": "Mallory"}},
    ),
    Case(
        "POST /profile/<id>",
        "profile-no-token",
        401,
        "unauthorized",
        auth=None,
        json={"formInput": {"name": "Mallory"}},
    ),
    Case("POST /profile/<id>", "profile-2mb-body", 413, "payload_too_large", data=BIG_BODY),
    # POST /signin/code
    code_step("code-unknown-challenge", 401, "challenge_expired", json=CODE_STEP),
    code_step(
        "code-session-token-as-challenge",
        401,
        "challenge_expired",
        json=lambda w: {**CODE_STEP, "challenge": w.tokens["me"]},
    ),
    code_step(
        "code-redis-glob-challenge",
        401,
        "challenge_expired",
        json={**CODE_STEP, "challenge": "sb:challenge:{*}"},
    ),
    code_step("code-missing-challenge", 400, "invalid_input", "challenge", json={"code": "123456"}),
    code_step(
        "code-challenge-number",
        400,
        "invalid_input",
        "challenge",
        json={**CODE_STEP, "challenge": 42},
    ),
    code_step(
        "code-challenge-10kb",
        400,
        "invalid_input",
        "challenge",
        json={**CODE_STEP, "challenge": "c" * 10_240},
    ),
    code_step(
        "code-challenge-lone-surrogate",
        400,
        "invalid_input",
        "challenge",
        data=spliced({"code": "123456"}, challenge=SURROGATE),
    ),
    *[
        code_step(f"code-{name}", 400, "invalid_input", "code", json={**CODE_STEP, "code": code})
        for name, code in [
            ("five-digits", "12345"),
            ("arabic-indic-digits", "\u0661\u0662\u0663\u0664\u0665\u0666"),
            ("fullwidth-digits", "\uff11\uff12\uff13\uff14\uff15\uff16"),
            ("number", 123456),
            ("null", None),
            ("nul-inside", "123\x00456"),
            ("recovery-code-with-u", "uuuuu-uuuuu"),
            ("sql-injection", "' OR 1=1 --"),
            ("5000-digits", "1" * 5000),
            ("mongo-operator", {"$ne": ""}),
        ]
    ],
    code_step(
        "code-lone-surrogate",
        400,
        "invalid_input",
        "code",
        data=spliced({"challenge": UNKNOWN_CHALLENGE}, code=SURROGATE),
    ),
    code_step(
        "code-device-number", 400, "invalid_input", "device", json={**CODE_STEP, "device": 5}
    ),
    code_step("code-malformed-json", 400, "invalid_json", data='{"challenge": "c",'),
    code_step(
        "code-form-encoded",
        400,
        "invalid_json",
        data="challenge=c&code=123456",
        content_type="application/x-www-form-urlencoded",
    ),
    code_step("code-2mb-body", 413, "payload_too_large", data=BIG_BODY),
    code_step("code-by-get", 405, "method_not_allowed", method="GET"),
    # GET /two-step
    Case("GET /two-step", "two-step-no-token", 401, "unauthorized", auth=None),
    Case("GET /two-step", "two-step-revoked-token", 401, "unauthorized", auth="revoked"),
    Case("GET /two-step", "two-step-forged-token", 401, "unauthorized", header=FORGED),
    Case("GET /two-step", "two-step-by-put", 405, "method_not_allowed", method="PUT"),
    # POST /two-step/setup
    Case(
        "POST /two-step/setup",
        "setup-wrong-password",
        400,
        "invalid_credentials",
        "password",
        json={"password": "not my password"},
    ),
    Case(
        "POST /two-step/setup", "setup-missing-password", 400, "invalid_input", "password", json={}
    ),
    Case(
        "POST /two-step/setup",
        "setup-password-list",
        400,
        "invalid_input",
        "password",
        json={"password": [TEST_PASSWORD]},
    ),
    Case(
        "POST /two-step/setup",
        "setup-when-on",
        409,
        "two_step_on",
        auth="twostep",
        json={"password": TEST_PASSWORD},
    ),
    Case(
        "POST /two-step/setup",
        "setup-no-token",
        401,
        "unauthorized",
        auth=None,
        json={"password": TEST_PASSWORD},
    ),
    # POST /two-step/enable
    Case(
        "POST /two-step/enable",
        "enable-without-setup",
        409,
        "setup_expired",
        json={"code": "123456"},
    ),
    *[
        Case("POST /two-step/enable", f"enable-{name}", 400, "invalid_input", "code", json=body)
        for name, body in [
            ("recovery-code", {"code": "abcde-fghjk"}),
            ("seven-digits", {"code": "1234567"}),
            ("code-null", {"code": None}),
            ("code-list", {"code": ["123456"]}),
            ("code-missing", {"otp": "123456"}),
        ]
    ],
    Case(
        "POST /two-step/enable",
        "enable-when-on",
        409,
        "two_step_on",
        auth="twostep",
        json={"code": "123456"},
    ),
    Case(
        "POST /two-step/enable",
        "enable-no-token",
        401,
        "unauthorized",
        auth=None,
        json={"code": "123456"},
    ),
    # POST /two-step/disable and POST /two-step/recovery-codes
    *[
        case
        for endpoint, name in [
            ("POST /two-step/disable", "disable"),
            ("POST /two-step/recovery-codes", "recovery-codes"),
        ]
        for case in [
            Case(endpoint, f"{name}-when-off", 409, "two_step_off", json=PASSWORD_AND_CODE),
            Case(
                endpoint,
                f"{name}-wrong-password",
                400,
                "invalid_credentials",
                "password",
                auth="twostep",
                json={"password": "not my password", "code": WRONG_RECOVERY_CODE},
            ),
            Case(
                endpoint,
                f"{name}-wrong-recovery-code",
                400,
                "invalid_code",
                "code",
                auth="twostep",
                json={**PASSWORD_AND_CODE, "code": WRONG_RECOVERY_CODE},
            ),
            Case(
                endpoint,
                f"{name}-missing-code",
                400,
                "invalid_input",
                "code",
                auth="twostep",
                json={"password": TEST_PASSWORD},
            ),
            Case(
                endpoint,
                f"{name}-lone-surrogate-code",
                400,
                "invalid_input",
                "code",
                auth="twostep",
                data=spliced({"password": TEST_PASSWORD}, code=SURROGATE),
            ),
            Case(
                endpoint, f"{name}-no-token", 401, "unauthorized", auth=None, json=PASSWORD_AND_CODE
            ),
        ]
    ],
    # DELETE /profile/<id>
    Case(
        "DELETE /profile/<id>",
        "delete-account-of-other-user",
        403,
        "forbidden",
        path="/profile/{other}",
        json=deleting("other"),
    ),
    Case(
        "DELETE /profile/<id>",
        "delete-account-with-other-users-token",
        403,
        "forbidden",
        auth="other",
        json=deleting("me"),
    ),
    Case(
        "DELETE /profile/<id>",
        "delete-account-huge-id",
        403,
        "forbidden",
        path=f"/profile/{HUGE_ID}",
        json=deleting("me"),
    ),
    Case(
        "DELETE /profile/<id>",
        "delete-account-negative-id",
        404,
        "not_found",
        path="/profile/-1",
        json=deleting("me"),
    ),
    *[
        Case(
            "DELETE /profile/<id>",
            f"delete-account-{name}",
            400,
            "invalid_input",
            "email",
            json=deleting("me", email=email),
            says="exactly",
        )
        for name, email in [
            ("someone-elses-email", "someone@example.com"),
            ("sql-injection-email", "' OR 1=1 --"),
            ("email-with-wildcard", "%@example.com"),
            ("email-number", 5),
            ("email-empty", ""),
        ]
    ],
    Case(
        "DELETE /profile/<id>",
        "delete-account-other-users-email",
        400,
        "invalid_input",
        "email",
        json=lambda w: deleting("me")(w) | {"email": w.emails["other"]},
    ),
    Case(
        "DELETE /profile/<id>",
        "delete-account-wrong-password",
        400,
        "invalid_credentials",
        "password",
        json=deleting("me", password="not my password"),
    ),
    Case(
        "DELETE /profile/<id>",
        "delete-account-missing-password",
        400,
        "invalid_input",
        "password",
        json=lambda w: {"email": w.emails["me"]},
    ),
    Case(
        "DELETE /profile/<id>",
        "delete-account-bad-code-format",
        400,
        "invalid_input",
        "code",
        json=deleting("me", code="12-34"),
    ),
    Case(
        "DELETE /profile/<id>",
        "delete-account-missing-code-when-on",
        400,
        "invalid_input",
        "code",
        auth="twostep",
        path="/profile/{twostep}",
        json=deleting("twostep"),
        says="authenticator",
    ),
    Case(
        "DELETE /profile/<id>",
        "delete-account-wrong-recovery-code",
        400,
        "invalid_code",
        "code",
        auth="twostep",
        path="/profile/{twostep}",
        json=deleting("twostep", code=WRONG_RECOVERY_CODE),
    ),
    Case(
        "DELETE /profile/<id>",
        "delete-account-no-token",
        401,
        "unauthorized",
        auth=None,
        json=deleting("me"),
    ),
    Case(
        "DELETE /profile/<id>",
        "delete-account-revoked-token",
        401,
        "unauthorized",
        auth="revoked",
        json=deleting("me"),
    ),
    Case("DELETE /profile/<id>", "delete-account-no-body", 400, "invalid_json", data=""),
    Case(
        "DELETE /profile/<id>", "delete-account-2mb-body", 413, "payload_too_large", data=BIG_BODY
    ),
    # PUT /image
    Case(
        "PUT /image",
        "image-other-users-id",
        403,
        "forbidden",
        json=lambda w: {"id": w.ids["other"]},
    ),
    Case(
        "PUT /image",
        "image-third-users-id-with-other-users-token",
        403,
        "forbidden",
        auth="other",
        json=lambda w: {"id": w.ids["third"]},
    ),
    Case("PUT /image", "image-huge-id", 403, "forbidden", json={"id": HUGE_ID}),
    Case("PUT /image", "image-negative-id", 403, "forbidden", json={"id": -1}),
    Case(
        "PUT /image",
        "image-float-id",
        400,
        "invalid_input",
        "id",
        json=lambda w: {"id": float(w.ids["me"])},
    ),
    Case(
        "PUT /image",
        "image-string-id",
        400,
        "invalid_input",
        "id",
        json=lambda w: {"id": str(w.ids["me"])},
    ),
    Case("PUT /image", "image-boolean-id", 400, "invalid_input", "id", json={"id": True}),
    Case(
        "PUT /image",
        "image-sql-injection-id",
        400,
        "invalid_input",
        "id",
        json={"id": "1; DROP TABLE users; --"},
    ),
    Case("PUT /image", "image-malformed-json", 400, "invalid_json", data='{"id": 1'),
    Case("PUT /image", "image-no-token", 401, "unauthorized", auth=None, json={}),
    # POST /imageurl (none of these may reach the network)
    *[
        Case(
            "POST /imageurl",
            f"imageurl-{name}",
            400,
            "url_refused",
            json={"input": url},
        )
        for name, url in [
            ("file-scheme", "file:///etc/passwd"),
            ("loopback", "http://127.0.0.1:6379/"),
            ("cloud-metadata", "http://169.254.169.254/latest/meta-data/"),
            ("script", "<script>alert(1)</script>"),
            ("javascript-scheme", "javascript:alert(1)"),
        ]
    ],
    Case(
        "POST /imageurl",
        "imageurl-missing-input",
        400,
        "invalid_input",
        "input",
        json={"url": "https://example.com/a.jpg"},
    ),
    Case(
        "POST /imageurl", "imageurl-input-number", 400, "invalid_input", "input", json={"input": 1}
    ),
    Case(
        "POST /imageurl",
        "imageurl-3000-char-link",
        400,
        "invalid_input",
        "input",
        json={"input": "https://example.com/" + "a" * 3000},
    ),
    Case(
        "POST /imageurl",
        "imageurl-lone-surrogate-link",
        400,
        "invalid_input",
        "input",
        data='{"input": "https://example.com/\\ud800.jpg"}',
    ),
    Case(
        "POST /imageurl",
        "imageurl-multipart-without-image",
        400,
        "invalid_input",
        "image",
        data='--b\r\nContent-Disposition: form-data; name="other"\r\n\r\nx\r\n--b--\r\n',
        content_type="multipart/form-data; boundary=b",
    ),
    Case(
        "POST /imageurl",
        "imageurl-no-token",
        401,
        "unauthorized",
        auth=None,
        json={"input": "https://example.com/a.jpg"},
    ),
    Case("POST /imageurl", "imageurl-2mb-json-body", 413, "payload_too_large", data=BIG_BODY),
    # Decoding bombs, uploaded: judged from the header before a pixel is decoded.
    *[
        upload(
            f"imageurl-{fmt.lower()}-header-declaring-7000",
            413,
            "image_too_large",
            partial(bombs.declaring, fmt, 7000, 7000),
        )
        for fmt in bombs.FORMATS
    ],
    upload(
        "imageurl-jpeg-first-scan-of-one-component",
        413,
        "image_too_large",
        lambda: bombs.first_scan_of_one_component(bombs.declaring("JPEG", 7000, 7000, quality=90)),
    ),
    upload(
        "imageurl-gif-frame-beyond-its-screen",
        413,
        "image_too_large",
        lambda: bombs.gif_frame_beyond_screen(7000, 7000),
    ),
    upload(
        "imageurl-png-7000-of-one-colour",
        413,
        "image_too_large",
        bombs.OVER_CAPS["PNG 7000 x 7000"],
    ),
    upload("imageurl-run-length-bmp", 422, "not_an_image", lambda: bombs.bmp_run_length(64, 64)),
    upload("imageurl-tiff", 422, "not_an_image", lambda: bombs.solid("TIFF", 64, 64)),
    # GET /health
    Case("GET /health", "health-by-post", 405, "method_not_allowed", auth=None, method="POST"),
    Case("GET /health", "health-by-delete", 405, "method_not_allowed", auth=None, method="DELETE"),
    Case(
        "GET /health",
        "health-script-suffix",
        404,
        "not_found",
        auth=None,
        path="/health/%3Cscript%3Ealert(1)%3C/script%3E",
    ),
    Case("GET /health", "health-nul-suffix", 404, "not_found", auth=None, path="/health%00"),
    Case(
        "GET /health",
        "health-path-traversal",
        404,
        "not_found",
        auth=None,
        path="/health/..%2F..%2Fopenapi.json",
    ),
    # Over real HTTP, as raw bytes the test client will not send
    Case(
        "GET /profile/<id>",
        "raw-invalid-utf8-in-request-line",
        404,
        "not_found",
        raw=b"GET /profile/\xff\xfe HTTP/1.1\r\nAuthorization: {token}\r\n",
    ),
    Case(
        "DELETE /sessions/<id>",
        "raw-invalid-utf8-session-id",
        404,
        "not_found",
        raw=b"DELETE /sessions/\xc3\x28\xff HTTP/1.1\r\nAuthorization: {token}\r\n",
    ),
    Case(
        "GET /sessions",
        "raw-invalid-utf8-authorization",
        401,
        "unauthorized",
        raw=b"GET /sessions HTTP/1.1\r\nAuthorization: Bearer \xff\xfe\xc3\x28\r\n",
    ),
    Case(
        "GET /sessions",
        "raw-60kb-authorization-line",
        401,
        "unauthorized",
        raw=b"GET /sessions HTTP/1.1\r\nAuthorization: Bearer " + b"a" * 60_000 + b"\r\n",
    ),
    Case(
        "POST /signin (token)",
        "raw-nul-in-authorization",
        401,
        "unauthorized",
        raw=b"POST /signin HTTP/1.1\r\nAuthorization: {token}\x00\r\nContent-Length: 0\r\n",
    ),
    Case(
        "POST /register",
        "raw-invalid-utf8-json-body",
        400,
        "invalid_json",
        raw=b"POST /register HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 13\r\n",
        raw_body=b'{"name": "\xff"}',
    ),
]


def test_the_table_has_200_distinct_cases_covering_every_endpoint():
    assert len(CASES) >= 200
    assert len({case.id for case in CASES}) == len(CASES), "case ids must be unique"
    assert {case.endpoint for case in CASES} == set(ENDPOINTS)
    assert all(400 <= case.status < 500 for case in CASES)


# --- sending ---------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    content_type: str
    request_id: str
    body: bytes


def send(client, case: Case, world: World) -> Answer:
    method, path = case.target(world)
    kwargs: dict[str, Any] = {"headers": case.headers(world)}
    if case.json is not _UNSET:
        kwargs["json"] = case.resolve(world, case.json)
    elif case.data is not None:
        kwargs["data"] = case.resolve(world, case.data)
        kwargs["content_type"] = case.content_type or "application/json"
    response = client.open(path, method=method, **kwargs)
    with response:
        return Answer(
            response.status_code,
            response.mimetype,
            response.headers.get("X-Request-Id", ""),
            response.get_data(),
        )


def send_raw(base_url: str, head: bytes, body: bytes = b"") -> Answer:
    """Send exactly `head` (request line and headers, each ending CRLF), then `body`."""
    address = urlsplit(base_url)
    host = f"{address.hostname}:{address.port}".encode()
    head += b"Host: " + host + b"\r\nConnection: close\r\n\r\n"
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        sock.sendall(head + body)
        response = http.client.HTTPResponse(sock, method=head.split(b" ", 1)[0].decode())
        try:
            response.begin()
            return Answer(
                response.status,
                response.getheader("Content-Type", "").split(";")[0],
                response.getheader("X-Request-Id", ""),
                response.read(),
            )
        finally:
            response.close()


def assert_error_shape(answer: Answer, case: Case) -> None:
    assert answer.content_type == "application/json", answer.body[:200]
    body = json.loads(answer.body)
    assert set(body) == {"error"}, body
    error = body["error"]
    assert (
        {"code", "message", "requestId"}
        <= set(error)
        <= {
            "code",
            "message",
            "requestId",
            "fields",
        }
    ), error
    assert error["code"] == case.code, error
    assert isinstance(error["message"], str) and error["message"], error
    assert error["requestId"] and error["requestId"] == answer.request_id, error
    if "fields" in error:
        assert error["fields"] and all(
            isinstance(k, str) and isinstance(v, str) and v for k, v in error["fields"].items()
        ), error
    if case.field is not None:
        assert case.field in error.get("fields", {}), error
        assert case.says is None or case.says in error["fields"][case.field], error
    assert b"Traceback" not in answer.body


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_a_hostile_request_gets_its_4xx_and_changes_nothing(
    request, app, client, redis_client, world, case
):
    engine = db.engine_of(app)
    database_before = database_snapshot(engine)
    redis_before = redis_snapshot(redis_client)
    assert len(database_before["users"]) == 4 and len(database_before["login"]) == 4
    assert len(database_before["two_step"]) == 1 and len(database_before["recovery_codes"]) == 10
    assert sum(key.startswith("sb:s:") for key in redis_before) == 4  # one session each

    if case.raw is not None:
        base_url = request.getfixturevalue("live_server")
        head = case.raw.replace(b"{token}", world.tokens["me"].encode())
        answer = send_raw(base_url, head, case.raw_body)
    else:
        answer = send(client, case, world)

    assert answer.status == case.status, answer.body[:300]
    assert_error_shape(answer, case)
    assert database_snapshot(engine) == database_before
    assert redis_snapshot(redis_client) == redis_before


# --- beyond the table ------------------------------------------------------------------------


def test_header_lines_beyond_the_http_servers_limit_are_refused_before_the_app(
    app, redis_client, world, live_server
):
    """A header line over 64 KB never reaches Flask: werkzeug's HTTP server answers 431.

    That answer is the HTTP server's own (not the JSON error shape); what matters here is a
    4xx, not a 5xx, and no state touched. A request line as long gets 414.
    """
    engine = db.engine_of(app)
    database_before, redis_before = database_snapshot(engine), redis_snapshot(redis_client)
    header = b"GET /sessions HTTP/1.1\r\nAuthorization: Bearer " + b"a" * 70_000 + b"\r\n"
    assert send_raw(live_server, header).status == 431
    line = b"GET /profile/" + b"1" * 70_000 + b" HTTP/1.1\r\n"
    assert send_raw(live_server, line).status == 414
    assert database_snapshot(engine) == database_before
    assert redis_snapshot(redis_client) == redis_before


def test_fields_a_client_may_not_set_are_ignored_in_a_profile_save(app, client, world):
    """Mass assignment: entries, email, id and joined in formInput change nothing."""
    me = world.ids["me"]
    headers = {"Authorization": world.tokens["me"]}
    before = client.get(f"/profile/{me}", headers=headers).get_json()
    sneaky = {
        "name": "Dana",
        "entries": 10**6,
        "email": "mallory@example.com",
        "id": world.ids["other"],
        "joined": "1970-01-01T00:00:00Z",
        "hash": "x",
    }
    response = client.post(
        f"/profile/{me}", json={"formInput": sneaky, "id": world.ids["other"]}, headers=headers
    )
    assert response.status_code == 200 and response.get_json() == "success"
    after = client.get(f"/profile/{me}", headers=headers).get_json()
    assert after == {**before, "name": "Dana"}
    other = client.get(
        f"/profile/{world.ids['other']}", headers={"Authorization": world.tokens["other"]}
    )
    assert other.get_json()["name"] == "Other"


def test_a_refused_sign_in_with_rate_limits_on_moves_only_limiter_counters(
    config, redis_client, frozen_clock
):
    """With the default limits on, a wrong password changes the rate limits' counters (the
    `limits` library's under "LIMITS:", the failure counts under "sb:failures:") and nothing
    else: no session, no known address, no row.
    """
    config.rate_limits = parse_rate_limits("")
    with built_app(config) as limited:
        client = limited.test_client()
        body = {"name": "Dana", "email": "dana@example.com", "password": TEST_PASSWORD}
        assert client.post("/register", json=body).status_code == 200
        engine = db.engine_of(limited)
        database_before, redis_before = database_snapshot(engine), redis_snapshot(redis_client)

        response = client.post(
            "/signin", json={"email": "dana@example.com", "password": "wrong password"}
        )

        assert response.status_code == 400
        assert response.get_json()["error"]["code"] == "invalid_credentials"
        assert database_snapshot(engine) == database_before
        changed = changed_keys(redis_before, redis_snapshot(redis_client))
        assert changed, "a refused sign-in should count against the limits"
        assert all(key.startswith(("LIMITS:", "sb:failures:")) for key in changed), changed
        assert any(key.startswith("sb:failures:account_failures:") for key in changed), changed

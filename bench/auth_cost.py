"""What require_auth costs: Redis commands, SQL statements and latency per protected request.

In this process, with Flask's test client, on an app from create_app() over a fresh Valkey
and SQLite (or the servers you name). The benchmark adds two no-op routes to its own app,
/bench/open and /bench/protected (the same view, the second behind require_auth); the product
has neither. For each endpoint it reports, per request:

- Redis commands from INFO commandstats (after CONFIG RESETSTAT): those the client sent
  (EVALSHA of the resolve script) and those the script ran inside the server;
- SQL statements, from SQLite's own statement trace (the hot paths run on the driver's cursor,
  past SQLAlchemy's events; on PostgreSQL the column says "–": its round trips are counted
  by tests/backend/test_database_round_trips.py);
- and the p50 latency of the protected no-op against the open one, requests alternating.

    .venv/bin/python bench/auth_cost.py [--requests 2000]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
        [--redis-url redis://127.0.0.1:6379/13]
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from collections import Counter
from contextlib import ExitStack

from flask import Flask
from harness import PASSWORD, database_service, load_average, percentile, redis_service
from redis import Redis
from sqlalchemy import event

from backend import create_app
from backend.auth import require_auth
from backend.config import Config
from backend.extensions import db
from backend.token_store import _RESOLVE

# What the resolve script runs inside Redis; anything else was sent by the client.
SCRIPT_COMMANDS = {command.lower() for command in re.findall(r"redis\.call\('(\w+)'", _RESOLVE)}


def bench_app(database_url: str, redis_url: str, data_dir: str) -> Flask:
    """The product's app plus two no-op routes, one open and one behind require_auth."""
    app = create_app(
        Config(
            {
                "SMARTBRAIN_DATA_DIR": data_dir,
                "SMARTBRAIN_DATABASE_URL": database_url,
                "SMARTBRAIN_REDIS_URL": redis_url,
                "SMARTBRAIN_BCRYPT_ROUNDS": "4",
                "SMARTBRAIN_RATE_LIMITS": "off",
            }
        )
    )

    def noop():
        return {}

    app.add_url_rule("/bench/open", "bench_open", noop)
    app.add_url_rule("/bench/protected", "bench_protected", require_auth(noop))
    return app


def command_calls(redis: Redis) -> Counter:
    stats = redis.info("commandstats")
    return Counter({name.removeprefix("cmdstat_"): value["calls"] for name, value in stats.items()})


class SqlCounter:
    """Counts the statements SQLite runs for the app (None on another database)."""

    def __init__(self, app: Flask) -> None:
        engine = db.engine_of(app)
        self.count: int | None = None
        if engine.dialect.name == "sqlite":
            self.count = 0
            engine.dispose()  # every connection from here on traces what it runs
            event.listen(engine, "connect", self._trace)

    def _trace(self, connection, _record) -> None:
        connection.set_trace_callback(self._statement)

    def _statement(self, _sql: str) -> None:
        if self.count is not None:
            self.count += 1

    def reset(self) -> None:
        if self.count is not None:
            self.count = 0

    def per_request(self, repeat: int) -> str:
        return "–" if self.count is None else f"{self.count / repeat:g}"


def per_request_costs(app, redis: Redis, sql: SqlCounter, requests: dict, repeat: int) -> None:
    """Print Redis commands (client-sent, inside the script) and SQL statements per request."""
    client = app.test_client()
    print("| request | Redis commands sent | run inside the script | SQL statements |")
    print("| --- | --- | --- | --- |")
    for label, (method, path, body, token) in requests.items():
        headers = {"Authorization": token} if token else {}
        client.open(path, method=method, json=body, headers=headers)  # loads the script
        redis.config_resetstat()
        sql.reset()
        for _ in range(repeat):
            assert client.open(path, method=method, json=body, headers=headers).status_code == 200
        calls = command_calls(redis)
        for ours in ("info", "config|resetstat"):  # this benchmark's own commands
            calls.pop(ours, None)
        inside = {name: n for name, n in calls.items() if name in SCRIPT_COMMANDS}
        sent = {name: n for name, n in calls.items() if name not in SCRIPT_COMMANDS}
        print(
            f"| {label} | {_per_request(sent, repeat)} | {_per_request(inside, repeat)} "
            f"| {sql.per_request(repeat)} |"
        )


def _per_request(calls: dict, repeat: int) -> str:
    total = sum(calls.values()) / repeat
    names = ", ".join(f"{name.upper()} {n / repeat:g}" for name, n in sorted(calls.items()))
    return f"{total:g}" + (f" ({names})" if names else "")


def latency_difference(app, token: str, requests: int) -> None:
    """p50 of the protected no-op against the open one, the two alternating."""
    client = app.test_client()
    timings: dict[str, list[float]] = {"/bench/open": [], "/bench/protected": []}
    for _ in range(200):  # warm up
        client.get("/bench/protected", headers={"Authorization": token})
    for _ in range(requests):
        for path, samples in timings.items():
            started = time.perf_counter()
            client.get(path, headers={"Authorization": token})
            samples.append((time.perf_counter() - started) * 1000)
    open_p50 = percentile(timings["/bench/open"], 50)
    protected_p50 = percentile(timings["/bench/protected"], 50)
    print("\n| endpoint | p50 ms | p99 ms |")
    print("| --- | --- | --- |")
    for path, samples in timings.items():
        print(f"| {path} | {percentile(samples, 50):.3f} | {percentile(samples, 99):.3f} |")
    verdict = "met" if protected_p50 - open_p50 <= 0.3 else "missed"
    print(
        f"\nrequire_auth adds {protected_p50 - open_p50:.3f} ms at p50 (target 0.3 ms: {verdict})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--database-url", help="default: SQLite in a temporary folder")
    parser.add_argument("--redis-url", help="default: a fresh Valkey on loopback")
    args = parser.parse_args()
    with ExitStack() as stack:
        database = stack.enter_context(database_service(args.database_url))
        redis_url = stack.enter_context(redis_service(args.redis_url))
        data_dir = stack.enter_context(tempfile.TemporaryDirectory())
        app = bench_app(database, redis_url, data_dir)
        sql = SqlCounter(app)
        redis = stack.enter_context(Redis.from_url(redis_url))
        body = {"name": "Dana", "email": "dana@example.com", "password": PASSWORD}
        registered = app.test_client().post("/register", json=body).get_json()
        user_id, token = registered["userId"], registered["token"]
        print(f"load average: {load_average()}; {args.requests} requests each\n")
        per_request_costs(
            app,
            redis,
            sql,
            {
                "GET /bench/open (no auth)": ("GET", "/bench/open", None, None),
                "GET /bench/protected": ("GET", "/bench/protected", None, token),
                f"GET /profile/{user_id}": ("GET", f"/profile/{user_id}", None, token),
                "PUT /image": ("PUT", "/image", {"id": user_id}, token),
            },
            min(args.requests, 500),
        )
        latency_difference(app, token, args.requests)


if __name__ == "__main__":
    main()

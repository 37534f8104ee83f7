"""The API's throughput as ratios of a floor measured in the same run (issue 11's targets).

The floor is bench/floor_app.py (a bare Flask view returning a small constant JSON object)
under Granian, WSGI, one worker per core and 16 blocking threads. Then, each on its own:
smartbrain-server over SQLite and a fresh Valkey, smartbrain-server over the machine's
PostgreSQL and Redis, and `main.py serve` with its embedded defaults; for each, an
authenticated GET /profile/<id> (with each client count), PUT /image and GET /health (with
the most clients: their targets), each over keep-alive connections. Absolute figures on a
shared machine move by ±30 % between runs: the ratios, taken minutes apart, are what to
compare.

The load comes from the harness's Python clients (threads, one http.client connection each),
the client issue 11's figures were taken with (its floor: 3,400-3,900 requests/s with 16
clients). `--client wrk` uses wrk instead (`apt-get install wrk`), a C client that leaves the
server more of the two cores: every server is faster, the floor most of all.

    .venv/bin/python bench/api_throughput.py [--seconds 5] [--clients 16 1] [--client wrk]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test | --sqlite-only]
        [--redis-url redis://127.0.0.1:6379/13] [--only sqlite postgresql serve]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from harness import (
    MACHINE_POSTGRES,
    MACHINE_REDIS,
    ROOT,
    Client,
    backend_environment,
    database_service,
    free_port,
    load_average,
    redis_service,
    register_users,
    run_load,
    smartbrain_servers,
)

BENCH = Path(__file__).resolve().parent
GRANIAN = Path(sys.executable).with_name("granian")
CLIENT = "python"


@dataclass
class Figures:
    per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


def wrk(url: str, clients: int, seconds: float, **request: str) -> Figures:
    """wrk against `url` with `clients` keep-alive connections; WRK_* settings in `request`."""
    environment = {**os.environ, **{f"WRK_{k.upper()}": v for k, v in request.items()}}
    command = [
        "wrk",
        f"-t{min(clients, 2)}",
        f"-c{clients}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(BENCH / "wrk_report.lua"),
        url,
    ]
    output = subprocess.run(
        command, env=environment, capture_output=True, text=True, check=True
    ).stdout
    summary = json.loads(output.strip().splitlines()[-1])
    return Figures(
        summary["requests"] / summary["seconds"],
        summary["p50_ms"],
        summary["p99_ms"],
        summary["errors"],
    )


def python_clients(url: str, clients: int, seconds: float, **request: str) -> Figures:
    """`clients` threads of the harness, each on its own keep-alive connection."""
    base, path = _split(url)
    body = json.loads(request["body"]) if request.get("body") else None

    def make_step(_index: int):
        client = Client(base)
        method, token = request.get("method", "GET"), request.get("authorization")
        return lambda: client.call(method, path, body, token)[0] == 200

    result = run_load(make_step, clients, seconds)
    return Figures(result.per_second, result.percentile(50), result.percentile(99), result.errors)


def _split(url: str) -> tuple[str, str]:
    """(base, path) of an http:// URL."""
    host, _, path = url.removeprefix("http://").partition("/")
    return "http://" + host, "/" + path


LOAD = {"python": python_clients, "wrk": wrk}


def measure(url: str, clients: int, seconds: float, **request: str) -> Figures:
    load = LOAD[CLIENT]
    load(url, clients, min(1.0, seconds), **request)  # warm up connections, pools and caches
    return load(url, clients, seconds, **request)


def wait_healthy(base: str, path: str = "/health", timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if Client(base).call("GET", path)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{base} did not answer")


@contextmanager
def running(command: list[str], port: int, health: str, **popen) -> Iterator[str]:
    """`command` (which serves on loopback `port`) started, answering `health`, then stopped."""
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **popen
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_healthy(base, health)
        yield base
    finally:
        process.terminate()
        process.wait(30)


def granian(target: str, port: int) -> list[str]:
    """Granian as the floor runs: WSGI, one worker per core, 16 blocking threads."""
    workers = str(os.cpu_count() or 1)
    return [str(GRANIAN), "--interface", "wsgi", "--workers", workers, "--blocking-threads"] + [
        "16",
        "--no-log",
        "--port",
        str(port),
        target,
    ]


def floor_server() -> AbstractContextManager[str]:
    port = free_port()
    return running(granian("floor_app:app", port), port, "/", cwd=BENCH)


@contextmanager
def smartbrain_server(database_url: str | None, redis_url: str | None) -> Iterator[str]:
    with ExitStack() as stack:
        database = stack.enter_context(database_service(database_url))
        redis = stack.enter_context(redis_service(redis_url))
        environment = backend_environment(database, redis, bcrypt_rounds=4)
        yield stack.enter_context(smartbrain_servers(environment))[0].base


@contextmanager
def granian_server(database_url: str | None, redis_url: str | None) -> Iterator[str]:
    """backend.wsgi:app under Granian, tuned as the floor is."""
    with ExitStack() as stack:
        database = stack.enter_context(database_service(database_url))
        redis = stack.enter_context(redis_service(redis_url))
        port = free_port()
        environment = backend_environment(database, redis, bcrypt_rounds=4)
        command = granian("backend.wsgi:app", port)
        yield stack.enter_context(running(command, port, "/health", cwd=ROOT, env=environment))


@contextmanager
def embedded_serve() -> Iterator[str]:
    """`main.py serve` as the desktop app starts it: SQLite and Valkey in a data folder."""
    with tempfile.TemporaryDirectory(prefix="smartbrain-bench-") as data:
        port = free_port()
        environment = {
            **{k: v for k, v in os.environ.items() if not k.startswith("SMARTBRAIN_")},
            "SMARTBRAIN_DATA_DIR": data,
            "SMARTBRAIN_BCRYPT_ROUNDS": "4",
            "SMARTBRAIN_RATE_LIMITS": "off",
        }
        command = [sys.executable, "main.py", "serve", "--port", str(port)]
        with running(command, port, "/health", cwd=ROOT, env=environment) as base:
            yield base


def api_figures(base: str, clients: list[int], seconds: float) -> dict[tuple[str, int], Figures]:
    user = register_users(base, 1)[0]
    requests = {
        "GET /profile": (f"/profile/{user.id}", {"authorization": user.token}),
        "PUT /image": (
            "/image",
            {"authorization": user.token, "method": "PUT", "body": json.dumps({"id": user.id})},
        ),
        "GET /health": ("/health", {}),
    }
    figures = {}
    for name, (path, request) in requests.items():
        # the targets for PUT /image and GET /health are with the most clients only
        for count in clients if name == "GET /profile" else clients[:1]:
            figures[name, count] = measure(base + path, count, seconds, **request)
    return figures


def print_row(what: str, name: str, clients: int, figures: Figures, floor: Figures) -> None:
    print(
        f"| {what} | {name} | {clients} | {figures.per_second:,.0f} "
        f"| {figures.per_second / floor.per_second:.0%} | {figures.p50_ms:.2f} "
        f"| {figures.p99_ms:.2f} | {figures.p99_ms / floor.p99_ms:.1f}× | {figures.errors} |",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--clients", type=int, nargs="+", default=[16, 1])
    parser.add_argument("--database-url", default=MACHINE_POSTGRES)
    parser.add_argument("--redis-url", default=MACHINE_REDIS)
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--client", choices=sorted(LOAD), default="python")
    parser.add_argument(
        "--only", nargs="+", default=["sqlite", "postgresql", "serve"], help="what to measure"
    )
    args = parser.parse_args()
    global CLIENT
    CLIENT = args.client
    if CLIENT == "wrk" and not shutil.which("wrk"):
        raise SystemExit("This benchmark needs wrk: apt-get install wrk")
    print(f"load average before: {load_average()}\n")
    with floor_server() as base:
        floor = {count: measure(base + "/", count, args.seconds) for count in args.clients}
    print(
        "| server | request | clients | requests/s | of floor | p50 ms | p99 ms "
        "| p99 of floor's | errors |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for count in args.clients:
        print_row("floor (Flask, Granian)", "GET /", count, floor[count], floor[count])
    setups = {
        "sqlite": ("smartbrain-server, SQLite", lambda: smartbrain_server(None, None)),
        "postgresql": (
            "smartbrain-server, PostgreSQL",
            lambda: smartbrain_server(args.database_url, args.redis_url),
        ),
        "serve": ("main.py serve, embedded", embedded_serve),
        "granian-sqlite": ("Granian, SQLite", lambda: granian_server(None, None)),
    }
    for key in args.only:
        if key == "postgresql" and args.sqlite_only:
            continue
        what, start = setups[key]
        with start() as base:
            for (name, count), figures in api_figures(base, args.clients, args.seconds).items():
                print_row(what, name, count, figures, floor[count])
    print(f"\nload average after: {load_average()}")


if __name__ == "__main__":
    main()

"""Throughput and latency of an authenticated GET /profile/<id>, on SQLite and PostgreSQL.

Starts smartbrain-server with its defaults (gunicorn, gthread workers) on loopback, over a
fresh Valkey and a fresh SQLite file, then over a new database on the PostgreSQL server of
--database-url (created, migrated, dropped after). --users users sign in; each client thread
reads its own user's profile on one keep-alive connection, for --seconds at each concurrency.
--servers N starts N smartbrain-server processes and spreads the clients over them.
--bystanders N first fills the users table with N users who never sign in (a profile's rank
is counted over the whole table).

    .venv/bin/python bench/profile_throughput.py [--seconds 10] [--concurrency 1 16]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test | --sqlite-only]
        [--redis-url redis://127.0.0.1:6379/13] [--servers 1] [--users 16] [--bystanders 0]
        [--server-args "--workers 1 --threads 4"]
"""

from __future__ import annotations

import argparse
import shlex
from contextlib import ExitStack

from harness import (
    MACHINE_POSTGRES,
    Client,
    LoadResult,
    Server,
    User,
    add_users,
    backend_environment,
    database_service,
    load_average,
    redis_service,
    register_users,
    run_load,
    smartbrain_servers,
)


def profile_step(server: Server, user: User):
    client = Client(server.base)
    path = f"/profile/{user.id}"
    return lambda: client.call("GET", path, token=user.token)[0] == 200


def measure(servers: list[Server], users: list[User], concurrency: int, seconds: float):
    """GET /profile from `concurrency` threads; thread i uses user i on server i mod count."""

    def make_step(index: int):
        return profile_step(servers[index % len(servers)], users[index % len(users)])

    run_load(make_step, concurrency, min(2.0, seconds))  # warm up connections and pools
    return run_load(make_step, concurrency, seconds)


def row(database: str, servers: int, concurrency: int, result: LoadResult) -> str:
    return (
        f"| {database} | {servers} | {concurrency} | {result.per_second:,.0f} "
        f"| {result.percentile(50):.1f} | {result.percentile(99):.1f} | {result.errors} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16])
    parser.add_argument("--database-url", default=MACHINE_POSTGRES)
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--redis-url", help="default: a fresh Valkey on loopback")
    parser.add_argument("--servers", type=int, default=1, help="smartbrain-server processes")
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--server-args", default="", help='e.g. "--workers 1 --threads 4"')
    parser.add_argument(
        "--bystanders", type=int, default=0, help="other users in the table (the rank counts them)"
    )
    args = parser.parse_args()
    arguments = tuple(shlex.split(args.server_args))
    databases = [("SQLite", None)] + (
        [] if args.sqlite_only else [("PostgreSQL", args.database_url)]
    )
    print(f"load average before: {load_average()}\n")
    print("| database | servers | concurrency | requests/s | p50 ms | p99 ms | errors |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, url in databases:
        with ExitStack() as stack:
            database = stack.enter_context(database_service(url))
            # GET /profile ranks the user among all of them.
            add_users(database, args.bystanders, lambda n: n % 97)
            redis = stack.enter_context(redis_service(args.redis_url))
            environment = backend_environment(database, redis, bcrypt_rounds=4)  # set-up only
            servers = stack.enter_context(smartbrain_servers(environment, args.servers, arguments))
            users = register_users(servers[0].base, args.users)
            for concurrency in args.concurrency:
                result = measure(servers, users, concurrency, args.seconds)
                print(row(name, args.servers, concurrency, result), flush=True)
    print(f"\nload average after: {load_average()}")


if __name__ == "__main__":
    main()

"""Fairness: GET /profile latency while 4 clients sign in as fast as they can (bcrypt 12).

Starts smartbrain-server with its defaults over a fresh Valkey and SQLite (or the servers you
name). First --readers clients read their profiles alone for --seconds (the baseline), then
again while --signers clients sign in back to back, each on its own keep-alive connection.
Target: p99 of GET /profile during the storm under 25 ms; password hashing must not hold up
other requests.

    .venv/bin/python bench/sign_in_storm.py [--seconds 15] [--signers 4] [--readers 1]
        [--rounds 12] [--database-url URL] [--redis-url URL] [--server-args "--threads 8"]
"""

from __future__ import annotations

import argparse
import shlex
import threading

from harness import (
    Client,
    LoadResult,
    User,
    backend,
    load_average,
    register_users,
    run_load,
    sign_in,
)


def reader_steps(base: str, users: list[User]):
    def make_step(index: int):
        client, user = Client(base), users[index]
        return lambda: client.call("GET", f"/profile/{user.id}", token=user.token)[0] == 200

    return make_step


def signer_steps(base: str, users: list[User]):
    def make_step(index: int):
        client, email = Client(base), users[index].email
        return lambda: sign_in(client, email) is not None

    return make_step


def storm(base: str, readers: list[User], signers: list[User], seconds: float):
    """(profile reads, sign-ins) with both running at once; the reads start once it rages."""
    sign_ins: list[LoadResult] = []
    thread = threading.Thread(
        target=lambda: sign_ins.append(
            run_load(signer_steps(base, signers), len(signers), seconds + 2)
        )
    )
    thread.start()
    threading.Event().wait(1)
    reads = run_load(reader_steps(base, readers), len(readers), seconds)
    thread.join()
    return reads, sign_ins[0]


def row(label: str, result: LoadResult) -> str:
    return (
        f"| {label} | {len(result.latencies_ms)} | {result.percentile(50):.1f} "
        f"| {result.percentile(99):.1f} | {max(result.latencies_ms):.1f} | {result.errors} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--signers", type=int, default=4)
    parser.add_argument("--readers", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--database-url", help="default: SQLite in a temporary folder")
    parser.add_argument("--redis-url", help="default: a fresh Valkey on loopback")
    parser.add_argument("--server-args", default="", help="extra smartbrain-server options")
    args = parser.parse_args()
    arguments = tuple(shlex.split(args.server_args))
    with backend(args.database_url, args.redis_url, args.rounds, 1, arguments) as servers:
        base = servers[0].base
        users = register_users(base, args.readers + args.signers)
        readers, signers = users[: args.readers], users[args.readers :]
        run_load(reader_steps(base, readers), args.readers, 1)  # warm up
        alone = run_load(reader_steps(base, readers), args.readers, args.seconds)
        during, sign_ins = storm(base, readers, signers, args.seconds)
    print(f"load average: {load_average()}; bcrypt {args.rounds} rounds\n")
    print("| GET /profile | requests | p50 ms | p99 ms | max ms | errors |")
    print("| --- | --- | --- | --- | --- | --- |")
    print(row("alone", alone))
    print(row(f"during {args.signers} sign-in loops", during))
    p99 = during.percentile(99)
    print(
        f"\nsign-ins: {sign_ins.per_second:.1f}/s, p50 {sign_ins.percentile(50):.0f} ms, "
        f"{sign_ins.errors} errors"
    )
    print(f"p99 during the storm {p99:.1f} ms (target < 25 ms: {'met' if p99 < 25 else 'missed'})")


if __name__ == "__main__":
    main()

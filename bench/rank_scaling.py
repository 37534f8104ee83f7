"""GET /profile's cost against the number of users: the rank must not count the table.

For each size (1,000 and 1,000,000 users by default), a fresh SQLite database is filled with
users holding random entries (0-999) plus one signed-in user with 0 entries, the worst case
for a count (everyone ranks above them). smartbrain-server then starts over a fresh Valkey;
its first GET /profile finds the leaderboard missing and builds it (timed on its own), then
one client reads the profile for --seconds. The ratio of the medians is the target: at most
1.2.

    .venv/bin/python bench/rank_scaling.py [--sizes 1000 1000000] [--seconds 8]
"""

from __future__ import annotations

import argparse
import random
import time
from contextlib import ExitStack

from harness import (
    Client,
    add_users,
    backend_environment,
    database_service,
    load_average,
    redis_service,
    register_users,
    run_load,
    smartbrain_servers,
)


def measure(size: int, seconds: float) -> tuple[float, float, float, float]:
    """(first GET ms, p50 ms, p99 ms, requests/s) of GET /profile among `size` users."""
    with ExitStack() as stack:
        database = stack.enter_context(database_service(None))
        rng = random.Random(7)
        add_users(database, size, lambda _n: rng.randrange(1000))
        redis = stack.enter_context(redis_service(None))
        environment = backend_environment(database, redis, bcrypt_rounds=4)
        server = stack.enter_context(smartbrain_servers(environment, 1, ("--workers", "1")))[0]
        user = register_users(server.base, 1)[0]
        client = Client(server.base)
        started = time.perf_counter()
        status, body = client.call("GET", f"/profile/{user.id}", token=user.token)
        first_ms = (time.perf_counter() - started) * 1000
        assert status == 200 and body["rank"] > size * 0.99, body  # nearly all rank above
        step = lambda: client.call("GET", f"/profile/{user.id}", token=user.token)[0] == 200  # noqa: E731
        run_load(lambda _i: step, 1, 1.0)
        result = run_load(lambda _i: step, 1, seconds)
        return first_ms, result.percentile(50), result.percentile(99), result.per_second


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 1_000_000])
    parser.add_argument("--seconds", type=float, default=8)
    args = parser.parse_args()
    print(f"load average before: {load_average()}\n")
    print("| users | first GET (builds the leaderboard) ms | p50 ms | p99 ms | requests/s |")
    print("| --- | --- | --- | --- | --- |")
    medians = {}
    for size in args.sizes:
        first, p50, p99, per_second = measure(size, args.seconds)
        medians[size] = p50
        print(
            f"| {size:,} | {first:,.0f} | {p50:.2f} | {p99:.2f} | {per_second:,.0f} |", flush=True
        )
    smallest, largest = min(args.sizes), max(args.sizes)
    print(
        f"\np50 at {largest:,} users / p50 at {smallest:,}: "
        f"{medians[largest] / medians[smallest]:.2f} (target ≤ 1.2)"
    )
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()

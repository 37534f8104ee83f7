"""Soak: mixed traffic at concurrency 32 for a minute; no errors, no lost counts, flat memory.

Starts smartbrain-server with its defaults (bcrypt 12) over PostgreSQL and Redis: by default
the machine's (a new benchmark database on 127.0.0.1:5432, dropped after; Redis database 13,
flushed before and after). Each of --concurrency clients owns one user and, on one keep-alive
connection, repeats a random mix of: profile reads, profile writes, PUT /image (the entry
counter), session restores (POST /signin with only the Authorization header), and sign-out
(after which the old token must be refused) then sign-in again.

It checks that every answer is the right one, that each user's entries at the end equal the
increments the client saw acknowledged, and samples the resident memory of the gunicorn
master and of every worker each second: start (after the warm-up), end, max and growth.

    .venv/bin/python bench/soak.py [--seconds 60] [--concurrency 32] [--warmup 15]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
        [--redis-url redis://127.0.0.1:6379/13] [--rounds 12] [--server-args "--threads 8"]
"""

from __future__ import annotations

import argparse
import shlex

from harness import (
    MACHINE_POSTGRES,
    MACHINE_REDIS,
    LoadResult,
    MemorySampler,
    Visitor,
    backend,
    load_average,
    percentile,
    register_users,
    run_load,
)

MIX = {"read": 55, "count": 25, "write": 10, "restore": 8, "sign out and in": 2}


def report_traffic(visitors: list[Visitor], result: LoadResult) -> None:
    print(f"{len(result.latencies_ms)} requests in {result.seconds:.0f} s: ", end="")
    print(f"{result.per_second:.0f} steps/s, {result.errors} errors {result.first_errors[:3]}\n")
    print("| action | count | p50 ms | p99 ms | errors |")
    print("| --- | --- | --- | --- | --- |")
    for action in MIX:
        timings = [t for visitor in visitors for t in visitor.timings[action]]
        errors = sum(visitor.failures[action] for visitor in visitors)
        print(
            f"| {action} | {len(timings)} | {percentile(timings, 50):.1f} "
            f"| {percentile(timings, 99):.1f} | {errors} |"
        )
    reconnects = sum(visitor.client.reconnects for visitor in visitors)
    print(f"\nkeep-alive connections the server had closed, reopened: {reconnects}")


def report_counts(visitors: list[Visitor]) -> None:
    lost = {v.user.id: v.acknowledged - v.entries() for v in visitors}
    acknowledged = sum(visitor.acknowledged for visitor in visitors)
    wrong = {user: n for user, n in lost.items() if n}
    print(f"entry increments acknowledged: {acknowledged}; users whose count is off: {wrong or 0}")


def report_memory(sampler: MemorySampler, master: int, warmup: float) -> None:
    print("\n| process | RSS after warm-up MB | at the end MB | max MB | growth MB |")
    print("| --- | --- | --- | --- | --- |")
    for pid, samples in sampler.samples.items():
        settled = [rss for moment, rss in samples if moment >= warmup] or [samples[-1][1]]
        label = "master" if pid == master else f"worker {pid}"
        peak = max(rss for _, rss in samples)
        print(
            f"| {label} | {settled[0]:.1f} | {settled[-1]:.1f} | {peak:.1f} "
            f"| {settled[-1] - settled[0]:+.1f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--warmup", type=float, default=15, help="seconds before RSS must be flat")
    parser.add_argument("--database-url", default=MACHINE_POSTGRES)
    parser.add_argument("--redis-url", default=MACHINE_REDIS, help="its database is flushed")
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--server-args", default="", help="extra smartbrain-server options")
    args = parser.parse_args()
    arguments = tuple(shlex.split(args.server_args))
    with backend(args.database_url, args.redis_url, args.rounds, 1, arguments) as servers:
        server = servers[0]
        users = register_users(server.base, args.concurrency, "soak")
        visitors = [Visitor(server.base, user, MIX, seed) for seed, user in enumerate(users)]
        sampler = MemorySampler(server)
        sampler.start()
        result = run_load(lambda index: visitors[index].step, args.concurrency, args.seconds)
        sampler.stop()
        print(f"load average: {load_average()}; concurrency {args.concurrency}\n")
        report_traffic(visitors, result)
        report_counts(visitors)
        report_memory(sampler, server.process.pid, args.warmup)


if __name__ == "__main__":
    main()

"""Sign-in latency against the raw cost of bcrypt at the same rounds, on the same machine.

Starts smartbrain-server with its defaults (bcrypt at --rounds, 12 as in production) over a
fresh Valkey and SQLite, registers one user, then alternates: one POST /signin over HTTP, one
bcrypt.checkpw at the same rounds in this process. Target: sign-in p50 within 10% plus 2 ms of
bcrypt's p50. Also prints what that means for capacity: sign-ins per second per core.

    .venv/bin/python bench/sign_in.py [--samples 25] [--rounds 12]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import time

import bcrypt
from harness import PASSWORD, Client, backend, load_average, percentile, register_users, sign_in


def timed_ms(action) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def measure(base: str, email: str, rounds: int, samples: int) -> tuple[list[float], list[float]]:
    """(sign-in timings, bcrypt.checkpw timings), taken in turn so load drifts hit both."""
    client = Client(base)
    stored = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds))
    sign_ins, hashes = [], []
    sign_in(client, email)  # warm up the worker that answers
    for _ in range(samples):
        sign_ins.append(timed_ms(lambda: _must(sign_in(client, email))))
        hashes.append(timed_ms(lambda: bcrypt.checkpw(PASSWORD.encode(), stored)))
    return sign_ins, hashes


def _must(token: str | None) -> None:
    if token is None:
        raise RuntimeError("sign-in failed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=25)
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--database-url", help="default: SQLite in a temporary folder")
    parser.add_argument("--redis-url", help="default: a fresh Valkey on loopback")
    args = parser.parse_args()
    with backend(args.database_url, args.redis_url, args.rounds) as servers:
        user = register_users(servers[0].base, 1)[0]
        sign_ins, hashes = measure(servers[0].base, user.email, args.rounds, args.samples)
    sign_in_p50, bcrypt_p50 = percentile(sign_ins, 50), percentile(hashes, 50)
    limit = bcrypt_p50 * 1.1 + 2
    print(f"load average: {load_average()}; bcrypt {args.rounds} rounds, {args.samples} samples\n")
    print("| measure | p50 ms | p90 ms |")
    print("| --- | --- | --- |")
    print(f"| POST /signin | {sign_in_p50:.1f} | {percentile(sign_ins, 90):.1f} |")
    print(f"| bcrypt.checkpw | {bcrypt_p50:.1f} | {percentile(hashes, 90):.1f} |")
    verdict = "met" if sign_in_p50 <= limit else "missed"
    print(
        f"\nsign-in p50 {sign_in_p50:.1f} ms, target <= {limit:.1f} ms "
        f"(bcrypt x 1.1 + 2 ms): {verdict}; "
        f"overhead {sign_in_p50 - bcrypt_p50:.1f} ms"
    )
    print(f"sign-ins per second per core at {args.rounds} rounds: {1000 / bcrypt_p50:.1f}")


if __name__ == "__main__":
    main()

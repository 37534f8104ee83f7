"""Resident memory of a backend worker with the face detector loaded, over 2,000 requests.

Starts smartbrain-server with one worker (so that every request, the photos included, lands
in the process measured) over a fresh Valkey and SQLite. A first photo upload to /imageurl
(scikit-image's astronaut, a small JPEG) loads the detector; then --requests mixed requests
(profile reads and writes, PUT /image, session restores, sign-out and in, and photo uploads)
from --concurrency clients. RSS of the worker is read from /proc before, after every
quarter, and sampled each second. Target: under 250 MB, and flat.

    .venv/bin/python bench/memory.py [--requests 2000] [--concurrency 8] [--photo-size 512]
        [--database-url URL] [--redis-url URL]
"""

from __future__ import annotations

import argparse
import io

from harness import (
    Client,
    MemorySampler,
    Visitor,
    backend,
    load_average,
    register_users,
    rss_mb,
    run_load,
)
from PIL import Image
from skimage import data

MIX = {"read": 40, "count": 20, "write": 10, "restore": 10, "sign out and in": 5, "upload": 15}
LIMIT_MB = 250


def astronaut_jpeg(side: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(data.astronaut()).resize((side, side)).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def load_detector(base: str, visitor: Visitor) -> None:
    status, body = Client(base).call(
        "POST", "/imageurl", token=visitor.user.token, upload=("image", visitor.photo)
    )
    if status != 200:
        raise RuntimeError(f"/imageurl answered {status}: {body}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--photo-size", type=int, default=512, help="side of the JPEG, px")
    parser.add_argument("--database-url", help="default: SQLite in a temporary folder")
    parser.add_argument("--redis-url", help="default: a fresh Valkey on loopback")
    args = parser.parse_args()
    photo = astronaut_jpeg(args.photo_size)
    with backend(args.database_url, args.redis_url, 4, 1, ("--workers", "1")) as servers:
        server = servers[0]
        worker = server.pids[1]
        users = register_users(server.base, args.concurrency, "memory")
        visitors = [Visitor(server.base, u, MIX, seed, photo) for seed, u in enumerate(users)]
        started_mb = rss_mb(worker)
        load_detector(server.base, visitors[0])
        loaded_mb = rss_mb(worker)
        sampler = MemorySampler(server)
        sampler.start()
        quarters, errors = [], 0
        for _ in range(4):
            result = run_load(lambda i: visitors[i].step, args.concurrency, 600, args.requests // 4)
            errors += result.errors
            quarters.append(rss_mb(worker))
        sampler.stop()
    peak = max([rss for _, rss in sampler.samples[worker]] + quarters)
    growth = quarters[-1] - quarters[1]
    print(f"load average: {load_average()}; photo {args.photo_size} px, {len(photo)} bytes\n")
    print("| worker RSS | MB |")
    print("| --- | --- |")
    print(f"| started, detector not loaded | {started_mb:.1f} |")
    print(f"| detector loaded (first photo) | {loaded_mb:.1f} |")
    for quarter, rss in enumerate(quarters, start=1):
        print(f"| after {quarter * args.requests // 4} mixed requests | {rss:.1f} |")
    print(f"| peak, sampled each second | {peak:.1f} |")
    uploads = sum(len(visitor.timings["upload"]) for visitor in visitors)
    verdict = "met" if peak < LIMIT_MB else "missed"
    print(
        f"\n{errors} errors; {uploads} photo uploads. Under {LIMIT_MB} MB: {verdict}; "
        f"growth over the second half {growth:+.1f} MB"
    )


if __name__ == "__main__":
    main()

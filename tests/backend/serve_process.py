"""`python main.py serve` as a real child process, for the tests that start, kill and restart it."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
READY = re.compile(r"^SmartBrain backend listening on (http://127\.0\.0\.1:(\d+))$")

# Loopback requests must not go through a proxy named in the environment.
_http = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def call(method: str, url: str, body: dict | None = None, token: str | None = None):
    """(status, JSON body) of one HTTP request, errors included."""
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = token
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with _http.open(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


def serve_environment(data_dir: Path, **extra: str) -> dict[str, str]:
    """This environment without any SMARTBRAIN_* setting, but the data dir and fast bcrypt."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTBRAIN_")}
    env.update(SMARTBRAIN_DATA_DIR=str(data_dir), SMARTBRAIN_BCRYPT_ROUNDS="4", **extra)
    return env


def alive(pid: int) -> bool:
    """True while `pid` runs (a zombie waiting to be reaped has stopped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def children(pid: int) -> list[int]:
    """The processes `pid` started that still run (Linux: /proc)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return [child for child in found if alive(child)]


def is_worker(pid: int) -> bool:
    """Whether `pid` is one of Granian's worker processes (started by multiprocessing)."""
    try:
        return b"multiprocessing.spawn" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def is_valkey(pid: int) -> bool:
    try:
        return b"valkey" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def valkey_pid(data_dir: Path) -> int | None:
    try:
        return int((data_dir / "redis" / "valkey.pid").read_text().strip())
    except (OSError, ValueError):
        return None


def kill_leftover_valkey(data_dir: Path) -> None:
    """After a test that killed serve (or failed), stop the Valkey it left behind."""
    pid = valkey_pid(data_dir)
    if pid is not None and alive(pid) and is_valkey(pid):
        os.kill(pid, signal.SIGKILL)


class ServeProcess:
    """One `main.py serve --port 0` process; stdout is read line by line in a thread."""

    def __init__(self, env: dict[str, str], log: Path, *extra: str) -> None:
        self.data_dir = Path(env["SMARTBRAIN_DATA_DIR"])
        self.log = log
        self.url = ""
        self._lines: queue.Queue[str | None] = queue.Queue()
        with open(log, "ab") as stderr:
            self.process = subprocess.Popen(
                # One worker, as the desktop app asks for, unless `extra` says otherwise.
                [sys.executable, "main.py", "serve", "--port", "0", "--workers", "1", *extra],
                cwd=ROOT,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
            )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def wait_ready(self, timeout: float = 30.0) -> str:
        """The server's base URL, once it has printed its ready line."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"serve was not ready in {timeout} s:\n{self.log.read_text()}")
            if line is None:
                pytest.fail(f"serve exited before it was ready:\n{self.log.read_text()}")
            match = READY.match(line)
            if match:
                self.url = match.group(1)
                return self.url

    @property
    def workers(self) -> list[int]:
        """The worker processes serving HTTP."""
        return [pid for pid in children(self.process.pid) if is_worker(pid)]

    @property
    def valkey_pid(self) -> int:
        pid = valkey_pid(self.data_dir)
        assert pid is not None, "no valkey.pid in the data dir"
        return pid

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        self.process.send_signal(signum)
        return self.process.wait(timeout)

    def close(self) -> None:
        """Make sure the process is gone and every pipe closed (also after a failure)."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(15)
        self._reader.join(5)
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                pipe.close()

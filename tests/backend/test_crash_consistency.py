"""The backend killed in the middle of a profile save: the database holds either the old or the
new profile, never a mix; the next start works.

`python main.py serve` runs as a real process on a data directory (SQLite and the embedded
Valkey; or PostgreSQL when SMARTBRAIN_TEST_DATABASE_URL names one). Each round sends one
profile save from a thread, SIGKILLs the server a few milliseconds after the request starts,
starts it again on the same data directory, and reads the row straight from the database.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.backend.serve_process import (
    ServeProcess,
    call,
    kill_leftover_valkey,
    serve_environment,
)

PASSWORD = "correct horse battery"
ROUNDS = 7  # each restart costs ~3 s here: Python imports, and stopping the orphaned Valkey

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="checks processes in /proc")

Row = tuple[str | None, int | None, str | None]


@pytest.fixture
def serve(tmp_path) -> Iterator[Callable[..., ServeProcess]]:
    """Start serve processes on tmp_path/data; anything left behind is stopped afterwards."""
    data_dir = tmp_path / "data"
    started: list[ServeProcess] = []

    def start(**extra_env: str) -> ServeProcess:
        log = tmp_path / f"serve-{len(started)}.log"
        process = ServeProcess(serve_environment(data_dir, **extra_env), log)
        started.append(process)
        return process

    yield start
    for process in started:
        process.close()
    kill_leftover_valkey(data_dir)  # the last serve was killed, or a test failed


def _sqlite_reader(path: Path) -> Callable[[int], Row]:
    def read(user_id: int) -> Row:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            (check,) = connection.execute("PRAGMA integrity_check").fetchone()
            assert check == "ok", check
            row = connection.execute(
                "SELECT name, age, pet FROM users WHERE id = ?", (user_id,)
            ).fetchone()
        finally:
            connection.close()
        return tuple(row)

    return read


def _postgres_reader(url: str) -> Callable[[int], Row]:
    def read(user_id: int) -> Row:
        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                row = connection.execute(
                    text("SELECT name, age, pet FROM users WHERE id = :id"), {"id": user_id}
                ).one()
        finally:
            engine.dispose()
        return tuple(row)

    return read


def _save(url: str, user_id: int, token: str, i: int, outcome: list) -> None:
    body = {"formInput": {"name": f"N{i}", "age": i, "pet": f"P{i}"}}
    try:
        outcome.append(call("POST", f"{url}/profile/{user_id}", body, token))
    except OSError as error:  # the server died under the request
        outcome.append(error)


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_a_profile_save_killed_midway_leaves_old_or_new_and_the_next_start_works(
    request, serve, tmp_path, database
):
    extra_env = {}
    if database == "postgresql":
        if not os.environ.get("SMARTBRAIN_TEST_DATABASE_URL", "").startswith("postgresql"):
            pytest.skip("SMARTBRAIN_TEST_DATABASE_URL is not a PostgreSQL URL")
        database_url = request.getfixturevalue("database_url")  # emptied for this test
        extra_env["SMARTBRAIN_DATABASE_URL"] = database_url
        read_row = _postgres_reader(database_url)
    else:
        read_row = _sqlite_reader(tmp_path / "data" / "smartbrain.db")

    server = serve(**extra_env)
    url = server.wait_ready()
    status, body = call(
        "POST", f"{url}/register", {"name": "Dana", "email": "d@example.com", "password": PASSWORD}
    )
    assert status == 200, body
    user_id, token = body["userId"], body["token"]
    # How long one save takes, so the kills land before, during and after one.
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        assert call("POST", f"{url}/profile/{user_id}", {"formInput": {"age": 0}}, token)[0] == 200
        timings.append(time.perf_counter() - started)
    save_seconds = min(timings)
    before: Row = read_row(user_id)
    assert before == ("Dana", 0, None)

    # Kill moments spread over twice a save's time, in a shuffled order.
    rng = random.Random(20240611)
    delays = [2.0 * save_seconds * (k + rng.random()) / ROUNDS for k in range(ROUNDS)]
    rng.shuffle(delays)
    landed = {"old": 0, "new": 0}
    for i, delay in enumerate(delays, start=1):
        outcome: list = []
        saver = threading.Thread(target=_save, args=(url, user_id, token, i, outcome))
        saver.start()
        time.sleep(delay)
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(10)
        saver.join(15)
        assert not saver.is_alive(), "the request outlived the server"

        server = serve(**extra_env)
        url = server.wait_ready()
        after = read_row(user_id)
        new: Row = (f"N{i}", i, f"P{i}")
        assert after in (before, new), f"round {i}: {after} mixes {before} and {new}"
        if outcome and outcome[0] == (200, "success"):
            assert after == new, f"round {i}: the save was acknowledged but lost"
        landed["new" if after == new else "old"] += 1

        assert call("GET", f"{url}/health") == (
            200,
            {"status": "ok", "database": "ok", "redis": "ok"},
        )
        status, profile = call("GET", f"{url}/profile/{user_id}", token=token)
        assert status == 200, f"round {i}: the old token no longer works: {profile}"
        assert (profile["name"], profile["age"], profile["pet"]) == after
        before = after

    assert server.process.send_signal(signal.SIGTERM) is None
    assert server.process.wait(15) == 0
    print(f"{database}: kills left the old profile {landed['old']}x, the new {landed['new']}x")

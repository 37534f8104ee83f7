"""Two smartbrain-server processes sharing one Redis and one database: sessions, counts and
ranks are one on both."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from backend.leaderboard import ENTRIES, STATE
from tests.conftest import TEST_PASSWORD

SERVER = Path(sys.executable).with_name("smartbrain-server")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def call(base: str, method: str, path: str, body=None, token: str | None = None):
    request = urllib.request.Request(base + path, method=method)
    data = None if body is None else json.dumps(body).encode()
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", token)
    try:
        with urllib.request.urlopen(request, data, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


@pytest.fixture
def two_backends(config, tmp_path):
    env = {
        **os.environ,
        "SMARTBRAIN_DATABASE_URL": config.database_url,
        "SMARTBRAIN_REDIS_URL": config.redis_url,
        "SMARTBRAIN_BCRYPT_ROUNDS": "4",
    }
    processes, bases = [], []
    try:
        for _ in range(2):
            port = _free_port()
            processes.append(
                subprocess.Popen(
                    [str(SERVER), "--bind", f"127.0.0.1:{port}", "--workers", "1"],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            bases.append(f"http://127.0.0.1:{port}")
        for base in bases:
            _wait_for_health(base)
        yield bases
    finally:
        for process in processes:
            process.terminate()
            process.wait(30)


def _wait_for_health(base: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if call(base, "GET", "/health")[0] == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{base} did not come up")


def test_a_session_is_one_session_on_every_process(two_backends):
    first, second = two_backends
    body = {"name": "Dana", "email": "dana@example.com", "password": TEST_PASSWORD}
    status, registered = call(first, "POST", "/register", body)
    assert status == 200
    user_id, token = registered["id"], registered["token"]
    assert call(second, "GET", f"/profile/{user_id}", token=token)[0] == 200

    assert call(second, "POST", "/signout", token=token)[0] == 200
    assert call(first, "GET", f"/profile/{user_id}", token=token)[0] == 401

    sign_in = {"email": "dana@example.com", "password": TEST_PASSWORD}
    tokens = [call(base, "POST", "/signin", sign_in)[1]["token"] for base in (first, second)]
    status, answer = call(
        first, "POST", "/signout/everywhere", {"password": TEST_PASSWORD}, tokens[0]
    )
    assert (status, answer["revoked"]) == (200, 2)
    for base in (first, second):
        for each in tokens:
            assert call(base, "GET", "/sessions", token=each)[0] == 401


def test_entries_counted_on_both_processes_add_up(two_backends):
    first, second = two_backends
    body = {"name": "Dana", "email": "dana@example.com", "password": TEST_PASSWORD}
    _, registered = call(first, "POST", "/register", body)
    for base in (first, second, first, second):
        call(base, "PUT", "/image", {"id": registered["id"]}, registered["token"])
    _, profile = call(second, "GET", f"/profile/{registered['id']}", token=registered["token"])
    assert profile["entries"] == 4


def test_ranks_stay_exact_under_concurrent_entries_on_both_processes(two_backends, redis_client):
    bases = two_backends
    players = []
    for n in range(6):
        body = {"name": f"P{n}", "email": f"p{n}@example.com", "password": TEST_PASSWORD}
        players.append(call(bases[n % 2], "POST", "/register", body)[1])
    wanted = {player["id"]: n * 3 % 7 for n, player in enumerate(players)}  # ties included
    jobs = [
        (bases[(n + k) % 2], player)
        for n, player in enumerate(players)
        for k in range(wanted[player["id"]])
    ]
    with ThreadPoolExecutor(8) as pool:
        statuses = pool.map(
            lambda job: call(job[0], "PUT", "/image", {"id": job[1]["id"]}, job[1]["token"])[0],
            jobs,
        )
        assert set(statuses) == {200}
    in_set = dict(redis_client.zrange(ENTRIES, 0, -1, withscores=True))
    assert in_set == {str(user_id): float(count) for user_id, count in wanted.items()}
    for player in players:
        mine = wanted[player["id"]]
        rank = 1 + sum(other > mine for other in wanted.values())
        for base in bases:
            _, profile = call(base, "GET", f"/profile/{player['id']}", token=player["token"])
            assert (profile["entries"], profile["rank"], profile["totalUsers"]) == (mine, rank, 6)
    assert redis_client.hget(STATE, "ready") == "1"  # served from the set, not counted in SQL

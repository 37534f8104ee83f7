"""The data directory and what is in it are readable by their owner only (POSIX).

`main.py serve` as a real process on a data directory made with wider permissions; then the
helper itself, on real files.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.embedded_redis import EmbeddedRedis
from backend.migrate import upgrade
from backend.private_files import (
    private_dir,
    private_file,
    private_new_files,
    private_sqlite_database,
    private_tree,
)
from backend.redis_connection import redis_from_url
from tests.backend.serve_process import (
    ServeProcess,
    call,
    kill_leftover_valkey,
    serve_environment,
)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")

PASSWORD = "correct horse battery"
GROUP_OR_OTHER = 0o077


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def wider(path: Path) -> dict[str, str]:
    """Each path under `path` (itself included) that its group or others may use."""
    found = {}
    for item in [path, *path.rglob("*")]:
        if mode(item) & GROUP_OR_OTHER:
            found[str(item)] = oct(mode(item))
    return found


def _wait_for_the_rewrite(client, timeout: float = 10.0) -> None:
    """Until the AOF rewrite is over: its temporary files come and go meanwhile."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        persistence = client.info("persistence")
        if not persistence["aof_rewrite_in_progress"] and not persistence["aof_rewrite_scheduled"]:
            return
        time.sleep(0.05)
    pytest.fail("the AOF rewrite did not finish")


def unix_socket_of(redis_dir: Path) -> Path:
    for line in (redis_dir / "valkey.conf").read_text().splitlines():
        key, _, value = line.partition(" ")
        if key == "unixsocket":
            return Path(value.strip())
    pytest.fail("the embedded server has no unix socket")


@pytest.fixture
def serving(tmp_path) -> Iterator[ServeProcess]:
    """serve on a data dir that existed before at 0755, with a 0644 database and Valkey files."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    data_dir.chmod(0o755)
    database = data_dir / "smartbrain.db"
    upgrade(f"sqlite:///{database}")  # an existing database, from an earlier version...
    database.chmod(0o644)  # ...made with the usual umask
    redis_dir = data_dir / "redis"
    redis_dir.mkdir()
    redis_dir.chmod(0o755)
    (redis_dir / "valkey.log").write_text("an old log\n")
    (redis_dir / "valkey.log").chmod(0o644)
    process = ServeProcess(serve_environment(data_dir), tmp_path / "serve.log")
    try:
        process.wait_ready()
        yield process
    finally:
        process.close()
        kill_leftover_valkey(data_dir)


def test_serve_keeps_the_data_dir_and_everything_in_it_to_its_owner(serving):
    status, body = call(
        "POST",
        f"{serving.url}/register",
        {"name": "Dana", "email": "dana@example.com", "password": PASSWORD},
    )
    assert status == 200, body
    data_dir = serving.data_dir
    database = data_dir / "smartbrain.db"
    for companion in ("smartbrain.db-wal", "smartbrain.db-shm"):
        assert (data_dir / companion).exists()  # WAL mode, with a connection open
    redis_dir = data_dir / "redis"
    assert {"valkey.conf", "valkey.log", "valkey.pid"} <= {p.name for p in redis_dir.iterdir()}
    assert mode(data_dir) == 0o700
    assert mode(redis_dir) == 0o700
    assert mode(database) == 0o600
    assert wider(data_dir) == {}  # the database, its -wal and -shm, every Valkey file
    socket_path = unix_socket_of(redis_dir)
    assert stat.S_ISSOCK(os.lstat(socket_path).st_mode)
    assert mode(socket_path) & GROUP_OR_OTHER == 0
    assert mode(socket_path.parent) == 0o700


# The helper, on real files. A permissive umask shows that nothing relies on the caller's.


@pytest.fixture
def open_umask() -> Iterator[None]:
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def test_a_missing_directory_is_made_private_with_its_parents(tmp_path, open_umask):
    target = private_dir(tmp_path / "a" / "b")
    assert target.is_dir() and mode(target) == 0o700


@pytest.mark.parametrize(("before", "after"), [(0o777, 0o700), (0o755, 0o700), (0o500, 0o500)])
def test_an_existing_directory_loses_the_group_and_others_bits_only(tmp_path, before, after):
    folder = tmp_path / "data"
    folder.mkdir()
    folder.chmod(before)
    private_dir(folder)
    assert mode(folder) == after


def test_a_missing_file_is_made_empty_and_private(tmp_path, open_umask):
    assert mode(private_file(tmp_path / "new")) == 0o600
    assert (tmp_path / "new").read_bytes() == b""


def test_an_existing_file_keeps_its_content_and_loses_the_wider_bits(tmp_path):
    existing = tmp_path / "old"
    existing.write_bytes(b"keep me")
    existing.chmod(0o664)
    private_file(existing)
    assert mode(existing) == 0o600 and existing.read_bytes() == b"keep me"


def test_a_tree_is_made_private_but_links_out_of_it_are_not_followed(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("not ours to change")
    outside.chmod(0o644)
    tree = tmp_path / "tree"
    (tree / "nested").mkdir(parents=True)
    (tree / "nested" / "file").write_text("data")
    (tree / "link").symlink_to(outside)
    for item in (tree, tree / "nested", tree / "nested" / "file"):
        item.chmod(0o755)
    private_tree(tree)
    assert wider(tree) == {str(tree / "link"): oct(mode(tree / "link"))}  # a link's own mode
    assert mode(outside) == 0o644


def test_a_sqlite_database_and_the_files_sqlite_makes_beside_it_are_private(tmp_path, open_umask):
    database = tmp_path / "new" / "smartbrain.db"
    upgrade(f"sqlite:///{database}")  # what `main.py db upgrade` does
    assert mode(database.parent) == 0o700 and mode(database) == 0o600
    connection = sqlite3.connect(database)  # real SQLite, in WAL mode, with an open write
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE t (x)")
        connection.execute("INSERT INTO t VALUES (1)")
        connection.commit()
        for suffix in ("-wal", "-shm"):
            assert mode(database.with_name(database.name + suffix)) == 0o600
    finally:
        connection.close()


def test_an_existing_database_and_leftover_companions_lose_the_wider_bits(tmp_path):
    database = tmp_path / "smartbrain.db"
    upgrade(f"sqlite:///{database}")
    leftovers = [database.with_name(database.name + suffix) for suffix in ("-wal", "-journal")]
    for path in (database, *leftovers):
        path.touch()
        path.chmod(0o666)
    private_sqlite_database(database)
    assert [mode(path) for path in (database, *leftovers)] == [0o600] * 3


def test_new_files_are_private_inside_the_block_also_in_child_processes(tmp_path, open_umask):
    with private_new_files():
        (tmp_path / "ours").write_text("x")
        subprocess.run(["sh", "-c", f"echo x > '{tmp_path}/childs'; mkdir '{tmp_path}/dir'"])
    (tmp_path / "after").write_text("x")
    assert [mode(tmp_path / name) for name in ("ours", "childs", "dir", "after")] == [
        0o600,
        0o600,
        0o700,
        0o666,  # the umask is given back
    ]


def test_the_embedded_server_tightens_its_directory_and_keeps_new_files_private(tmp_path):
    redis_dir = tmp_path / "redis"
    redis_dir.mkdir()
    redis_dir.chmod(0o755)
    (redis_dir / "valkey.log").write_text("an old log\n")
    (redis_dir / "valkey.log").chmod(0o644)
    embedded = EmbeddedRedis(redis_dir)
    url = embedded.start()
    try:
        with redis_from_url(url) as client:
            client.set("k", "v")
            client.bgrewriteaof()  # Valkey writes new files of its own
            _wait_for_the_rewrite(client)
        assert mode(redis_dir) == 0o700
        assert (redis_dir / "appendonlydir").is_dir()
        assert wider(redis_dir) == {}
        socket_path = unix_socket_of(redis_dir)
        assert mode(socket_path) & GROUP_OR_OTHER == 0 and mode(socket_path.parent) == 0o700
    finally:
        embedded.stop()

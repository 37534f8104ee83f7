"""`python main.py db upgrade` adopts an existing SmartBrain database in place, creates a new
one from nothing, and is a no-op the second time; the old users then sign in with their old
passwords, and their bcrypt-nodejs hashes are replaced by the new scheme.

Runs on SQLite always, and on PostgreSQL (in a database of its own, created and dropped here)
when SMARTBRAIN_TEST_DATABASE_URL is a PostgreSQL URL.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import bcrypt
import pyotp
import pytest
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from backend.migrate import MIGRATIONS
from tests.conftest import app_on

ROOT = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get("SMARTBRAIN_TEST_DATABASE_URL", "")

# The course's schema, as its SQL created it (PostgreSQL) ...
ORIGINAL_POSTGRES_SQL = [
    "CREATE TABLE users (id serial PRIMARY KEY, name VARCHAR(100), email text UNIQUE NOT NULL,"
    " entries BIGINT DEFAULT 0, joined TIMESTAMP NOT NULL)",
    "CREATE TABLE login (id serial PRIMARY KEY, hash varchar(100) NOT NULL,"
    " email text UNIQUE NOT NULL)",
]
# ... and the same schema written for SQLite.
ORIGINAL_SQLITE_SQL = [
    "CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, name VARCHAR(100),"
    " email TEXT UNIQUE NOT NULL, entries BIGINT DEFAULT 0, joined TIMESTAMP NOT NULL)",
    "CREATE TABLE login (id INTEGER PRIMARY KEY AUTOINCREMENT, hash VARCHAR(100) NOT NULL,"
    " email TEXT UNIQUE NOT NULL)",
]

USER_COLUMNS = {"id", "name", "email", "entries", "joined", "age", "pet"}
LOGIN_COLUMNS = {"id", "hash", "email"}
NEW_TABLES = ["recovery_codes", "two_step"]  # two-step verification (0003), empty at first
TWO_STEP_COLUMNS = {"user_id", "secret", "enabled_at"}
RECOVERY_CODE_COLUMNS = {"id", "user_id", "code_hash"}

ANN_PASSWORD = "cookies"  # the course allowed short passwords
# 71 ASCII bytes, then "é" (2 bytes in UTF-8): byte 72 is the first half of "é", where
# bcrypt-nodejs stopped reading.
LONG_PASSWORD = "x" * 71 + "é and the rest of a long passphrase that bcrypt never saw"
SAME_FIRST_72_BYTES = "x" * 71 + "é but a different ending"


def _bcrypt_nodejs_hash(password: str) -> str:
    """What bcrypt-nodejs stored: bcrypt at cost 10 over the first 72 UTF-8 bytes, as `$2a$`
    (the same algorithm as `$2b$`; only the version letter differs)."""
    hashed = bcrypt.hashpw(password.encode("utf-8")[:72], bcrypt.gensalt(10)).decode("ascii")
    assert hashed.startswith("$2b$10$")
    return "$2a$" + hashed[len("$2b$") :]


LEGACY_USERS = [
    # name, email as typed at registration, password, entries, joined
    ("Ann", "ann@example.com", ANN_PASSWORD, 5, "2017-03-04 05:06:07"),
    ("Old User", "Old.User@Example.com", LONG_PASSWORD, 12, "2018-11-30 23:59:59"),
]
LEGACY_HASHES = {email: _bcrypt_nodejs_hash(pw) for _n, email, pw, _e, _j in LEGACY_USERS}


def _head() -> str:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


@contextmanager
def _engine(url: str):
    engine = create_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path) -> Iterator[str]:
    """The URL of a database with nothing in it, of each kind available."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'nested' / 'smartbrain.db'}"
        return
    if not PG_URL.startswith("postgresql"):
        pytest.skip("SMARTBRAIN_TEST_DATABASE_URL is not a PostgreSQL URL")
    name = f"smartbrain_migrations_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture
def legacy_database(empty_database) -> str:
    """An existing SmartBrain database, as the original Express server left it."""
    url = make_url(empty_database)
    if url.get_backend_name() == "sqlite":
        Path(url.database).parent.mkdir(parents=True)  # the original server made its own file
    with _engine(empty_database) as engine, engine.begin() as connection:
        sql = ORIGINAL_SQLITE_SQL if connection.dialect.name == "sqlite" else ORIGINAL_POSTGRES_SQL
        for statement in sql:
            connection.execute(text(statement))
        for name, email, _password, entries, joined in LEGACY_USERS:
            # what the original /register did, in one transaction: login, then users
            connection.execute(
                text("INSERT INTO login (hash, email) VALUES (:hash, :email)"),
                {"hash": LEGACY_HASHES[email], "email": email},
            )
            connection.execute(
                text(
                    "INSERT INTO users (name, email, entries, joined)"
                    " VALUES (:name, :email, :entries, :joined)"
                ),
                {
                    "name": name,
                    "email": email,
                    "entries": entries,
                    "joined": joined,  # text, as SQLite keeps it and PostgreSQL reads it
                },
            )
    return empty_database


def _db_upgrade(database_url: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    """The real command, as an operator would run it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTBRAIN_")}
    env.update(SMARTBRAIN_DATABASE_URL=database_url, SMARTBRAIN_DATA_DIR=str(data_dir))
    return subprocess.run(
        [sys.executable, "main.py", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _assert_upgraded(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stderr
    assert "The database is up to date." in result.stdout
    assert "Traceback" not in result.stderr


def _snapshot(database_url: str) -> dict:
    """Everything an upgrade could change: tables, columns, indexes, version, and the rows."""
    with _engine(database_url) as engine, engine.connect() as connection:
        inspector = inspect(connection)
        tables = sorted(inspector.get_table_names())
        schema = {
            table: (
                sorted(column["name"] for column in inspector.get_columns(table)),
                _index_names(connection, table),
            )
            for table in tables
        }
        rows = {
            table: sorted(map(tuple, connection.execute(text(f"SELECT * FROM {table}")).all()))
            for table in ("users", "login")
            if table in tables
        }
        version = (
            connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
            if "alembic_version" in tables
            else None
        )
    return {"tables": tables, "schema": schema, "rows": rows, "version": version}


def _index_names(connection, table: str) -> list[str]:
    """Index names, expression indexes included (SQLAlchemy does not reflect those on SQLite)."""
    if connection.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :table"
    else:
        query = "SELECT indexname FROM pg_indexes WHERE tablename = :table"
    return sorted(connection.execute(text(query), {"table": table}).scalars())


def _login_hash(database_url: str, email: str) -> str:
    with _engine(database_url) as engine, engine.connect() as connection:
        return connection.execute(
            text("SELECT hash FROM login WHERE email = :email"), {"email": email}
        ).scalar_one()


def _sign_in(client, email: str, password: str):
    return client.post("/signin", json={"email": email, "password": password})


def test_an_original_database_is_upgraded_in_place(legacy_database, tmp_path):
    before = _snapshot(legacy_database)
    assert before["tables"] == ["login", "users"] and before["version"] is None

    _assert_upgraded(_db_upgrade(legacy_database, tmp_path / "data"))

    after = _snapshot(legacy_database)
    assert after["tables"] == ["alembic_version", "login", *NEW_TABLES, "users"]
    assert after["version"] == [_head()]
    assert set(after["schema"]["users"][0]) == USER_COLUMNS  # gained age and pet
    assert set(after["schema"]["login"][0]) == LOGIN_COLUMNS
    # every row kept as it was; the new columns are empty
    assert after["rows"]["login"] == before["rows"]["login"]
    assert [row[:5] for row in after["rows"]["users"]] == before["rows"]["users"]
    with _engine(legacy_database) as engine, engine.connect() as connection:
        assert connection.execute(text("SELECT age, pet FROM users")).all() == [(None, None)] * 2

    # the second run changes nothing
    _assert_upgraded(_db_upgrade(legacy_database, tmp_path / "data"))
    assert _snapshot(legacy_database) == after


def test_old_users_sign_in_with_their_old_passwords_and_their_hashes_are_upgraded(
    legacy_database, tmp_path, redis_url, redis_client
):
    _assert_upgraded(_db_upgrade(legacy_database, tmp_path / "data"))
    with app_on(legacy_database, redis_url) as app:
        client = app.test_client()

        variants = ["ANN@example.com", "ann@example.com"]
        assert _login_hash(legacy_database, "ann@example.com").startswith("$2a$10$")
        first = _sign_in(client, variants[0], ANN_PASSWORD)
        assert first.status_code == 200, first.get_json()
        assert first.get_json()["user"]["email"] == "ann@example.com"
        upgraded = _login_hash(legacy_database, "ann@example.com")
        assert upgraded.startswith("sha256$"), upgraded
        for variant in variants:  # the new hash works, for the email in any case
            assert _sign_in(client, variant, ANN_PASSWORD).status_code == 200, variant
        assert _login_hash(legacy_database, "ann@example.com") == upgraded  # rehashed only once
        wrong = _sign_in(client, "ann@example.com", ANN_PASSWORD + "!")
        assert wrong.status_code == 400
        assert wrong.get_json()["error"]["code"] == "invalid_credentials"

        # the old user's profile is intact, and the new fields work on the old rows
        body = _sign_in(client, "ann@example.com", ANN_PASSWORD).get_json()
        headers = {"Authorization": body["token"]}
        profile = client.get(f"/profile/{body['userId']}", headers=headers).get_json()
        assert {field: profile[field] for field in USER_COLUMNS} == {
            "id": body["userId"],
            "name": "Ann",
            "email": "ann@example.com",
            "entries": 5,
            "joined": "2017-03-04T05:06:07Z",
            "age": None,
            "pet": None,
        }
        saved = client.post(
            f"/profile/{body['userId']}",
            headers=headers,
            json={"formInput": {"age": "31", "pet": "cat"}},
        )
        assert saved.status_code == 200
        assert client.put("/image", headers=headers, json={"id": body["userId"]}).get_json() == 6
        profile = client.get(f"/profile/{body['userId']}", headers=headers).get_json()
        assert (profile["age"], profile["pet"], profile["entries"]) == (31, "cat", 6)

        # new accounts get fresh ids next to the old ones, and old emails stay taken
        new = client.post(
            "/register",
            json={"name": "Nia", "email": "nia@example.com", "password": "a new password"},
        )
        assert new.status_code == 200, new.get_json()
        assert new.get_json()["userId"] not in {body["userId"], 1, 2}
        taken = client.post(
            "/register",
            json={"name": "Copy", "email": "old.user@EXAMPLE.com", "password": "whatever pw"},
        )
        assert taken.status_code == 409


def test_a_legacy_hash_that_saw_only_72_bytes_is_kept_until_the_password_changes(
    legacy_database, tmp_path, redis_url, redis_client
):
    """bcrypt-nodejs read 72 bytes: a longer password signs in, in any case of its email, but
    its hash is not replaced, or a user who mistyped the tail once would be held to the typo."""
    _assert_upgraded(_db_upgrade(legacy_database, tmp_path / "data"))
    email = "Old.User@Example.com"
    with app_on(legacy_database, redis_url) as app:
        client = app.test_client()
        legacy = _login_hash(legacy_database, email)
        for variant in ["old.user@example.com", "OLD.USER@EXAMPLE.COM", email]:
            signed_in = _sign_in(client, variant, SAME_FIRST_72_BYTES)
            assert signed_in.status_code == 200, variant
            assert signed_in.get_json()["user"]["email"] == email
        assert _sign_in(client, email, LONG_PASSWORD).status_code == 200
        assert _login_hash(legacy_database, email) == legacy
        assert _sign_in(client, email, "x" * 70 + "yé").status_code == 400

        # A new password is hashed the new way, which reads every byte of it.
        token = _sign_in(client, email, LONG_PASSWORD).get_json()["token"]
        changed = client.post(
            "/password",
            headers={"Authorization": token},
            json={"currentPassword": SAME_FIRST_72_BYTES, "newPassword": LONG_PASSWORD},
        )
        assert changed.status_code == 200, changed.get_json()
        assert _login_hash(legacy_database, email).startswith("sha256$")
        assert _sign_in(client, email, LONG_PASSWORD).status_code == 200
        assert _sign_in(client, email, SAME_FIRST_72_BYTES).status_code == 400


def _add_legacy_user(database_url: str, name: str, email: str, password: str) -> int:
    """A user as the original /register made it (it matched emails exactly, case and all)."""
    with _engine(database_url) as engine, engine.begin() as connection:
        connection.execute(
            text("INSERT INTO login (hash, email) VALUES (:hash, :email)"),
            {"hash": _bcrypt_nodejs_hash(password), "email": email},
        )
        connection.execute(
            text("INSERT INTO users (name, email, entries, joined) VALUES (:name, :email, 0, :at)"),
            {"name": name, "email": email, "at": "2019-01-02 03:04:05"},
        )
        return connection.execute(
            text("SELECT id FROM users WHERE email = :email"), {"email": email}
        ).scalar_one()


def test_accounts_whose_emails_differ_only_in_case_each_keep_their_own_password(
    legacy_database, tmp_path, redis_url, redis_client
):
    other_password = "another secret"
    other = _add_legacy_user(legacy_database, "Annie", "ANN@Example.com", other_password)
    with _engine(legacy_database) as engine, engine.connect() as connection:
        ann = connection.execute(text("SELECT id FROM users WHERE name = 'Ann'")).scalar_one()

    result = _db_upgrade(legacy_database, tmp_path / "data")
    _assert_upgraded(result)
    notices = [line for line in result.stdout.splitlines() if "letter case" in line]
    assert notices == [
        f"Accounts {min(ann, other)} and {max(ann, other)} have emails that differ only in "
        "letter case; each keeps signing in with its own password only."
    ]
    assert "ANN@Example.com" not in result.stdout  # ids, not emails, in an operator's log

    with app_on(legacy_database, redis_url) as app:
        client = app.test_client()
        for typed in ["ann@example.com", "ANN@Example.com", "Ann@EXAMPLE.com"]:
            for password, user_id in [(ANN_PASSWORD, ann), (other_password, other)]:
                for _ in range(2):  # before and after the legacy hash is upgraded
                    response = _sign_in(client, typed, password)
                    assert response.status_code == 200, (typed, password)
                    assert response.get_json()["userId"] == user_id, (typed, password)
            assert _sign_in(client, typed, "neither password").status_code == 400

        # A password change reaches the signed-in user's own login only.
        token = _sign_in(client, "ann@example.com", other_password).get_json()["token"]
        changed = client.post(
            "/password",
            headers={"Authorization": token},
            json={"currentPassword": other_password, "newPassword": "a brand new passphrase"},
        )
        assert changed.status_code == 200, changed.get_json()
        assert _sign_in(client, "ANN@Example.com", ANN_PASSWORD).get_json()["userId"] == ann
        renewed = _sign_in(client, "ann@example.com", "a brand new passphrase")
        assert renewed.get_json()["userId"] == other
        assert _sign_in(client, "ann@example.com", other_password).status_code == 400

        # New registrations stay unique whatever the case.
        taken = client.post(
            "/register",
            json={"name": "Ann", "email": "aNN@example.COM", "password": "a fine passphrase"},
        )
        assert taken.status_code == 409


def test_a_new_database_is_created_by_the_same_migrations(
    empty_database, tmp_path, redis_url, redis_client
):
    _assert_upgraded(_db_upgrade(empty_database, tmp_path / "data"))
    created = _snapshot(empty_database)
    assert created["tables"] == ["alembic_version", "login", *NEW_TABLES, "users"]
    assert created["version"] == [_head()]
    assert set(created["schema"]["users"][0]) == USER_COLUMNS
    assert set(created["schema"]["login"][0]) == LOGIN_COLUMNS
    assert created["rows"] == {"login": [], "users": []}
    assert set(created["schema"]["two_step"][0]) == TWO_STEP_COLUMNS
    assert set(created["schema"]["recovery_codes"][0]) == RECOVERY_CODE_COLUMNS

    _assert_upgraded(_db_upgrade(empty_database, tmp_path / "data"))
    assert _snapshot(empty_database) == created

    with app_on(empty_database, redis_url) as app:
        client = app.test_client()
        registered = client.post(
            "/register",
            json={"name": "Dana", "email": "Dana@Example.com", "password": "correct horse"},
        )
        assert registered.status_code == 200, registered.get_json()
        assert _sign_in(client, "dana@example.com", "correct horse").status_code == 200


def _original_server(database_url: str, stop: threading.Event, failures: list, rounds: list):
    """What the original Express server does on every sign-in and register, in a loop.

    node-postgres sends unnamed statements, so psycopg must not prepare them either (a
    prepared `SELECT *` would fail, rightly, once the table has gained columns).
    """
    postgres = make_url(database_url).get_backend_name() == "postgresql"
    engine = create_engine(
        database_url, connect_args={"prepare_threshold": None} if postgres else {}
    )
    try:
        while not stop.is_set():
            try:
                with engine.begin() as connection:
                    login = connection.execute(
                        text("SELECT email, hash FROM login WHERE email = :email"),
                        {"email": "ann@example.com"},
                    ).one()
                    assert bcrypt.checkpw(b"cookies", login.hash.replace("$2a$", "$2b$").encode())
                    connection.execute(
                        text("SELECT * FROM users WHERE email = :email"), {"email": login.email}
                    ).one()
                with engine.begin() as connection:  # register
                    email = f"new{len(rounds)}-{uuid.uuid4().hex[:6]}@example.com"
                    connection.execute(
                        text("INSERT INTO login (hash, email) VALUES (:hash, :email)"),
                        {"hash": LEGACY_HASHES["ann@example.com"], "email": email},
                    )
                    connection.execute(
                        text("INSERT INTO users (name, email, joined) VALUES ('N', :email, :at)"),
                        {"email": email, "at": "2019-01-01 00:00:00"},
                    )
                rounds.append(time.monotonic())
            except Exception as error:  # noqa: BLE001 - every failure is the finding
                failures.append(repr(error))
    finally:
        engine.dispose()


def test_the_original_server_keeps_working_while_the_upgrade_runs(legacy_database, tmp_path):
    stop, failures, rounds = threading.Event(), [], []
    server = threading.Thread(
        target=_original_server, args=(legacy_database, stop, failures, rounds), daemon=True
    )
    server.start()
    try:
        while len(rounds) < 3:  # it is serving before the upgrade starts...
            time.sleep(0.01)
        started = time.monotonic()
        _assert_upgraded(_db_upgrade(legacy_database, tmp_path / "data"))
        finished = time.monotonic()
        time.sleep(0.2)  # ...and after it ends
    finally:
        stop.set()
        server.join(10)
    assert failures == []
    assert any(started <= moment <= finished for moment in rounds)
    assert any(moment > finished for moment in rounds)


def test_an_old_user_of_an_upgraded_database_turns_two_step_on_and_signs_in_with_it(
    legacy_database, tmp_path, redis_url, redis_client
):
    _assert_upgraded(_db_upgrade(legacy_database, tmp_path / "data"))
    with app_on(legacy_database, redis_url) as app:
        client = app.test_client()
        body = _sign_in(client, "ann@example.com", ANN_PASSWORD).get_json()
        headers = {"Authorization": body["token"]}
        setup = client.post("/two-step/setup", headers=headers, json={"password": ANN_PASSWORD})
        app_code = pyotp.TOTP(setup.get_json()["secret"])
        enabled = client.post("/two-step/enable", headers=headers, json={"code": app_code.now()})
        assert enabled.status_code == 200, enabled.get_json()

        challenge = _sign_in(client, "ann@example.com", ANN_PASSWORD).get_json()["error"]
        recovery = enabled.get_json()["recoveryCodes"][0]
        signed_in = client.post(
            "/signin/code", json={"challenge": challenge["challenge"], "code": recovery}
        )
        assert signed_in.status_code == 200, signed_in.get_json()
        assert signed_in.get_json()["userId"] == body["userId"]

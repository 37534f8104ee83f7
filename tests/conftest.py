"""Shared fixtures: the real parts, started once per session where they can be.

Redis is a real Redis-protocol server: the backend's own embedded Valkey, or the server named
by SMARTBRAIN_TEST_REDIS_URL. The database is a fresh SQLite file per test, or the database
named by SMARTBRAIN_TEST_DATABASE_URL (emptied and migrated per test).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from flask import Flask
from redis import Redis
from sqlalchemy import create_engine, inspect, text
from werkzeug.serving import make_server

from backend import create_app
from backend.config import Config
from backend.embedded_redis import EmbeddedRedis
from backend.extensions import db
from backend.migrate import upgrade
from backend.redis_connection import redis_from_url

TEST_PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> Iterator[str]:
    configured = os.environ.get("SMARTBRAIN_TEST_REDIS_URL")
    if configured:
        yield configured
        return
    embedded = EmbeddedRedis(tmp_path_factory.mktemp("redis"))
    try:
        yield embedded.start()
    finally:
        embedded.stop()


@pytest.fixture
def redis_client(redis_url) -> Iterator[Redis]:
    client = redis_from_url(redis_url)
    client.flushdb()
    yield client
    client.close()


def _empty_database(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        for table in ("recovery_codes", "two_step", "login", "users", "alembic_version"):
            if inspect(connection).has_table(table):
                connection.execute(text(f"DROP TABLE {table}"))
    engine.dispose()


@pytest.fixture
def database_url(tmp_path) -> str:
    """An empty database: migrations not yet applied."""
    configured = os.environ.get("SMARTBRAIN_TEST_DATABASE_URL")
    if configured:
        _empty_database(configured)
        return configured
    return f"sqlite:///{tmp_path / 'smartbrain.db'}"


@pytest.fixture
def config(database_url, redis_url, redis_client, tmp_path) -> Config:
    upgrade(database_url)
    return Config(
        {
            "SMARTBRAIN_DATA_DIR": str(tmp_path / "data"),
            "SMARTBRAIN_DATABASE_URL": database_url,
            "SMARTBRAIN_REDIS_URL": redis_url,
            "SMARTBRAIN_BCRYPT_ROUNDS": "4",
        }
    )


@contextmanager
def built_app(config: Config) -> Iterator[Flask]:
    """An app from `config`, its database engine and Redis pool closed afterwards."""
    app = create_app(config)
    try:
        yield app
    finally:
        app.extensions["smartbrain.redis"].close()
        db.engine_of(app).dispose()


def app_on(database_url: str, redis_url: str):
    """`built_app` for a given database and Redis (fast bcrypt, the rest by default)."""
    settings = {
        "SMARTBRAIN_DATABASE_URL": database_url,
        "SMARTBRAIN_REDIS_URL": redis_url,
        "SMARTBRAIN_BCRYPT_ROUNDS": "4",
    }
    return built_app(Config(settings))


@pytest.fixture
def app(config):
    with built_app(config) as app:
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@dataclass
class SignedIn:
    user: dict
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": self.token}


class Accounts:
    """Registers users through the API, the way a client would."""

    def __init__(self, client) -> None:
        self._client = client
        self._count = 0

    def register(self, name: str = "Dana", email: str | None = None) -> SignedIn:
        self._count += 1
        email = email or f"user{self._count}@example.com"
        response = self._client.post(
            "/register", json={"name": name, "email": email, "password": TEST_PASSWORD}
        )
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        return SignedIn(user=body["user"], token=body["token"])


@pytest.fixture
def accounts(client) -> Accounts:
    return Accounts(client)


@pytest.fixture
def auth(accounts) -> SignedIn:
    """A registered, signed-in user."""
    return accounts.register()


@pytest.fixture
def live_server(app) -> Iterator[str]:
    """The real backend over real HTTP on loopback; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(5)

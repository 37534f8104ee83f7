"""The process-wide connections: one database engine and one Redis client per app."""

from __future__ import annotations

import select
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask, current_app, g
from redis import Redis
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from backend.redis_connection import redis_from_url
from backend.sqlite_write_gate import add_write_gate
from backend.token_store import TokenStore

# Connections each worker keeps open, and how many more it may open for a burst. Granian runs
# a request thread per concurrent request: with a pool of 5, eight requests at once queued for
# a connection or opened and closed one each (PostgreSQL GET /profile, 16 clients: 860/s with
# 5, 1,278/s with 16; bench/README.md).
POOL_SIZE = 16
POOL_OVERFLOW = 4


def make_engine(database_url: str) -> Engine:
    """An engine whose connections autocommit: a request's statement is its one round trip.

    No BEGIN, no ROLLBACK and no pre-ping `SELECT 1` around it; the few writes that need
    several statements together take a `Database.transaction()`. A pooled PostgreSQL
    connection that the server has closed meanwhile (a restart) is noticed at checkout
    without a round trip, and replaced.
    """
    if database_url.startswith("sqlite"):
        in_memory = make_url(database_url).database in (None, "", ":memory:")
        engine = create_engine(
            database_url,
            isolation_level="AUTOCOMMIT",
            connect_args={"timeout": 15},
            # an in-memory database lives in one connection per thread: no pool to size
            **({} if in_memory else {"pool_size": POOL_SIZE, "max_overflow": POOL_OVERFLOW}),
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        if not in_memory:
            add_write_gate(engine, Path(make_url(database_url).database or ""))
        return engine
    engine = create_engine(
        database_url,
        isolation_level="AUTOCOMMIT",
        pool_size=POOL_SIZE,
        max_overflow=POOL_OVERFLOW,
    )
    event.listen(engine, "checkout", _drop_if_closed_by_server)
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode, NORMAL syncs at checkpoints, not at every commit: a crash of the process
    # loses nothing; only a power cut can lose the last commits (SQLite's advice for WAL).
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _drop_if_closed_by_server(dbapi_connection, _record, _proxy) -> None:
    """Replace a pooled connection the server has hung up on, before it is used.

    An idle connection has nothing to read; when its socket is readable, the server closed it
    or said why it is about to (a restart sends "terminating connection"). Costs one poll.
    """
    socket_of = getattr(getattr(dbapi_connection, "pgconn", None), "socket", None)
    if socket_of is None:
        return
    try:
        readable, _, _ = select.select([socket_of], [], [], 0)
    except (OSError, ValueError):
        readable = [socket_of]
    if readable:
        raise DisconnectionError("the server closed this connection")


class Database:
    """Sessions bound to the app's engine: one per request, closed on teardown.

    `session` (ORM) and `connect()` (Core, cheaper by a session's cost) autocommit each
    statement; `transaction()` is for writes that stand or fall together.
    """

    def init_app(self, app: Flask) -> None:
        engine = make_engine(app.config["DATABASE_URL"])
        app.extensions["smartbrain.db.engine"] = engine
        app.extensions["smartbrain.db"] = sessionmaker(engine, expire_on_commit=False)
        default_isolation = "SERIALIZABLE" if engine.dialect.name == "sqlite" else "READ COMMITTED"
        app.extensions["smartbrain.db.transactions"] = sessionmaker(
            engine.execution_options(isolation_level=default_isolation), expire_on_commit=False
        )
        app.teardown_appcontext(self._close_session)

    @property
    def engine(self) -> Engine:
        return self.engine_of(current_app)

    @staticmethod
    def engine_of(app: Flask) -> Engine:
        """The app's engine, outside a request (clean-up, tests)."""
        return app.extensions["smartbrain.db.engine"]

    def connect(self) -> Connection:
        """A pooled connection for Core statements, the hot paths' way: no ORM session."""
        return self.engine.connect()

    @property
    def session(self) -> Session:
        if "db_session" not in g:
            g.db_session = current_app.extensions["smartbrain.db"]()
        return g.db_session

    @staticmethod
    @contextmanager
    def transaction() -> Iterator[Session]:
        """A session whose statements commit together at the end of the block, or not at all."""
        with current_app.extensions["smartbrain.db.transactions"].begin() as session:
            yield session

    @staticmethod
    def _close_session(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()


class RedisClient:
    """The app's Redis client, built from SMARTBRAIN_REDIS_URL."""

    def init_app(self, app: Flask) -> None:
        app.extensions["smartbrain.redis"] = redis_from_url(app.config["REDIS_URL"])

    @property
    def client(self) -> Redis:
        return current_app.extensions["smartbrain.redis"]


db = Database()
redis_store = RedisClient()


class Tokens:
    """The app's TokenStore, over the app's Redis client."""

    def init_app(self, app: Flask) -> None:
        app.extensions["smartbrain.tokens"] = TokenStore(
            app.extensions["smartbrain.redis"],
            idle_seconds=app.config["SESSION_IDLE_SECONDS"],
            max_seconds=app.config["SESSION_MAX_SECONDS"],
        )

    @property
    def store(self) -> TokenStore:
        return current_app.extensions["smartbrain.tokens"]


tokens = Tokens()

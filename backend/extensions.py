"""The process-wide connections: one database engine and one Redis client per app."""

from __future__ import annotations

from flask import Flask, current_app, g
from redis import Redis
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from backend.redis_connection import redis_from_url
from backend.token_store import TokenStore


def make_engine(database_url: str) -> Engine:
    """An engine that survives database restarts (pre-ping) and, on SQLite, waits for locks."""
    if database_url.startswith("sqlite"):
        engine = create_engine(database_url, connect_args={"timeout": 15})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(database_url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class Database:
    """A sessionmaker bound to the app's engine; one session per request, closed on teardown."""

    def init_app(self, app: Flask) -> None:
        engine = make_engine(app.config["DATABASE_URL"])
        app.extensions["smartbrain.db"] = sessionmaker(engine, expire_on_commit=False)
        app.teardown_appcontext(self._close_session)

    @property
    def engine(self) -> Engine:
        return current_app.extensions["smartbrain.db"].kw["bind"]

    @property
    def session(self) -> Session:
        if "db_session" not in g:
            g.db_session = current_app.extensions["smartbrain.db"]()
        return g.db_session

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

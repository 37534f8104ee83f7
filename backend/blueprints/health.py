"""Liveness of the backing services."""

from __future__ import annotations

from flask import Blueprint
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from backend import responses
from backend.extensions import db, redis_store
from backend.openapi import endpoint

bp = Blueprint("health", __name__)


def _database_ok() -> bool:
    try:
        with db.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
        return True
    except SQLAlchemyError:
        return False


def _redis_ok() -> bool:
    try:
        return bool(redis_store.client.ping())
    except RedisError:
        return False


@bp.get("/health")
@endpoint(responses.Health)
def health():
    """200 when the database and Redis both answer, 503 otherwise."""
    database, redis = _database_ok(), _redis_ok()
    body = {
        "status": "ok" if database and redis else "unavailable",
        "database": "ok" if database else "unavailable",
        "redis": "ok" if redis else "unavailable",
    }
    return body, 200 if database and redis else 503

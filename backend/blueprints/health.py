"""Liveness of the backing services."""

from __future__ import annotations

import time

from flask import Blueprint, Response, current_app
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from backend import responses
from backend.contract import endpoint
from backend.extensions import db, redis_store

bp = Blueprint("health", __name__)

# How long a good check is believed. /health needs no sign-in: were each request to reach the
# database and Redis, anyone could load both with it (and it would cost most of its time).
FRESH_SECONDS = 1.0


class HealthCheck:
    """The backing services' state, checked at most once per FRESH_SECONDS while both are fine.

    A failed check is never remembered, and any 503 the app answers forgets the last good
    one, so an outage shows as soon as any request meets it (within FRESH_SECONDS if none do).
    """

    def __init__(self) -> None:
        self._good_until = 0.0

    def state(self) -> tuple[bool, bool]:
        """(database answers, Redis answers)."""
        if time.monotonic() < self._good_until:
            return True, True
        database, redis = _database_ok(), _redis_ok()
        if database and redis:
            self._good_until = time.monotonic() + FRESH_SECONDS
        return database, redis

    def forget(self) -> None:
        self._good_until = 0.0


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


@bp.record_once
def _init_health_check(state) -> None:
    state.app.extensions["smartbrain.health"] = HealthCheck()


@bp.after_app_request
def _forget_good_check_on_outage(response: Response) -> Response:
    if response.status_code == 503:
        current_app.extensions["smartbrain.health"].forget()
    return response


@bp.get("/health")
@endpoint(responses.Health)
def health():
    """200 when the database and Redis both answer (checked at most once a second while they
    do), 503 otherwise."""
    database, redis = current_app.extensions["smartbrain.health"].state()
    body = {
        "status": "ok" if database and redis else "unavailable",
        "database": "ok" if database else "unavailable",
        "redis": "ok" if redis else "unavailable",
    }
    return body, 200 if database and redis else 503

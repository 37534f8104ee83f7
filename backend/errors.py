"""One JSON error shape, made here: {"error": {"code", "message", "fields"?}}."""

from __future__ import annotations

import logging

from flask import Flask, jsonify
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from backend.http_policy import request_id
from backend.statuses import STATUSES, Status

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error a view raises; the handler turns it into the JSON error shape."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: dict[str, str] | None = None,
        retry_after: int | None = None,
        extra: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields
        self.retry_after = retry_after  # seconds, sent as Retry-After and retryAfter
        self.extra = extra or {}  # more members of the error object, by their wire names


class FailedCheck(ApiError):
    """A password or a code did not match: the errors that count as failed attempts."""


class WrongPassword(FailedCheck):
    """The password did not match."""

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(400, "invalid_credentials", message, fields)


class WrongCode(FailedCheck):
    """The two-step code (or recovery code) did not match, or was used already."""

    def __init__(self, field: str = "code") -> None:
        super().__init__(
            400, "invalid_code", "This code is not correct.", {field: "This code is not correct."}
        )


def error_response(
    status: int,
    code: str,
    message: str,
    fields: dict[str, str] | None = None,
    **extra: object,
):
    body: dict = {"code": code, "message": message, "requestId": request_id(), **extra}
    if fields:
        body["fields"] = fields
    return jsonify({"error": body}), status


def api_error_response(error: ApiError):
    extra = dict(error.extra)
    if error.retry_after is not None:
        extra["retryAfter"] = error.retry_after
    response, status = error_response(
        error.status, error.code, error.message, error.fields, **extra
    )
    if error.retry_after is not None:
        response.headers["Retry-After"] = str(error.retry_after)
    return response, status


def invalid_input(fields: dict[str, str]) -> ApiError:
    """400 with a message under each field of `fields` that needs another look."""
    return ApiError(400, "invalid_input", "Please check the highlighted fields.", fields)


def session_ended() -> ApiError:
    """401 for a token whose session has ended, or whose account is gone."""
    return ApiError(401, "unauthorized", "Your session has ended. Please sign in again.")


def too_many_attempts(wait: int) -> ApiError:
    """429 with Retry-After: `wait` seconds until the limit lets the next attempt through."""
    return ApiError(
        429,
        "rate_limited",
        f"Too many attempts. Please try again in {wait} seconds.",
        retry_after=wait,
    )


_UNLISTED = Status("error", None, "")


def _status_response(status: int):
    """The error in the table's words for `status`."""
    words = STATUSES[status]
    return error_response(status, words.code, words.message or words.documented)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def on_api_error(error: ApiError):
        return api_error_response(error)

    @app.errorhandler(HTTPException)
    def on_http_exception(error: HTTPException):
        status = error.code or 500
        words = STATUSES.get(status, _UNLISTED)
        message = words.message or error.description or "The request failed."
        response = error_response(status, words.code, message)
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            response[0].headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(RedisError)
    def on_redis_error(error: RedisError):
        log.warning("Redis unavailable: %s", type(error).__name__)
        return _status_response(503)

    @app.errorhandler(OperationalError)
    @app.errorhandler(DBAPIError)
    def on_database_error(error: DBAPIError):
        if isinstance(error, OperationalError) or error.connection_invalidated:
            log.warning("Database unavailable: %s", type(error.orig).__name__)
            return _status_response(503)
        log.exception("Database error")
        return _status_response(500)

    @app.errorhandler(Exception)
    def on_unexpected(error: Exception):
        log.exception("Unhandled error")
        return _status_response(500)

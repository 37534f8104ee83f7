"""Every status the API answers with, and its words: the one table errors and docs read."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Status:
    code: str  # the error's `code` when the framework, not a view, refuses a request
    message: str | None  # what the user is told then; None: the exception's own words
    documented: str  # what /openapi.json says the status means


STATUSES: dict[int, Status] = {
    400: Status(
        "bad_request",
        "The request could not be understood.",
        "Invalid input (the error's `fields` say which)",
    ),
    401: Status("unauthorized", "Please sign in.", "No session, or it has ended"),
    403: Status("forbidden", "You may not do that.", "Not the signed-in user's own data"),
    404: Status("not_found", "There is nothing here.", "Not found"),
    405: Status("method_not_allowed", "That method is not allowed here.", "Method not allowed"),
    409: Status("conflict", None, "Conflict"),
    413: Status("payload_too_large", "The request is too large.", "The body is too large"),
    415: Status("unsupported_media_type", None, "Unsupported media type"),
    422: Status("unprocessable", None, "The photo or its link could not be used"),
    429: Status("rate_limited", None, "Too many attempts; see Retry-After"),
    431: Status("headers_too_large", None, "The request's headers are too large"),
    500: Status("internal", "Something went wrong on our side.", "An unexpected error"),
    502: Status(
        "remote_unavailable",
        None,
        "The face service could not be reached or answered with an error",
    ),
    503: Status(
        "unavailable",
        "The service is unavailable right now. Please try again shortly.",
        "The database or Redis is unavailable",
    ),
    504: Status("remote_timeout", None, "The face service did not answer in time"),
}

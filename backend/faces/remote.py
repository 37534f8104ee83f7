"""Calling a cloud face-detection service over HTTPS."""

from __future__ import annotations

import logging
from typing import Any

import urllib3
from urllib3.exceptions import HTTPError
from urllib3.exceptions import TimeoutError as Urllib3Timeout

from backend.faces.errors import RemoteTimeout, RemoteUnavailable

log = logging.getLogger(__name__)

SERVICE_UNAVAILABLE = "The face detection service is not available right now. Try again later."
SERVICE_TOO_SLOW = "The face detection service took too long to answer. Try again later."


def post_for_json(
    http: urllib3.PoolManager, url: str, *, body: bytes, headers: dict[str, str]
) -> Any:
    """POST body to url and return the decoded JSON answer.

    Raises RemoteTimeout (504) or RemoteUnavailable (502), with a message that names no
    provider detail; the detail goes to the log.
    """
    try:
        response = http.request("POST", url, body=body, headers=headers, redirect=False)
    except Urllib3Timeout as error:
        raise RemoteTimeout(SERVICE_TOO_SLOW) from error
    except HTTPError as error:
        log.warning("Face service %s could not be reached: %s", url, error)
        raise RemoteUnavailable(SERVICE_UNAVAILABLE) from error
    if response.status != 200:
        log.warning("Face service %s answered HTTP %s", url, response.status)
        raise RemoteUnavailable(SERVICE_UNAVAILABLE)
    try:
        return response.json()
    except ValueError as error:
        log.warning("Face service %s answered something other than JSON", url)
        raise RemoteUnavailable(SERVICE_UNAVAILABLE) from error


def unexpected_answer(url: str) -> RemoteUnavailable:
    """The error for a JSON answer whose shape we do not recognise."""
    log.warning("Face service %s answered in an unexpected shape", url)
    return RemoteUnavailable(SERVICE_UNAVAILABLE)

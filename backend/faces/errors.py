"""Errors raised while fetching, reading or searching a photo.

Each carries a plain-English message that is safe to show to the user and the HTTP status
the API should answer with. Internals (addresses, exception texts) never go into a message.
"""

from __future__ import annotations


class ImageError(Exception):
    """A photo could not be fetched, read or searched for faces."""

    status: int = 400
    code: str = "image_error"  # the API's error code

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class UrlRefused(ImageError):
    """The link is malformed, not http(s), or points at an address SmartBrain may not visit."""

    status = 400
    code = "url_refused"


class ImageTooLarge(ImageError):
    """The download or the decoded picture is bigger than allowed."""

    status = 413
    code = "image_too_large"


class NotAnImage(ImageError):
    """The bytes are not a picture SmartBrain can read."""

    status = 422
    code = "not_an_image"


class RemoteUnavailable(ImageError):
    """A remote site or face service could not be reached or answered with an error."""

    status = 502
    code = "remote_unavailable"


class RemoteTimeout(ImageError):
    """A remote site or face service did not answer in time."""

    status = 504
    code = "remote_timeout"


class DetectorConfigError(ValueError):
    """The face-detection settings in the environment are incomplete or unknown."""

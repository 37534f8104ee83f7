"""The failures ApiClient raises, each worded so the UI can show it as it is."""

from __future__ import annotations


class ApiError(Exception):
    """A call to the server failed; `message` is a plain sentence for the user."""

    default_message = "Something went wrong. Please try again."

    def __init__(self, message: str | None = None, *, code: str = "", status: int = 0) -> None:
        self.message = message or self.default_message
        self.code = code
        self.status = status
        super().__init__(self.message)


class SessionEndedError(ApiError):
    """401: the token is missing, revoked or expired."""

    default_message = "Your session has ended. Please sign in again."


class SecondStepRequired(ApiError):
    """401 second_step_required: the password was right and the account uses two-step
    verification; `challenge` is exchanged with a code for a session (POST /signin/code)
    within `expires_in` seconds. Not a failure of the session: nothing was signed out."""

    default_message = (
        "This account uses two-step verification. Enter the code from your authenticator app."
    )

    def __init__(
        self, challenge: str, expires_in: int, message: str | None = None, *, status: int = 401
    ) -> None:
        self.challenge = challenge
        self.expires_in = expires_in
        super().__init__(message, code="second_step_required", status=status)


class ChallengeExpiredError(ApiError):
    """401 challenge_expired: the sign-in's second step came too late, or after too many wrong
    codes; the user must sign in with the password again."""

    default_message = "This sign-in has expired. Please sign in again."


class NotAllowedError(ApiError):
    """403: the session may not touch that resource."""

    default_message = "You are not allowed to do that."


class InvalidInputError(ApiError):
    """A 4xx refusal of what was sent; `fields` maps a field name to its message."""

    default_message = "Please check the highlighted fields."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str = "",
        status: int = 400,
        fields: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message, code=code, status=status)
        self.fields = fields or {}


class TooManyAttemptsError(ApiError):
    """429: wait `retry_after` seconds before trying again."""

    def __init__(self, retry_after: int, *, code: str = "", status: int = 429) -> None:
        self.retry_after = retry_after
        super().__init__(too_many_attempts_message(retry_after), code=code, status=status)


class ServerUnavailableError(ApiError):
    """The server could not be reached, took too long, or answered 503."""

    default_message = "The server cannot be reached. Check the connection and try again."


class PhotoUnavailableError(ApiError):
    """A photo could not be downloaded or read on this computer (not the server's doing)."""

    default_message = "That photo could not be downloaded."


class UnexpectedError(ApiError):
    """Any other failure: a 5xx, or an answer that is not what the contract promises."""


def too_many_attempts_message(seconds: int) -> str:
    """The sentence for a rate limit with `seconds` left to wait."""
    unit = "second" if seconds == 1 else "seconds"
    return f"Too many attempts. Try again in {seconds} {unit}."


def error_from_response(status: int, body: object, retry_after: str | None) -> ApiError:
    """Build the error for a non-2xx answer from its status, JSON body and Retry-After."""
    error = body.get("error") if isinstance(body, dict) else None
    error = error if isinstance(error, dict) else {}
    code = str(error.get("code") or "")
    message = error.get("message") if isinstance(error.get("message"), str) else None
    if status == 401 and code == "second_step_required":
        return _second_step(error, message)
    if status == 401 and code == "challenge_expired":
        return ChallengeExpiredError(message, code=code, status=status)
    if status == 401:
        return SessionEndedError(code=code, status=status)
    if status == 403:
        return NotAllowedError(code=code, status=status)
    if status == 429:
        return TooManyAttemptsError(_seconds(retry_after), code=code, status=status)
    if status == 503:
        busy = code == "busy" and message  # the server's own words: every photo slot is taken
        return ServerUnavailableError(
            busy or "The server is unavailable right now. Try again in a moment.",
            code=code,
            status=status,
        )
    if 400 <= status < 500:
        fields = _fields(error.get("fields"))
        return InvalidInputError(message, code=code, status=status, fields=fields)
    return UnexpectedError(
        f"The server had a problem (HTTP {status}). Please try again.", code=code, status=status
    )


def _second_step(error: dict, message: str | None) -> ApiError:
    """The second step's challenge out of its 401; an answer without one is not understood."""
    challenge, expires_in = error.get("challenge"), error.get("expiresIn", 300)
    if not isinstance(challenge, str) or not challenge or not isinstance(expires_in, int):
        return UnexpectedError("The server's answer was not understood.", status=401)
    return SecondStepRequired(challenge, expires_in, message)


def _seconds(retry_after: str | None) -> int:
    """Retry-After as whole seconds (at least 1); an HTTP date or garbage counts as a minute."""
    try:
        return max(1, int(float(retry_after or "")))
    except ValueError:
        return 60


def _fields(raw: object) -> dict[str, str]:
    """Per-field messages keyed by the last part of the field name (formInput.age -> age)."""
    if not isinstance(raw, dict):
        return {}
    fields = {}
    for name, text in raw.items():
        if isinstance(text, list):
            text = " ".join(str(part) for part in text)
        fields[str(name).rsplit(".", 1)[-1]] = str(text)
    return fields


def describe(error: Exception) -> str:
    """The sentence to show the user for any failure a task reported."""
    if isinstance(error, ApiError):
        return error.message
    return f"Something went wrong: {error}"

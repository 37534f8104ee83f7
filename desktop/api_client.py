"""ApiClient: the only code that speaks HTTP: to the SmartBrain backend, and to the web for the
photo behind a link (downloaded here once, then uploaded for detection). It knows no Qt."""

from __future__ import annotations

import platform
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from desktop.errors import (
    ApiError,
    PhotoUnavailableError,
    ServerUnavailableError,
    UnexpectedError,
    error_from_response,
)
from desktop.session_token import SessionToken

DEFAULT_TIMEOUT = 10.0
"""Seconds to wait for the server to connect and then for each read."""

MAX_PHOTO_BYTES = 10 * 1024 * 1024
"""The largest photo the desktop downloads or uploads (the server's default cap too)."""

PHOTO_DEADLINE = 30.0
"""Seconds a photo download may take in all, however steadily the bytes trickle in."""

Box = dict[str, float]
"""A face's bounding box as fractions of the image: top_row, left_col, bottom_row, right_col."""


@dataclass(frozen=True)
class CodeSignIn:
    """A sign-in finished with a second-step code: the user, and how many recovery codes are
    left when a recovery code was used (None when the code came from the authenticator)."""

    user: dict[str, Any]
    recovery_codes_left: int | None


@dataclass(frozen=True)
class TwoStepStatus:
    """Whether two-step verification is on, and how many unused recovery codes remain."""

    enabled: bool
    recovery_codes_left: int


@dataclass(frozen=True)
class TwoStepSetup:
    """A pending setup: the TOTP secret (base32) and the otpauth:// URI the QR code carries."""

    secret: str
    uri: str


def default_device_name() -> str:
    """The label this computer shows in the sessions list."""
    host = platform.node() or "this computer"
    return f"SmartBrain desktop on {host}"[:100]


class ApiClient:
    """A requests.Session bound to one server; sends the token `session_token` holds, and has
    it hold the one each sign-in brings.

    A photo behind a link is downloaded here, once, through a second session that carries
    nothing of ours, and its bytes are uploaded for detection: what is shown is what was
    analysed. Every call has a timeout and raises a desktop.errors.ApiError subclass on failure.
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        device: str | None = None,
        session_token: SessionToken | None = None,
    ) -> None:
        self.base_url = base_url
        self.timeout = timeout
        self.device = device or default_device_name()
        self.session_token = session_token or SessionToken()
        self.user_id: int | None = None
        self._session = requests.Session()
        # Photos come from anywhere on the web: a separate session, so nothing of ours
        # (cookies, connections to our server) ever travels with those requests.
        self._photos = requests.Session()

    @property
    def base_url(self) -> str | None:
        """The server's root URL, without a trailing slash; None until one is known."""
        return self._base_url

    @base_url.setter
    def base_url(self, url: str | None) -> None:
        self._base_url = url.rstrip("/") if url else None

    @property
    def token(self) -> str | None:
        """The token sent with every call (the one `session_token` holds)."""
        return self.session_token.held

    @token.setter
    def token(self, token: str | None) -> None:
        self.session_token.hold(token)

    def _let_go(self) -> None:
        """Let go of the token and user id in memory (the keychain is not touched)."""
        self.token = None
        self.user_id = None

    # Accounts and sessions

    def sign_in(self, email: str, password: str) -> dict[str, Any]:
        """Sign in with email and password; keep the token; return the user.

        Raises SecondStepRequired (with its challenge) when the account uses two-step
        verification: then `sign_in_with_code` finishes the sign-in."""
        self._let_go()
        body = self._call(
            "POST", "/signin", json={"email": email, "password": password, "device": self.device}
        )
        return self._adopt(body)

    def sign_in_with_code(self, challenge: str, code: str) -> CodeSignIn:
        """Finish a two-step sign-in: exchange the password step's challenge and a code from
        the authenticator (or a recovery code) for a session; keep the token."""
        self._let_go()
        payload = {"challenge": challenge, "code": code, "device": self.device}
        body = self._call("POST", "/signin/code", json=payload)
        user = self._adopt(body)
        left = body.get("recoveryCodesLeft")
        return CodeSignIn(user, int(left) if isinstance(left, int) else None)

    def register(self, name: str, email: str, password: str) -> dict[str, Any]:
        """Create an account, which also signs in; keep the token; return the user."""
        self._let_go()
        payload = {"name": name, "email": email, "password": password, "device": self.device}
        return self._adopt(self._call("POST", "/register", json=payload))

    def restore_session(self, token: str) -> dict[str, Any]:
        """Resume the session of a stored token; return the user. Forgets it on failure."""
        self._let_go()
        self.token = token
        try:
            self.user_id = int(self._call("POST", "/signin")["id"])
            return self.get_profile()
        except (KeyError, TypeError, ValueError) as error:
            self._let_go()
            raise UnexpectedError("The server's answer was not understood.") from error
        except ApiError:
            self._let_go()
            raise

    def sign_out(self) -> None:
        """Revoke this session on the server; the token is forgotten here whatever happens."""
        try:
            self._call("POST", "/signout")
        finally:
            self._let_go()

    def sign_out_everywhere(self, password: str) -> int:
        """Revoke every session of the user (password required); return how many ended."""
        body = self._call("POST", "/signout/everywhere", json={"password": password})
        self._let_go()
        return int(body.get("revoked", 0)) if isinstance(body, dict) else 0

    def list_sessions(self) -> list[dict[str, Any]]:
        """The user's active sessions; the one of this client has `current: true`."""
        return list(self._call("GET", "/sessions")["sessions"])

    def revoke_session(self, session_id: str) -> None:
        """End one of the user's sessions."""
        self._call("DELETE", f"/sessions/{session_id}")

    def change_password(self, current_password: str, new_password: str) -> None:
        """Change the password; the server ends every other session."""
        payload = {"currentPassword": current_password, "newPassword": new_password}
        self._call("POST", "/password", json=payload)

    # Two-step verification

    def two_step_status(self) -> TwoStepStatus:
        """Whether the user has two-step verification on, and the recovery codes left."""
        body = self._call("GET", "/two-step")
        try:
            return TwoStepStatus(bool(body["enabled"]), int(body.get("recoveryCodesLeft", 0)))
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise UnexpectedError("The server's answer was not understood.") from error

    def start_two_step_setup(self, password: str) -> TwoStepSetup:
        """Start (or restart) turning two-step verification on; nothing changes for sign-in
        until `enable_two_step` confirms a code."""
        body = self._call("POST", "/two-step/setup", json={"password": password})
        try:
            return TwoStepSetup(str(body["secret"]), str(body["uri"]))
        except (KeyError, TypeError) as error:
            raise UnexpectedError("The server's answer was not understood.") from error

    def enable_two_step(self, code: str) -> list[str]:
        """Confirm the pending setup with a code from the authenticator; the recovery codes."""
        return _codes(self._call("POST", "/two-step/enable", json={"code": code}))

    def disable_two_step(self, password: str, code: str) -> None:
        """Turn two-step verification off (the password and a current code required)."""
        self._call("POST", "/two-step/disable", json={"password": password, "code": code})

    def new_recovery_codes(self, password: str, code: str) -> list[str]:
        """A new set of recovery codes; the old set stops working."""
        payload = {"password": password, "code": code}
        return _codes(self._call("POST", "/two-step/recovery-codes", json=payload))

    def delete_account(self, password: str, email: str, code: str | None = None) -> None:
        """Delete the account for good: every session ends, this one included."""
        payload: dict[str, str] = {"password": password, "email": email}
        if code:
            payload["code"] = code
        self._call("DELETE", f"/profile/{self.user_id}", json=payload)
        self._let_go()

    # Profile and entries

    def get_profile(self) -> dict[str, Any]:
        """The signed-in user's profile."""
        return dict(self._call("GET", f"/profile/{self.user_id}"))

    def update_profile(self, name: str, age: int | None, pet: str) -> None:
        """Save name, age (None clears it) and favourite pet ("" clears it)."""
        form = {"name": name, "age": age, "pet": pet}
        self._call("POST", f"/profile/{self.user_id}", json={"formInput": form})

    def count_entry(self) -> int:
        """Count one detection towards the user's entries; return the new count."""
        return int(self._call("PUT", "/image", json={"id": self.user_id}))

    def detect_faces(self, photo: bytes) -> list[Box]:
        """The bounding boxes of the faces in `photo` (its bytes are uploaded: the server
        analyses exactly these bytes, whether they came from a file or a link)."""
        return _boxes(self._call("POST", "/imageurl", files={"image": ("photo", photo)}))

    # Photos from the web

    def fetch_photo(self, url: str, *, max_bytes: int = MAX_PHOTO_BYTES) -> bytes:
        """The body of the http(s) link `url`, at most `max_bytes`: downloaded once, here, so
        the bytes detected are the bytes shown (the server never fetches the link).

        Every read has the client's timeout and the whole download PHOTO_DEADLINE seconds.
        Raises PhotoUnavailableError in plain words when the photo cannot be had.
        """
        _check_photo_link(url)
        deadline = time.monotonic() + PHOTO_DEADLINE
        too_large = f"That photo is larger than {max_bytes // (1024 * 1024)} MB."
        try:
            with self._photos.get(
                url,
                stream=True,
                timeout=self.timeout,
                # identity: a photo is compressed already, and a compressed body could
                # expand far past the size cap within one chunk
                headers={
                    "Accept": "image/*",
                    "Accept-Encoding": "identity",
                    "User-Agent": "SmartBrain/1.0",
                },
            ) as response:
                if not response.ok:
                    raise PhotoUnavailableError(
                        f"That link did not send a photo (HTTP {response.status_code}).",
                        code="photo_unavailable",
                        status=response.status_code,
                    )
                declared = response.headers.get("Content-Length", "")
                if declared.isdigit() and int(declared) > max_bytes:
                    raise PhotoUnavailableError(too_large, code="image_too_large")
                body = bytearray()
                for chunk in response.iter_content(64 * 1024):
                    body += chunk
                    if len(body) > max_bytes:
                        raise PhotoUnavailableError(too_large, code="image_too_large")
                    if time.monotonic() > deadline:
                        raise requests.Timeout()
                return bytes(body)
        except requests.Timeout as error:
            raise PhotoUnavailableError(
                "That site took too long to send the photo.", code="photo_timeout"
            ) from error
        except requests.RequestException as error:
            raise PhotoUnavailableError(
                "The photo could not be downloaded from that link.", code="photo_unavailable"
            ) from error

    # Plumbing

    def _adopt(self, body: Any) -> dict[str, Any]:
        """Keep the token and user id of a sign-in answer; return its user."""
        try:
            self.token = str(body["token"])
            self.user_id = int(body["userId"])
            return dict(body["user"])
        except (KeyError, TypeError, ValueError) as error:
            self._let_go()
            raise UnexpectedError("The server's answer was not understood.") from error

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send one request and return its decoded JSON, or raise the matching ApiError."""
        if self.base_url is None:
            raise ServerUnavailableError("No server is chosen yet.")
        headers = {"Authorization": self.token} if self.token else {}
        try:
            response = self._session.request(
                method, self.base_url + path, headers=headers, timeout=self.timeout, **kwargs
            )
        except requests.Timeout as error:
            raise ServerUnavailableError(
                "The server took too long to answer. Please try again."
            ) from error
        except requests.RequestException as error:
            raise ServerUnavailableError() from error
        try:
            body = response.json()
        except ValueError:
            body = None
        if not response.ok:
            raise error_from_response(
                response.status_code, body, response.headers.get("Retry-After")
            )
        if body is None:
            raise UnexpectedError("The server's answer was not understood.")
        return body


def _codes(body: Any) -> list[str]:
    """The recovery codes of an answer: a list of ten strings."""
    codes = body.get("recoveryCodes") if isinstance(body, dict) else None
    if not isinstance(codes, list) or not all(isinstance(code, str) for code in codes):
        raise UnexpectedError("The server's answer was not understood.")
    return list(codes)


def _boxes(body: Any) -> list[Box]:
    """The bounding boxes out of a Clarifai-shaped answer."""
    try:
        regions = body["outputs"][0]["data"].get("regions", [])
        return [dict(region["region_info"]["bounding_box"]) for region in regions]
    except (KeyError, IndexError, TypeError, AttributeError) as error:
        raise UnexpectedError("The server's answer was not understood.") from error


def _check_photo_link(url: str) -> None:
    """Refuse, in plain words, a link that is not http(s) before anything is sent."""
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        raise PhotoUnavailableError(
            "That link could not be understood.", code="url_refused"
        ) from None
    if scheme not in ("http", "https"):
        raise PhotoUnavailableError("Only http and https links can be used.", code="url_refused")

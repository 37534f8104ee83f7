"""SessionToken: the session token's whole life on this computer, in one object.

It holds the token the ApiClient sends, keeps it in the OS keychain (entry "SmartBrain" /
<server URL>) when the user asks to be remembered, reads it back at the next start, and
forgets it at sign-out. It is the only code that touches the keychain, and never a plain file
or QSettings: where no keychain is usable, nothing is kept. It knows no Qt; the keychain may
block, so the UI calls `keep`, `restore` and `forget` through the TaskRunner.
"""

from __future__ import annotations

import keyring
from keyring.backends import fail
from keyring.errors import KeyringError

SERVICE = "SmartBrain"
LOCAL_SERVER = "this-computer"
"""The keychain key for the server on this computer, whose port changes from run to run."""

_KEYCHAIN_ERRORS = (KeyringError, RuntimeError, OSError)


class SessionToken:
    """The token of the session signed in to one server; see the module docstring."""

    def __init__(self) -> None:
        self.can_remember = _keychain_usable()
        """Whether a usable keychain exists, so "Remember me" can work."""
        self._held: str | None = None
        self._server = LOCAL_SERVER

    @property
    def held(self) -> str | None:
        """The token in memory, sent with every call; None when signed out."""
        return self._held

    def use_server(self, remote_url: str | None) -> None:
        """From now on, the token is that of the server at `remote_url` (None: this
        computer's); a token held for the previous server is let go."""
        self._server = remote_url or LOCAL_SERVER
        self._held = None

    def hold(self, token: str | None) -> None:
        """Hold `token` in memory (None: let go of it); the keychain is not touched."""
        self._held = token

    def keep(self, remember: bool) -> bool:
        """When `remember`, keep the held token in the keychain for the next start; otherwise
        make sure none is kept. False only when the keychain refused to keep it."""
        if not remember or not self.can_remember or not self._held:
            self._remove_kept()
            return True
        try:
            keyring.set_password(SERVICE, self._server, self._held)
        except _KEYCHAIN_ERRORS:
            return False
        return True

    def restore(self) -> str | None:
        """The token kept for this server, or None (none kept, or no keychain to read)."""
        if not self.can_remember:
            return None
        try:
            return keyring.get_password(SERVICE, self._server)
        except _KEYCHAIN_ERRORS:
            return None

    def forget(self) -> None:
        """Let go of the held token and remove the kept one (sign-out, a session that ended)."""
        self._held = None
        self._remove_kept()

    def _remove_kept(self) -> None:
        if not self.can_remember:
            return
        try:
            keyring.delete_password(SERVICE, self._server)
        except _KEYCHAIN_ERRORS:
            pass  # nothing kept, or the keychain is gone: either way no token remains readable


def _keychain_usable() -> bool:
    """Whether keyring found a real backend (not the fail backend, not a zero priority)."""
    try:
        backend = keyring.get_keyring()
    except _KEYCHAIN_ERRORS:
        return False
    if isinstance(backend, fail.Keyring):
        return False
    try:
        return backend.priority > 0
    except NotImplementedError:  # a backend set by hand need not rate itself
        return True

"""TokenStorage: keeps a session token in the OS keychain, keyed by server URL.

Never a plain file or QSettings: where no keychain is usable, nothing is stored at all.
"""

from __future__ import annotations

import keyring
from keyring.backends import fail
from keyring.errors import KeyringError

SERVICE = "SmartBrain"
LOCAL_SERVER = "this-computer"
"""The key for the server on this computer, whose port changes from run to run."""


def server_key(remote_url: str | None) -> str:
    """The keychain key for a server: its URL, or LOCAL_SERVER for this computer's."""
    return remote_url or LOCAL_SERVER


class TokenStorage:
    """The keychain entry "SmartBrain" / <server URL> holding the remembered token."""

    def __init__(self) -> None:
        self.available = _keychain_usable()

    def save(self, server_url: str, token: str) -> bool:
        """Store the token; False when the keychain refused it."""
        if not self.available:
            return False
        try:
            keyring.set_password(SERVICE, server_url, token)
        except (KeyringError, RuntimeError, OSError):
            return False
        return True

    def load(self, server_url: str) -> str | None:
        """The stored token, or None when there is none or the keychain cannot be read."""
        if not self.available:
            return None
        try:
            return keyring.get_password(SERVICE, server_url)
        except (KeyringError, RuntimeError, OSError):
            return None

    def delete(self, server_url: str) -> None:
        """Remove the stored token, if any."""
        if not self.available:
            return
        try:
            keyring.delete_password(SERVICE, server_url)
        except (KeyringError, RuntimeError, OSError):
            pass  # nothing stored, or the keychain is gone: either way no token remains readable


def _keychain_usable() -> bool:
    """Whether keyring found a real backend (not the fail backend, not a zero priority)."""
    try:
        backend = keyring.get_keyring()
    except (KeyringError, RuntimeError, OSError):
        return False
    if isinstance(backend, fail.Keyring):
        return False
    try:
        return backend.priority > 0
    except NotImplementedError:  # a backend set by hand need not rate itself
        return True

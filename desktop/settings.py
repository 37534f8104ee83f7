"""AppSettings: the few choices the app keeps between runs, in QSettings. Never a token."""

from __future__ import annotations

from PySide6.QtCore import QSettings


class AppSettings:
    """Typed access to the app's QSettings."""

    def __init__(self, store: QSettings | None = None) -> None:
        self._store = store or QSettings()

    @property
    def server_url(self) -> str | None:
        """The chosen remote server, or None for the server on this computer."""
        value = self._store.value("server/url", "")
        return str(value) or None

    @server_url.setter
    def server_url(self, url: str | None) -> None:
        self._store.setValue("server/url", url or "")

    @property
    def remember_me(self) -> bool:
        """Whether "Remember me" was ticked last time."""
        return str(self._store.value("signin/remember", "false")).lower() == "true"

    @remember_me.setter
    def remember_me(self, on: bool) -> None:
        self._store.setValue("signin/remember", "true" if on else "false")

    @property
    def last_email(self) -> str:
        """The email of the last successful sign-in, to prefill the form."""
        return str(self._store.value("signin/email", ""))

    @last_email.setter
    def last_email(self, email: str) -> None:
        self._store.setValue("signin/email", email)

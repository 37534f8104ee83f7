"""What the scripts that drive the real desktop windows share: a keychain of their own, and
ways to let Qt's event loop run without blocking it (a sleep would show up as a stall)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError
from PySide6.QtCore import QEventLoop, QTimer


class MemoryKeyring(KeyringBackend):
    """A keychain for the run, so the real one is never touched."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


def wait_until(condition: Callable[[], object], timeout: float = 30.0) -> None:
    """Run the event loop until `condition()` holds; TimeoutError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    loop = QEventLoop()
    check = QTimer(interval=5)
    failures: list[Exception] = []

    def on_check() -> None:
        try:
            if condition() or time.monotonic() > deadline:
                loop.quit()
        except Exception as error:  # noqa: BLE001 - raised again below, outside Qt's loop
            failures.append(error)
            loop.quit()

    check.timeout.connect(on_check)
    check.start()
    if not condition():
        loop.exec()
    check.stop()
    if failures:
        raise failures[0]
    if not condition():
        raise TimeoutError("the app did not reach the expected state in time")


def settle(seconds: float = 0.3) -> None:
    """Run the event loop for `seconds` (layouts, painting, queued deliveries)."""
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def quiet_offscreen_notes(_kind: object, _context: object, message: str) -> None:
    """Qt's messages on stderr, less the offscreen plugin's "does not support" notes."""
    if "This plugin does not support" not in message:
        print(message, file=sys.stderr)

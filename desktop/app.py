"""run(): start the SmartBrain desktop app and return its exit code.

SMARTBRAIN_REPORT_READY=1 (for bench/desktop_startup.py) makes the app print one line,
`SmartBrain ready <time.monotonic()>`, once the sign-in window is shown and accepting input.
"""

from __future__ import annotations

import os
import signal
import sys
import time

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from desktop import platform_check
from desktop.api_client import ApiClient
from desktop.app_controller import AppController
from desktop.embedded_backend import EmbeddedBackend
from desktop.resources import app_icon, load_stylesheet
from desktop.settings import AppSettings
from desktop.sign_in_window import SignInWindow
from desktop.worker import TaskRunner

SHUTDOWN_WAIT_MS = 3000
SIGNAL_POLL_MS = 250
REPORT_READY = "SMARTBRAIN_REPORT_READY"


def run(server_url: str | None = None) -> int:
    """Open the app against `server_url`, or the saved server, or this computer's backend."""
    problem = platform_check.problem()
    if problem:
        print(problem, file=sys.stderr)
        return 1
    app = QApplication(sys.argv[:1])
    app.setOrganizationName("SmartBrain")
    app.setApplicationName("SmartBrain")
    app.setDesktopFileName("smartbrain")
    app.setWindowIcon(app_icon())
    app.setStyleSheet(load_stylesheet())
    settings = AppSettings()
    tasks = TaskRunner()
    backend = EmbeddedBackend()
    controller = AppController(
        ApiClient(), tasks, settings, backend, server_url or settings.server_url
    )
    controller.start()
    if os.environ.get(REPORT_READY) == "1":
        _report_when_ready(controller.sign_in_window)
    # Ctrl+C in the terminal quits cleanly (stopping the backend). Python only sees signals
    # between bytecodes, so a timer wakes the interpreter now and then inside Qt's loop.
    signal.signal(signal.SIGINT, lambda *_: app.quit())
    wake = QTimer(app, interval=SIGNAL_POLL_MS)
    wake.timeout.connect(lambda: None)
    wake.start()
    try:
        return app.exec()
    finally:
        backend.stop()
        tasks.wait_for_done(SHUTDOWN_WAIT_MS)


def _report_when_ready(window: SignInWindow) -> None:
    """Print `SmartBrain ready <monotonic seconds>` the first time the event loop is idle with
    `window` shown and its email field enabled, editable and focused (a measurement hook)."""
    check = QTimer(window, interval=0)  # a zero timer fires once the loop has nothing to do

    def on_idle() -> None:
        edit = window.email.edit
        if window.isVisible() and edit.isEnabled() and not edit.isReadOnly() and edit.hasFocus():
            check.stop()
            print(f"SmartBrain ready {time.monotonic():.6f}", flush=True)
        else:
            check.setInterval(2)  # not yet (e.g. the keychain is being read): look again soon

    check.timeout.connect(on_idle)
    check.start()

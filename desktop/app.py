"""run(): start the SmartBrain desktop app and return its exit code."""

from __future__ import annotations

import signal
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from desktop import platform_check
from desktop.api_client import ApiClient
from desktop.app_controller import AppController
from desktop.embedded_backend import EmbeddedBackend
from desktop.resources import app_icon, load_stylesheet
from desktop.settings import AppSettings
from desktop.token_storage import TokenStorage
from desktop.worker import TaskRunner

SHUTDOWN_WAIT_MS = 3000
SIGNAL_POLL_MS = 250


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
        ApiClient(), tasks, TokenStorage(), settings, backend, server_url or settings.server_url
    )
    controller.start()
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

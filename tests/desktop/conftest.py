"""Desktop fixtures: real widgets, a real ApiClient, the real backend on loopback (live_server,
from tests/conftest.py), an in-memory keyring installed through keyring's own mechanism, and
every message box intercepted so no modal dialog blocks a test."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from keyring.errors import PasswordDeleteError
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QMessageBox

from desktop import message_box
from desktop.api_client import ApiClient
from desktop.app_controller import AppController
from desktop.embedded_backend import EmbeddedBackend
from desktop.main_window import MainWindow
from desktop.resources import load_stylesheet
from desktop.settings import AppSettings
from desktop.worker import TaskRunner

PASSWORD = "correct horse battery"
OFFSCREEN_NOISE = r"^This plugin does not support \w+\(\)$"
"""The offscreen platform cannot size windows to their layouts and says so; real ones can."""


def pytest_collection_modifyitems(items) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOISE))


class MemoryKeyring(KeyringBackend):
    """A keyring backend holding its entries in a dict."""

    priority = 1

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


@pytest.fixture
def no_keychain() -> Iterator[None]:
    """A computer without a usable keychain (keyring's fail backend)."""
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    """A fresh in-memory keychain for every test: no test touches the real one."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


class MessageBoxes:
    """Stands in for desktop.message_box.show: records each box and answers `answer`."""

    def __init__(self) -> None:
        self.shown: list[tuple[str, str]] = []
        self.answer = QMessageBox.StandardButton.Yes

    def __call__(self, _parent, title: str, text: str, **_options) -> QMessageBox.StandardButton:
        self.shown.append((title, text))
        return self.answer


@pytest.fixture(autouse=True)
def messages(monkeypatch) -> MessageBoxes:
    boxes = MessageBoxes()
    monkeypatch.setattr(message_box, "show", boxes)
    return boxes


@pytest.fixture(autouse=True)
def stylesheet(qapp) -> None:
    """The real stylesheet, so the tests also prove it parses cleanly."""
    qapp.setStyleSheet(load_stylesheet())


@pytest.fixture
def settings_store(tmp_path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def settings(settings_store) -> AppSettings:
    return AppSettings(settings_store)


@pytest.fixture
def tasks(qapp) -> Iterator[TaskRunner]:
    runner = TaskRunner()
    yield runner
    runner.wait_for_done(10_000)


@pytest.fixture
def api(live_server) -> ApiClient:
    return ApiClient(live_server, timeout=5)


@dataclass
class Account:
    name: str
    email: str
    password: str
    user_id: int


@pytest.fixture
def make_account(live_server) -> Callable[..., Account]:
    """Registers users over HTTP with their own client, as another device would."""
    count = 0

    def make(name: str = "Dana") -> Account:
        nonlocal count
        count += 1
        email = f"{name.lower()}{count}@example.com"
        user = ApiClient(live_server, timeout=5).register(name, email, PASSWORD)
        return Account(name, email, PASSWORD, user["id"])

    return make


@pytest.fixture
def account(make_account) -> Account:
    return make_account()


@pytest.fixture
def make_controller(qtbot, tasks, settings) -> Iterator[Callable[..., AppController]]:
    """Builds the app against a remote server URL, as `main.py --server URL` does."""
    made: list[AppController] = []

    def make(server_url: str, api: ApiClient | None = None) -> AppController:
        controller = AppController(
            api or ApiClient(server_url, timeout=5),
            tasks,
            settings,
            EmbeddedBackend(),
            server_url,
        )
        qtbot.addWidget(controller.sign_in_window)
        controller.start()
        made.append(controller)
        qtbot.waitUntil(lambda: not controller.sign_in_window.busy.isVisible())
        return controller

    yield make
    tasks.wait_for_done(10_000)
    for controller in made:
        if controller.main_window is not None:
            controller.main_window.close()
            controller.main_window.deleteLater()


@pytest.fixture
def controller(make_controller, live_server) -> AppController:
    return make_controller(live_server)


def type_credentials(qtbot, controller: AppController, account: Account, remember: bool):
    """Types the account's email and password into the sign-in window, once it takes them."""
    window = controller.sign_in_window
    qtbot.waitUntil(window.submit.isEnabled)
    window.email.edit.clear()
    qtbot.keyClicks(window.email.edit, account.email)
    qtbot.keyClicks(window.password.edit, account.password)
    window.remember.setChecked(remember)
    return window


@pytest.fixture
def sign_in(qtbot) -> Callable[..., MainWindow]:
    """Types the credentials into the sign-in window, presses Enter, waits for the main window."""

    def sign_in(controller: AppController, account: Account, remember: bool = False):
        window = type_credentials(qtbot, controller, account, remember)
        with qtbot.waitSignal(window.signed_in, timeout=10_000):
            qtbot.keyClick(window.password.edit, Qt.Key.Key_Return)
        assert controller.main_window is not None
        qtbot.waitUntil(controller.main_window.isVisible)
        return controller.main_window

    return sign_in


@pytest.fixture
def signed_in(controller, account, sign_in) -> MainWindow:
    """The main window, after signing in to `account` through the sign-in window."""
    return sign_in(controller, account)


@pytest.fixture
def closed_url() -> str:
    """The URL of a loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@dataclass
class CannedAnswer:
    status: int
    body: object
    headers: dict[str, str]
    delay: float = 0.0


@pytest.fixture
def canned_server() -> Iterator[Callable[..., str]]:
    """A tiny local HTTP server that answers every request with one canned answer, after an
    optional delay; for what the real backend cannot be made to do on demand (slowness, 429)."""
    servers: list[ThreadingHTTPServer] = []

    def start(status: int, body: object, headers=None, delay: float = 0.0) -> str:
        answer = CannedAnswer(status, body, headers or {}, delay)

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                time.sleep(answer.delay)
                payload = json.dumps(answer.body).encode()
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

            def log_message(self, *_args) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()

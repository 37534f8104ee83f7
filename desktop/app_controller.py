"""AppController: which window is up, which server is used, what a session's end means."""

from __future__ import annotations

from PySide6.QtCore import QObject, Slot

from desktop.api_client import ApiClient
from desktop.embedded_backend import EmbeddedBackend
from desktop.main_window import ACCOUNT_DELETED, SIGNED_OUT, MainWindow
from desktop.settings import AppSettings
from desktop.sign_in_window import SignInWindow
from desktop.worker import TaskRunner

SESSION_ENDED = "Your session has ended. Please sign in again."


class AppController(QObject):
    """Moves the user between the sign-in window and the main window.

    `server_url` is the remote server to use, or None for the embedded backend.
    """

    def __init__(
        self,
        api: ApiClient,
        tasks: TaskRunner,
        settings: AppSettings,
        backend: EmbeddedBackend,
        server_url: str | None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._api = api
        self._tasks = tasks
        self._token = api.session_token
        self._settings = settings
        self._backend = backend
        self._server_url = server_url
        self.main_window: MainWindow | None = None
        self.sign_in_window = SignInWindow(api, tasks, settings)
        self.sign_in_window.signed_in.connect(self.on_sign_in_window_signed_in)
        self.sign_in_window.server_change_requested.connect(self.on_server_change_requested)
        self.sign_in_window.backend_restart_requested.connect(self.on_backend_restart_requested)
        self._backend.ready.connect(self.on_backend_ready)
        self._backend.failed.connect(self.on_backend_failed)
        self._tasks.session_ended.connect(self.on_tasks_session_ended)

    def start(self) -> None:
        """Show the sign-in window and connect to the server."""
        self.sign_in_window.show()
        self._use_server(self._server_url)

    def _use_server(self, url: str | None) -> None:
        self._server_url = url
        self._token.use_server(url)
        if url:
            self._backend.stop()
            self._api.base_url = url
            self.sign_in_window.set_server_ready(url)
            self.sign_in_window.restore_session()
        else:
            self._api.base_url = None
            self.sign_in_window.set_server_starting()
            self._backend.start()

    @Slot(object)
    def on_server_change_requested(self, url: str | None) -> None:
        self._settings.server_url = url
        self._use_server(url)

    @Slot()
    def on_backend_restart_requested(self) -> None:
        self._use_server(None)

    @Slot(str)
    def on_backend_ready(self, url: str) -> None:
        if self._server_url is None:
            self._api.base_url = url
            self.sign_in_window.set_server_ready(None)
            self.sign_in_window.restore_session()

    @Slot(str)
    def on_backend_failed(self, message: str) -> None:
        if self._server_url is None:
            self._api.base_url = None
            self._token.hold(None)
            self._show_sign_in()
            self.sign_in_window.set_server_failed(message)

    @Slot(dict, str)
    def on_sign_in_window_signed_in(self, user: dict, notice: str) -> None:
        self.main_window = MainWindow(self._api, self._tasks, user)
        self.main_window.signed_out.connect(self.on_main_window_signed_out)
        self.main_window.show()
        self.sign_in_window.hide()
        if notice:
            self.main_window.statusBar().showMessage(notice)

    @Slot(str)
    def on_main_window_signed_out(self, notice: str) -> None:
        self._tasks.run(self, self._token.forget)
        if notice == ACCOUNT_DELETED:  # nothing left to sign in to with that email
            self._settings.last_email = ""
            self.sign_in_window.email.edit.clear()
        self._show_sign_in()
        kind = "success" if notice in (SIGNED_OUT, ACCOUNT_DELETED) else "info"
        self.sign_in_window.show_notice(kind, notice)

    @Slot()
    def on_tasks_session_ended(self) -> None:
        self._tasks.run(self, self._token.forget)
        self._show_sign_in()
        self.sign_in_window.show_notice("warning", SESSION_ENDED)

    def _show_sign_in(self) -> None:
        self.sign_in_window.reset()
        self.sign_in_window.show()
        self.sign_in_window.raise_()
        self.sign_in_window.activateWindow()
        if self.main_window is not None:
            self.main_window.hide()
            self.main_window.deleteLater()
            self.main_window = None

"""MainWindow: the greeting with the entry count, face detection, and the Account menu."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QVBoxLayout, QWidget

from desktop import message_box
from desktop.api_client import ApiClient
from desktop.errors import SessionEndedError
from desktop.face_detection_panel import FaceDetectionPanel
from desktop.profile_dialog import ProfileDialog
from desktop.resources import app_icon
from desktop.sign_out_everywhere_dialog import SignOutEverywhereDialog
from desktop.worker import TaskRunner

SIGNED_OUT = "You have signed out."
NOT_REVOKED = (
    "You are signed out on this computer, but the server could not be reached, so the "
    "session could not be ended there. Use Sign out everywhere next time you are online."
)


def greeting(user: dict) -> str:
    """The headline: "<name>, your current entry count is N"."""
    return f"{user.get('name', '')}, your current entry count is {user.get('entries', 0)}"


class MainWindow(QMainWindow):
    """Emits `signed_out(notice)` once the user has signed out; notice says how it went."""

    signed_out = Signal(str)

    def __init__(
        self, api: ApiClient, tasks: TaskRunner, user: dict, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._api = api
        self._tasks = tasks
        self._user = dict(user)
        self.setWindowTitle("SmartBrain")
        self.setWindowIcon(app_icon())
        self._init_central()
        self._init_menus()
        self.resize(760, 560)

    def _init_central(self) -> None:
        central = QWidget(self)
        self.greeting = QLabel(greeting(self._user), central)
        self.greeting.setObjectName("greeting")
        self.greeting.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.greeting.setWordWrap(True)
        self.faces = FaceDetectionPanel(central)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(32, 28, 32, 24)
        layout.setSpacing(20)
        layout.addWidget(self.greeting)
        layout.addWidget(self.faces, 1)
        self.setCentralWidget(central)

    def _init_menus(self) -> None:
        account = self.menuBar().addMenu("&Account")
        self.profile_action = QAction("&Profile…", self)
        self.profile_action.setShortcut(QKeySequence("Ctrl+,"))
        self.profile_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.profile_action.triggered.connect(self.on_profile_action_triggered)
        self.sign_out_everywhere_action = QAction("Sign out &everywhere…", self)
        self.sign_out_everywhere_action.triggered.connect(
            self.on_sign_out_everywhere_action_triggered
        )
        self.sign_out_action = QAction("&Sign out", self)
        self.sign_out_action.setShortcut(QKeySequence("Ctrl+Shift+Q"))
        self.sign_out_action.triggered.connect(self.on_sign_out_action_triggered)
        self.quit_action = QAction("&Quit", self)
        self.quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.quit_action.triggered.connect(self.close)
        account.addAction(self.profile_action)
        account.addSeparator()
        account.addAction(self.sign_out_everywhere_action)
        account.addAction(self.sign_out_action)
        account.addSeparator()
        account.addAction(self.quit_action)
        help_menu = self.menuBar().addMenu("&Help")
        self.about_action = QAction("&About SmartBrain", self)
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        self.about_action.triggered.connect(self.on_about_action_triggered)
        help_menu.addAction(self.about_action)

    @Slot()
    def on_profile_action_triggered(self) -> None:
        dialog = ProfileDialog(self._api, self._tasks, self._user, self)
        dialog.profile_saved.connect(self.on_profile_saved)
        dialog.open()

    @Slot(dict)
    def on_profile_saved(self, user: dict) -> None:
        self._user = dict(user)
        self.greeting.setText(greeting(self._user))
        self.statusBar().showMessage("Profile saved.", 5000)

    @Slot()
    def on_sign_out_everywhere_action_triggered(self) -> None:
        dialog = SignOutEverywhereDialog(self._api, self._tasks, self)
        dialog.signed_out.connect(self.on_signed_out_everywhere)
        dialog.open()

    @Slot(int)
    def on_signed_out_everywhere(self, revoked: int) -> None:
        sessions = "session" if revoked == 1 else "sessions"
        self.signed_out.emit(f"You have signed out everywhere ({revoked} {sessions} ended).")

    @Slot()
    def on_sign_out_action_triggered(self) -> None:
        self._set_account_actions_enabled(False)
        self.statusBar().showMessage("Signing out…")
        self._tasks.run(self, self._api.sign_out, self.on_sign_out_done, self.on_sign_out_failed)

    @Slot(object)
    def on_sign_out_done(self, _result: object) -> None:
        self.signed_out.emit(SIGNED_OUT)

    @Slot(object)
    def on_sign_out_failed(self, error: Exception) -> None:
        if not isinstance(error, SessionEndedError):  # a 401 is handled by the app already
            self.signed_out.emit(NOT_REVOKED)

    @Slot()
    def on_about_action_triggered(self) -> None:
        message_box.show(
            self,
            "About SmartBrain",
            "SmartBrain finds the faces in a photo.\n\nServer: " + (self._api.base_url or ""),
        )

    def _set_account_actions_enabled(self, enabled: bool) -> None:
        for action in (self.profile_action, self.sign_out_everywhere_action, self.sign_out_action):
            action.setEnabled(enabled)

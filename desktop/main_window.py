"""MainWindow: the greeting with the entry count and rank, face detection (by link, file or
drag and drop), and the Account menu."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, Qt, Signal, Slot
from PySide6.QtGui import QAction, QDragEnterEvent, QDragMoveEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QVBoxLayout, QWidget

from desktop import message_box
from desktop.api_client import ApiClient
from desktop.errors import describe
from desktop.face_detection_panel import FaceDetectionPanel
from desktop.profile_dialog import ProfileDialog
from desktop.resources import app_icon
from desktop.sessions_dialog import SessionsDialog
from desktop.sign_out_everywhere_dialog import SignOutEverywhereDialog
from desktop.widgets import open_dialog
from desktop.worker import TaskRunner

SIGNED_OUT = "You have signed out."
ACCOUNT_DELETED = "Your account was deleted."
NOT_REVOKED = (
    "You are signed out on this computer, but the server could not be reached, so the "
    "session could not be ended there. Use Sign out everywhere next time you are online."
)


def greeting(user: dict) -> str:
    """The headline: "<name>, your current entry count is N", then " — #R of T" when the
    profile gave the user's rank among T users (a rank among one user says nothing)."""
    text = f"{user.get('name', '')}, your current entry count is {user.get('entries', 0)}"
    rank, total = user.get("rank"), user.get("totalUsers")
    if rank and total and total > 1:
        text += f" \N{EM DASH} #{rank} of {total}"
    return text


def dropped_photo(mime: QMimeData) -> tuple[str, str] | None:
    """What a drop carries: ("file", path) for a file on this computer, ("url", link) for a
    web link, None for anything else."""
    for url in mime.urls():
        if url.isLocalFile():
            path = url.toLocalFile()
            return ("file", path) if Path(path).is_file() else None
        if url.scheme() in ("http", "https"):
            return ("url", url.toString())
    text = mime.text().strip() if mime.hasText() else ""
    if text.startswith(("http://", "https://")) and not any(c.isspace() for c in text):
        return ("url", text)
    return None


class MainWindow(QMainWindow):
    """Emits `signed_out(notice)` once the user has signed out, or deleted the account;
    notice says how it went."""

    signed_out = Signal(str)

    def __init__(
        self, api: ApiClient, tasks: TaskRunner, user: dict, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._api = api
        self._tasks = tasks
        self._user = dict(user)
        self._entry_requests = 0
        self._entry_shown = 0
        self.setWindowTitle("SmartBrain")
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self._init_central()
        self._init_menus()
        self.resize(880, 720)
        self.faces.url.setFocus()

    def _init_central(self) -> None:
        central = QWidget(self)
        self.greeting = QLabel(greeting(self._user), central)
        self.greeting.setObjectName("greeting")
        self.greeting.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.greeting.setWordWrap(True)
        self.faces = FaceDetectionPanel(self._api, self._tasks, central)
        self.faces.detected.connect(self.on_faces_detected)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(28, 20, 28, 16)
        layout.setSpacing(12)
        layout.addWidget(self.greeting)
        layout.addWidget(self.faces, 1)
        self.setCentralWidget(central)

    def _init_menus(self) -> None:
        account = self.menuBar().addMenu("&Account")
        self.profile_action = QAction("&Profile…", self)
        self.profile_action.setShortcut(QKeySequence("Ctrl+,"))
        self.profile_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.profile_action.triggered.connect(self.on_profile_action_triggered)
        self.sessions_action = QAction("Sessions and pass&word…", self)
        self.sessions_action.triggered.connect(self.on_sessions_action_triggered)
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
        account.addAction(self.sessions_action)
        account.addSeparator()
        account.addAction(self.sign_out_everywhere_action)
        account.addAction(self.sign_out_action)
        account.addSeparator()
        account.addAction(self.quit_action)
        photo = self.menuBar().addMenu("&Photo")
        self.open_image_action = QAction("&Open image…", self)
        self.open_image_action.setShortcut(QKeySequence.StandardKey.Open)
        self.open_image_action.triggered.connect(self.faces.on_open_clicked)
        self.faces.busy_changed.connect(self.on_faces_busy_changed)
        photo.addAction(self.open_image_action)
        help_menu = self.menuBar().addMenu("&Help")
        self.about_action = QAction("&About SmartBrain", self)
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        self.about_action.triggered.connect(self.on_about_action_triggered)
        help_menu.addAction(self.about_action)

    @Slot()
    def on_profile_action_triggered(self) -> None:
        dialog = ProfileDialog(self._api, self._tasks, self._user, self)
        dialog.profile_saved.connect(self.on_profile_saved)
        dialog.account_deleted.connect(self.on_account_deleted)
        open_dialog(dialog)

    @Slot()
    def on_sessions_action_triggered(self) -> None:
        open_dialog(SessionsDialog(self._api, self._tasks, self))

    @Slot(bool)
    def on_faces_busy_changed(self, busy: bool) -> None:
        self.open_image_action.setEnabled(not busy)

    @Slot(int)
    def on_faces_detected(self, _count: int) -> None:
        self._entry_requests += 1
        request = self._entry_requests
        self._tasks.run(
            self,
            self._api.count_entry,
            lambda entries: self._fetch_rank(request, entries),
            self.on_entry_count_failed,
        )

    def _fetch_rank(self, request: int, entries: int) -> None:
        """The detection is counted: fetch the profile for the new rank. Should only that
        fail, the new count is still worth showing."""
        unranked = {"entries": entries, "rank": None, "totalUsers": None}
        self._tasks.run(
            self,
            self._api.get_profile,
            lambda profile: self.on_entry_counted(request, profile),
            lambda _error: self.on_entry_counted(request, unranked),
        )

    def on_entry_counted(self, request: int, profile: dict) -> None:
        """Show the new count and rank, unless a later detection's answer is shown already."""
        if request < self._entry_shown:
            return
        self._entry_shown = request
        self._user.update(profile)
        self.greeting.setText(greeting(self._user))

    @Slot(object)
    def on_entry_count_failed(self, error: Exception) -> None:
        self.statusBar().showMessage(
            f"This detection could not be counted. {describe(error)}", 10_000
        )

    # Drag and drop: a photo file or a link dropped anywhere on the window is detected.

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        self._consider_drag(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        self._consider_drag(event)

    def _consider_drag(self, event: QDragMoveEvent) -> None:
        if not self.faces.busy and dropped_photo(event.mimeData()) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        photo = dropped_photo(event.mimeData())
        if photo is None or self.faces.busy:
            event.ignore()
            return
        event.acceptProposedAction()
        kind, where = photo
        if kind == "file":
            self.faces.detect_file(where)
        else:
            self.faces.detect_url(where)
        self.activateWindow()

    @Slot(dict)
    def on_profile_saved(self, user: dict) -> None:
        self._user.update(user)
        self.greeting.setText(greeting(self._user))
        self.statusBar().showMessage("Profile saved.", 5000)

    @Slot()
    def on_sign_out_everywhere_action_triggered(self) -> None:
        dialog = SignOutEverywhereDialog(self._api, self._tasks, self)
        dialog.signed_out.connect(self.on_signed_out_everywhere)
        open_dialog(dialog)

    @Slot(int)
    def on_signed_out_everywhere(self, revoked: int) -> None:
        sessions = "session" if revoked == 1 else "sessions"
        self.signed_out.emit(f"You have signed out everywhere ({revoked} {sessions} ended).")

    @Slot()
    def on_account_deleted(self) -> None:
        self.signed_out.emit(ACCOUNT_DELETED)

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
        self.signed_out.emit(NOT_REVOKED)

    @Slot()
    def on_about_action_triggered(self) -> None:
        message_box.show(
            self,
            "About SmartBrain",
            "SmartBrain finds the faces in a photo.\n\nServer: " + (self._api.base_url or ""),
        )

    def _set_account_actions_enabled(self, enabled: bool) -> None:
        for action in (
            self.profile_action,
            self.sessions_action,
            self.sign_out_everywhere_action,
            self.sign_out_action,
        ):
            action.setEnabled(enabled)

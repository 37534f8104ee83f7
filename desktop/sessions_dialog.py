"""SessionsDialog: where the user is signed in, ending another device's session, and
changing the password (which ends every other session)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop import message_box, validation
from desktop.api_client import ApiClient
from desktop.dates import local_time
from desktop.errors import InvalidInputError, describe
from desktop.forms import FormRequest, reject_field, show_field_errors
from desktop.widgets import Banner, BusyBar, FieldBox, dialog_layout
from desktop.worker import TaskRunner

SESSION_ID_ROLE = Qt.ItemDataRole.UserRole
"""A row's item data under this role: the session's id (str)."""
IS_CURRENT_ROLE = Qt.ItemDataRole.UserRole + 1
"""A row's item data under this role: whether it is this computer's session (bool)."""

REVOKE_TIP = "End the selected session; that device must sign in again"
CURRENT_TIP = "To sign out this computer, use Account ▸ Sign out"


class SessionsDialog(QDialog):
    """Lists the user's sessions as soon as it opens; every change happens at once, so its
    only dialog button is Close."""

    def __init__(self, api: ApiClient, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._api = api
        self._tasks = tasks
        self.setWindowTitle("Sessions and password – SmartBrain")
        self._init_sessions()
        self._init_password()
        self._init_layout()
        self._password_request = FormRequest(
            self, tasks, self.change_password, self._password_fields(), busy_text="Changing…"
        )
        self._update_session_buttons()
        self.sessions.setFocus()
        self._load_sessions()

    def _init_sessions(self) -> None:
        self.sessions_banner = Banner(self)
        self.sessions = QTreeWidget(self)
        self.sessions.setHeaderLabels(["Device", "Signed in", "Last used"])
        self.sessions.setRootIsDecorated(False)
        self.sessions.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.sessions.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.sessions.header().setStretchLastSection(False)
        self.sessions.itemSelectionChanged.connect(self.on_sessions_selection_changed)
        self.sessions_label = QLabel("&Where you are signed in:", self)
        self.sessions_label.setBuddy(self.sessions)
        self.revoke = QPushButton("&Sign out device", self)
        self.revoke.clicked.connect(self.on_revoke_clicked)
        self.refresh = QPushButton("&Refresh", self)
        self.refresh.clicked.connect(self.on_refresh_clicked)
        self.sessions_busy = BusyBar(self)

    def _init_password(self) -> None:
        self.password_group = QGroupBox("Change password", self)
        self.password_banner = Banner(self.password_group)
        self.current_password = FieldBox(password=True, parent=self.password_group)
        self.new_password = FieldBox(
            "At least 8 characters", password=True, parent=self.password_group
        )
        self.confirm_password = FieldBox(password=True, parent=self.password_group)
        for field in self._password_fields():
            field.edit.textEdited.connect(self.on_password_field_edited)
        self.change_password = QPushButton("C&hange password", self.password_group)
        self.change_password.setDefault(True)
        self.change_password.clicked.connect(self.on_change_password_clicked)

    def _init_layout(self) -> None:
        row = QHBoxLayout()
        row.addWidget(self.sessions_busy, 1)
        row.addWidget(self.refresh)
        row.addWidget(self.revoke)
        form = QFormLayout()
        form.addRow("C&urrent password", self.current_password)
        form.addRow("&New password", self.new_password)
        form.addRow("Con&firm new password", self.confirm_password)
        group_layout = QVBoxLayout(self.password_group)
        group_layout.addWidget(self.password_banner)
        group_layout.addLayout(form)
        group_layout.addWidget(self.change_password, 0, Qt.AlignmentFlag.AlignRight)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = dialog_layout(self, spacing=10)
        layout.addWidget(self.sessions_label)
        layout.addWidget(self.sessions_banner)
        layout.addWidget(self.sessions, 1)
        layout.addLayout(row)
        layout.addWidget(self.password_group)
        layout.addWidget(buttons)
        self.setMinimumSize(620, 520)

    def _password_fields(self) -> list[FieldBox]:
        return [self.current_password, self.new_password, self.confirm_password]

    # Sessions

    @Slot()
    def on_refresh_clicked(self) -> None:
        self._load_sessions()

    def _load_sessions(self) -> None:
        self.sessions_busy.set_busy(True)
        self.refresh.setEnabled(False)
        self._tasks.run(
            self, self._api.list_sessions, self.on_sessions_loaded, self.on_sessions_failed
        )

    @Slot(object)
    def on_sessions_loaded(self, sessions: list[dict[str, Any]]) -> None:
        self.sessions_busy.set_busy(False)
        self.refresh.setEnabled(True)
        self.sessions.clear()
        for session in sessions:
            self.sessions.addTopLevelItem(_session_row(session))
        for column in (1, 2):
            self.sessions.resizeColumnToContents(column)
        self._update_session_buttons()

    @Slot(object)
    def on_sessions_failed(self, error: Exception) -> None:
        self.sessions_busy.set_busy(False)
        self.refresh.setEnabled(True)
        self._update_session_buttons()
        self.sessions_banner.show_message("error", describe(error))

    @Slot()
    def on_sessions_selection_changed(self) -> None:
        self._update_session_buttons()

    def _selected_row(self) -> QTreeWidgetItem | None:
        rows = self.sessions.selectedItems()
        return rows[0] if rows else None

    def _update_session_buttons(self) -> None:
        row = self._selected_row()
        current = row is not None and bool(row.data(0, IS_CURRENT_ROLE))
        self.revoke.setEnabled(row is not None and not current)
        self.revoke.setToolTip(CURRENT_TIP if current else REVOKE_TIP)

    @Slot()
    def on_revoke_clicked(self) -> None:
        row = self._selected_row()
        if row is None or row.data(0, IS_CURRENT_ROLE):
            return
        if not message_box.confirm(
            self,
            "Sign out device",
            f"Sign out “{row.text(0)}”? It will have to sign in again.",
            "Sign out",
        ):
            return
        self.revoke.setEnabled(False)
        self.sessions_busy.set_busy(True)
        session_id = str(row.data(0, SESSION_ID_ROLE))
        self._tasks.run(
            self,
            lambda: _revoke(self._api, session_id),
            self.on_sessions_loaded,
            self.on_sessions_failed,
        )

    # Password

    @Slot()
    def on_password_field_edited(self) -> None:
        self.password_banner.clear()
        self.current_password.set_error("")
        if self.new_password.text:
            self.new_password.set_error(validation.password_error(self.new_password.text))
        if self.confirm_password.text:
            self.confirm_password.set_error(
                validation.confirmation_error(self.new_password.text, self.confirm_password.text)
            )

    @Slot()
    def on_change_password_clicked(self) -> None:
        if self._password_request.busy:
            return
        current, new = self.current_password.text, self.new_password.text
        errors = {
            self.current_password: "" if current else "Enter your current password.",
            self.new_password: validation.password_error(new),
            self.confirm_password: validation.confirmation_error(new, self.confirm_password.text),
        }
        for field, message in errors.items():
            field.set_error(message)
        if any(errors.values()):
            return
        self._password_request.run(
            lambda: _change_password(self._api, current, new),
            self.on_password_changed,
            self.on_password_change_failed,
        )

    @Slot(object)
    def on_password_changed(self, sessions: list[dict[str, Any]]) -> None:
        for field in self._password_fields():
            field.edit.clear()
        self.password_banner.show_message(
            "success", "Password changed. Every other device has been signed out."
        )
        self.on_sessions_loaded(sessions)

    @Slot(object)
    def on_password_change_failed(self, error: Exception) -> None:
        if isinstance(error, InvalidInputError) and error.code == "invalid_credentials":
            reject_field(self.current_password, "That is not your current password.")
            self.current_password.setFocus()
        elif isinstance(error, InvalidInputError) and error.fields:
            boxes = {"currentPassword": self.current_password, "newPassword": self.new_password}
            show_field_errors(error, boxes)
        else:
            self.password_banner.show_message("error", describe(error))


def _session_row(session: dict[str, Any]) -> QTreeWidgetItem:
    """A row for one session: device, signed-in date, last use; this computer's in bold."""
    device = str(session.get("device") or "Unknown device")
    current = bool(session.get("current"))
    row = QTreeWidgetItem(
        [
            f"{device} (this computer)" if current else device,
            local_time(session.get("created"), date_only=True),
            local_time(session.get("lastUsed")),
        ]
    )
    row.setData(0, SESSION_ID_ROLE, str(session.get("id")))
    row.setData(0, IS_CURRENT_ROLE, current)
    row.setToolTip(0, device)
    if current:
        font = QFont(row.font(0))
        font.setBold(True)
        row.setFont(0, font)
    return row


def _revoke(api: ApiClient, session_id: str) -> list[dict[str, Any]]:
    """Runs in the pool: end one session, then list the ones left."""
    api.revoke_session(session_id)
    return api.list_sessions()


def _change_password(api: ApiClient, current: str, new: str) -> list[dict[str, Any]]:
    """Runs in the pool: change the password, then list the sessions left."""
    api.change_password(current, new)
    return api.list_sessions()

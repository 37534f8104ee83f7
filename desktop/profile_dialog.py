"""ProfileDialog: edit name, age and favourite pet; see and end sessions; change password."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import QDateTime, QLocale, Qt, Signal, Slot
from PySide6.QtGui import QFont, QIntValidator
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
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop import message_box, validation
from desktop.api_client import ApiClient
from desktop.errors import InvalidInputError, describe
from desktop.widgets import Banner, BusyBar, FieldBox
from desktop.worker import TaskRunner

SESSION_ID_ROLE = Qt.ItemDataRole.UserRole


def local_time(iso: str | None, *, date_only: bool = False) -> str:
    """An ISO 8601 UTC time in the user's time zone, e.g. "25 Nov 2026, 14:03";
    "" if absent or unreadable."""
    try:
        moment = datetime.fromisoformat(str(iso))
    except ValueError:
        return ""
    stamp = QDateTime.fromSecsSinceEpoch(int(moment.timestamp()))
    return QLocale().toString(stamp, "d MMM yyyy" if date_only else "d MMM yyyy, HH:mm")


class ProfileDialog(QDialog):
    """Emits `profile_saved(user)` after Save succeeded."""

    profile_saved = Signal(dict)

    def __init__(
        self, api: ApiClient, tasks: TaskRunner, user: dict, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._api = api
        self._tasks = tasks
        self._saving = False
        self._edited = False
        self._sessions_loaded = False
        self.setWindowTitle("Profile – SmartBrain")
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self._init_profile_tab(), "&Profile")
        self.tabs.addTab(self._init_security_tab(), "Sessions && pass&word")
        self.tabs.currentChanged.connect(self.on_tabs_current_changed)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.save = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.buttons.accepted.connect(self.on_save_clicked)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.buttons)
        self.setMinimumSize(620, 440)
        self._show_user(user)
        self.name.setFocus()
        self._tasks.run(self, self._api.get_profile, self.on_profile_loaded, self.on_load_failed)

    def _init_profile_tab(self) -> QWidget:
        tab = QWidget(self)
        self.profile_banner = Banner(tab)
        self.name = FieldBox(max_length=validation.NAME_MAX, parent=tab)
        self.email = QLabel(tab)
        self.age = FieldBox("Leave blank if you prefer", max_length=3, parent=tab)
        self.age.edit.setValidator(QIntValidator(0, validation.AGE_MAX, self.age))
        self.pet = FieldBox("Cat, dog, axolotl…", max_length=validation.PET_MAX, parent=tab)
        self.entries = QLabel(tab)
        self.joined = QLabel(tab)
        for label in (self.email, self.entries, self.joined):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        for field in (self.name, self.age, self.pet):
            field.edit.textEdited.connect(self.on_profile_field_edited)
        self.profile_busy = BusyBar(tab)
        form = QFormLayout()
        form.setVerticalSpacing(10)
        form.addRow("&Name", self.name)
        form.addRow("Email", self.email)
        form.addRow("&Age", self.age)
        form.addRow("Favourite &pet", self.pet)
        form.addRow("Entries", self.entries)
        form.addRow("Member since", self.joined)
        layout = QVBoxLayout(tab)
        layout.setContentsMargins(16, 16, 16, 12)
        layout.addWidget(self.profile_banner)
        layout.addLayout(form)
        layout.addStretch(1)
        layout.addWidget(self.profile_busy)
        return tab

    def _init_security_tab(self) -> QWidget:
        tab = QWidget(self)
        self.sessions_banner = Banner(tab)
        self.sessions = QTreeWidget(tab)
        self.sessions.setHeaderLabels(["Device", "Signed in", "Last used"])
        self.sessions.setRootIsDecorated(False)
        self.sessions.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.sessions.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.sessions.header().setStretchLastSection(False)
        self.sessions.itemSelectionChanged.connect(self.on_sessions_selection_changed)
        self.revoke = QPushButton("&Sign out device", tab)
        self.revoke.setToolTip("End the selected session; that device must sign in again")
        self.revoke.clicked.connect(self.on_revoke_clicked)
        self.refresh = QPushButton("&Refresh", tab)
        self.refresh.clicked.connect(self.on_refresh_clicked)
        self.sessions_busy = BusyBar(tab)
        row = QHBoxLayout()
        row.addWidget(self.sessions_busy, 1)
        row.addWidget(self.refresh)
        row.addWidget(self.revoke)
        group = QGroupBox("Change password", tab)
        self.password_banner = Banner(group)
        self.current_password = FieldBox(password=True, parent=group)
        self.new_password = FieldBox("At least 8 characters", password=True, parent=group)
        self.confirm_password = FieldBox(password=True, parent=group)
        for field in self._password_fields():
            field.edit.textEdited.connect(self.on_password_field_edited)
        self.change_password = QPushButton("C&hange password", group)
        self.change_password.clicked.connect(self.on_change_password_clicked)
        form = QFormLayout()
        form.addRow("&Current password", self.current_password)
        form.addRow("&New password", self.new_password)
        form.addRow("Con&firm new password", self.confirm_password)
        group_layout = QVBoxLayout(group)
        group_layout.addWidget(self.password_banner)
        group_layout.addLayout(form)
        group_layout.addWidget(self.change_password, 0, Qt.AlignmentFlag.AlignRight)
        layout = QVBoxLayout(tab)
        layout.setContentsMargins(16, 16, 16, 12)
        layout.addWidget(QLabel("Where you are signed in:", tab))
        layout.addWidget(self.sessions_banner)
        layout.addWidget(self.sessions, 1)
        layout.addLayout(row)
        layout.addWidget(group)
        self._update_session_buttons()
        return tab

    def _password_fields(self) -> list[FieldBox]:
        return [self.current_password, self.new_password, self.confirm_password]

    # Profile tab

    def _show_user(self, user: dict) -> None:
        """Show `user`; the editable fields only while the user has not touched them."""
        self.email.setText(str(user.get("email") or ""))
        self.entries.setText(str(user.get("entries", 0)))
        self.joined.setText(local_time(user.get("joined"), date_only=True))
        if self._edited or self._saving:
            return
        self.name.edit.setText(str(user.get("name") or ""))
        age = user.get("age")
        self.age.edit.setText("" if age is None else str(age))
        self.pet.edit.setText(str(user.get("pet") or ""))

    @Slot(object)
    def on_profile_loaded(self, user: dict) -> None:
        self._show_user(user)

    @Slot(object)
    def on_load_failed(self, error: Exception) -> None:
        self.profile_banner.show_message("error", describe(error))

    @Slot()
    def on_profile_field_edited(self) -> None:
        self._edited = True
        self.name.set_error(validation.name_error(self.name.text))
        self.age.set_error(validation.age_error(self.age.text))
        self.pet.set_error(validation.pet_error(self.pet.text))

    @Slot()
    def on_save_clicked(self) -> None:
        if self._saving:
            return
        self.on_profile_field_edited()
        if any(field.error.isVisibleTo(self) for field in (self.name, self.age, self.pet)):
            self.tabs.setCurrentIndex(0)
            return
        name, pet = self.name.text.strip(), self.pet.text.strip()
        age = int(self.age.text) if self.age.text.strip() else None
        self._set_saving(True)
        self._tasks.run(
            self, lambda: self._save(name, age, pet), self.on_save_succeeded, self.on_save_failed
        )

    def _save(self, name: str, age: int | None, pet: str) -> dict:
        """Runs in the pool: update, then read back what the server kept."""
        self._api.update_profile(name, age, pet)
        return self._api.get_profile()

    @Slot(object)
    def on_save_succeeded(self, user: dict) -> None:
        self._set_saving(False)
        self.profile_saved.emit(user)
        self.accept()

    @Slot(object)
    def on_save_failed(self, error: Exception) -> None:
        self._set_saving(False)
        self.tabs.setCurrentIndex(0)
        if isinstance(error, InvalidInputError) and error.fields:
            boxes = {"name": self.name, "age": self.age, "pet": self.pet}
            for key, message in error.fields.items():
                if key in boxes:
                    boxes[key].set_error(message)
        self.profile_banner.show_message("error", describe(error))

    def _set_saving(self, saving: bool) -> None:
        self._saving = saving
        self.profile_busy.set_busy(saving)
        self.save.setEnabled(not saving)
        self.save.setText("Saving…" if saving else "&Save")
        for field in (self.name, self.age, self.pet):
            field.edit.setReadOnly(saving)

    # Sessions and password tab

    @Slot(int)
    def on_tabs_current_changed(self, index: int) -> None:
        on_security = index == 1
        self.save.setVisible(not on_security)
        self.save.setDefault(not on_security)
        self.change_password.setDefault(on_security)
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setText("Close" if on_security else "Cancel")
        if on_security and not self._sessions_loaded:
            self._load_sessions()

    @Slot()
    def on_refresh_clicked(self) -> None:
        self._load_sessions()

    def _load_sessions(self) -> None:
        self._sessions_loaded = True
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
            device = str(session.get("device") or "Unknown device")
            current = bool(session.get("current"))
            item = QTreeWidgetItem(
                [
                    f"{device} (this computer)" if current else device,
                    local_time(session.get("created"), date_only=True),
                    local_time(session.get("lastUsed")),
                ]
            )
            item.setData(0, SESSION_ID_ROLE, (str(session.get("id")), current))
            item.setToolTip(0, device)
            if current:
                font = QFont(item.font(0))
                font.setBold(True)
                item.setFont(0, font)
            self.sessions.addTopLevelItem(item)
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

    def _selected_session(self) -> tuple[str, bool] | None:
        items = self.sessions.selectedItems()
        return items[0].data(0, SESSION_ID_ROLE) if items else None

    def _update_session_buttons(self) -> None:
        selected = self._selected_session()
        self.revoke.setEnabled(selected is not None and not selected[1])
        self.revoke.setToolTip(
            "To sign out this computer, use Account ▸ Sign out"
            if selected and selected[1]
            else "End the selected session; that device must sign in again"
        )

    @Slot()
    def on_revoke_clicked(self) -> None:
        selected = self._selected_session()
        if selected is None or selected[1]:
            return
        device = self.sessions.selectedItems()[0].text(0)
        if not message_box.confirm(
            self,
            "Sign out device",
            f"Sign out “{device}”? It will have to sign in again.",
            "Sign out",
        ):
            return
        self.revoke.setEnabled(False)
        self.sessions_busy.set_busy(True)
        session_id = selected[0]
        self._tasks.run(
            self,
            lambda: self._revoke(session_id),
            self.on_sessions_loaded,
            self.on_sessions_failed,
        )

    def _revoke(self, session_id: str) -> list[dict[str, Any]]:
        """Runs in the pool: end one session, then list the ones left."""
        self._api.revoke_session(session_id)
        return self._api.list_sessions()

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
        if not self.change_password.isEnabled():
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
        self._set_changing_password(True)
        self._tasks.run(
            self,
            lambda: self._change_password(current, new),
            self.on_password_changed,
            self.on_password_change_failed,
        )

    def _change_password(self, current: str, new: str) -> list[dict[str, Any]]:
        """Runs in the pool: change the password, then list the sessions left."""
        self._api.change_password(current, new)
        return self._api.list_sessions()

    @Slot(object)
    def on_password_changed(self, sessions: list[dict[str, Any]]) -> None:
        self._set_changing_password(False)
        for field in self._password_fields():
            field.edit.clear()
        self.password_banner.show_message(
            "success", "Password changed. Every other device has been signed out."
        )
        self.on_sessions_loaded(sessions)

    @Slot(object)
    def on_password_change_failed(self, error: Exception) -> None:
        self._set_changing_password(False)
        if isinstance(error, InvalidInputError) and error.code == "invalid_credentials":
            self.current_password.set_error("That is not your current password.")
            self.current_password.edit.selectAll()
            self.current_password.setFocus()
        elif isinstance(error, InvalidInputError) and error.fields:
            boxes = {"currentPassword": self.current_password, "newPassword": self.new_password}
            for key, message in error.fields.items():
                if key in boxes:
                    boxes[key].set_error(message)
        else:
            self.password_banner.show_message("error", describe(error))

    def _set_changing_password(self, busy: bool) -> None:
        self.change_password.setEnabled(not busy)
        self.change_password.setText("Changing…" if busy else "C&hange password")
        for field in self._password_fields():
            field.edit.setReadOnly(busy)

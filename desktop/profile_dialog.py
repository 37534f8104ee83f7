"""ProfileDialog: edit name, age and favourite pet; its Security tab holds two-step
verification and deleting the account."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QIntValidator
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop import validation
from desktop.api_client import ApiClient
from desktop.dates import local_time
from desktop.errors import describe
from desktop.forms import FormRequest, show_field_errors
from desktop.security_tab import SecurityTab
from desktop.widgets import Banner, BusyBar, FieldBox, dialog_layout
from desktop.worker import TaskRunner


class ProfileDialog(QDialog):
    """Shows `user` at once, then the profile fresh from the server; emits
    `profile_saved(user)` after Save succeeded, and `account_deleted()` (then closes) once
    the account was deleted from the Security tab."""

    profile_saved = Signal(dict)
    account_deleted = Signal()

    def __init__(
        self, api: ApiClient, tasks: TaskRunner, user: dict, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._api = api
        self._tasks = tasks
        self._user = user
        self._edited = False
        self.setWindowTitle("Profile – SmartBrain")
        self._init_widgets()
        self._init_layout()
        self._save_request = FormRequest(
            self, tasks, self.save, self._fields(), busy_text="Saving…", bar=self.busy
        )
        self._show_user(user)
        self.name.setFocus()
        self._tasks.run(self, self._api.get_profile, self.on_profile_loaded, self.on_load_failed)

    def _init_widgets(self) -> None:
        self.banner = Banner(self)
        self.name = FieldBox(max_length=validation.NAME_MAX, parent=self)
        self.email = QLabel(self)
        self.age = FieldBox("Leave blank if you prefer", max_length=3, parent=self)
        self.age.edit.setValidator(QIntValidator(0, validation.AGE_MAX, self.age))
        self.pet = FieldBox("Cat, dog, axolotl…", max_length=validation.PET_MAX, parent=self)
        self.entries = QLabel(self)
        self.joined = QLabel(self)
        for label in (self.email, self.entries, self.joined):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        for field in self._fields():
            field.edit.textEdited.connect(self.on_field_edited)
        self.busy = BusyBar(self)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.save = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save.setText("&Save")  # the platform's text may lack a mnemonic
        self.save.setDefault(True)
        self.buttons.accepted.connect(self.on_save_clicked)
        self.buttons.rejected.connect(self.reject)
        self.cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self._cancel_text = self.cancel.text()  # the platform's own
        self.security = SecurityTab(self._api, self._tasks, str(self._user.get("email") or ""))
        self.security.account_deleted.connect(self.on_account_deleted)

    def _init_layout(self) -> None:
        rows = [
            ("&Name", self.name),
            ("Email", self.email),
            ("&Age", self.age),
            ("Favourite &pet", self.pet),
            ("Entries", self.entries),
            ("Member since", self.joined),
        ]
        form = QFormLayout()
        form.setVerticalSpacing(10)
        for label, field in rows:
            form.addRow(label, field)
        profile = QWidget(self)
        profile_layout = QVBoxLayout(profile)
        profile_layout.setContentsMargins(16, 16, 16, 8)
        profile_layout.setSpacing(10)
        profile_layout.addWidget(self.banner)
        profile_layout.addLayout(form)
        profile_layout.addStretch(1)  # the room errors leave when they go
        self.tabs = QTabWidget(self)
        self.tabs.addTab(profile, "Pr&ofile")
        self.tabs.addTab(self.security, "Sec&urity")
        self.tabs.currentChanged.connect(self.on_tabs_current_changed)
        layout = dialog_layout(self, spacing=10)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.busy)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(520)

    def _fields(self) -> list[FieldBox]:
        return [self.name, self.age, self.pet]

    def _show_user(self, user: dict) -> None:
        """Show `user`; the editable fields only while the user has not touched them."""
        self.email.setText(str(user.get("email") or ""))
        self.security.set_email(self.email.text())
        self.entries.setText(str(user.get("entries", 0)))
        self.joined.setText(local_time(user.get("joined"), date_only=True))
        if self._edited or self._save_request.busy:
            return
        self.name.edit.setText(str(user.get("name") or ""))
        age = user.get("age")
        self.age.edit.setText("" if age is None else str(age))
        self.pet.edit.setText(str(user.get("pet") or ""))

    @Slot(int)
    def on_tabs_current_changed(self, _index: int) -> None:
        """Save is about the profile: it shows on that tab only (Cancel closes either)."""
        on_profile = self.tabs.currentWidget() is not self.security
        self.save.setVisible(on_profile)
        self.cancel.setText(self._cancel_text if on_profile else "&Close")
        if on_profile:
            self.name.setFocus()

    @Slot()
    def on_account_deleted(self) -> None:
        self.account_deleted.emit()
        self.reject()

    @Slot(object)
    def on_profile_loaded(self, user: dict) -> None:
        self._show_user(user)

    @Slot(object)
    def on_load_failed(self, error: Exception) -> None:
        self.banner.show_message("error", describe(error))

    @Slot()
    def on_field_edited(self) -> None:
        self._edited = True
        self.name.set_error(validation.name_error(self.name.text))
        self.age.set_error(validation.age_error(self.age.text))
        self.pet.set_error(validation.pet_error(self.pet.text))

    @Slot()
    def on_save_clicked(self) -> None:
        if self._save_request.busy:
            return
        self.on_field_edited()
        if any(field.error.isVisibleTo(self) for field in self._fields()):
            return
        name, pet = self.name.text.strip(), self.pet.text.strip()
        age = int(self.age.text) if self.age.text.strip() else None
        self._save_request.run_to_accept(
            lambda: _save(self._api, name, age, pet), self.profile_saved, self.on_save_failed
        )

    @Slot(object)
    def on_save_failed(self, error: Exception) -> None:
        show_field_errors(error, {"name": self.name, "age": self.age, "pet": self.pet})
        self.banner.show_message("error", describe(error))


def _save(api: ApiClient, name: str, age: int | None, pet: str) -> dict:
    """Runs in the pool: update, then read back what the server kept."""
    api.update_profile(name, age, pet)
    return api.get_profile()

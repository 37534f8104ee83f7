"""RegisterDialog: create an account, validated as the user types with the server's rules."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QWidget,
)

from desktop import validation
from desktop.api_client import ApiClient
from desktop.errors import ServerUnavailableError, describe
from desktop.forms import FormRequest, form_page, show_field_errors
from desktop.widgets import Banner, BusyBar, FieldBox, HeightFollowsContents
from desktop.worker import TaskRunner


class RegisterDialog(QDialog):
    """Registers through the API (which signs in) and emits `registered(user)`."""

    registered = Signal(dict)

    def __init__(self, api: ApiClient, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._api = api
        self._touched: set[FieldBox] = set()
        self.setWindowTitle("Create an account – SmartBrain")
        self._init_widgets()
        self._init_layout()
        self._request = FormRequest(
            self, tasks, self.submit, self._fields(), busy_text="Creating account…", bar=self.busy
        )
        HeightFollowsContents(self)  # an error that wraps grows the dialog, never squeezes it
        self._validate()

    def _init_widgets(self) -> None:
        self.title = QLabel("Create your SmartBrain account", self)
        self.title.setObjectName("heading")
        self.banner = Banner(self)
        self.banner.action_clicked.connect(self.on_create_clicked)
        self.name = FieldBox("Dana Scully", max_length=validation.NAME_MAX, parent=self)
        self.email = FieldBox("you@example.com", max_length=254, parent=self)
        self.password = FieldBox("At least 8 characters", password=True, parent=self)
        self.confirmation = FieldBox("Type it again", password=True, parent=self)
        for field in self._fields():
            field.edit.textEdited.connect(self.on_field_edited)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.submit = self.buttons.addButton(
            "Create &account", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.submit.setDefault(True)
        self.submit.clicked.connect(self.on_create_clicked)
        self.buttons.rejected.connect(self.reject)
        self.busy = BusyBar(self)

    def _init_layout(self) -> None:
        rows = [
            ("&Name", self.name),
            ("&Email", self.email),
            ("&Password", self.password),
            ("Con&firm password", self.confirmation),
        ]
        above = [self.title, self.banner]
        form_page(self, above, rows, self.busy, self.buttons, spacing=12, row_spacing=8)
        self.setMinimumWidth(480)
        self.name.setFocus()

    def _fields(self) -> list[FieldBox]:
        return [self.name, self.email, self.password, self.confirmation]

    def _errors(self) -> dict[FieldBox, str]:
        password = self.password.text
        return {
            self.name: validation.name_error(self.name.text),
            self.email: validation.email_error(self.email.text),
            self.password: validation.password_error(password),
            self.confirmation: validation.confirmation_error(password, self.confirmation.text),
        }

    def _validate(self) -> bool:
        """Show the errors of the fields the user has touched; True if all are valid."""
        errors = self._errors()
        for field, message in errors.items():
            if field in self._touched:
                field.set_error(message)
        return not any(errors.values())

    @Slot()
    def on_field_edited(self) -> None:
        edited = next(field for field in self._fields() if field.edit is self.sender())
        self._touched.add(edited)
        if edited is self.password and self.confirmation.text:
            self._touched.add(self.confirmation)
        self._validate()

    @Slot()
    def on_create_clicked(self) -> None:
        if self._request.busy:
            return
        self._touched.update(self._fields())
        if not self._validate():
            next(field for field, error in self._errors().items() if error).setFocus()
            return
        name, email, password = self.name.text.strip(), self.email.text.strip(), self.password.text
        self.banner.clear()
        self._request.run_to_accept(
            lambda: self._api.register(name, email, password),
            self.registered,
            self.on_register_failed,
        )

    @Slot(object)
    def on_register_failed(self, error: Exception) -> None:
        boxes = {"name": self.name, "email": self.email, "password": self.password}
        shown = show_field_errors(error, boxes)
        if shown:
            shown[0].setFocus()
        elif isinstance(error, ServerUnavailableError):
            self.banner.show_message("error", error.message, "Try again")
        else:
            self.banner.show_message("error", describe(error))

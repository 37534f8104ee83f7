"""SignOutEverywhereDialog: ends every session of the user after asking for the password."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QWidget

from desktop.api_client import ApiClient
from desktop.errors import InvalidInputError, describe
from desktop.forms import FormRequest, reject_field, show_field_errors
from desktop.widgets import Banner, BusyBar, FieldBox, dialog_layout, repolish
from desktop.worker import TaskRunner


class SignOutEverywhereDialog(QDialog):
    """Emits `signed_out(revoked)` once the server has ended every session."""

    signed_out = Signal(int)

    def __init__(self, api: ApiClient, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._api = api
        self.setWindowTitle("Sign out everywhere – SmartBrain")
        self.explanation = QLabel(
            "This signs you out on every computer and device, this one included. "
            "Enter your password to confirm.",
            self,
        )
        self.explanation.setWordWrap(True)
        self.banner = Banner(self)
        self.password = FieldBox("Your password", password=True, parent=self)
        self.password.edit.textEdited.connect(self.on_password_edited)
        self.password_label = QLabel("&Password", self)
        self.password_label.setBuddy(self.password)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.confirm = self.buttons.addButton(
            "Sign out &everywhere", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.confirm.setObjectName("danger")
        repolish(self.confirm)
        self.confirm.setDefault(True)
        self.confirm.clicked.connect(self.on_confirm_clicked)
        self.buttons.rejected.connect(self.reject)
        self.busy = BusyBar(self)
        layout = dialog_layout(self, spacing=10)
        layout.addWidget(self.explanation)
        layout.addWidget(self.banner)
        layout.addWidget(self.password_label)
        layout.addWidget(self.password)
        layout.addWidget(self.busy)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(420)
        self.password.setFocus()
        self._request = FormRequest(self, tasks, self.confirm, [self.password], bar=self.busy)

    @Slot()
    def on_password_edited(self) -> None:
        self.password.set_error("")

    @Slot()
    def on_confirm_clicked(self) -> None:
        if self._request.busy:
            return
        password = self.password.text
        if not password:
            self.password.set_error("Enter your password.")
            return
        self._request.run_to_accept(
            lambda: self._api.sign_out_everywhere(password),
            self.signed_out,
            self.on_sign_out_failed,
        )

    @Slot(object)
    def on_sign_out_failed(self, error: Exception) -> None:
        if isinstance(error, InvalidInputError) and error.code == "invalid_credentials":
            reject_field(self.password, "That is not your password.")
        elif not show_field_errors(error, {"password": self.password}):
            self.banner.show_message("error", describe(error))

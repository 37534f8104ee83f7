"""The two changes to two-step verification that need the password and a current code:
turning it off, and making a new set of recovery codes (shown once, like the first)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPushButton, QWidget

from desktop import validation
from desktop.api_client import ApiClient
from desktop.forms import FormRequest, fields_pass, show_refusal
from desktop.recovery_codes_view import RecoveryCodesView
from desktop.widgets import Banner, BusyBar, CodeBox, FieldBox, dialog_layout, repolish
from desktop.worker import TaskRunner

CODE_HINT = "From your authenticator app, or one of your recovery codes."


class PasswordAndCodeDialog(QDialog):
    """A dialog asking for the password and a code before its action (`action` names its
    button; `danger` styles it as destructive). Subclasses say what the action does."""

    def __init__(
        self,
        api: ApiClient,
        tasks: TaskRunner,
        *,
        title: str,
        explanation: str,
        action: str,
        danger: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._api = api
        self.setWindowTitle(f"{title} – SmartBrain")
        self.title = QLabel(f"{title}?", self)
        self.title.setObjectName("heading")
        self.explanation = QLabel(explanation, self)
        self.explanation.setWordWrap(True)
        self.banner = Banner(self)
        self.password = FieldBox("Your password", password=True, parent=self)
        self.code = CodeBox("either", parent=self)
        for field in (self.password, self.code):
            field.edit.textEdited.connect(self.on_field_edited)
        self.password_label = QLabel("&Password", self)
        self.password_label.setBuddy(self.password)
        self.code_label = QLabel("C&ode", self)
        self.code_label.setBuddy(self.code)
        self.code_hint = QLabel(CODE_HINT, self)
        self.code_hint.setObjectName("note")
        self.code_hint.setWordWrap(True)
        self.busy = BusyBar(self)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.confirm = self.buttons.addButton(action, QDialogButtonBox.ButtonRole.AcceptRole)
        if danger:
            self.confirm.setObjectName("danger")
            repolish(self.confirm)
        self.confirm.setDefault(True)
        self.confirm.clicked.connect(self.on_confirm_clicked)
        self.buttons.rejected.connect(self.reject)
        self.form = [
            self.explanation,
            self.password_label,
            self.password,
            self.code_label,
            self.code,
            self.code_hint,
        ]
        self.page = dialog_layout(self, spacing=8)
        self.page.addWidget(self.title)
        self.page.addWidget(self.banner)
        for widget in self.form:
            self.page.addWidget(widget)
        self.page.addStretch(1)
        self.page.addWidget(self.busy)
        self.page.addWidget(self.buttons)
        self.setMinimumWidth(440)
        self.password.setFocus()
        self._request = FormRequest(
            self, tasks, self.confirm, [self.password, self.code], bar=self.busy
        )

    def _send(self, password: str, code: str) -> Any:
        """Runs in the pool: the action itself; its result goes to `_succeeded`."""
        raise NotImplementedError

    def _succeeded(self, result: Any) -> None:
        """Back on the GUI thread once the action is done."""
        raise NotImplementedError

    @Slot()
    def on_field_edited(self) -> None:
        self.password.set_error("")
        self.code.set_error("")

    @Slot()
    def on_confirm_clicked(self) -> None:
        if self._request.busy:
            return
        password, code = self.password.text, self.code.text.strip()
        errors = {
            self.password: "" if password else "Enter your password.",
            self.code: validation.any_code_error(code),
        }
        if not fields_pass(errors):
            return
        self.banner.clear()
        self._request.run(
            lambda: self._send(password, code), self._succeeded, self.on_request_failed
        )

    @Slot(object)
    def on_request_failed(self, error: Exception) -> None:
        show_refusal(error, {"password": self.password, "code": self.code}, self.banner)


class TurnOffTwoStepDialog(PasswordAndCodeDialog):
    """Emits `turned_off()` once two-step verification is off, and closes."""

    turned_off = Signal()

    def __init__(self, api: ApiClient, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(
            api,
            tasks,
            title="Turn off two-step verification",
            explanation=(
                "Your password alone will sign you in again, and your recovery codes stop "
                "working. Enter your password and a code to confirm."
            ),
            action="Turn o&ff",
            danger=True,
            parent=parent,
        )

    def _send(self, password: str, code: str) -> None:
        self._api.disable_two_step(password, code)

    def _succeeded(self, _result: None) -> None:
        self.turned_off.emit()
        self.accept()


class NewRecoveryCodesDialog(PasswordAndCodeDialog):
    """Makes a new set of recovery codes and shows it in place of the form; emits
    `codes_renewed(count)` as soon as the old set stopped working."""

    codes_renewed = Signal(int)

    def __init__(
        self, api: ApiClient, tasks: TaskRunner, email: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(
            api,
            tasks,
            title="Make new recovery codes",
            explanation=(
                "A new set of ten recovery codes replaces your current set, which stops "
                "working at once. Enter your password and a code to confirm."
            ),
            action="&Make new codes",
            parent=parent,
        )
        self._email = email
        self.codes = RecoveryCodesView(self)
        self.codes.hide()
        self.page.insertWidget(self.page.indexOf(self.code_hint) + 1, self.codes)
        self.done_button: QPushButton = self.buttons.addButton(
            "&Done", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.done_button.clicked.connect(self.accept)
        self.done_button.hide()

    def _send(self, password: str, code: str) -> list[str]:
        return self._api.new_recovery_codes(password, code)

    def _succeeded(self, codes: list[str]) -> None:
        for widget in self.form:
            widget.hide()
        self.confirm.hide()
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).hide()
        self.title.setText("Your new recovery codes")
        self.codes.show_codes(codes, self._email)
        self.codes.show()
        self.done_button.show()
        self.done_button.setDefault(True)
        self.done_button.setFocus()
        self.codes_renewed.emit(len(codes))

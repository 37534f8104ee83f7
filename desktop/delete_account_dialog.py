"""DeleteAccountDialog: deleting the account for good, after the password, a code when
two-step verification is on, and the email typed out."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QWidget

from desktop import validation
from desktop.api_client import ApiClient
from desktop.forms import FormRequest, fields_pass, show_refusal
from desktop.two_step_change_dialogs import CODE_HINT
from desktop.widgets import Banner, BusyBar, CodeBox, FieldBox, dialog_layout, repolish
from desktop.worker import TaskRunner


def same_email(typed: str, email: str) -> bool:
    """Whether `typed` is `email`, as the server compares them (case and spaces aside)."""
    return bool(email) and typed.strip().lower() == email.strip().lower()


class DeleteAccountDialog(QDialog):
    """Emits `account_deleted()` once the server has deleted the account, and closes. The
    Delete button stays disabled until the email typed matches `email`."""

    account_deleted = Signal()

    def __init__(
        self,
        api: ApiClient,
        tasks: TaskRunner,
        email: str,
        two_step: bool,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._api = api
        self._email = email
        self._two_step = two_step
        self.setWindowTitle("Delete account – SmartBrain")
        self._init_widgets()
        self._init_layout()
        self._request = FormRequest(
            self, tasks, self.delete, self._fields(), busy_text="Deleting…", bar=self.busy
        )
        self._update_delete()
        self.password.setFocus()

    def _init_widgets(self) -> None:
        self.explanation = QLabel(
            "This deletes your account, your profile and your entries for good, and signs "
            "you out on every device. It cannot be undone.",
            self,
        )
        self.explanation.setWordWrap(True)
        self.banner = Banner(self)
        self.password = FieldBox("Your password", password=True, parent=self)
        self.code = CodeBox("either", parent=self)
        self.code.setToolTip(CODE_HINT)
        self.code.setVisible(self._two_step)
        self.email_prompt = QLabel(self)
        self.email_prompt.setWordWrap(True)
        self.email_prompt.setTextFormat(Qt.TextFormat.PlainText)
        self.email_prompt.setText(f"To confirm, type your email address: {self._email}")
        self.email = FieldBox(max_length=254, parent=self)
        for field in self._fields():
            field.edit.textEdited.connect(self.on_field_edited)
        self.busy = BusyBar(self)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.delete = self.buttons.addButton(
            "&Delete account", QDialogButtonBox.ButtonRole.DestructiveRole
        )
        self.delete.setObjectName("danger")
        repolish(self.delete)
        self.delete.clicked.connect(self.on_delete_clicked)
        self.buttons.rejected.connect(self.reject)

    def _init_layout(self) -> None:
        form = QFormLayout()
        form.setVerticalSpacing(10)
        password_label = QLabel("&Password", self)
        password_label.setBuddy(self.password)
        form.addRow(password_label, self.password)
        if self._two_step:
            code_label = QLabel("C&ode", self)
            code_label.setBuddy(self.code)
            form.addRow(code_label, self.code)
        form.addRow(self.email_prompt)
        email_label = QLabel("&Email", self)
        email_label.setBuddy(self.email)
        form.addRow(email_label, self.email)
        title = QLabel("Delete your account?", self)
        title.setObjectName("heading")
        layout = dialog_layout(self, spacing=10)
        layout.addWidget(title)
        layout.addWidget(self.explanation)
        layout.addWidget(self.banner)
        layout.addLayout(form)
        layout.addStretch(1)
        layout.addWidget(self.busy)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(460)

    def _fields(self) -> list[FieldBox]:
        """The fields the user fills in (the code only when two-step verification is on)."""
        fields = [self.password, self.code, self.email]
        return [field for field in fields if self._two_step or field is not self.code]

    def _update_delete(self) -> None:
        ready = same_email(self.email.text, self._email) and not self._request.busy
        self.delete.setEnabled(ready)
        self.delete.setDefault(ready)

    @Slot()
    def on_field_edited(self) -> None:
        for field in self._fields():
            field.set_error("")
        self._update_delete()

    @Slot()
    def on_delete_clicked(self) -> None:
        if self._request.busy or not same_email(self.email.text, self._email):
            return
        password, email = self.password.text, self.email.text.strip()
        code = self.code.text.strip() if self._two_step else ""
        errors = {self.password: "" if password else "Enter your password."}
        if self._two_step:
            errors[self.code] = validation.any_code_error(code)
        if not fields_pass(errors):
            return
        self.banner.clear()
        self._request.run(
            lambda: self._api.delete_account(password, email, code or None),
            self.on_deleted,
            self.on_delete_failed,
        )

    @Slot(object)
    def on_deleted(self, _result: None) -> None:
        self.account_deleted.emit()
        self.accept()

    @Slot(object)
    def on_delete_failed(self, error: Exception) -> None:
        self._update_delete()
        boxes = {"password": self.password, "code": self.code, "email": self.email}
        show_refusal(error, boxes, self.banner)

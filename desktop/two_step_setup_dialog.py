"""TwoStepSetupDialog: turning two-step verification on, one step at a time: the password,
the QR code to scan (and its secret as text), a code from the app to confirm, then the
recovery codes, shown once."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop import validation
from desktop.api_client import ApiClient, TwoStepSetup
from desktop.errors import InvalidInputError
from desktop.forms import FormRequest, show_refusal
from desktop.qr_code import grouped_secret, qr_pixmap
from desktop.recovery_codes_view import RecoveryCodesView
from desktop.widgets import Banner, BusyBar, CodeBox, FieldBox, dialog_layout
from desktop.worker import TaskRunner

QR_SIDE = 200
"""The QR code's width and height in logical pixels, quiet zone included."""

INTRODUCTION = (
    "With two-step verification on, signing in asks for your password and then for a code "
    "from an authenticator app on your phone, such as Google Authenticator, Microsoft "
    "Authenticator, Aegis or 1Password. Enter your password to begin."
)


def page(parent: QWidget, *parts: QWidget, centred: tuple[QWidget, ...] = ()) -> QWidget:
    """A step of a dialog: `parts` from the top (those in `centred` centred), the room left
    below them."""
    widget = QWidget(parent)
    layout = QVBoxLayout(widget)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(8)
    for part in parts:
        if part in centred:
            layout.addWidget(part, 0, Qt.AlignmentFlag.AlignHCenter)
        else:
            layout.addWidget(part)
    layout.addStretch(1)
    return widget


def buddy_label(text: str, field: QWidget, parent: QWidget) -> QLabel:
    """A field's label, whose &-letter moves the focus to the field."""
    label = QLabel(text, parent)
    label.setBuddy(field)
    return label


def step_title(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setObjectName("heading")
    return label


def wrapped(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setWordWrap(True)
    return label


class TwoStepSetupDialog(QDialog):
    """Emits `enabled(codes_left)` once two-step verification is on (the recovery codes are
    then on the last page, until the user closes the dialog)."""

    enabled = Signal(int)

    def __init__(
        self, api: ApiClient, tasks: TaskRunner, email: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._api = api
        self._email = email
        self.setWindowTitle("Turn on two-step verification – SmartBrain")
        self._init_widgets()
        self._init_layout()
        self._setup_request = FormRequest(
            self, tasks, self.next, [self.password], busy_text="Checking…", bar=self.busy
        )
        self._enable_request = FormRequest(
            self, tasks, self.turn_on, [self.code], busy_text="Turning on…", bar=self.busy
        )
        self._go_to(self.password_page)

    def _init_widgets(self) -> None:
        self.banner = Banner(self)
        self.password = FieldBox("Your password", password=True, parent=self)
        self.password.edit.textEdited.connect(lambda: self.password.set_error(""))
        self.qr = QLabel(self)
        self.qr.setObjectName("qrCode")
        self.qr.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.qr.setFixedSize(QR_SIDE + 16, QR_SIDE + 16)
        self.qr.setToolTip("Scan this with your authenticator app")
        self.secret = QLabel(self)
        self.secret.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.secret.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.secret.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.code = CodeBox("authenticator", parent=self)
        self.code.edit.textEdited.connect(lambda: self.code.set_error(""))
        self.codes = RecoveryCodesView(self)
        self.buttons = QDialogButtonBox(self)
        self.cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.back = self._button("&Back", QDialogButtonBox.ButtonRole.ActionRole)
        self.next = self._button("&Next", QDialogButtonBox.ButtonRole.AcceptRole)
        self.turn_on = self._button("&Turn on", QDialogButtonBox.ButtonRole.AcceptRole)
        self.done_button = self._button("&Done", QDialogButtonBox.ButtonRole.AcceptRole)
        self.next.clicked.connect(self.on_next_clicked)
        self.back.clicked.connect(self.on_back_clicked)
        self.turn_on.clicked.connect(self.on_turn_on_clicked)
        self.done_button.clicked.connect(self.accept)
        self.cancel.clicked.connect(self.reject)
        self.busy = BusyBar(self)

    def _button(self, text: str, role: QDialogButtonBox.ButtonRole) -> QPushButton:
        button = self.buttons.addButton(text, role)
        button.setAutoDefault(False)
        return button

    def _init_layout(self) -> None:
        self.password_page = page(
            self,
            step_title("Step 1 of 3: your password", self),
            wrapped(INTRODUCTION, self),
            buddy_label("&Password", self.password, self),
            self.password,
        )
        qr_intro = wrapped("Scan this QR code with your authenticator app:", self)
        key_intro = wrapped("Cannot scan it? Enter this setup key in the app instead:", self)
        qr_title = step_title("Step 2 of 3: scan the code", self)
        self.qr_page = page(
            self, qr_title, qr_intro, self.qr, key_intro, self.secret, centred=(self.qr,)
        )
        self.code_page = page(
            self,
            step_title("Step 3 of 3: confirm a code", self),
            wrapped("Enter the 6-digit code the app now shows for SmartBrain.", self),
            buddy_label("C&ode", self.code, self),
            self.code,
        )
        done = step_title("Two-step verification is on", self)
        self.codes_page = page(self, done, self.codes)
        self.pages = QStackedWidget(self)
        for step in (self.password_page, self.qr_page, self.code_page, self.codes_page):
            self.pages.addWidget(step)
        layout = dialog_layout(self, spacing=10)
        layout.addWidget(self.banner)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.busy)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(480)

    def _go_to(self, step: QWidget) -> None:
        """Show `step` with its buttons; the focus goes to its field."""
        self.pages.setCurrentWidget(step)
        self.back.setVisible(step is self.code_page)
        self.next.setVisible(step in (self.password_page, self.qr_page))
        self.turn_on.setVisible(step is self.code_page)
        self.done_button.setVisible(step is self.codes_page)
        self.cancel.setVisible(step is not self.codes_page)
        main: QPushButton = {
            self.password_page: self.next,
            self.qr_page: self.next,
            self.code_page: self.turn_on,
            self.codes_page: self.done_button,
        }[step]
        main.setDefault(True)
        fields: dict[QWidget, QWidget] = {
            self.password_page: self.password,
            self.code_page: self.code,
        }
        fields.get(step, main).setFocus()

    @Slot()
    def on_next_clicked(self) -> None:
        if self.pages.currentWidget() is self.qr_page:
            self._go_to(self.code_page)
            return
        if self._setup_request.busy:
            return
        password = self.password.text
        if not password:
            self.password.set_error("Enter your password.")
            return
        self.banner.clear()
        self._setup_request.run(
            lambda: self._api.start_two_step_setup(password),
            self.on_setup_started,
            self.on_request_failed,
        )

    @Slot(object)
    def on_setup_started(self, setup: TwoStepSetup) -> None:
        self.password.edit.clear()
        self.qr.setPixmap(qr_pixmap(setup.uri, QR_SIDE, self.devicePixelRatioF()))
        self.secret.setText(grouped_secret(setup.secret))
        self.code.edit.clear()
        self._go_to(self.qr_page)

    @Slot()
    def on_back_clicked(self) -> None:
        self._go_to(self.qr_page)

    @Slot()
    def on_turn_on_clicked(self) -> None:
        if self._enable_request.busy:
            return
        code = self.code.text.strip()
        message = validation.authenticator_code_error(code)
        if message:
            self.code.set_error(message)
            return
        self.banner.clear()
        self._enable_request.run(
            lambda: self._api.enable_two_step(code), self.on_enabled, self.on_request_failed
        )

    @Slot(object)
    def on_enabled(self, codes: list[str]) -> None:
        self.codes.show_codes(codes, self._email)
        self._go_to(self.codes_page)
        self.enabled.emit(len(codes))

    @Slot(object)
    def on_request_failed(self, error: Exception) -> None:
        if isinstance(error, InvalidInputError) and error.code == "setup_expired":
            self._go_to(self.password_page)
            self.banner.show_message("warning", error.message)
            return
        boxes = {"password": self.password, "code": self.code}
        show_refusal(error, boxes, self.banner)

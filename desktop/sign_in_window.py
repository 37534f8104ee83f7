"""SignInWindow: the first window. Email and password, "Remember me", the server choice; for
an account with two-step verification, the code step in the same window."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QCheckBox, QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from desktop import validation
from desktop.api_client import ApiClient, CodeSignIn
from desktop.errors import (
    ChallengeExpiredError,
    InvalidInputError,
    SecondStepRequired,
    ServerUnavailableError,
    TooManyAttemptsError,
    describe,
    too_many_attempts_message,
)
from desktop.forms import fields_pass, reject_field
from desktop.register_dialog import RegisterDialog
from desktop.resources import app_icon
from desktop.server_dialog import ServerDialog
from desktop.session_token import SessionToken
from desktop.settings import AppSettings
from desktop.widgets import (
    Banner,
    BusyBar,
    CodeBox,
    FieldBox,
    Heading,
    HeightFollowsContents,
    link_button,
    open_dialog,
    primary_button,
)
from desktop.worker import TaskRunner

NO_KEYCHAIN = (
    "This computer has no usable keychain, so SmartBrain cannot remember you: "
    "you will be asked to sign in each time."
)
KEYCHAIN_REFUSED = "Your sign-in could not be saved in the keychain; you will sign in next time."
WRONG_CREDENTIALS = "Wrong email or password."
SIGN_IN_TITLE = ("Sign in to SmartBrain", "Find the faces in your photos.")
CODE_TITLE = ("Two-step verification", "Enter the 6-digit code from your authenticator app.")
RECOVERY_TITLE = ("Two-step verification", "Enter one of the recovery codes you saved.")
CHALLENGE_EXPIRED = "This sign-in has expired. Please sign in again."


def recovery_codes_left_notice(left: int) -> str:
    """What the main window says after a sign-in with a recovery code."""
    if left == 0:
        return (
            "You signed in with your last recovery code. Make new ones in "
            "Profile ▸ Security before you need one."
        )
    codes = "recovery code is" if left == 1 else "recovery codes are"
    return f"You signed in with a recovery code: {left} {codes} left."


class SignInWindow(QWidget):
    """Signs the user in (or restores a remembered session) and emits `signed_in`. When the
    account uses two-step verification, the password step gives way to the code step.

    `signed_in(user, notice)`: notice is "" or a sentence for the main window's status bar.
    `server_change_requested(url)`: the user chose a server; None means this computer.
    `backend_restart_requested()`: the user asked to retry starting this computer's server.
    """

    signed_in = Signal(dict, str)
    server_change_requested = Signal(object)
    backend_restart_requested = Signal()

    def __init__(
        self,
        api: ApiClient,
        tasks: TaskRunner,
        settings: AppSettings,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._api = api
        self._tasks = tasks
        self._token = api.session_token
        self._settings = settings
        self._busy = False
        self._challenge = ""
        self._remote_url: str | None = None
        self._starting = False
        self._server_ready = False
        self._wait_seconds = 0
        self._countdown = QTimer(self, interval=1000)
        self._countdown.timeout.connect(self.on_countdown_timeout)
        self.setWindowTitle("Sign in – SmartBrain")
        self.setWindowIcon(app_icon())
        self._init_widgets()
        self._init_layout()
        self._update_submit()

    def _init_widgets(self) -> None:
        self.banner = Banner(self)
        self.email = FieldBox("you@example.com", max_length=254, parent=self)
        self.email.edit.setText(self._settings.last_email)
        self.email.edit.returnPressed.connect(self.on_submit_clicked)
        self.email.edit.textEdited.connect(self.on_field_edited)
        self.password = FieldBox("Password", password=True, parent=self)
        self.password.edit.returnPressed.connect(self.on_submit_clicked)
        self.password.edit.textEdited.connect(self.on_field_edited)
        self.remember = QCheckBox("&Remember me", self)
        self.remember.setChecked(self._settings.remember_me and self._token.can_remember)
        self.keychain_note = QLabel(NO_KEYCHAIN, self)
        self.keychain_note.setObjectName("note")
        self.keychain_note.setWordWrap(True)
        if not self._token.can_remember:
            self.remember.setEnabled(False)
            self.remember.setToolTip(NO_KEYCHAIN)
        self.keychain_note.setVisible(not self._token.can_remember)
        self.submit = primary_button("&Sign in", self)
        self.submit.clicked.connect(self.on_submit_clicked)
        self.busy = BusyBar(self)
        self.create_account = link_button("New here? &Create an account", self)
        self.create_account.clicked.connect(self.on_create_account_clicked)
        self._init_code_widgets()
        self.server_label = QLabel(self)
        self.server_label.setObjectName("note")
        self.server_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.change_server = link_button("C&hange…", self)
        self.change_server.setToolTip("Choose the SmartBrain server to use")
        self.change_server.clicked.connect(self.on_change_server_clicked)

    def _init_code_widgets(self) -> None:
        self.code = CodeBox("authenticator", parent=self)
        self.code.edit.returnPressed.connect(self.on_verify_clicked)
        self.code.edit.textEdited.connect(self.on_code_edited)
        self.code_label = QLabel(self)
        self.code_label.setBuddy(self.code)
        self.verify = primary_button("&Verify", self)
        self.verify.clicked.connect(self.on_verify_clicked)
        self.code_busy = BusyBar(self)
        self.use_recovery = link_button("", self)
        self.use_recovery.clicked.connect(self.on_use_recovery_clicked)
        self.back = link_button("&Back", self)
        self.back.setToolTip("Sign in with another email or password")
        self.back.clicked.connect(self.on_back_clicked)
        self._show_code_kind("authenticator")

    def _init_layout(self) -> None:
        email_label = QLabel("&Email", self)
        email_label.setBuddy(self.email)
        password_label = QLabel("&Password", self)
        password_label.setBuddy(self.password)
        form = QVBoxLayout()
        form.setSpacing(6)
        form.addWidget(email_label)
        form.addWidget(self.email)
        form.addSpacing(4)
        form.addWidget(password_label)
        form.addWidget(self.password)
        form.addWidget(self.remember)
        form.addWidget(self.keychain_note)
        rule = QFrame(self)
        rule.setFrameShape(QFrame.Shape.HLine)
        rule.setObjectName("rule")
        server_row = QHBoxLayout()
        server_row.addWidget(self.server_label, 1)
        server_row.addWidget(self.change_server)
        self.heading = Heading(*SIGN_IN_TITLE, self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 28, 32, 16)
        layout.setSpacing(10)
        layout.addLayout(self.heading)
        layout.addSpacing(6)
        layout.addWidget(self.banner)
        self.password_page = self._page(
            [form, 4, self.submit, self.busy, (self.create_account, Qt.AlignmentFlag.AlignHCenter)]
        )
        links = QHBoxLayout()
        links.addWidget(self.use_recovery)
        links.addStretch(1)
        links.addWidget(self.back)
        self.code_page = self._page(
            [self.code_label, self.code, 4, self.verify, self.code_busy, links]
        )
        self.code_page.hide()
        layout.addWidget(self.password_page)
        layout.addWidget(self.code_page)
        layout.addStretch(1)
        layout.addWidget(rule)
        layout.addLayout(server_row)
        self.setFixedWidth(420)
        HeightFollowsContents(self)
        self.email.setFocus()

    def _page(self, parts: list) -> QWidget:
        """A step of the window: its widgets, layouts and spacings (ints), top to bottom; a
        (widget, alignment) pair is aligned."""
        page = QWidget(self)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        for part in parts:
            if isinstance(part, int):
                layout.addSpacing(part)
            elif isinstance(part, tuple):
                layout.addWidget(*part)
            elif isinstance(part, QWidget):
                layout.addWidget(part)
            else:
                layout.addLayout(part)
        return page

    # Called by the app controller

    def set_server_starting(self) -> None:
        """This computer's server is being started: say so and wait."""
        self._server_ready = False
        self._starting = True
        self._remote_url = None
        self._show_password_step()  # a challenge belongs to the server that gave it
        self.server_label.setText("Server: this computer")
        self.show_notice("info", "Starting SmartBrain…")
        self._set_busy(self._busy)

    def set_server_ready(self, remote_url: str | None) -> None:
        """The server (remote_url, or None for this computer's) takes requests: enable
        signing in."""
        if remote_url != self._remote_url:
            self._show_password_step()  # a challenge belongs to the server that gave it
        self._server_ready = True
        self._remote_url = remote_url
        self.server_label.setText(f"Server: {remote_url or 'this computer'}")
        if self._starting:
            self.banner.clear()
        self._starting = False
        self._set_busy(self._busy)

    def set_server_failed(self, message: str) -> None:
        """The server on this computer could not start or died."""
        self._server_ready = False
        self._starting = False
        self.banner.show_message("error", message, "Try again", self.backend_restart_requested.emit)
        self._set_busy(self._busy)

    def show_notice(self, kind: str, text: str) -> None:
        """Show a message above the form (e.g. why the user is back here)."""
        self.banner.show_message(kind, text)

    def reset(self) -> None:
        """Clear the password and errors, ready for the next sign-in."""
        self._show_password_step()
        self.password.edit.clear()
        self.email.set_error("")
        self.password.set_error("")
        self._set_busy(False)
        (self.password if self.email.text else self.email).setFocus()

    def restore_session(self) -> None:
        """Sign in with the token the keychain holds for this server, if there is one."""
        if not self._token.can_remember or not self._server_ready or self._busy:
            return
        self._set_busy(True)
        self._tasks.run(self, self._token.restore, self.on_token_loaded, self.on_restore_failed)

    # Slots

    @Slot()
    def on_submit_clicked(self) -> None:
        if not self.submit.isEnabled():
            return
        email, password = self.email.text.strip(), self.password.text
        errors = {
            self.email: validation.email_error(email),
            self.password: "" if password else "Enter your password.",
        }
        if not fields_pass(errors):
            return
        remember = self.remember.isChecked()
        self.banner.clear()
        self._set_busy(True)
        self._tasks.run(
            self,
            lambda: _sign_in(self._api, email, password, remember),
            self.on_sign_in_succeeded,
            self.on_sign_in_failed,
        )

    @Slot(object)
    def on_sign_in_succeeded(self, outcome: tuple[dict, str]) -> None:
        user, notice = outcome
        self._settings.last_email = self.email.text.strip()
        self._settings.remember_me = self.remember.isChecked()
        self._set_busy(False)
        self.signed_in.emit(user, notice)

    @Slot(object)
    def on_sign_in_failed(self, error: Exception) -> None:
        self._set_busy(False)
        if isinstance(error, SecondStepRequired):
            self._show_code_step(error.challenge)
        elif isinstance(error, InvalidInputError) and error.code == "invalid_credentials":
            self.banner.show_message("error", WRONG_CREDENTIALS)
            self.password.setFocus()
            self.password.edit.selectAll()
        elif isinstance(error, InvalidInputError) and error.fields:
            self.email.set_error(error.fields.get("email", ""))
            self.password.set_error(error.fields.get("password", ""))
        elif isinstance(error, TooManyAttemptsError):
            self._start_countdown(error.retry_after)
        elif isinstance(error, ServerUnavailableError):
            self.banner.show_message("error", error.message, "Try again", self.on_submit_clicked)
        else:
            self.banner.show_message("error", describe(error))

    @Slot()
    def on_verify_clicked(self) -> None:
        if not self.verify.isEnabled() or not self.code_page.isVisibleTo(self):
            return
        code = self.code.text.strip()
        check = (
            validation.authenticator_code_error
            if self.code.kind == "authenticator"
            else validation.recovery_code_error
        )
        message = check(code)
        if message:
            self.code.set_error(message)
            self.code.setFocus()
            return
        challenge, remember = self._challenge, self.remember.isChecked()
        self.banner.clear()
        self._set_busy(True)
        self._tasks.run(
            self,
            lambda: _sign_in_with_code(self._api, challenge, code, remember),
            self.on_sign_in_succeeded,
            self.on_code_failed,
        )

    @Slot(object)
    def on_code_failed(self, error: Exception) -> None:
        self._set_busy(False)
        if isinstance(error, ChallengeExpiredError):
            self._show_password_step()
            self.password.edit.clear()
            self.password.setFocus()
            self.banner.show_message("warning", error.message or CHALLENGE_EXPIRED)
        elif isinstance(error, InvalidInputError) and "code" in error.fields:
            reject_field(self.code, error.fields["code"])
            self.code.setFocus()
        elif isinstance(error, TooManyAttemptsError):
            self._start_countdown(error.retry_after)
        elif isinstance(error, ServerUnavailableError):
            self.banner.show_message("error", error.message, "Try again", self.on_verify_clicked)
        else:
            self.banner.show_message("error", describe(error))

    @Slot()
    def on_use_recovery_clicked(self) -> None:
        self._show_code_kind("authenticator" if self.code.kind == "recovery" else "recovery")
        self.code.setFocus()

    @Slot()
    def on_back_clicked(self) -> None:
        self._show_password_step()
        self.password.edit.clear()
        self.password.setFocus()

    @Slot()
    def on_code_edited(self) -> None:
        self.code.set_error("")

    @Slot(object)
    def on_token_loaded(self, token: str | None) -> None:
        if token is None:
            self._set_busy(False)
            return
        self.banner.show_message("info", "Signing you in…")
        self._tasks.run(
            self,
            lambda: self._api.restore_session(token),
            self.on_restore_succeeded,
            self.on_restore_failed,
        )

    @Slot(object)
    def on_restore_succeeded(self, user: dict) -> None:
        self._set_busy(False)
        self.banner.clear()
        self.signed_in.emit(user, "")

    @Slot(object)
    def on_restore_failed(self, error: Exception) -> None:
        self._set_busy(False)
        self.banner.show_message("error", describe(error), "Try again", self.restore_session)

    @Slot()
    def on_create_account_clicked(self) -> None:
        dialog = RegisterDialog(self._api, self._tasks, self)
        dialog.registered.connect(self.on_dialog_registered)
        open_dialog(dialog)

    @Slot(dict)
    def on_dialog_registered(self, user: dict) -> None:
        remember = self.remember.isChecked()
        self.email.edit.setText(user.get("email", ""))
        self._set_busy(True)
        self._tasks.run(
            self,
            lambda: (user, _keep(self._token, remember)),
            self.on_sign_in_succeeded,
            self.on_sign_in_failed,
        )

    @Slot()
    def on_change_server_clicked(self) -> None:
        dialog = ServerDialog(self._remote_url, self)
        dialog.server_chosen.connect(self.server_change_requested)
        open_dialog(dialog)

    @Slot()
    def on_field_edited(self) -> None:
        field = self.email if self.sender() is self.email.edit else self.password
        field.set_error("")

    @Slot()
    def on_countdown_timeout(self) -> None:
        self._wait_seconds -= 1
        if self._wait_seconds <= 0:
            self._countdown.stop()
            self.banner.clear()
        else:
            self.banner.show_message("warning", too_many_attempts_message(self._wait_seconds))
        self._update_submit()

    # Helpers

    def _show_code_step(self, challenge: str) -> None:
        """The password was right and a code is needed: the code step, in place."""
        self._challenge = challenge
        self.banner.clear()
        self._show_code_kind("authenticator")
        self.password_page.hide()
        self.code_page.show()
        self.code.setFocus()

    def _show_password_step(self) -> None:
        """Back to email and password; the challenge, single use, is let go."""
        self._challenge = ""
        self.code_page.hide()
        self.password_page.show()
        self.heading.title.setText(SIGN_IN_TITLE[0])
        self.heading.subtitle.setText(SIGN_IN_TITLE[1])

    def _show_code_kind(self, kind: str) -> None:
        """Take a code from the authenticator app, or a recovery code."""
        recovery = kind == "recovery"
        self.code.set_kind(kind)
        self.code_label.setText("Rec&overy code" if recovery else "C&ode")
        self.use_recovery.setText(
            "&Use your authenticator app" if recovery else "&Use a recovery code"
        )
        title = RECOVERY_TITLE if recovery else CODE_TITLE
        if self._challenge:
            self.heading.title.setText(title[0])
            self.heading.subtitle.setText(title[1])

    def _start_countdown(self, seconds: int) -> None:
        self._wait_seconds = seconds
        self.banner.show_message("warning", too_many_attempts_message(seconds))
        self._countdown.start()
        self._update_submit()

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.busy.set_busy(busy or self._starting)
        self.code_busy.set_busy(busy)
        self.email.edit.setReadOnly(busy)
        self.password.edit.setReadOnly(busy)
        self.code.edit.setReadOnly(busy)
        self.change_server.setEnabled(not busy)
        self.use_recovery.setEnabled(not busy)
        self.back.setEnabled(not busy)
        self._update_submit()

    def _update_submit(self) -> None:
        ready = self._server_ready and not self._busy and self._wait_seconds <= 0
        self.submit.setEnabled(ready)
        self.verify.setEnabled(ready)
        self.create_account.setEnabled(self._server_ready and not self._busy)
        self.submit.setText("Signing in…" if self._busy else "&Sign in")
        self.verify.setText("Verifying…" if self._busy else "&Verify")


# Run in the pool


def _sign_in(api: ApiClient, email: str, password: str, remember: bool) -> tuple[dict, str]:
    """Sign in, then keep the token or not; the user and the notice for the main window."""
    user = api.sign_in(email, password)
    return user, _keep(api.session_token, remember)


def _sign_in_with_code(
    api: ApiClient, challenge: str, code: str, remember: bool
) -> tuple[dict, str]:
    """Finish a two-step sign-in, then keep the token or not; the user and the notice for the
    main window (how many recovery codes are left, when one was used)."""
    result: CodeSignIn = api.sign_in_with_code(challenge, code)
    notices = [_keep(api.session_token, remember)]
    if result.recovery_codes_left is not None:
        notices.insert(0, recovery_codes_left_notice(result.recovery_codes_left))
    return result.user, " ".join(notice for notice in notices if notice)


def _keep(token: SessionToken, remember: bool) -> str:
    """Keep the token in the keychain or not; the notice to show if it could not be kept."""
    return "" if token.keep(remember) else KEYCHAIN_REFUSED

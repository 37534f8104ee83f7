"""SecurityTab: the profile dialog's Security tab: two-step verification (its status, turning
it on or off, new recovery codes) and deleting the account."""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.api_client import ApiClient, TwoStepStatus
from desktop.delete_account_dialog import DeleteAccountDialog
from desktop.errors import describe
from desktop.two_step_change_dialogs import NewRecoveryCodesDialog, TurnOffTwoStepDialog
from desktop.two_step_setup_dialog import TwoStepSetupDialog
from desktop.widgets import Banner, BusyBar, open_dialog, repolish
from desktop.worker import TaskRunner

TWO_STEP_OFF = (
    "Two-step verification is off. Turn it on so that signing in also asks for a code "
    "from an app on your phone: a stolen password alone will not be enough."
)
DELETE_EXPLANATION = (
    "Deleting your account removes your profile and entries for good and signs you out "
    "on every device."
)


def two_step_summary(status: TwoStepStatus) -> str:
    """The status line: on or off, and how many recovery codes are left."""
    if not status.enabled:
        return TWO_STEP_OFF
    left = status.recovery_codes_left
    if left == 0:
        codes = "No recovery codes are left: make new ones."
    else:
        codes = f"{left} recovery code{'' if left == 1 else 's'} left."
    return f"Two-step verification is on. {codes}"


class SecurityTab(QWidget):
    """Loads the two-step status when built; emits `account_deleted()` once the account is
    gone."""

    account_deleted = Signal()

    def __init__(
        self, api: ApiClient, tasks: TaskRunner, email: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._api = api
        self._tasks = tasks
        self._email = email
        self._status: TwoStepStatus | None = None
        self._init_widgets()
        self._init_layout()
        self.load_status()

    def _init_widgets(self) -> None:
        self.banner = Banner(self)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status_busy = BusyBar(self)
        policy = self.status_busy.sizePolicy()
        policy.setRetainSizeWhenHidden(False)  # no gap under the status once it is known
        self.status_busy.setSizePolicy(policy)
        self.turn_on = QPushButton("&Turn on two-step verification…", self)
        self.turn_on.clicked.connect(self.on_turn_on_clicked)
        self.turn_off = QPushButton("Turn o&ff…", self)
        self.turn_off.clicked.connect(self.on_turn_off_clicked)
        self.new_codes = QPushButton("New recovery co&des…", self)
        self.new_codes.setToolTip("Replace your recovery codes with a new set")
        self.new_codes.clicked.connect(self.on_new_codes_clicked)
        self.delete = QPushButton("De&lete account…", self)
        self.delete.setObjectName("danger")
        repolish(self.delete)
        self.delete.clicked.connect(self.on_delete_clicked)

    def _init_layout(self) -> None:
        two_step = QGroupBox("Two-step verification", self)
        buttons = QHBoxLayout()
        for button in (self.turn_on, self.turn_off, self.new_codes):
            button.setParent(two_step)
            buttons.addWidget(button)
        buttons.addStretch(1)
        two_step_layout = QVBoxLayout(two_step)
        two_step_layout.setSpacing(10)
        two_step_layout.addWidget(self.status)
        two_step_layout.addWidget(self.status_busy)
        two_step_layout.addLayout(buttons)
        deletion = QGroupBox("Delete account", self)
        explanation = QLabel(DELETE_EXPLANATION, deletion)
        explanation.setWordWrap(True)
        delete_row = QHBoxLayout()
        delete_row.addWidget(self.delete)
        delete_row.addStretch(1)
        deletion_layout = QVBoxLayout(deletion)
        deletion_layout.setSpacing(10)
        deletion_layout.addWidget(explanation)
        deletion_layout.addLayout(delete_row)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 8)
        layout.setSpacing(12)
        layout.addWidget(self.banner)
        layout.addWidget(two_step)
        layout.addWidget(deletion)
        layout.addStretch(1)

    def set_email(self, email: str) -> None:
        """The account's email, as the server last said (the delete dialog asks for it)."""
        self._email = email

    def load_status(self) -> None:
        """Ask the server whether two-step verification is on."""
        self.status.setText("Checking two-step verification…")
        self._show_status(None)
        self.status_busy.set_busy(True)
        self._tasks.run(
            self, self._api.two_step_status, self.on_status_loaded, self.on_status_failed
        )

    def _show_status(self, status: TwoStepStatus | None) -> None:
        """The buttons that fit `status` (None: not known yet, all disabled)."""
        self._status = status
        enabled = status is not None and status.enabled
        self.turn_on.setVisible(not enabled)
        self.turn_off.setVisible(enabled)
        self.new_codes.setVisible(enabled)
        for button in (self.turn_on, self.turn_off, self.new_codes, self.delete):
            button.setEnabled(status is not None)

    @Slot(object)
    def on_status_loaded(self, status: TwoStepStatus) -> None:
        self.status_busy.set_busy(False)
        self.banner.clear()
        self.status.setText(two_step_summary(status))
        self._show_status(status)

    @Slot(object)
    def on_status_failed(self, error: Exception) -> None:
        self.status_busy.set_busy(False)
        self.status.setText("")
        self.banner.show_message("error", describe(error), "Try again", self.load_status)

    @Slot()
    def on_turn_on_clicked(self) -> None:
        dialog = TwoStepSetupDialog(self._api, self._tasks, self._email, self)
        dialog.enabled.connect(lambda _codes: self.load_status())
        open_dialog(dialog)

    @Slot()
    def on_turn_off_clicked(self) -> None:
        dialog = TurnOffTwoStepDialog(self._api, self._tasks, self)
        dialog.turned_off.connect(self.load_status)
        open_dialog(dialog)

    @Slot()
    def on_new_codes_clicked(self) -> None:
        dialog = NewRecoveryCodesDialog(self._api, self._tasks, self._email, self)
        dialog.codes_renewed.connect(lambda _codes: self.load_status())
        open_dialog(dialog)

    @Slot()
    def on_delete_clicked(self) -> None:
        two_step = self._status is not None and self._status.enabled
        dialog = DeleteAccountDialog(self._api, self._tasks, self._email, two_step, self)
        dialog.account_deleted.connect(self.account_deleted)
        open_dialog(dialog)

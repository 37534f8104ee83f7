"""ServerDialog: choose the SmartBrain server, this computer's or one at a URL."""

from __future__ import annotations

from urllib.parse import urlsplit

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from desktop.widgets import FieldBox


def url_error(url: str) -> str:
    """An http(s) URL with a host, or the reason it is not one."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "Enter a URL starting with http:// or https://, like https://smartbrain.example.com"
    return ""


class ServerDialog(QDialog):
    """Emits `server_chosen(url)` on OK; url is None for the server on this computer."""

    server_chosen = Signal(object)

    def __init__(self, current_url: str | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle("Choose a server – SmartBrain")
        self._init_widgets(current_url)
        self._init_layout()
        self.on_choice_toggled()

    def _init_widgets(self, current_url: str | None) -> None:
        self.intro = QLabel("Where is your SmartBrain account kept?", self)
        self.local = QRadioButton("&This computer", self)
        self.remote = QRadioButton("&Another server:", self)
        self.url = FieldBox("https://smartbrain.example.com", parent=self)
        self.url.edit.setText(current_url or "")
        (self.remote if current_url else self.local).setChecked(True)
        self.local.toggled.connect(self.on_choice_toggled)
        self.url.edit.textEdited.connect(self.on_url_edited)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)

    def _init_layout(self) -> None:
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.local)
        layout.addWidget(self.remote)
        layout.addWidget(self.url)
        self.url.setContentsMargins(24, 0, 0, 0)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(440)

    @Slot()
    def on_choice_toggled(self) -> None:
        self.url.setEnabled(self.remote.isChecked())
        if self.remote.isChecked():
            self.url.setFocus()
        else:
            self.url.set_error("")

    @Slot()
    def on_url_edited(self) -> None:
        self.url.set_error("")

    @Slot()
    def on_buttons_accepted(self) -> None:
        if self.local.isChecked():
            self.server_chosen.emit(None)
            self.accept()
            return
        error = url_error(self.url.text)
        self.url.set_error(error)
        if not error:
            self.server_chosen.emit(self.url.text.strip().rstrip("/"))
            self.accept()

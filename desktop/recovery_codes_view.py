"""RecoveryCodesView: a new set of recovery codes, shown once, with Copy and Save as…."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QDir, Qt, Slot
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

EXPLANATION = (
    "Each code signs you in once if you lose your phone or cannot use your authenticator "
    "app. Keep them somewhere safe, such as a password manager: they are shown only now."
)
DEFAULT_FILE_NAME = "smartbrain-recovery-codes.txt"


def codes_file_text(codes: list[str], email: str) -> str:
    """The plain text file the codes are saved as."""
    header = [
        f"SmartBrain recovery codes for {email}" if email else "SmartBrain recovery codes",
        "Each code can be used once, to sign in without your authenticator app.",
        "",
    ]
    return "\n".join(header + codes) + "\n"


class RecoveryCodesView(QWidget):
    """The codes in two monospace columns, selectable, with Copy and Save as… buttons."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._codes: list[str] = []
        self._email = ""
        self.explanation = QLabel(EXPLANATION, self)
        self.explanation.setWordWrap(True)
        self.codes = QLabel(self)
        self.codes.setObjectName("recoveryCodes")
        self.codes.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.codes.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.codes.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.copy = QPushButton("Cop&y", self)
        self.copy.setToolTip("Copy the codes to the clipboard, one a line")
        self.copy.clicked.connect(self.on_copy_clicked)
        self.save = QPushButton("Save &as…", self)
        self.save.setToolTip("Save the codes in a text file")
        self.save.clicked.connect(self.on_save_clicked)
        self.status = QLabel(self)
        self.status.setObjectName("note")
        self.status.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.copy)
        buttons.addWidget(self.save)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        layout.addWidget(self.explanation)
        layout.addWidget(self.codes)
        layout.addLayout(buttons)
        layout.addWidget(self.status)

    def show_codes(self, codes: list[str], email: str = "") -> None:
        """Show `codes` (for the account `email`, named in the saved file)."""
        self._codes, self._email = list(codes), email
        half = (len(codes) + 1) // 2  # the first half on the left, the rest on the right
        rows = ["    ".join(codes[row::half]) for row in range(half)]
        self.codes.setText("\n".join(rows))
        self.status.clear()

    @property
    def text(self) -> str:
        """The codes, one a line, as Copy puts them on the clipboard."""
        return "\n".join(self._codes)

    @Slot()
    def on_copy_clicked(self) -> None:
        QGuiApplication.clipboard().setText(self.text)
        self.status.setText("Copied to the clipboard.")

    @Slot()
    def on_save_clicked(self) -> None:
        start = str(Path(QDir.homePath()) / DEFAULT_FILE_NAME)
        path, _filter = QFileDialog.getSaveFileName(
            self, "Save recovery codes", start, "Text files (*.txt);;All files (*)"
        )
        if not path:
            return
        try:
            _write_private(Path(path), codes_file_text(self._codes, self._email))
        except OSError as error:
            self.status.setText(f"The codes could not be saved: {error.strerror or error}.")
            return
        self.status.setText(f"Saved to {path}.")


def _write_private(path: Path, text: str) -> None:
    """Write `text` to `path`, readable by its owner only when the file is new."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as file:
        file.write(text)

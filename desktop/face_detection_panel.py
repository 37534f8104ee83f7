"""FaceDetectionPanel: where face detection will live (next issue); a placeholder for now."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


class FaceDetectionPanel(QFrame):
    """Paste-a-URL row and the picture area; disabled until detection arrives."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("facePanel")
        self.intro = QLabel(
            "Paste the address of a picture and SmartBrain will box every face in it.", self
        )
        self.intro.setWordWrap(True)
        self.intro.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.url = QLineEdit(self)
        self.url.setPlaceholderText("Paste an image URL")
        self.detect = QPushButton("&Detect", self)
        self.url.setEnabled(False)
        self.detect.setEnabled(False)
        self.picture = QLabel("Face detection is coming in the next version.", self)
        self.picture.setObjectName("picturePlaceholder")
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setMinimumHeight(260)
        row = QHBoxLayout()
        row.addWidget(self.url, 1)
        row.addWidget(self.detect)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(12)
        layout.addWidget(self.intro)
        layout.addLayout(row)
        layout.addWidget(self.picture, 1)

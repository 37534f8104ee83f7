"""Small building blocks shared by the forms: inline banners, field errors, busy bars."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)


def repolish(widget: QWidget) -> None:
    """Re-apply the stylesheet after a dynamic property used by it changed."""
    widget.style().unpolish(widget)
    widget.style().polish(widget)


class Banner(QFrame):
    """An inline message above a form: error, warning, info or success, with an optional
    action button (e.g. "Try again") that emits `action_clicked`."""

    action_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.action = QPushButton(self)
        self.action.setObjectName("bannerAction")
        self.action.clicked.connect(self.action_clicked)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 8, 8, 8)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.action, 0, Qt.AlignmentFlag.AlignVCenter)
        self.clear()

    def show_message(self, kind: str, text: str, action: str | None = None) -> None:
        """Show `text` styled as `kind`; `action` labels the button, None hides it."""
        self.setProperty("kind", kind)
        repolish(self)
        self.label.setText(text)
        self.action.setText(action or "")
        self.action.setVisible(action is not None)
        self.show()

    def clear(self) -> None:
        """Hide the banner."""
        self.label.clear()
        self.hide()

    @property
    def text(self) -> str:
        """The message shown, "" when hidden."""
        parent = self.parentWidget()
        shown = self.isVisibleTo(parent) if parent is not None else self.isVisible()
        return self.label.text() if shown else ""


class FieldBox(QWidget):
    """A line edit with its inline error message underneath."""

    def __init__(
        self,
        placeholder: str = "",
        *,
        password: bool = False,
        max_length: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.edit = QLineEdit(self)
        self.edit.setPlaceholderText(placeholder)
        if password:
            self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        if max_length:
            self.edit.setMaxLength(max_length)
        self.error = QLabel(self)
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        self.error.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addWidget(self.edit)
        layout.addWidget(self.error)
        self.setFocusProxy(self.edit)

    @property
    def text(self) -> str:
        """The text typed."""
        return self.edit.text()

    def set_error(self, message: str) -> None:
        """Show `message` under the field and mark it invalid; "" clears both."""
        self.error.setText(message)
        self.error.setVisible(bool(message))
        self.edit.setProperty("invalid", bool(message))
        repolish(self.edit)


class BusyBar(QProgressBar):
    """A thin indeterminate bar shown while a request is in flight; keeps its space hidden."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("busyBar")
        self.setRange(0, 0)
        self.setTextVisible(False)
        self.setFixedHeight(4)
        policy = self.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.setSizePolicy(policy)
        self.hide()

    @Slot(bool)
    def set_busy(self, busy: bool) -> None:
        """Show the bar while busy."""
        self.setVisible(busy)


def primary_button(text: str, parent: QWidget | None = None) -> QPushButton:
    """The form's main action, styled as such."""
    button = QPushButton(text, parent)
    button.setObjectName("primary")
    button.setDefault(True)
    return button


def link_button(text: str, parent: QWidget | None = None) -> QPushButton:
    """A flat button that reads like a link."""
    button = QPushButton(text, parent)
    button.setObjectName("link")
    button.setFlat(True)
    button.setCursor(Qt.CursorShape.PointingHandCursor)
    return button

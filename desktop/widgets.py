"""Small building blocks shared by the forms: inline banners, field errors, busy bars."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QRegularExpression, QSize, Qt, Signal, Slot
from PySide6.QtGui import QFontDatabase, QRegularExpressionValidator
from PySide6.QtWidgets import (
    QDialog,
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

from desktop.resources import app_icon


def repolish(widget: QWidget) -> None:
    """Re-apply the stylesheet after a dynamic property used by it changed."""
    widget.style().unpolish(widget)
    widget.style().polish(widget)


class Banner(QFrame):
    """An inline message above a form: error, warning, info or success, with an optional
    action button (e.g. "Try again") that emits `action_clicked`, or calls the message's own
    `on_action`."""

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
        self.action.clicked.connect(self.on_action_clicked)
        self._on_action: Callable[[], object] | None = None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 8, 8, 8)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.action, 0, Qt.AlignmentFlag.AlignVCenter)
        self.clear()

    def show_message(
        self,
        kind: str,
        text: str,
        action: str | None = None,
        on_action: Callable[[], object] | None = None,
    ) -> None:
        """Show `text` styled as `kind`; `action` labels the button, None hides it. Clicking
        it emits `action_clicked`; with `on_action`, it also hides the banner and calls it."""
        self._on_action = on_action
        self.setProperty("kind", kind)
        repolish(self)
        self.label.setText(text)
        self.action.setText(action or "")
        self.action.setVisible(action is not None)
        self.show()

    def clear(self) -> None:
        """Hide the banner."""
        self._on_action = None
        self.label.clear()
        self.hide()

    @Slot()
    def on_action_clicked(self) -> None:
        on_action = self._on_action
        self.action_clicked.emit()
        if on_action is not None:
            self.clear()
            on_action()

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
        # A label's mnemonic only focuses a buddy whose own policy accepts focus; the proxy
        # then hands it to the edit (the proxy also keeps the box out of the tab chain).
        self.setFocusPolicy(self.edit.focusPolicy())

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


class CodeBox(FieldBox):
    """A FieldBox for a second-step code, in monospace. Kinds: "authenticator" (6 digits
    only), "recovery" (a recovery code, like abcde-fghij) or "either" (one or the other)."""

    _KINDS = {
        "authenticator": (r"\d{0,6}", 6, "6-digit code"),
        "recovery": (r"[A-Za-z0-9 -]{0,16}", 16, "abcde-fghij"),
        "either": (r"[A-Za-z0-9 -]{0,16}", 16, "123456 or abcde-fghij"),
    }

    def __init__(self, kind: str = "authenticator", parent: QWidget | None = None) -> None:
        super().__init__(parent=parent)
        self.edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self._validator = QRegularExpressionValidator(self)
        self.edit.setValidator(self._validator)
        self.kind = ""
        self.set_kind(kind)

    def set_kind(self, kind: str) -> None:
        """Take codes of `kind` from now on; the text typed so far is cleared."""
        pattern, length, placeholder = self._KINDS[kind]
        self.kind = kind
        self.edit.clear()
        self.set_error("")
        self._validator.setRegularExpression(QRegularExpression(pattern))
        self.edit.setMaxLength(length)
        self.edit.setPlaceholderText(placeholder)


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


class Heading(QVBoxLayout):
    """The app's logo over a title and a subtitle, centred: the top of a first window.
    `title` and `subtitle` are the labels, for a window whose step changes them."""

    def __init__(self, title: str, subtitle: str, parent: QWidget) -> None:
        super().__init__()
        logo = QLabel(parent)
        logo.setPixmap(app_icon().pixmap(QSize(72, 72), parent.devicePixelRatioF()))
        self.title, self.subtitle = QLabel(title, parent), QLabel(subtitle, parent)
        self.title.setObjectName("title")
        self.subtitle.setObjectName("subtitle")
        self.subtitle.setWordWrap(True)
        self.setSpacing(10)
        for label in (logo, self.title, self.subtitle):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.addWidget(label)


def open_dialog(dialog: QDialog) -> None:
    """Open `dialog` over its parent's window, which takes the focus back once it closes
    (a window manager may not give it back, and without one nothing does)."""
    parent = dialog.parentWidget()
    if parent is not None:
        dialog.finished.connect(parent.window().activateWindow)
    dialog.open()


def dialog_layout(dialog: QDialog, spacing: int) -> QVBoxLayout:
    """The vertical layout of a dialog's page, with the margins every dialog uses."""
    layout = QVBoxLayout(dialog)
    layout.setContentsMargins(24, 20, 24, 16)
    layout.setSpacing(spacing)
    return layout


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


class HeightFollowsContents(QObject):
    """Keeps a window of fixed width exactly as tall as its contents need at that width.

    Qt sizes a window from its layout's minimum size, which leaves out what word-wrapped
    labels need at the window's width: a banner or an error that appears would squeeze the
    rest, cutting a label off mid-sentence, instead of growing the window.
    """

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._window = window
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._window and event.type() == QEvent.Type.LayoutRequest:
            height = self._window.heightForWidth(self._window.width())
            if height > 0:
                self._window.setMinimumHeight(height)
                self._window.resize(self._window.width(), height)
        return False

"""The one helper every message box goes through, so tests can intercept it."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

Button = QMessageBox.StandardButton


def show(
    parent: QWidget | None,
    title: str,
    text: str,
    *,
    icon: QMessageBox.Icon = QMessageBox.Icon.Information,
    buttons: Button = Button.Ok,
    default: Button = Button.Ok,
    labels: dict[Button, str] | None = None,
) -> Button:
    """Show a modal message box and return the button the user chose.

    `labels` renames standard buttons (e.g. Yes -> "Sign out") while keeping their roles.
    """
    box = QMessageBox(icon, title, text, buttons, parent)
    box.setDefaultButton(default)
    for button, label in (labels or {}).items():
        box.button(button).setText(label)
    answer = Button(box.exec())
    if parent is not None:
        parent.window().activateWindow()  # a window manager may not give the focus back
    return answer


def confirm(parent: QWidget | None, title: str, text: str, action: str) -> bool:
    """Ask before doing something that cannot be undone; True if the user chose `action`."""
    answer = show(
        parent,
        title,
        text,
        icon=QMessageBox.Icon.Question,
        buttons=Button.Yes | Button.Cancel,
        default=Button.Cancel,
        labels={Button.Yes: action},
    )
    return answer == Button.Yes


def show_error(parent: QWidget | None, text: str) -> None:
    """Tell the user in plain words that something failed."""
    show(parent, "SmartBrain", text, icon=QMessageBox.Icon.Warning)

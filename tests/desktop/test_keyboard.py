"""Keyboard use of the sign-in window, the main window's menus and the account dialogs:
each &-letter is used once per window and moves the focus to its field, the shortcuts
open what they name, and the main window has the focus again when a dialog closes."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDialog,
    QFileDialog,
    QLabel,
    QWidget,
)

from desktop.profile_dialog import ProfileDialog
from desktop.register_dialog import RegisterDialog
from desktop.server_dialog import ServerDialog
from desktop.sessions_dialog import SessionsDialog
from desktop.sign_out_everywhere_dialog import SignOutEverywhereDialog

ALT = Qt.KeyboardModifier.AltModifier


def letter(text: str) -> str | None:
    """The Alt letter of a text with an &-mnemonic, lower-cased; None without one."""
    match = re.search(r"&([^&])", text)
    return match.group(1).lower() if match else None


def buddy_labels(window: QWidget) -> list[QLabel]:
    return [
        label for label in window.findChildren(QLabel) if label.buddy() and letter(label.text())
    ]


def letters(window: QWidget) -> list[str]:
    """Every Alt letter in `window`: labels with a buddy and buttons."""
    texts = [label.text() for label in buddy_labels(window)]
    texts += [button.text() for button in window.findChildren(QAbstractButton)]
    return [found for found in map(letter, texts) if found]


def assert_each_label_focuses_its_field(qtbot, window: QWidget) -> None:
    labels = buddy_labels(window)
    assert labels
    for label in labels:
        focused = QApplication.focusWidget()
        if focused is not None:
            focused.clearFocus()
        assert not label.buddy().hasFocus()
        key = getattr(Qt.Key, f"Key_{letter(label.text()).upper()}")
        QTest.keyClick(window, key, ALT)
        qtbot.waitUntil(lambda label=label: label.buddy().hasFocus(), timeout=1000)


@pytest.fixture
def main_window(controller, account, sign_in):
    window = sign_in(controller, account)
    window.activateWindow()
    return window


def open_dialog(qtbot, main_window, action, kind: type[QDialog]) -> QDialog:
    action.trigger()
    dialog = main_window.findChild(kind)
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    return dialog


def test_the_sign_in_window(qtbot, controller):
    window = controller.sign_in_window
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    assert sorted(letters(window)) == ["c", "e", "h", "p", "r", "s"]
    assert_each_label_focuses_its_field(qtbot, window)


@pytest.mark.parametrize(
    ("button", "kind"), [("change_server", ServerDialog), ("create_account", RegisterDialog)]
)
def test_the_sign_in_window_has_the_focus_again_when_a_dialog_closes(
    qtbot, controller, button, kind
):
    window = controller.sign_in_window
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    getattr(window, button).click()
    dialog = window.findChild(kind)
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    dialog.reject()
    qtbot.waitUntil(window.isActiveWindow)


def test_the_menus(main_window):
    menus = main_window.menuBar().actions()
    assert [letter(menu.text()) for menu in menus] == ["a", "p", "h"]
    in_window = letters(main_window) + ["a", "p", "h"]  # the panel's buttons and the menus
    assert len(set(in_window)) == len(in_window)
    for menu in menus:
        items = [action for action in menu.menu().actions() if not action.isSeparator()]
        found = [letter(action.text()) for action in items]
        assert None not in found and len(set(found)) == len(found), menu.text()
    assert main_window.profile_action.shortcut() == QKeySequence("Ctrl+,")
    assert main_window.sign_out_action.shortcut() == QKeySequence("Ctrl+Shift+Q")


def test_ctrl_comma_opens_the_profile(qtbot, main_window):
    qtbot.waitUntil(main_window.isActiveWindow)
    QTest.keyClick(main_window.faces.url, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: main_window.findChild(ProfileDialog) is not None)


def test_the_main_window_has_the_focus_again_when_the_open_image_dialog_closes(qtbot, main_window):
    main_window.activateWindow()
    qtbot.waitUntil(main_window.isActiveWindow)

    def cancel_the_file_dialog() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, QFileDialog)
        dialog.reject()

    QTimer.singleShot(300, cancel_the_file_dialog)
    main_window.faces.open_button.click()  # a modal dialog: returns once it is cancelled
    qtbot.waitUntil(main_window.isActiveWindow)


@pytest.mark.parametrize(
    ("action", "kind", "expected"),
    [
        ("profile_action", ProfileDialog, ["a", "n", "p", "s"]),
        ("sessions_action", SessionsDialog, ["f", "h", "n", "r", "s", "u", "w"]),
        ("sign_out_everywhere_action", SignOutEverywhereDialog, ["e", "p"]),
    ],
)
def test_each_account_dialog(qtbot, main_window, action, kind, expected):
    dialog = open_dialog(qtbot, main_window, getattr(main_window, action), kind)
    assert sorted(letters(dialog)) == expected  # each letter once
    assert_each_label_focuses_its_field(qtbot, dialog)
    dialog.reject()
    qtbot.waitUntil(main_window.isActiveWindow)  # the focus is back where it was

"""Keyboard use of the sign-in window (both steps), the main window's menus and the account
dialogs (two-step verification and deleting the account included): each &-letter is used
once per window and moves the focus to its field, Tab goes down the form, the shortcuts open
what they name, and the main window has the focus again when a dialog closes."""

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

from desktop.api_client import ApiClient
from desktop.delete_account_dialog import DeleteAccountDialog
from desktop.profile_dialog import ProfileDialog
from desktop.register_dialog import RegisterDialog
from desktop.server_dialog import ServerDialog
from desktop.sessions_dialog import SessionsDialog
from desktop.sign_out_everywhere_dialog import SignOutEverywhereDialog
from desktop.two_step_change_dialogs import NewRecoveryCodesDialog, TurnOffTwoStepDialog
from desktop.two_step_setup_dialog import TwoStepSetupDialog

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
    labels = [label for label in buddy_labels(window) if label.isVisibleTo(window)]
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
    # the code step's letters too (b, o, u, v): one window, so none is used twice
    assert sorted(letters(window)) == ["b", "c", "e", "h", "o", "p", "r", "s", "u", "v"]
    assert_each_label_focuses_its_field(qtbot, window)


def tab_chain(qtbot, start: QWidget, count: int) -> list[QWidget]:
    """The widgets Tab moves the focus to from `start`, `count` presses."""
    start.setFocus()
    qtbot.waitUntil(start.hasFocus, timeout=1000)
    chain = []
    for _ in range(count):
        QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        chain.append(QApplication.focusWidget())
    return chain


def test_the_code_step_letters_and_tab_order(qtbot, controller):
    window = controller.sign_in_window
    window._show_code_step("c" * 43)  # as after a password step answered second_step_required
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    assert window.code.edit.hasFocus()
    assert_each_label_focuses_its_field(qtbot, window)
    chain = tab_chain(qtbot, window.code.edit, 4)
    assert chain == [window.verify, window.use_recovery, window.back, window.change_server]
    window.email.setFocus()
    QTest.keyClick(window, Qt.Key.Key_U, ALT)  # "Use a recovery code"
    qtbot.waitUntil(lambda: window.code_label.text() == "Rec&overy code", timeout=1000)
    QTest.keyClick(window, Qt.Key.Key_B, ALT)  # "Back"
    qtbot.waitUntil(window.password_page.isVisible, timeout=1000)
    assert window.password.edit.hasFocus()


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
        ("profile_action", ProfileDialog, ["a", "d", "f", "l", "n", "p", "s", "t"]),
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


def test_the_profile_tabs_letters(qtbot, main_window):
    dialog = open_dialog(qtbot, main_window, main_window.profile_action, ProfileDialog)
    tabs = [letter(dialog.tabs.tabText(i)) for i in range(dialog.tabs.count())]
    assert tabs == ["o", "u"] and not set(tabs) & set(letters(dialog))
    QTest.keyClick(dialog, Qt.Key.Key_U, ALT)
    qtbot.waitUntil(lambda: dialog.tabs.currentWidget() is dialog.security, timeout=1000)
    assert not dialog.save.isVisible()
    QTest.keyClick(dialog, Qt.Key.Key_O, ALT)
    qtbot.waitUntil(lambda: dialog.name.edit.hasFocus(), timeout=1000)
    assert dialog.save.isVisible()
    dialog.reject()


def shown(qtbot, dialog: QDialog) -> QDialog:
    qtbot.addWidget(dialog)
    with qtbot.waitActive(dialog):  # shortcuts work in the active window only
        dialog.show()
        dialog.activateWindow()
    return dialog


@pytest.mark.parametrize(
    ("make", "expected", "first", "tabs_to"),
    [
        (
            lambda tasks: TwoStepSetupDialog(ApiClient(None), tasks),
            ["a", "b", "d", "n", "o", "p", "t", "y"],
            "password",
            ["next"],
        ),
        (
            lambda tasks: TurnOffTwoStepDialog(ApiClient(None), tasks),
            ["f", "o", "p"],
            "password",
            ["code"],
        ),
        (
            lambda tasks: NewRecoveryCodesDialog(ApiClient(None), tasks),
            ["a", "d", "m", "o", "p", "y"],
            "password",
            ["code"],
        ),
        (
            lambda tasks: DeleteAccountDialog(ApiClient(None), tasks, "dana@example.com", True),
            ["d", "e", "o", "p"],
            "password",
            ["code", "email"],
        ),
    ],
    ids=["setup", "turn-off", "new-codes", "delete"],
)
def test_the_two_step_and_delete_dialogs(qtbot, tasks, make, expected, first, tabs_to):
    dialog = shown(qtbot, make(tasks))
    assert sorted(letters(dialog)) == expected  # each letter once
    field = getattr(dialog, first)
    qtbot.waitUntil(field.edit.hasFocus, timeout=1000)  # the first field has the focus
    assert_each_label_focuses_its_field(qtbot, dialog)
    chain = tab_chain(qtbot, field.edit, len(tabs_to))
    targets = [getattr(dialog, name) for name in tabs_to]
    assert chain == [getattr(target, "edit", target) for target in targets]

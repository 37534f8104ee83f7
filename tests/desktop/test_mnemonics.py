"""Every &-letter of the register dialog, the server dialog, the two-step and delete-account
dialogs and the face-detection panel:
each is used once per window, and pressing it with Alt moves the focus to its field (or
presses its button), as a keyboard user expects."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QDialogButtonBox, QFileDialog, QLabel, QWidget

from desktop.api_client import ApiClient
from desktop.delete_account_dialog import DeleteAccountDialog
from desktop.face_detection_panel import NO_LINK
from desktop.register_dialog import RegisterDialog
from desktop.server_dialog import ServerDialog
from desktop.two_step_change_dialogs import NewRecoveryCodesDialog, TurnOffTwoStepDialog
from desktop.two_step_setup_dialog import TwoStepSetupDialog

MNEMONIC = re.compile(r"&([^&])")
PLATFORM_LETTERS = {
    QDialogButtonBox.StandardButton.Cancel: "&Cancel",
    QDialogButtonBox.StandardButton.Ok: "&OK",
}
"""What GNOME's and KDE's themes call these buttons (here, offscreen, they have no letter)."""


def mnemonics(window: QWidget) -> list[str]:
    """The Alt letters of the labels with a buddy, the buttons and the menus in `window`."""
    texts = [label.text() for label in window.findChildren(QLabel) if label.buddy()]
    for button in window.findChildren(QAbstractButton):
        box = button.parentWidget()
        standard = box.standardButton(button) if isinstance(box, QDialogButtonBox) else None
        texts.append(PLATFORM_LETTERS.get(standard, button.text()))
    menu_bar = getattr(window, "menuBar", None)
    if menu_bar is not None:
        texts += [action.text() for action in menu_bar().actions()]
    return [match.group(1).lower() for text in texts for match in MNEMONIC.finditer(text)]


def shown(qtbot, widget: QWidget) -> QWidget:
    qtbot.addWidget(widget)
    with qtbot.waitActive(widget):  # shortcuts work in the active window only
        widget.show()
        widget.activateWindow()
    return widget


def press_alt(widget: QWidget, letter: str) -> None:
    QTest.keyClick(
        widget, getattr(Qt.Key, f"Key_{letter.upper()}"), Qt.KeyboardModifier.AltModifier
    )


@pytest.fixture
def register(qtbot, tasks) -> RegisterDialog:
    return shown(qtbot, RegisterDialog(ApiClient(None), tasks))


@pytest.mark.parametrize(
    ("letter", "field"),
    [("e", "email"), ("p", "password"), ("f", "confirmation"), ("n", "name")],
)
def test_each_register_label_letter_focuses_its_field(qtbot, register, letter, field):
    register.submit.setFocus()  # from anywhere but the field
    start = register.focusWidget()
    press_alt(register, letter)
    edit = getattr(register, field).edit
    qtbot.waitUntil(edit.hasFocus, timeout=1000)
    assert start is not edit


def test_register_alt_a_creates_the_account(qtbot, register):
    press_alt(register, "a")
    qtbot.waitUntil(register.email.error.isVisible, timeout=1000)  # checked, as on a click
    assert register.name.edit.hasFocus()


def test_server_dialog_letters_choose_and_focus(qtbot):
    dialog = shown(qtbot, ServerDialog("https://smartbrain.example.com"))
    press_alt(dialog, "t")
    qtbot.waitUntil(dialog.local.isChecked, timeout=1000)
    assert not dialog.url.isEnabled()
    press_alt(dialog, "a")
    qtbot.waitUntil(dialog.url.edit.hasFocus, timeout=1000)
    assert dialog.remote.isChecked()


@pytest.mark.parametrize(
    "window",
    [
        lambda tasks: RegisterDialog(ApiClient(None), tasks),
        lambda _tasks: ServerDialog(None),
        lambda tasks: TwoStepSetupDialog(ApiClient(None), tasks),
        lambda tasks: TurnOffTwoStepDialog(ApiClient(None), tasks),
        lambda tasks: NewRecoveryCodesDialog(ApiClient(None), tasks),
        lambda tasks: DeleteAccountDialog(ApiClient(None), tasks, "dana@example.com", True),
    ],
    ids=["register", "server", "two-step-setup", "turn-off", "new-codes", "delete-account"],
)
def test_no_letter_is_used_twice_in_a_dialog(qtbot, tasks, window):
    letters = mnemonics(shown(qtbot, window(tasks)))
    assert letters and len(letters) == len(set(letters)), letters


def test_the_panel_letters_detect_and_open(qtbot, controller, account, sign_in, monkeypatch):
    main_window = sign_in(controller, account)
    letters = mnemonics(main_window)
    assert {"d", "o"} <= set(letters) and len(letters) == len(set(letters)), letters
    opened: list[str] = []

    def choose(_parent, title, *_args, **_kw):
        opened.append(title)
        return ("", "")

    monkeypatch.setattr(QFileDialog, "getOpenFileName", choose)  # Qt's dialog, not ours
    with qtbot.waitActive(main_window):
        main_window.activateWindow()
    panel = main_window.faces
    press_alt(main_window, "d")
    qtbot.waitUntil(lambda: panel.error.text() == NO_LINK, timeout=1000)
    press_alt(main_window, "o")
    qtbot.waitUntil(lambda: opened == ["Open image"], timeout=1000)

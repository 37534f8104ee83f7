"""Deleting the account from Profile ▸ Security, against the real backend: the password, a
code when two-step verification is on, the email typed out; then every window closes back to
the sign-in window, which says so, the keychain forgets the token and the server refuses it."""

from __future__ import annotations

import pyotp
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from desktop.api_client import ApiClient
from desktop.delete_account_dialog import DeleteAccountDialog
from desktop.errors import InvalidInputError, SecondStepRequired, SessionEndedError
from desktop.profile_dialog import ProfileDialog

LEFT = Qt.MouseButton.LeftButton


def open_delete_dialog(qtbot, main_window) -> tuple[ProfileDialog, DeleteAccountDialog]:
    main_window.profile_action.trigger()
    profile = main_window.findChild(ProfileDialog)
    qtbot.waitExposed(profile)
    profile.tabs.setCurrentWidget(profile.security)
    qtbot.waitUntil(profile.security.delete.isEnabled)
    qtbot.mouseClick(profile.security.delete, LEFT)
    dialog = profile.findChild(DeleteAccountDialog)
    qtbot.waitExposed(dialog)
    return profile, dialog


def test_deleting_the_account_returns_to_the_sign_in_window(
    qtbot, controller, account, sign_in, live_server, memory_keyring
):
    main_window = sign_in(controller, account, remember=True)
    token = main_window._api.token
    assert memory_keyring.entries
    profile, dialog = open_delete_dialog(qtbot, main_window)
    assert not dialog.code.isVisibleTo(dialog)  # two-step verification is off
    assert dialog.delete.objectName() == "danger" and not dialog.delete.isEnabled()
    assert account.email in dialog.email_prompt.text()

    qtbot.keyClicks(dialog.password.edit, "not my password")
    qtbot.keyClicks(dialog.email.edit, account.email.upper())
    assert dialog.delete.isEnabled()
    qtbot.mouseClick(dialog.delete, LEFT)
    assert not dialog.delete.isEnabled() and dialog.delete.text() == "Deleting…"
    qtbot.waitUntil(lambda: dialog.password.error.text() == "That is not your password.")
    assert dialog.delete.isEnabled() and controller.main_window is main_window

    dialog.password.edit.clear()
    qtbot.keyClicks(dialog.password.edit, account.password)
    window = controller.sign_in_window
    with qtbot.waitSignal(profile.account_deleted, timeout=10_000):
        qtbot.mouseClick(dialog.delete, LEFT)
    qtbot.waitUntil(window.isVisible)
    assert window.banner.text == "Your account was deleted."
    assert window.email.text == "" and window.password.text == ""
    assert controller.main_window is None
    others = [widget for widget in QApplication.topLevelWidgets() if widget is not window]
    qtbot.waitUntil(lambda: not any(widget.isVisible() for widget in others))
    qtbot.waitUntil(lambda: memory_keyring.entries == {})

    gone = ApiClient(live_server)
    gone.token, gone.user_id = token, account.user_id
    with pytest.raises(SessionEndedError):
        gone.get_profile()
    with pytest.raises(InvalidInputError) as refused:
        gone.sign_in(account.email, account.password)
    assert refused.value.code == "invalid_credentials"


def test_with_two_step_on_the_dialog_asks_for_a_code(
    qtbot, signed_in, controller, account, live_server
):
    device = ApiClient(live_server)
    device.sign_in(account.email, account.password)
    setup = device.start_two_step_setup(account.password)
    recovery_codes = device.enable_two_step(pyotp.TOTP(setup.secret).now())

    _profile, dialog = open_delete_dialog(qtbot, signed_in)
    assert dialog.code.isVisibleTo(dialog)
    qtbot.keyClicks(dialog.password.edit, account.password)
    qtbot.keyClicks(dialog.email.edit, account.email)
    qtbot.mouseClick(dialog.delete, LEFT)
    assert dialog.code.error.text().startswith("Enter a code from your authenticator app")
    assert signed_in.isVisible()
    qtbot.keyClicks(dialog.code.edit, "abcde-fghij")  # not one of the codes
    qtbot.mouseClick(dialog.delete, LEFT)
    qtbot.waitUntil(lambda: dialog.code.error.text() == "This code is not correct.")
    assert signed_in.isVisible()
    with pytest.raises(SecondStepRequired):  # still there
        ApiClient(live_server).sign_in(account.email, account.password)

    dialog.code.edit.clear()
    qtbot.keyClicks(dialog.code.edit, recovery_codes[0])
    qtbot.mouseClick(dialog.delete, LEFT)
    window = controller.sign_in_window
    qtbot.waitUntil(window.isVisible, timeout=10_000)
    assert window.banner.text == "Your account was deleted."
    with pytest.raises(InvalidInputError):
        ApiClient(live_server).sign_in(account.email, account.password)

"""Two-step verification in the app, against the real backend, with real TOTP codes computed
by pyotp from the secret the setup returned: the sign-in window's code step (a code, a
recovery code, Back, a wrong code, an expired sign-in, a restored session), and Profile ▸
Security (turning it on with the QR code and the recovery codes, turning it off, new codes)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import cv2
import numpy as np
import pyotp
import pytest
from PySide6.QtCore import QBuffer, QIODevice, Qt
from PySide6.QtWidgets import QApplication, QFileDialog

from desktop.api_client import ApiClient
from desktop.errors import InvalidInputError, SecondStepRequired
from desktop.profile_dialog import ProfileDialog
from desktop.sign_in_window import SignInWindow
from desktop.two_step_change_dialogs import NewRecoveryCodesDialog, TurnOffTwoStepDialog
from desktop.two_step_setup_dialog import TwoStepSetupDialog
from tests.desktop.conftest import type_credentials

LEFT = Qt.MouseButton.LeftButton
STEP = 30


def step_now() -> int:
    return int(time.time()) // STEP


def code_at(secret: str, step: int) -> str:
    """The authenticator's code for the 30-second `step`."""
    return pyotp.TOTP(secret).at(step * STEP)


def wrong_code(secret: str) -> str:
    """Six digits that are none of the codes the server accepts now."""
    valid = {code_at(secret, step_now() + offset) for offset in range(-2, 3)}
    return next(f"{n:06d}" for n in range(1, 100) if f"{n:06d}" not in valid)


@dataclass
class TwoStep:
    secret: str
    recovery_codes: list[str]
    step: int
    """The step whose code turned it on: the server refuses it and any earlier one."""

    def next_code(self) -> str:
        """A code the server takes once: the step after the last one used."""
        self.step += 1
        return code_at(self.secret, self.step)


@pytest.fixture
def turn_on(live_server):
    """Turns two-step verification on for an account, over HTTP, as another device would."""

    def turn_on(account) -> TwoStep:
        device = ApiClient(live_server, timeout=5)
        device.sign_in(account.email, account.password)
        setup = device.start_two_step_setup(account.password)
        step = step_now()
        codes = device.enable_two_step(code_at(setup.secret, step))
        return TwoStep(setup.secret, codes, step)

    return turn_on


@pytest.fixture
def two_step(account, turn_on) -> TwoStep:
    return turn_on(account)


def password_step(qtbot, controller, account, remember: bool = False) -> SignInWindow:
    """Types email and password and presses Enter; returns the window at its code step."""
    window = type_credentials(qtbot, controller, account, remember)
    qtbot.keyClick(window.password.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(window.code_page.isVisible, timeout=10_000)
    return window


def enter_code(qtbot, window: SignInWindow, code: str) -> None:
    window.code.edit.clear()
    qtbot.keyClicks(window.code.edit, code)
    qtbot.mouseClick(window.verify, LEFT)


def test_signing_in_asks_for_the_code_in_the_same_window(qtbot, controller, account, two_step):
    window = password_step(qtbot, controller, account)
    assert window.isVisible() and controller.main_window is None
    assert not window.password_page.isVisible()
    assert window.heading.title.text() == "Two-step verification"
    assert window.code_label.text() == "C&ode"
    assert window.code.edit.hasFocus()
    assert window.code.edit.maxLength() == 6

    qtbot.keyClicks(window.code.edit, "12ab")  # digits only
    assert window.code.text == "12"
    qtbot.mouseClick(window.verify, LEFT)
    assert window.code.error.text() == "The code has 6 digits."

    enter_code(qtbot, window, wrong_code(two_step.secret))
    assert not window.verify.isEnabled() and window.verify.text() == "Verifying…"
    assert window.code_busy.isVisible() and window.code.edit.isReadOnly()
    qtbot.mouseClick(window.verify, LEFT)  # a second click sends nothing
    qtbot.waitUntil(lambda: window.code.error.text() == "This code is not correct.")
    assert window.code.error.isVisible() and window.code.edit.property("invalid") is True
    assert window.code.edit.selectedText() == window.code.text  # typing replaces it
    assert window.verify.isEnabled() and window.code_page.isVisible()

    with qtbot.waitSignal(window.signed_in, timeout=10_000) as signed_in:
        enter_code(qtbot, window, two_step.next_code())
    user, notice = signed_in.args
    assert user["email"] == account.email and notice == ""
    qtbot.waitUntil(lambda: controller.main_window is not None)
    assert controller.main_window.greeting.text() == "Dana, your current entry count is 0"
    assert not window.isVisible()


def test_a_recovery_code_signs_in_once_and_says_how_many_are_left(
    qtbot, controller, account, two_step
):
    window = password_step(qtbot, controller, account)
    qtbot.mouseClick(window.use_recovery, LEFT)
    assert window.code_label.text() == "Rec&overy code"
    assert window.use_recovery.text() == "&Use your authenticator app"
    assert window.heading.subtitle.text() == "Enter one of the recovery codes you saved."
    assert window.code.edit.hasFocus()
    used = two_step.recovery_codes[0]
    enter_code(qtbot, window, used.upper())  # case does not matter
    qtbot.waitUntil(lambda: controller.main_window is not None, timeout=10_000)
    main_window = controller.main_window
    assert (
        main_window.statusBar().currentMessage()
        == "You signed in with a recovery code: 9 recovery codes are left."
    )

    main_window.sign_out_action.trigger()
    qtbot.waitUntil(window.isVisible)
    assert window.password_page.isVisible()  # a new sign-in starts at the password
    window = password_step(qtbot, controller, account)
    qtbot.mouseClick(window.use_recovery, LEFT)
    enter_code(qtbot, window, used)  # single use
    qtbot.waitUntil(lambda: window.code.error.text() == "This code is not correct.")
    assert controller.main_window is None


def test_back_and_the_switch_return_where_they_came_from(qtbot, controller, account, two_step):
    window = password_step(qtbot, controller, account)
    qtbot.mouseClick(window.use_recovery, LEFT)
    qtbot.mouseClick(window.use_recovery, LEFT)  # and back to the app's code
    assert window.code_label.text() == "C&ode"
    assert window.code.edit.maxLength() == 6
    assert window.heading.subtitle.text() == "Enter the 6-digit code from your authenticator app."
    qtbot.mouseClick(window.back, LEFT)
    assert window.password_page.isVisible() and not window.code_page.isVisible()
    assert window.heading.title.text() == "Sign in to SmartBrain"
    assert window.email.text == account.email
    assert window.password.text == "" and window.password.edit.hasFocus()
    window = password_step(qtbot, controller, account)  # a new challenge, and it works
    with qtbot.waitSignal(window.signed_in, timeout=10_000):
        enter_code(qtbot, window, two_step.next_code())


def test_choosing_another_server_goes_back_to_the_password(
    qtbot, controller, account, two_step, closed_url
):
    window = password_step(qtbot, controller, account)
    controller.on_server_change_requested(closed_url)
    assert window.password_page.isVisible() and not window.code_page.isVisible()
    assert window.heading.title.text() == "Sign in to SmartBrain"


def test_an_expired_sign_in_goes_back_to_the_password(
    qtbot, controller, account, two_step, redis_client
):
    window = password_step(qtbot, controller, account)
    for key in redis_client.scan_iter("sb:challenge:*"):  # its five minutes are over
        redis_client.delete(key)
    enter_code(qtbot, window, two_step.next_code())
    qtbot.waitUntil(lambda: window.password_page.isVisible(), timeout=10_000)
    assert window.banner.text == "This sign-in has expired. Please sign in again."
    assert window.password.edit.hasFocus() and window.password.text == ""
    assert controller.main_window is None


def test_a_restored_session_is_not_asked_for_a_code(
    qtbot, make_controller, live_server, account, two_step, memory_keyring
):
    first = make_controller(live_server)
    window = password_step(qtbot, first, account, remember=True)
    with qtbot.waitSignal(window.signed_in, timeout=10_000):
        enter_code(qtbot, window, two_step.next_code())
    assert memory_keyring.entries  # remembered

    second = make_controller(live_server)  # the next start of the app
    qtbot.waitUntil(lambda: second.main_window is not None and second.main_window.isVisible())
    assert not second.sign_in_window.code_page.isVisible()


# Profile ▸ Security


@pytest.fixture
def open_security(qtbot, signed_in):
    """Account ▸ Profile…, then the Security tab once the status has loaded."""

    def open_security() -> ProfileDialog:
        signed_in.profile_action.trigger()
        dialog = signed_in.findChild(ProfileDialog)
        qtbot.waitExposed(dialog)
        dialog.tabs.setCurrentWidget(dialog.security)
        qtbot.waitUntil(lambda: dialog.security.delete.isEnabled())
        return dialog

    return open_security


def decoded_qr(pixmap) -> str:
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    pixmap.save(buffer, "PNG")
    image = cv2.imdecode(np.frombuffer(bytes(buffer.data().data()), np.uint8), cv2.IMREAD_COLOR)
    return cv2.QRCodeDetector().detectAndDecode(image)[0]


def test_turning_it_on(qtbot, open_security, account, live_server, tmp_path, monkeypatch):
    profile = open_security()
    security = profile.security
    assert security.status.text().startswith("Two-step verification is off.")
    assert security.turn_on.isVisible() and not security.turn_off.isVisible()
    qtbot.mouseClick(security.turn_on, LEFT)
    wizard = security.findChild(TwoStepSetupDialog)
    qtbot.waitExposed(wizard)
    assert wizard.focusWidget() is wizard.password.edit

    qtbot.keyClicks(wizard.password.edit, "not my password")
    qtbot.mouseClick(wizard.next, LEFT)
    qtbot.waitUntil(lambda: wizard.password.error.text() == "That is not your password.")
    assert wizard.pages.currentWidget() is wizard.password_page
    wizard.password.edit.clear()
    qtbot.keyClicks(wizard.password.edit, account.password)
    qtbot.keyClick(wizard.password.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wizard.pages.currentWidget() is wizard.qr_page, timeout=10_000)

    uri = decoded_qr(wizard.qr.pixmap())  # the QR code a phone scans
    assert uri.startswith("otpauth://totp/SmartBrain:")
    secret = parse_qs(urlsplit(uri).query)["secret"][0]
    shown = wizard.secret.text()
    assert shown.replace(" ", "") == secret
    assert all(len(group) == 4 for group in shown.split()[:-1])
    assert wizard.secret.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse
    assert ApiClient(live_server).sign_in(account.email, account.password)  # not on yet

    qtbot.mouseClick(wizard.next, LEFT)
    assert wizard.pages.currentWidget() is wizard.code_page
    assert wizard.focusWidget() is wizard.code.edit
    qtbot.keyClicks(wizard.code.edit, wrong_code(secret))
    qtbot.mouseClick(wizard.turn_on, LEFT)
    qtbot.waitUntil(lambda: wizard.code.error.text() == "This code is not correct.")
    wizard.code.edit.clear()
    qtbot.keyClicks(wizard.code.edit, pyotp.TOTP(secret).now())
    with qtbot.waitSignal(wizard.enabled, timeout=10_000):
        qtbot.mouseClick(wizard.turn_on, LEFT)

    assert wizard.pages.currentWidget() is wizard.codes_page
    codes = wizard.codes.text.splitlines()
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(len(code) == 11 and code[5] == "-" for code in codes)
    assert sorted(wizard.codes.codes.text().split()) == sorted(codes)  # shown, monospace
    qtbot.mouseClick(wizard.codes.copy, LEFT)
    assert QApplication.clipboard().text().split() == codes
    target = tmp_path / "codes.txt"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *_args: (str(target), ""))
    qtbot.mouseClick(wizard.codes.save, LEFT)
    assert target.read_text().splitlines()[-10:] == codes
    assert f"for {account.email}" in target.read_text()
    qtbot.waitUntil(
        lambda: security.status.text() == "Two-step verification is on. 10 recovery codes left."
    )
    qtbot.mouseClick(wizard.done_button, LEFT)
    qtbot.waitUntil(lambda: security.findChild(TwoStepSetupDialog) is None)
    assert security.turn_off.isVisible() and security.new_codes.isVisible()
    assert not security.turn_on.isVisible()
    with pytest.raises(SecondStepRequired):  # signing in now takes a code
        ApiClient(live_server).sign_in(account.email, account.password)


def test_a_setup_left_too_long_starts_again(qtbot, open_security, account, redis_client):
    security = open_security().security
    qtbot.mouseClick(security.turn_on, LEFT)
    wizard = security.findChild(TwoStepSetupDialog)
    qtbot.waitExposed(wizard)
    qtbot.keyClicks(wizard.password.edit, account.password)
    qtbot.mouseClick(wizard.next, LEFT)
    qtbot.waitUntil(lambda: wizard.pages.currentWidget() is wizard.qr_page, timeout=10_000)
    secret = wizard.secret.text().replace(" ", "")
    qtbot.mouseClick(wizard.next, LEFT)
    for key in redis_client.scan_iter("sb:2fa:*:setup"):  # its ten minutes are over
        redis_client.delete(key)
    qtbot.keyClicks(wizard.code.edit, pyotp.TOTP(secret).now())
    qtbot.mouseClick(wizard.turn_on, LEFT)
    qtbot.waitUntil(lambda: wizard.pages.currentWidget() is wizard.password_page)
    assert wizard.banner.text == "Start again: this setup has expired."
    assert wizard.next.isVisible() and not wizard.turn_on.isVisible()
    assert security.status.text().startswith("Two-step verification is off.")


def test_turning_it_off_takes_the_password_and_a_code(
    qtbot, open_security, account, turn_on, live_server
):
    two_step = turn_on(account)  # on another device, after this one signed in
    security = open_security().security
    assert security.status.text() == "Two-step verification is on. 10 recovery codes left."
    qtbot.mouseClick(security.turn_off, LEFT)
    dialog = security.findChild(TurnOffTwoStepDialog)
    qtbot.waitExposed(dialog)
    assert dialog.confirm.objectName() == "danger"
    qtbot.keyClicks(dialog.password.edit, account.password)
    qtbot.mouseClick(dialog.confirm, LEFT)
    assert dialog.code.error.text().startswith("Enter a code from your authenticator app")
    qtbot.keyClicks(dialog.code.edit, wrong_code(two_step.secret))
    qtbot.mouseClick(dialog.confirm, LEFT)
    qtbot.waitUntil(lambda: dialog.code.error.text() == "This code is not correct.")
    dialog.code.edit.clear()
    qtbot.keyClicks(dialog.code.edit, two_step.next_code())
    with qtbot.waitSignal(dialog.turned_off, timeout=10_000):
        qtbot.mouseClick(dialog.confirm, LEFT)
    qtbot.waitUntil(lambda: security.status.text().startswith("Two-step verification is off."))
    assert security.turn_on.isVisible()
    assert ApiClient(live_server).sign_in(account.email, account.password)["email"]


def test_new_recovery_codes_replace_the_old_set(
    qtbot, open_security, account, turn_on, live_server
):
    two_step = turn_on(account)
    security = open_security().security
    qtbot.mouseClick(security.new_codes, LEFT)
    dialog = security.findChild(NewRecoveryCodesDialog)
    qtbot.waitExposed(dialog)
    qtbot.keyClicks(dialog.password.edit, "not my password")
    qtbot.keyClicks(dialog.code.edit, two_step.recovery_codes[0])
    qtbot.mouseClick(dialog.confirm, LEFT)
    qtbot.waitUntil(lambda: dialog.password.error.text() == "That is not your password.")
    dialog.password.edit.clear()
    qtbot.keyClicks(dialog.password.edit, account.password)
    with qtbot.waitSignal(dialog.codes_renewed, timeout=10_000):
        qtbot.mouseClick(dialog.confirm, LEFT)
    codes = dialog.codes.text.splitlines()
    assert len(codes) == 10 and not set(codes) & set(two_step.recovery_codes)
    assert dialog.codes.isVisible() and not dialog.password.isVisible()
    assert dialog.done_button.isVisible() and not dialog.confirm.isVisible()
    qtbot.waitUntil(
        lambda: security.status.text() == "Two-step verification is on. 10 recovery codes left."
    )
    qtbot.mouseClick(dialog.done_button, LEFT)

    device = ApiClient(live_server)
    with pytest.raises(SecondStepRequired) as second_step:
        device.sign_in(account.email, account.password)
    with pytest.raises(InvalidInputError) as old:  # the old set stopped working
        device.sign_in_with_code(second_step.value.challenge, two_step.recovery_codes[1])
    assert old.value.code == "invalid_code"
    assert device.sign_in_with_code(second_step.value.challenge, codes[0]).recovery_codes_left == 9

"""The parts of two-step verification that need no server: the second step's answer as its
own error, the QR code (decoded back by OpenCV), the codes' checks and fields, the recovery
codes' Copy and Save as…, and the delete dialog's email check."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QBuffer, QIODevice, Qt
from PySide6.QtWidgets import QApplication, QFileDialog

from desktop import validation
from desktop.api_client import ApiClient
from desktop.delete_account_dialog import DeleteAccountDialog, same_email
from desktop.errors import (
    ChallengeExpiredError,
    SecondStepRequired,
    SessionEndedError,
    UnexpectedError,
    error_from_response,
)
from desktop.qr_code import QUIET_ZONE, grouped_secret, qr_pixmap
from desktop.recovery_codes_view import RecoveryCodesView
from desktop.widgets import CodeBox

URI = (
    "otpauth://totp/SmartBrain:dana%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    "&issuer=SmartBrain"
)
CODES = [f"{letter * 5}-{letter * 5}" for letter in "abcdefghjk"]


def test_the_second_step_is_its_own_error_carrying_the_challenge():
    body = {
        "error": {
            "code": "second_step_required",
            "message": "This account uses two-step verification.",
            "requestId": "r1",
            "challenge": "c" * 43,
            "expiresIn": 300,
        }
    }
    error = error_from_response(401, body, None)
    assert isinstance(error, SecondStepRequired) and not isinstance(error, SessionEndedError)
    assert (error.challenge, error.expires_in) == ("c" * 43, 300)
    assert error.message == "This account uses two-step verification."


def test_an_expired_challenge_is_not_an_ended_session():
    body = {"error": {"code": "challenge_expired", "message": "This sign-in has expired."}}
    error = error_from_response(401, body, None)
    assert isinstance(error, ChallengeExpiredError) and not isinstance(error, SessionEndedError)
    assert error.message == "This sign-in has expired."
    assert isinstance(error_from_response(401, {"error": {"code": "x"}}, None), SessionEndedError)


def test_a_second_step_without_a_challenge_is_not_understood():
    body = {"error": {"code": "second_step_required", "message": "m"}}
    assert isinstance(error_from_response(401, body, None), UnexpectedError)


def decoded(pixmap) -> str:
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    pixmap.save(buffer, "PNG")
    image = cv2.imdecode(np.frombuffer(bytes(buffer.data().data()), np.uint8), cv2.IMREAD_COLOR)
    text, _points, _straight = cv2.QRCodeDetector().detectAndDecode(image)
    return text


@pytest.mark.parametrize("ratio", [1.0, 2.0])
def test_the_qr_code_carries_the_uri_crisply_on_white(qapp, ratio):
    pixmap = qr_pixmap(URI, 200, ratio)
    assert decoded(pixmap) == URI
    image = pixmap.toImage()
    assert image.width() == image.height()
    assert abs(image.width() / ratio - 200) <= 200 * 0.15  # about the size asked
    colours = {image.pixel(x, y) & 0xFFFFFF for x in range(image.width()) for y in range(8)}
    assert colours == {0xFFFFFF}  # the quiet zone: white, whatever the theme
    every = {image.pixel(x, image.height() // 2) & 0xFFFFFF for x in range(image.width())}
    assert every == {0x000000, 0xFFFFFF}  # only black and white: no blurred edges
    assert QUIET_ZONE == 4


def test_the_secret_is_grouped_in_fours():
    assert grouped_secret("JBSWY3DPEHPK3PXPJB") == "JBSW Y3DP EHPK 3PXP JB"
    assert grouped_secret("JBSWY3DPEHPK3PXPJB").replace(" ", "") == "JBSWY3DPEHPK3PXPJB"


@pytest.mark.parametrize(
    ("check", "code", "expected"),
    [
        (validation.authenticator_code_error, "", "Enter the 6-digit code from your"),
        (validation.authenticator_code_error, "12345", "The code has 6 digits."),
        (validation.authenticator_code_error, "123456", ""),
        (validation.recovery_code_error, "", "Enter one of your recovery codes."),
        (validation.recovery_code_error, "abcde", "A recovery code looks like abcde-fghij."),
        (validation.recovery_code_error, "ABCDE FGHIJ", ""),
        (validation.recovery_code_error, "abcde-fghij", ""),
        (validation.any_code_error, "", "Enter a code from your authenticator app"),
        (validation.any_code_error, "1234567", "The code has 6 digits."),
        (validation.any_code_error, "654321", ""),
        (validation.any_code_error, "abcde-fghij", ""),
    ],
)
def test_code_checks(check, code, expected):
    assert check(code).startswith(expected) and bool(check(code)) == bool(expected)


def test_the_code_field_takes_digits_only_then_a_recovery_code(qtbot):
    box = CodeBox("authenticator")
    qtbot.addWidget(box)
    qtbot.keyClicks(box.edit, "12ab34 5678")
    assert box.text == "123456"
    box.set_kind("recovery")
    assert box.text == ""
    qtbot.keyClicks(box.edit, "abcde-fghij")
    assert box.text == "abcde-fghij"


@pytest.fixture
def codes_view(qtbot) -> RecoveryCodesView:
    view = RecoveryCodesView()
    qtbot.addWidget(view)
    view.show_codes(CODES, "dana@example.com")
    return view


def test_the_codes_show_in_two_columns_and_copy_puts_them_on_the_clipboard(qtbot, codes_view):
    rows = codes_view.codes.text().splitlines()
    assert len(rows) == 5 and rows[0].split() == [CODES[0], CODES[5]]
    assert codes_view.codes.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse
    qtbot.mouseClick(codes_view.copy, Qt.MouseButton.LeftButton)
    assert QApplication.clipboard().text().split() == CODES
    assert codes_view.status.text() == "Copied to the clipboard."


def test_save_as_writes_a_plain_text_file(qtbot, codes_view, tmp_path, monkeypatch):
    target = tmp_path / "codes.txt"
    asked = []

    def choose(_parent, title, start, _filter):
        asked.append((title, start))
        return str(target), "Text files (*.txt)"

    monkeypatch.setattr(QFileDialog, "getSaveFileName", choose)  # Qt's dialog, not ours
    qtbot.mouseClick(codes_view.save, Qt.MouseButton.LeftButton)
    lines = target.read_text().splitlines()
    assert lines[0] == "SmartBrain recovery codes for dana@example.com"
    assert lines[-10:] == CODES
    assert (target.stat().st_mode & 0o777) == 0o600
    assert asked[0][0] == "Save recovery codes"
    assert asked[0][1].endswith("smartbrain-recovery-codes.txt")
    assert codes_view.status.text() == f"Saved to {target}."


def test_save_as_cancelled_writes_nothing(qtbot, codes_view, monkeypatch):
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *_args: ("", ""))
    qtbot.mouseClick(codes_view.save, Qt.MouseButton.LeftButton)
    assert codes_view.status.text() == ""


def test_save_as_into_a_missing_folder_says_so(qtbot, codes_view, tmp_path, monkeypatch):
    target = tmp_path / "missing" / "codes.txt"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *_args: (str(target), ""))
    qtbot.mouseClick(codes_view.save, Qt.MouseButton.LeftButton)
    assert codes_view.status.text().startswith("The codes could not be saved:")


def test_same_email_ignores_case_and_spaces():
    assert same_email(" Dana@Example.com ", "dana@example.com")
    assert not same_email("dana@example.co", "dana@example.com")
    assert not same_email("", "")


@pytest.mark.parametrize("two_step", [False, True])
def test_delete_is_enabled_only_once_the_email_matches(qtbot, tasks, two_step):
    dialog = DeleteAccountDialog(ApiClient(None), tasks, "dana@example.com", two_step)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.code.isVisibleTo(dialog) is two_step
    assert dialog.delete.objectName() == "danger"
    qtbot.keyClicks(dialog.password.edit, "correct horse battery")
    assert not dialog.delete.isEnabled()
    qtbot.keyClicks(dialog.email.edit, "DANA@example.co")
    assert not dialog.delete.isEnabled()
    qtbot.keyClicks(dialog.email.edit, "m")
    assert dialog.delete.isEnabled()
    qtbot.keyClick(dialog.email.edit, Qt.Key.Key_Backspace)
    assert not dialog.delete.isEnabled()

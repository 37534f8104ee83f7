"""The register dialog: rules checked as the user types, server errors on their fields."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect, Qt

from desktop.api_client import ApiClient
from desktop.register_dialog import RegisterDialog


@pytest.fixture
def open_dialog(qtbot, controller):
    """Clicks "Create an account" and returns the dialog that opened."""

    def open_dialog() -> RegisterDialog:
        qtbot.mouseClick(controller.sign_in_window.create_account, Qt.MouseButton.LeftButton)
        dialog = controller.sign_in_window.findChild(RegisterDialog)
        qtbot.waitExposed(dialog)
        return dialog

    return open_dialog


@pytest.mark.parametrize(
    ("field", "text", "message"),
    [
        ("name", " ", "Enter your name."),
        ("email", "dana@", "Enter a valid email address, like dana@example.com."),
        ("password", "short", "Use at least 8 characters."),
    ],
)
def test_rules_are_checked_as_you_type(open_dialog, qtbot, field, text, message):
    dialog = open_dialog()
    box = getattr(dialog, field)
    qtbot.keyClicks(box.edit, text)
    assert box.error.isVisible()
    assert box.error.text() == message
    assert dialog.confirmation.error.isHidden()  # untouched fields stay quiet


def test_confirmation_must_match(open_dialog, qtbot):
    dialog = open_dialog()
    qtbot.keyClicks(dialog.password.edit, "long enough")
    qtbot.keyClicks(dialog.confirmation.edit, "long enougj")
    assert dialog.confirmation.error.text() == "The passwords do not match."
    qtbot.keyClick(dialog.confirmation.edit, Qt.Key.Key_Backspace)
    qtbot.keyClicks(dialog.confirmation.edit, "h")
    assert dialog.confirmation.error.isHidden()


def fill(qtbot, dialog: RegisterDialog, name: str, email: str, password: str) -> None:
    qtbot.keyClicks(dialog.name.edit, name)
    qtbot.keyClicks(dialog.email.edit, email)
    qtbot.keyClicks(dialog.password.edit, password)
    qtbot.keyClicks(dialog.confirmation.edit, password)


def test_register_signs_in_and_opens_the_main_window(open_dialog, qtbot, controller):
    dialog = open_dialog()
    fill(qtbot, dialog, "Ada", "ada@example.com", "analytical engine")
    qtbot.mouseClick(dialog.submit, Qt.MouseButton.LeftButton)
    assert not dialog.submit.isEnabled()  # in flight
    qtbot.waitUntil(lambda: controller.main_window is not None)
    qtbot.waitUntil(controller.main_window.isVisible)
    assert controller.main_window.greeting.text() == "Ada, your current entry count is 0"
    assert not controller.sign_in_window.isVisible()


def test_a_taken_email_is_shown_on_the_email_field(open_dialog, qtbot, controller, account):
    dialog = open_dialog()
    fill(qtbot, dialog, "Other Dana", account.email.upper(), "another password")
    qtbot.keyClick(dialog.confirmation.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(dialog.email.error.isVisible)
    assert dialog.email.error.text()
    assert dialog.isVisible()
    assert dialog.submit.isEnabled()
    assert controller.main_window is None


def rect_in(dialog, widget) -> QRect:
    return QRect(widget.mapTo(dialog, QPoint(0, 0)), widget.size())


def test_field_errors_never_overlap_the_fields(qtbot, tasks):
    """Each error sits whole under its field, however many lines it wraps to."""
    dialog = RegisterDialog(ApiClient(None), tasks)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    typed = {"name": " ", "email": "dana@example", "password": "short", "confirmation": "x"}
    for field, text in typed.items():
        qtbot.keyClicks(getattr(dialog, field).edit, text)
    qtbot.wait(50)
    shown: list[tuple[str, QRect]] = []
    for field in typed:
        box = getattr(dialog, field)
        assert box.error.isVisible()
        edit, error = rect_in(dialog, box.edit), rect_in(dialog, box.error)
        assert edit.height() >= box.edit.sizeHint().height(), field  # not squashed
        assert error.height() >= box.error.heightForWidth(error.width()), field  # not clipped
        assert error.top() > edit.bottom(), field
        shown += [(f"{field} field", edit), (f"{field} error", error)]
    for index, (name, rect) in enumerate(shown):
        for other, other_rect in shown[index + 1 :]:
            assert not rect.intersects(other_rect), (name, other)
    assert rect_in(dialog, dialog.buttons).top() > shown[-1][1].bottom()

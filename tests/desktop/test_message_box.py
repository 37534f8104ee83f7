"""The one message-box helper, shown for real and answered by a timer."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLineEdit, QMessageBox

from desktop import message_box


def answer_with(label: str) -> None:
    """Click the button labelled `label` in the next modal message box."""

    def click() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        next(button for button in box.buttons() if button.text() == label).click()

    QTimer.singleShot(0, click)


def test_confirm_names_the_action_and_reports_the_choice(qtbot, monkeypatch):
    monkeypatch.undo()  # the real helper, not the autouse stand-in
    answer_with("Sign out")
    assert message_box.confirm(None, "Sign out device", "Sign out “phone”?", "Sign out")
    answer_with("Cancel")
    assert not message_box.confirm(None, "Sign out device", "Sign out “phone”?", "Sign out")


def test_the_window_below_has_the_focus_again_once_the_box_closes(qtbot, monkeypatch):
    monkeypatch.undo()
    window = QLineEdit()
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.hasFocus)
    answer_with("OK")
    message_box.show(window, "About SmartBrain", "SmartBrain finds the faces in a photo.")
    qtbot.waitUntil(window.hasFocus)
    assert QApplication.activeWindow() is window

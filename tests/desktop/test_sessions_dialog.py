"""The sessions dialog: the sessions list, ending another device's session, changing the
password."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from desktop.api_client import ApiClient
from desktop.errors import SessionEndedError
from desktop.sessions_dialog import IS_CURRENT_ROLE, SESSION_ID_ROLE, SessionsDialog


@pytest.fixture
def open_sessions(qtbot, signed_in):
    """Chooses Account ▸ Sessions and password… and returns the dialog."""

    def open_sessions() -> SessionsDialog:
        signed_in.sessions_action.trigger()
        dialog = signed_in.findChild(SessionsDialog)
        qtbot.waitExposed(dialog)
        return dialog

    return open_sessions


def test_sessions_list_this_device_and_revoke_another(
    qtbot, open_sessions, account, live_server, messages
):
    other_device = ApiClient(live_server, device="Dana's phone")
    other_device.sign_in(account.email, account.password)
    dialog = open_sessions()
    qtbot.waitUntil(lambda: dialog.sessions.topLevelItemCount() == 3)  # register, app, phone
    rows = [dialog.sessions.topLevelItem(i) for i in range(3)]
    current = [row for row in rows if row.text(0).endswith("(this computer)")]
    assert len(current) == 1
    assert [row.data(0, IS_CURRENT_ROLE) for row in rows].count(True) == 1
    assert current[0].data(0, IS_CURRENT_ROLE) is True
    ids = {row.data(0, SESSION_ID_ROLE) for row in rows}
    assert len(ids) == 3 and all(isinstance(i, str) and i for i in ids)
    dialog.sessions.setCurrentItem(current[0])
    assert not dialog.revoke.isEnabled()  # this computer signs out through the Account menu

    phone = next(row for row in rows if row.text(0) == "Dana's phone")
    dialog.sessions.setCurrentItem(phone)
    assert dialog.revoke.isEnabled()
    qtbot.mouseClick(dialog.revoke, Qt.MouseButton.LeftButton)
    assert messages.shown == [
        ("Sign out device", "Sign out “Dana's phone”? It will have to sign in again.")
    ]
    qtbot.waitUntil(lambda: dialog.sessions.topLevelItemCount() == 2)
    with pytest.raises(SessionEndedError):
        other_device.get_profile()


def test_change_password(qtbot, open_sessions, account, live_server, controller):
    other_device = ApiClient(live_server)
    other_device.sign_in(account.email, account.password)
    dialog = open_sessions()
    qtbot.waitUntil(lambda: dialog.sessions.topLevelItemCount() == 3)

    qtbot.keyClicks(dialog.current_password.edit, "wrong password")
    qtbot.keyClicks(dialog.new_password.edit, "short")
    assert dialog.new_password.error.text() == "Use at least 8 characters."
    qtbot.keyClicks(dialog.new_password.edit, " but now long")
    qtbot.keyClicks(dialog.confirm_password.edit, "short but now long")
    assert dialog.confirm_password.error.isHidden()
    qtbot.mouseClick(dialog.change_password, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dialog.current_password.error.isVisible)
    assert dialog.current_password.error.text() == "That is not your current password."
    assert dialog.current_password.edit.selectedText() == "wrong password"
    assert dialog.change_password.isEnabled()
    assert dialog.change_password.text() == "C&hange password"

    dialog.current_password.edit.clear()
    qtbot.keyClicks(dialog.current_password.edit, account.password)
    qtbot.mouseClick(dialog.change_password, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Password changed" in dialog.password_banner.text)
    assert dialog.sessions.topLevelItemCount() == 1  # every other session ended
    assert dialog.current_password.text == ""
    with pytest.raises(SessionEndedError):
        other_device.get_profile()
    ApiClient(live_server).sign_in(account.email, "short but now long")
    assert controller.main_window is not None  # this computer stays signed in

"""The profile dialog: the profile round trip, the sessions list, changing the password."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from desktop.api_client import ApiClient
from desktop.errors import SessionEndedError
from desktop.profile_dialog import ProfileDialog


@pytest.fixture
def signed_in(controller, account, sign_in):
    return sign_in(controller, account)


@pytest.fixture
def open_profile(qtbot, signed_in):
    """Chooses Account ▸ Profile… and returns the dialog once its profile has loaded."""

    def open_profile() -> ProfileDialog:
        signed_in.profile_action.trigger()
        dialog = signed_in.findChild(ProfileDialog)
        qtbot.waitExposed(dialog)
        qtbot.waitUntil(lambda: dialog.joined.text() != "")
        return dialog

    return open_profile


def test_profile_round_trip(qtbot, open_profile, signed_in, account, live_server):
    dialog = open_profile()
    assert dialog.name.text == "Dana"
    assert dialog.email.text() == account.email
    assert dialog.entries.text() == "0"
    dialog.name.edit.clear()
    qtbot.keyClicks(dialog.name.edit, "Dana Scully")
    qtbot.keyClicks(dialog.age.edit, "31")
    qtbot.keyClicks(dialog.pet.edit, "Queequeg")
    with qtbot.waitSignal(dialog.accepted):
        qtbot.mouseClick(dialog.save, Qt.MouseButton.LeftButton)
        assert not dialog.save.isEnabled()
    assert signed_in.greeting.text() == "Dana Scully, your current entry count is 0"
    qtbot.waitUntil(lambda: signed_in.findChild(ProfileDialog) is None)

    again = open_profile()
    assert (again.name.text, again.age.text, again.pet.text) == ("Dana Scully", "31", "Queequeg")
    again.age.edit.clear()  # a blank age clears it
    with qtbot.waitSignal(again.accepted):
        qtbot.mouseClick(again.save, Qt.MouseButton.LeftButton)
    other = ApiClient(live_server)
    other.sign_in(account.email, account.password)
    assert other.get_profile()["age"] is None


def test_invalid_fields_are_flagged_before_saving(qtbot, open_profile):
    dialog = open_profile()
    dialog.name.edit.clear()
    qtbot.keyClicks(dialog.name.edit, " ")
    assert dialog.name.error.text() == "Enter your name."
    qtbot.mouseClick(dialog.save, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    assert dialog.save.isEnabled()


def test_sessions_tab_lists_this_device_and_revokes_another(
    qtbot, open_profile, account, live_server, messages
):
    other_device = ApiClient(live_server, device="Dana's phone")
    other_device.sign_in(account.email, account.password)
    dialog = open_profile()
    dialog.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: dialog.sessions.topLevelItemCount() == 3)  # register, app, phone
    rows = [dialog.sessions.topLevelItem(i) for i in range(3)]
    current = [row for row in rows if row.text(0).endswith("(this computer)")]
    assert len(current) == 1
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


def test_change_password(qtbot, open_profile, account, live_server, controller):
    other_device = ApiClient(live_server)
    other_device.sign_in(account.email, account.password)
    dialog = open_profile()
    dialog.tabs.setCurrentIndex(1)
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

"""The profile dialog: the profile round trip and its checks."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from desktop.api_client import ApiClient
from desktop.profile_dialog import ProfileDialog


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
        assert dialog.save.text() == "Saving…" and dialog.busy.isVisibleTo(dialog)
        assert all(field.edit.isReadOnly() for field in (dialog.name, dialog.age, dialog.pet))
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

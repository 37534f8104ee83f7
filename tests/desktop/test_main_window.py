"""The main window's Account menu: sign out, sign out everywhere, and a session that ends."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from desktop.api_client import ApiClient
from desktop.errors import SessionEndedError
from desktop.sign_out_everywhere_dialog import SignOutEverywhereDialog


def test_account_menu_has_mnemonics_and_shortcuts(controller, account, sign_in):
    main_window = sign_in(controller, account)
    menu = main_window.menuBar().actions()[0]
    assert menu.text() == "&Account"
    texts = [action.text() for action in menu.menu().actions() if not action.isSeparator()]
    assert texts == [
        "&Profile…",
        "Sessions and pass&word…",
        "Sign out &everywhere…",
        "&Sign out",
        "&Quit",
    ]
    assert not main_window.sign_out_action.shortcut().isEmpty()
    assert not main_window.profile_action.shortcut().isEmpty()


def test_sign_out_revokes_the_token_on_the_server(
    qtbot, controller, account, sign_in, live_server, memory_keyring, redis_client
):
    main_window = sign_in(controller, account, remember=True)
    token = main_window._api.token
    keys_before = redis_client.dbsize()
    main_window.sign_out_action.trigger()
    qtbot.waitUntil(controller.sign_in_window.isVisible)
    assert controller.main_window is None
    assert controller.sign_in_window.banner.text == "You have signed out."
    assert controller.sign_in_window.password.text == ""
    qtbot.waitUntil(lambda: memory_keyring.entries == {})
    assert redis_client.dbsize() < keys_before
    stale = ApiClient(live_server)
    stale.token = token
    stale.user_id = account.user_id
    with pytest.raises(SessionEndedError):
        stale.get_profile()


def test_sign_out_without_the_server_still_forgets_the_token(
    qtbot, controller, account, sign_in, closed_url, memory_keyring
):
    main_window = sign_in(controller, account, remember=True)
    api = main_window._api
    api.base_url = closed_url  # the server went away
    main_window.sign_out_action.trigger()
    qtbot.waitUntil(controller.sign_in_window.isVisible)
    assert "could not be ended there" in controller.sign_in_window.banner.text
    assert api.token is None
    qtbot.waitUntil(lambda: memory_keyring.entries == {})


def test_a_session_ended_on_the_server_returns_to_sign_in(
    qtbot, controller, account, sign_in, live_server
):
    main_window = sign_in(controller, account)
    other_device = ApiClient(live_server)
    other_device.sign_in(account.email, account.password)
    assert other_device.sign_out_everywhere(account.password) == 3  # register, app, device
    main_window.profile_action.trigger()  # the next call meets a 401
    qtbot.waitUntil(controller.sign_in_window.isVisible)
    assert controller.sign_in_window.banner.text == "Your session has ended. Please sign in again."
    assert controller.main_window is None


def test_sign_out_everywhere_needs_the_password_and_ends_every_session(
    qtbot, controller, account, sign_in, live_server
):
    other_device = ApiClient(live_server)
    other_device.sign_in(account.email, account.password)
    main_window = sign_in(controller, account)
    main_window.sign_out_everywhere_action.trigger()
    dialog = main_window.findChild(SignOutEverywhereDialog)
    qtbot.waitExposed(dialog)

    qtbot.keyClicks(dialog.password.edit, "not my password")
    qtbot.mouseClick(dialog.confirm, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dialog.password.error.isVisible)
    assert dialog.password.error.text() == "That is not your password."
    assert dialog.password.edit.selectedText() == "not my password"  # typing replaces it
    assert dialog.confirm.isEnabled() and not dialog.password.edit.isReadOnly()
    assert controller.main_window is main_window

    dialog.password.edit.clear()
    qtbot.keyClicks(dialog.password.edit, account.password)
    qtbot.mouseClick(dialog.confirm, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(controller.sign_in_window.isVisible)
    notice = controller.sign_in_window.banner.text
    assert notice == "You have signed out everywhere (3 sessions ended)."  # register, device, app
    with pytest.raises(SessionEndedError):
        other_device.get_profile()

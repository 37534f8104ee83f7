"""The sign-in window against the real backend: what the user sees at each step."""

from __future__ import annotations

from pathlib import Path

import pytest
from keyring.errors import PasswordSetError
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QDialogButtonBox, QLabel, QWidget

from desktop.main_window import NOT_REVOKED, SIGNED_OUT, greeting
from desktop.server_dialog import ServerDialog
from desktop.sign_in_window import KEYCHAIN_REFUSED

LEFT = Qt.MouseButton.LeftButton


def test_email_has_focus_first_and_tab_goes_to_password(qtbot, controller):
    window = controller.sign_in_window
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: window.email.edit.hasFocus())
    qtbot.keyClick(window.email.edit, Qt.Key.Key_Tab)
    assert window.password.edit.hasFocus()


def test_sign_in_opens_the_main_window(qtbot, controller, account, sign_in):
    main_window = sign_in(controller, account)
    assert not controller.sign_in_window.isVisible()
    assert main_window.greeting.text() == "Dana, your current entry count is 0"
    assert greeting({"name": "Dana", "entries": 0}) == main_window.greeting.text()


def test_wrong_password_is_said_plainly(qtbot, controller, account):
    window = controller.sign_in_window
    qtbot.keyClicks(window.email.edit, account.email)
    qtbot.keyClicks(window.password.edit, "not the password")
    qtbot.mouseClick(window.submit, LEFT)
    qtbot.waitUntil(lambda: window.banner.text == "Wrong email or password.")
    assert window.isVisible()
    assert controller.main_window is None
    assert window.submit.isEnabled()


def test_unreachable_server_offers_a_retry(qtbot, make_controller, closed_url, account):
    controller = make_controller(closed_url)
    window = controller.sign_in_window
    qtbot.keyClicks(window.email.edit, account.email)
    qtbot.keyClicks(window.password.edit, account.password)
    qtbot.mouseClick(window.submit, LEFT)
    qtbot.waitUntil(lambda: "cannot be reached" in window.banner.text)
    assert window.banner.action.isVisible()
    assert window.banner.action.text() == "Try again"
    assert window.submit.isEnabled()


def test_too_many_attempts_counts_down(qtbot, make_controller, canned_server):
    url = canned_server(
        429,
        {"error": {"code": "rate_limited", "message": "Too many requests."}},
        {"Retry-After": "2"},
    )
    window = make_controller(url).sign_in_window
    qtbot.keyClicks(window.email.edit, "dana@example.com")
    qtbot.keyClicks(window.password.edit, "whatever123")
    qtbot.mouseClick(window.submit, LEFT)
    qtbot.waitUntil(lambda: window.banner.text == "Too many attempts. Try again in 2 seconds.")
    assert not window.submit.isEnabled()
    qtbot.waitUntil(lambda: window.banner.text == "Too many attempts. Try again in 1 second.")
    qtbot.waitUntil(window.submit.isEnabled, timeout=4000)
    assert window.banner.text == ""


def test_window_stays_responsive_while_the_server_is_slow(qtbot, make_controller, canned_server):
    url = canned_server(
        400,
        {"error": {"code": "invalid_credentials", "message": "Wrong email or password."}},
        delay=2.0,
    )
    window = make_controller(url).sign_in_window
    ticks = []
    timer = QTimer(interval=50)
    timer.timeout.connect(lambda: ticks.append(window.submit.isEnabled()))
    timer.start()
    qtbot.keyClicks(window.email.edit, "dana@example.com")
    qtbot.keyClicks(window.password.edit, "whatever123")
    qtbot.mouseClick(window.submit, LEFT)
    assert not window.submit.isEnabled()
    assert window.busy.isVisible()
    qtbot.mouseClick(window.submit, LEFT)  # a second click does nothing
    qtbot.waitUntil(lambda: window.banner.text == "Wrong email or password.", timeout=5000)
    timer.stop()
    assert ticks.count(False) >= 20  # the event loop kept turning for the whole 2 s
    assert window.submit.isEnabled()
    assert not window.busy.isVisible()


def test_without_a_keychain_the_window_says_so_and_keeps_the_token_in_memory(
    qtbot, no_keychain, make_controller, live_server, account, sign_in
):
    controller = make_controller(live_server)
    window = controller.sign_in_window
    assert window.keychain_note.isVisible()
    assert "no usable keychain" in window.keychain_note.text()
    assert not window.remember.isEnabled()
    main_window = sign_in(controller, account)
    assert main_window.isVisible()
    assert controller.sign_in_window._api.token


def labels_cut_off(window: QWidget) -> list[str]:
    """The texts of the visible word-wrapped labels shorter than their text needs."""
    return [
        label.text()
        for label in window.findChildren(QLabel)
        if label.isVisible()
        and label.wordWrap()
        and label.height() < label.heightForWidth(label.width())
    ]


@pytest.mark.parametrize("notice", [SIGNED_OUT, NOT_REVOKED])
def test_the_window_grows_so_every_label_shows_whole(
    qtbot, no_keychain, make_controller, live_server, notice
):
    window = make_controller(live_server).sign_in_window
    qtbot.waitExposed(window)
    before = window.height()
    assert labels_cut_off(window) == []
    window.show_notice("success", notice)
    qtbot.waitUntil(lambda: window.height() > before)
    qtbot.waitUntil(lambda: labels_cut_off(window) == [])
    assert window.keychain_note.isVisible()
    window.banner.clear()
    qtbot.waitUntil(lambda: window.height() == before)


def test_remember_me_keeps_the_token_in_the_keychain_and_the_next_start_restores_it(
    qtbot, make_controller, live_server, account, sign_in, memory_keyring, settings_store
):
    first = make_controller(live_server)
    sign_in(first, account, remember=True)
    token = first.main_window._api.token
    assert memory_keyring.entries == {("SmartBrain", live_server): token}
    settings_store.sync()
    assert token not in Path(settings_store.fileName()).read_text()  # never in QSettings

    second = make_controller(live_server)  # the next start of the app
    qtbot.waitUntil(lambda: second.main_window is not None and second.main_window.isVisible())
    assert second.main_window.greeting.text() == "Dana, your current entry count is 0"
    assert not second.sign_in_window.isVisible()


def test_without_remember_me_nothing_is_stored(qtbot, controller, account, sign_in, memory_keyring):
    sign_in(controller, account, remember=False)
    assert memory_keyring.entries == {}


def test_a_revoked_remembered_token_asks_to_sign_in_again(
    qtbot, make_controller, live_server, memory_keyring, account
):
    memory_keyring.set_password("SmartBrain", live_server, "no-longer-valid")
    controller = make_controller(live_server)
    window = controller.sign_in_window
    qtbot.waitUntil(lambda: "session has ended" in window.banner.text)
    assert window.isVisible()
    assert controller.main_window is None
    qtbot.waitUntil(lambda: memory_keyring.entries == {})


def test_try_again_once_the_server_is_back(
    qtbot, make_controller, closed_url, account, live_server
):
    controller = make_controller(closed_url)
    window = controller.sign_in_window
    qtbot.keyClicks(window.email.edit, account.email)
    qtbot.keyClicks(window.password.edit, account.password)
    qtbot.keyClick(window.password.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "cannot be reached" in window.banner.text)
    controller.sign_in_window._api.base_url = live_server  # the network came back
    with qtbot.waitSignal(window.signed_in):
        qtbot.mouseClick(window.banner.action, LEFT)
    qtbot.waitUntil(lambda: controller.main_window is not None)


def test_choosing_a_server_is_kept_in_settings(
    qtbot, make_controller, closed_url, live_server, account, settings, sign_in
):
    controller = make_controller(closed_url)
    window = controller.sign_in_window
    qtbot.mouseClick(window.change_server, LEFT)
    dialog = window.findChild(ServerDialog)
    qtbot.waitExposed(dialog)
    assert dialog.remote.isChecked()
    assert dialog.url.text == closed_url

    dialog.url.edit.clear()
    qtbot.keyClicks(dialog.url.edit, "smartbrain.example.com")
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), LEFT)
    assert dialog.url.error.text().startswith("Enter a URL starting with http://")

    dialog.url.edit.clear()
    qtbot.keyClicks(dialog.url.edit, live_server + "/")
    with qtbot.waitSignal(dialog.finished):
        qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), LEFT)
    assert settings.server_url == live_server
    assert window.server_label.text() == f"Server: {live_server}"
    sign_in(controller, account)


def test_a_keychain_that_refuses_the_token_is_reported(
    qtbot, controller, account, sign_in, monkeypatch, memory_keyring
):
    def refuse(*_args) -> None:
        raise PasswordSetError("the keychain is locked")

    monkeypatch.setattr(memory_keyring, "set_password", refuse)
    main_window = sign_in(controller, account, remember=True)
    assert main_window.statusBar().currentMessage() == KEYCHAIN_REFUSED

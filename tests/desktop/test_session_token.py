"""SessionToken through keyring's own backends: one in memory, and the fail backend."""

from __future__ import annotations

import keyring

from desktop.session_token import LOCAL_SERVER, SERVICE, SessionToken

SERVER = "https://sb.example.com"


def test_hold_keep_restore_forget(memory_keyring):
    token = SessionToken()
    token.use_server(SERVER)
    assert token.can_remember
    token.hold("t0ken")
    assert memory_keyring.entries == {}  # holding touches no keychain
    assert token.keep(remember=True)
    assert memory_keyring.entries == {(SERVICE, SERVER): "t0ken"}

    next_start = SessionToken()
    next_start.use_server(SERVER)
    assert next_start.held is None
    assert next_start.restore() == "t0ken"
    next_start.forget()
    next_start.forget()  # forgetting twice is fine
    assert next_start.held is None
    assert memory_keyring.entries == {}
    assert next_start.restore() is None


def test_without_remember_me_nothing_stays_kept(memory_keyring):
    token = SessionToken()
    token.hold("old")
    token.keep(remember=True)
    token.hold("new")
    assert token.keep(remember=False)
    assert memory_keyring.entries == {}
    assert token.held == "new"  # still signed in, only not remembered


def test_each_server_has_its_own_entry_and_this_computer_a_stable_key(memory_keyring):
    token = SessionToken()
    token.use_server(None)
    token.hold("local")
    token.keep(remember=True)
    token.use_server(SERVER)
    assert token.held is None  # a token belongs to the server that issued it
    assert token.restore() is None
    assert memory_keyring.entries == {(SERVICE, LOCAL_SERVER): "local"}


def test_a_keychain_that_refuses_is_reported(memory_keyring, monkeypatch):
    def refuse(*_args) -> None:
        raise keyring.errors.PasswordSetError("locked")

    monkeypatch.setattr(memory_keyring, "set_password", refuse)
    token = SessionToken()
    token.hold("t0ken")
    assert not token.keep(remember=True)
    assert token.held == "t0ken"


def test_no_usable_keychain_keeps_nothing(no_keychain):
    token = SessionToken()
    assert not token.can_remember
    token.hold("t0ken")
    assert token.keep(remember=True)  # nothing refused: there is nothing to keep it in
    assert token.restore() is None
    token.forget()
    assert token.held is None

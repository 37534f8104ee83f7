"""TokenStorage through keyring's own backends: one in memory, and the fail backend."""

from __future__ import annotations

import keyring
import pytest
from keyring.backends import fail

from desktop.token_storage import LOCAL_SERVER, TokenStorage, server_key


def test_save_load_delete(memory_keyring):
    storage = TokenStorage()
    assert storage.available
    assert storage.save("https://sb.example.com", "t0ken")
    assert memory_keyring.entries == {("SmartBrain", "https://sb.example.com"): "t0ken"}
    assert storage.load("https://sb.example.com") == "t0ken"
    storage.delete("https://sb.example.com")
    storage.delete("https://sb.example.com")  # deleting twice is fine
    assert storage.load("https://sb.example.com") is None


@pytest.fixture
def no_keychain():
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


def test_no_usable_keychain_stores_nothing(no_keychain):
    storage = TokenStorage()
    assert not storage.available
    assert not storage.save("https://sb.example.com", "t0ken")
    assert storage.load("https://sb.example.com") is None


def test_this_computers_server_has_a_stable_key():
    assert server_key(None) == LOCAL_SERVER
    assert server_key("https://sb.example.com") == "https://sb.example.com"

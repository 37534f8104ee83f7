"""The Linux bundle's side of the desktop app starting its backend: the bundle has no Python
to run `-m smartbrain_cli`, so the app starts the bundle's own executable with `serve`
(desktop/embedded_backend.py), and the bundle's entry point (packaging/smartbrain_bundle.py)
must route that to the backend. packaging/check_linux_bundle builds the bundle and drives it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from desktop.api_client import ApiClient
from desktop.embedded_backend import EmbeddedBackend, _child_environment, serve_command
from smartbrain_cli import _parser

ENTRY_POINT = Path(__file__).resolve().parents[1] / "packaging" / "smartbrain_bundle.py"


def test_the_bundle_starts_its_own_executable_with_serve():
    command = serve_command(frozen=True)
    assert command[0] == sys.executable
    args = _parser().parse_args(command[1:])
    assert (args.command, args.host, args.port) == ("serve", "127.0.0.1", 0)
    assert (args.workers, args.exit_with_parent) == (1, True)


def test_both_commands_ask_for_the_same_backend():
    assert serve_command(frozen=False)[:4] == [sys.executable, "-P", "-m", "smartbrain_cli"]
    assert serve_command(frozen=False)[4:] == serve_command(frozen=True)[1:]


def test_a_frozen_app_knows_itself_by_sys_frozen(monkeypatch):
    """PyInstaller sets sys.frozen; then the child gets no import path either."""
    monkeypatch.setenv("PYTHONPATH", "/elsewhere")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert serve_command() == serve_command(frozen=True)
    assert _child_environment().value("PYTHONPATH") == "/elsewhere"


@pytest.mark.slow
def test_the_bundle_entry_point_serves_the_backend(qtbot, tmp_path, monkeypatch):
    """The bundle's entry script, run by this interpreter with the frozen command's
    arguments, starts the backend (Granian's worker spawned through it) and stops with it."""
    monkeypatch.setenv("SMARTBRAIN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SMARTBRAIN_BCRYPT_ROUNDS", "4")
    backend = EmbeddedBackend([sys.executable, str(ENTRY_POINT), *serve_command(frozen=True)[1:]])
    with qtbot.waitSignal(backend.ready, timeout=60_000) as ready:
        backend.start()
    user = ApiClient(ready.args[0]).register("Dana", "dana@example.com", "correct horse battery")
    assert user["name"] == "Dana"
    with qtbot.assertNotEmitted(backend.failed):
        backend.stop()
    assert not backend.running

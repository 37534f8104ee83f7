"""EmbeddedBackend: the real `python -m smartbrain_cli serve` as a child process."""

from __future__ import annotations

import os
import sys

import pytest

from desktop.api_client import ApiClient
from desktop.app_controller import AppController
from desktop.embedded_backend import EmbeddedBackend


@pytest.mark.slow
def test_starts_answers_and_stops(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("SMARTBRAIN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SMARTBRAIN_BCRYPT_ROUNDS", "4")
    backend = EmbeddedBackend()
    with qtbot.waitSignal(backend.ready, timeout=30_000) as ready:
        backend.start()
    url = ready.args[0]
    assert url.startswith("http://127.0.0.1:")
    user = ApiClient(url).register("Dana", "dana@example.com", "correct horse battery")
    assert user["name"] == "Dana"
    with qtbot.assertNotEmitted(backend.failed):
        backend.stop()
    assert not backend.running


def test_a_backend_that_cannot_start_says_why(qtbot):
    backend = EmbeddedBackend([sys.executable, "-c", "import sys; sys.exit('no database')"])
    with qtbot.waitSignal(backend.failed, timeout=10_000) as failed:
        backend.start()
    assert failed.args[0] == "The SmartBrain server could not start: no database"


def test_the_sign_in_window_waits_for_this_computers_server(qtbot, tasks, settings):
    backend = EmbeddedBackend([sys.executable, "-c", "import time; time.sleep(0.5); exit(3)"])
    controller = AppController(ApiClient(), tasks, settings, backend, None)
    qtbot.addWidget(controller.sign_in_window)
    controller.start()
    window = controller.sign_in_window
    assert window.banner.text == "Starting SmartBrain…"
    assert not window.submit.isEnabled()
    assert window.server_label.text() == "Server: this computer"
    qtbot.waitUntil(lambda: "could not start: exit code 3" in window.banner.text, timeout=5000)
    assert window.banner.action.text() == "Try again"
    assert not window.submit.isEnabled()


def test_from_a_checkout_the_child_imports_this_copy_of_the_code():
    """Whatever the working directory, and whichever copy another install put on the path."""
    from desktop.embedded_backend import PACKAGES_ROOT, _child_environment

    environment = _child_environment()
    assert environment.value("PYTHONPATH").split(os.pathsep)[0] == str(PACKAGES_ROOT)
    assert (PACKAGES_ROOT / "smartbrain_cli" / "__main__.py").is_file()

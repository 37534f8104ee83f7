"""TaskRunner: calls run off the GUI thread; outcomes come back on it."""

from __future__ import annotations

import threading

from PySide6.QtWidgets import QWidget

from desktop.errors import SessionEndedError


def test_result_is_delivered_on_the_gui_thread(qtbot, tasks):
    owner = QWidget()
    qtbot.addWidget(owner)
    seen = {}

    def call() -> str:
        seen["call"] = threading.get_ident()
        return "done"

    def on_success(result: str) -> None:
        seen["result"] = (result, threading.get_ident())

    tasks.run(owner, call, on_success, lambda error: None)
    qtbot.waitUntil(lambda: "result" in seen)
    assert seen["call"] != threading.get_ident()
    assert seen["result"] == ("done", threading.get_ident())


def test_a_401_is_reported_once_for_the_whole_app(qtbot, tasks):
    owner = QWidget()
    qtbot.addWidget(owner)
    errors = []

    def call() -> None:
        raise SessionEndedError()

    with qtbot.waitSignal(tasks.session_ended):
        tasks.run(owner, call, lambda result: None, errors.append)
    qtbot.waitUntil(lambda: len(errors) == 1)
    assert isinstance(errors[0], SessionEndedError)


def test_nothing_is_delivered_to_a_closed_widget(qtbot, tasks):
    owner = QWidget()
    release = threading.Event()
    delivered = []
    tasks.run(owner, release.wait, delivered.append, delivered.append)
    owner.deleteLater()
    qtbot.wait(10)
    release.set()
    tasks.wait_for_done()
    qtbot.wait(50)
    assert delivered == []

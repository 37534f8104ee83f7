"""TaskRunner: calls run off the GUI thread; outcomes come back on it; one failure policy."""

from __future__ import annotations

import threading

from PySide6.QtWidgets import QWidget

from desktop.errors import InvalidInputError, SessionEndedError


def fail_with(error: Exception):
    def call() -> None:
        raise error

    return call


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


def test_a_401_is_reported_once_for_the_whole_app_and_never_to_the_caller(qtbot, tasks, messages):
    owner = QWidget()
    qtbot.addWidget(owner)
    errors = []
    with qtbot.waitSignal(tasks.session_ended):
        tasks.run(owner, fail_with(SessionEndedError()), errors.append, errors.append)
    with qtbot.waitSignal(tasks.session_ended):
        tasks.run(owner, fail_with(SessionEndedError()))  # no handler: still no message box
    tasks.wait_for_done()
    qtbot.wait(50)
    assert errors == []
    assert messages.shown == []


def test_other_failures_go_to_the_callers_handler(qtbot, tasks, messages):
    owner = QWidget()
    qtbot.addWidget(owner)
    errors = []
    with qtbot.assertNotEmitted(tasks.session_ended):
        tasks.run(owner, fail_with(InvalidInputError("Bad.")), errors.append, errors.append)
        qtbot.waitUntil(lambda: len(errors) == 1)
    assert errors[0].message == "Bad."
    assert messages.shown == []


def test_a_failure_nobody_handles_is_shown_in_plain_words(qtbot, tasks, messages):
    owner = QWidget()
    qtbot.addWidget(owner)
    done = []
    tasks.run(owner, fail_with(InvalidInputError("That name is taken.")), done.append)
    tasks.run(owner, fail_with(KeyError("id")))
    qtbot.waitUntil(lambda: len(messages.shown) == 2)
    assert sorted(messages.shown) == [
        ("SmartBrain", "Something went wrong: 'id'"),
        ("SmartBrain", "That name is taken."),
    ]
    assert done == []


def test_success_needs_no_handler(qtbot, tasks, messages):
    owner = QWidget()
    qtbot.addWidget(owner)
    ran = threading.Event()
    tasks.run(owner, ran.set)
    tasks.wait_for_done()
    qtbot.wait(50)
    assert ran.is_set()
    assert messages.shown == []


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

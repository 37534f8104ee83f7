"""The SQLite write gate queues writers across threads and processes (real flock)."""

from __future__ import annotations

import multiprocessing
import sys
import threading

import pytest

from backend.sqlite_write_gate import WriteGate

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="flock: POSIX only")


def _hold_until_told(gate: WriteGate, holding, release) -> None:
    with gate.held():
        holding.set()
        release.wait(30)


def _entered_within(gate: WriteGate, seconds: float) -> bool:
    """Whether this process gets through the gate within `seconds` (it then lets go)."""
    entered = threading.Event()

    def enter() -> None:
        with gate.held():
            entered.set()

    threading.Thread(target=enter, daemon=True).start()
    return entered.wait(seconds)


def test_a_forked_worker_waits_for_the_parent_and_the_parent_for_it(tmp_path):
    """Granian forks its workers after the app is loaded: each needs a lock of its own."""
    gate = WriteGate(tmp_path / "smartbrain.db")
    with gate.held():  # the parent opens its descriptor before the fork
        pass
    fork = multiprocessing.get_context("fork")
    holding, release = fork.Event(), fork.Event()
    child = fork.Process(target=_hold_until_told, args=(gate, holding, release))
    child.start()
    try:
        assert holding.wait(30)
        assert not _entered_within(gate, 0.5), "the parent wrote while a worker held the gate"
        release.set()
        assert _entered_within(gate, 10), "the gate stayed shut after the worker let go"
    finally:
        release.set()
        child.join(30)


def test_threads_take_turns(tmp_path):
    gate = WriteGate(tmp_path / "smartbrain.db")
    inside, most_inside = 0, 0
    count_lock = threading.Lock()

    def write() -> None:
        nonlocal inside, most_inside
        for _ in range(200):
            with gate.held():
                with count_lock:
                    inside += 1
                    most_inside = max(most_inside, inside)
                with count_lock:
                    inside -= 1

    threads = [threading.Thread(target=write) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert most_inside == 1


def test_the_gate_file_is_the_owners_only(tmp_path):
    gate = WriteGate(tmp_path / "smartbrain.db")
    with gate.held():
        pass
    assert (tmp_path / "smartbrain.db-writers").stat().st_mode & 0o077 == 0

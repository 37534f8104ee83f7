"""One SQLite writer at a time, queued by the operating system rather than by SQLite's sleeps.

SQLite lets one connection write at a time. A connection that finds the write lock taken
calls its busy handler, which sleeps 1, 2, 5, 10 ... up to 100 ms between tries, whether the
writer it waits for needs 50 µs more or not. Under 16 clients `PUT /image` on two workers
slept 2.3 times per write, 3.6 ms each, and its p99 reached 100–240 ms (bench/README.md).

A gate in front of the hot path's writes queues them instead: a thread lock among the
process's request threads, and an exclusive `flock` on a file beside the database among the
processes, which the kernel hands to the next waiter the moment it is let go. Both waits
release the GIL. On Windows, which has no flock, the gate is the thread lock alone: processes
there still meet in SQLite's busy handler. SQLite's own locking stays as it is: the gate only
spares its sleeps.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from weakref import WeakKeyDictionary

from sqlalchemy.engine import Engine

from backend.private_files import private_file

if sys.platform != "win32":
    import fcntl

GATE_SUFFIX = "-writers"


class WriteGate:
    """Held around a write to one SQLite database file; see the module's docstring."""

    def __init__(self, database: Path) -> None:
        self._path = database.with_name(database.name + GATE_SUFFIX)
        self._thread_lock = threading.Lock()
        # Opened in each process on first use: a descriptor inherited across a fork would
        # share its lock with the parent's.
        self._file_by_process: tuple[int, int] | None = None

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._thread_lock:
            if sys.platform == "win32":
                yield
                return
            descriptor = self._descriptor()
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(descriptor, fcntl.LOCK_UN)

    def _descriptor(self) -> int:
        """This process's descriptor of the gate's file (called with the thread lock held)."""
        pid = os.getpid()
        if self._file_by_process is None or self._file_by_process[0] != pid:
            private_file(self._path)
            self._file_by_process = (pid, os.open(self._path, os.O_RDWR | os.O_CLOEXEC))
        return self._file_by_process[1]


_gates: WeakKeyDictionary[Engine, WriteGate] = WeakKeyDictionary()


def add_write_gate(engine: Engine, database: Path) -> None:
    """Give `engine`, on the SQLite file `database`, the gate its hot-path writes go through."""
    _gates[engine] = WriteGate(database)


def write_gate(engine: Engine) -> WriteGate | None:
    """The engine's gate; None where writes need none (PostgreSQL, in-memory SQLite)."""
    return _gates.get(engine)

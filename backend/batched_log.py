"""A log handler that writes its records in batches, for the access log.

logging.StreamHandler writes and flushes every record: one system call per request, and with
it a hand-off of the GIL between the request threads (about a tenth of an authenticated
GET /profile's throughput; bench/README.md). This handler keeps the lines and writes them
together every FLUSH_SECONDS, when they reach MAX_PENDING_CHARACTERS, and when logging shuts
down (at exit, SIGTERM included), so a line reaches the log at most that late.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from typing import TextIO

FLUSH_SECONDS = 0.5
MAX_PENDING_CHARACTERS = 64 * 1024


class BatchedStreamHandler(logging.StreamHandler):
    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__(stream)
        self._pending: list[str] = []
        self._pending_characters = 0
        threading.Thread(
            target=_flush_while_alive, args=(weakref.ref(self),), name="log-flush", daemon=True
        ).start()

    def emit(self, record: logging.LogRecord) -> None:  # called with the handler's lock held
        try:
            line = self.format(record) + self.terminator
        except Exception:
            self.handleError(record)
            return
        self._pending.append(line)
        self._pending_characters += len(line)
        if self._pending_characters >= MAX_PENDING_CHARACTERS:
            self.flush()

    def flush(self) -> None:
        self.acquire()
        try:
            if self._pending:
                lines, self._pending, self._pending_characters = self._pending, [], 0
                self.stream.write("".join(lines))
            super().flush()
        finally:
            self.release()


def _flush_while_alive(reference: weakref.ref[BatchedStreamHandler]) -> None:
    while True:
        time.sleep(FLUSH_SECONDS)
        handler = reference()
        if handler is None:
            return
        handler.flush()
        del handler

"""A deadline for a request's body: 408 once it has not arrived within BODY_READ_SECONDS.

Granian closes connections that are slow to send their headers, but has no timeout for the
body (emmett-framework/granian#728), and reading a WSGI body blocks its thread until the bytes
arrive: a few clients that send their bodies slowly would hold all the request threads.

Granian's `read(n)` waits for all n bytes, and a pending read keeps the connection open. So
the body is read stepwise: one byte after a read that had to wait, twice as many after one
that did not, and no further read once the deadline has passed. A dripping client's read then
ends with its next few bytes after the deadline, the request answers 408, and the answer
closes the connection.

Who reads: the request's own thread, while fewer than DIRECT_READS threads of the process are
reading (a body is nearly always there already, and a hand-over to another thread costs a
`PUT /image` about a seventh of its CPU, bench/README.md); past that, a reader thread, which
the request's thread waits for only until the deadline. A client that sends nothing more at all
keeps its connection until it disconnects, and the thread reading for it: one of the
DIRECT_READS request threads, or a parked reader thread; either way no other request waits.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from functools import partial
from typing import Any

from backend.errors import ApiError

BODY_READ_SECONDS = 10
# Request threads per process that may read their own bodies at the same time (see above).
DIRECT_READS = 4
_LARGEST_READ = 64 * 1024
_QUICK_SECONDS = 0.01  # a read this fast found its bytes already there

# A read, and whether it got all it was asked for before the deadline.
Read = Callable[[], tuple[bytes, bool]]
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class _Readers:
    """Daemon threads that run blocking reads: as many as were ever busy at once, reused.

    Daemon threads, because a read whose client went silent may never end, and must not keep
    a stopping worker waiting.
    """

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[tuple[Future[tuple[bytes, bool]], Read]] = queue.SimpleQueue()
        self._idle = 0
        self._lock = threading.Lock()

    def submit(self, read: Read) -> Future[tuple[bytes, bool]]:
        future: Future[tuple[bytes, bool]] = Future()
        with self._lock:
            if self._idle:
                self._idle -= 1
            else:
                threading.Thread(target=self._work, name="body-reader", daemon=True).start()
        self._jobs.put((future, read))
        return future

    def _work(self) -> None:
        while True:
            future, read = self._jobs.get()
            try:
                future.set_result(read())
            except BaseException as error:  # handed to the waiting request thread
                future.set_exception(error)
            with self._lock:
                self._idle += 1


_readers = _Readers()


def _read_stepwise(stream: Any, size: int, deadline: float) -> tuple[bytes, bool]:
    """Up to `size` bytes of `stream` (to its end if `size` < 0), and whether that is all of
    them: False when the deadline passed first."""
    parts: list[bytes] = []
    wanted = size if size >= 0 else float("inf")
    got, step = 0, 1
    while got < wanted:
        started = time.monotonic()
        if started >= deadline:
            return b"".join(parts), False
        asked = int(min(step, wanted - got))
        chunk = stream.read(asked)
        parts.append(chunk)
        got += len(chunk)
        if len(chunk) < asked:  # the end of the body
            break
        quick = time.monotonic() - started < _QUICK_SECONDS
        step = min(step * 2, _LARGEST_READ) if quick else 1
    return b"".join(parts), True


class DeadlineInput:
    """A `wsgi.input` whose reads raise ApiError(408) from `seconds` after it was made.

    `direct_reads`: the process's slots for reading on the request's own thread.
    """

    def __init__(self, stream: Any, seconds: float, direct_reads: threading.Semaphore) -> None:
        self._stream = stream
        self._seconds = seconds
        self._deadline = time.monotonic() + seconds
        self._direct_reads = direct_reads
        self._late = False

    def read(self, size: int | None = -1) -> bytes:
        size = -1 if size is None else size
        return self._wait(partial(_read_stepwise, self._stream, size, self._deadline))

    def readline(self, size: int | None = -1) -> bytes:
        # A line may wait for its end however long: always on a reader thread.
        return self._wait(partial(_whole, self._stream.readline, size), direct=False)

    def readlines(self, _hint: int | None = -1) -> list[bytes]:
        return list(self)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")

    def _wait(self, read: Read, direct: bool = True) -> bytes:
        remaining = self._deadline - time.monotonic()
        if self._late or remaining <= 0:
            raise self._timeout()
        if direct and self._direct_reads.acquire(blocking=False):
            try:
                data, whole = read()
            finally:
                self._direct_reads.release()
        else:
            try:
                data, whole = _readers.submit(read).result(timeout=remaining)
            except TimeoutError:
                whole = False
        if not whole:
            self._late = True
            raise self._timeout()
        return data

    def _timeout(self) -> ApiError:
        return ApiError(
            408,
            "request_timeout",
            f"The request's body did not arrive within {self._seconds:g} seconds.",
        )


def _whole(read: Callable[[int | None], bytes], size: int | None) -> tuple[bytes, bool]:
    return read(size), True


def with_body_deadline(
    app: WSGIApp, seconds: float = BODY_READ_SECONDS, direct_reads: int = DIRECT_READS
) -> WSGIApp:
    """`app` whose request bodies must arrive within `seconds` of the request reaching it; a
    408 answer also closes the connection (its body was not read to the end)."""
    slots = threading.BoundedSemaphore(direct_reads) if direct_reads else threading.Semaphore(0)

    def app_with_deadline(environ: dict[str, Any], start_response: Callable[..., Any]):
        environ["wsgi.input"] = DeadlineInput(environ["wsgi.input"], seconds, slots)
        return app(environ, partial(_closing_after_timeout, start_response))

    return app_with_deadline


def _closing_after_timeout(
    start_response: Callable[..., Any], status: str, headers: list, exc_info: Any = None
) -> Any:
    if status.startswith("408"):
        headers = [*headers, ("Connection", "close")]
    return start_response(status, headers, exc_info)

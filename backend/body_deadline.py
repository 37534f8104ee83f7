"""A deadline for a request's body: 408 once it has not arrived within BODY_READ_SECONDS.

Granian closes connections that are slow to send their headers, but has no timeout for the
body (emmett-framework/granian#728), and reading a WSGI body blocks its thread until the bytes
arrive: a few clients that send their bodies slowly would hold all the request threads. So
each read of the body runs on a reader thread, and the request's thread waits for it only
until the deadline; then the read raises ApiError(408) and the answer closes the connection.

Granian's `read(n)` waits for all n bytes, and a pending read keeps the connection open. So a
reader asks for one byte after a read that had to wait, and for twice as many after one that
did not: the read still pending at the deadline ends with the client's next few bytes, and
the connection is closed then. A client that sends nothing more at all keeps its connection,
and one parked reader thread, until it disconnects; no request thread waits for it.
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
_LARGEST_READ = 64 * 1024
_QUICK_SECONDS = 0.01  # a read this fast found its bytes already there

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class _Readers:
    """Daemon threads that run blocking reads: as many as were ever busy at once, reused.

    Daemon threads, because a read whose client went silent may never end, and must not keep
    a stopping worker waiting.
    """

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[tuple[Future[bytes], Callable[[], bytes]]] = (
            queue.SimpleQueue()
        )
        self._idle = 0
        self._lock = threading.Lock()

    def submit(self, read: Callable[[], bytes]) -> Future[bytes]:
        future: Future[bytes] = Future()
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


def _read_stepwise(stream: Any, size: int, late: threading.Event) -> bytes:
    """Up to `size` bytes of `stream` (to its end if `size` < 0), fewer once `late` is set."""
    parts: list[bytes] = []
    wanted = size if size >= 0 else float("inf")
    got, step = 0, 1
    while got < wanted and not late.is_set():
        asked = int(min(step, wanted - got))
        started = time.monotonic()
        chunk = stream.read(asked)
        parts.append(chunk)
        got += len(chunk)
        if len(chunk) < asked:  # the end of the body
            break
        quick = time.monotonic() - started < _QUICK_SECONDS
        step = min(step * 2, _LARGEST_READ) if quick else 1
    return b"".join(parts)


class DeadlineInput:
    """A `wsgi.input` whose reads raise ApiError(408) from `seconds` after it was made."""

    def __init__(self, stream: Any, seconds: float) -> None:
        self._stream = stream
        self._seconds = seconds
        self._deadline = time.monotonic() + seconds
        self._late = threading.Event()

    def read(self, size: int | None = -1) -> bytes:
        size = -1 if size is None else size
        return self._wait(partial(_read_stepwise, self._stream, size, self._late))

    def readline(self, size: int | None = -1) -> bytes:
        return self._wait(partial(self._stream.readline, size))

    def readlines(self, _hint: int | None = -1) -> list[bytes]:
        return list(self)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")

    def _wait(self, read: Callable[[], bytes]) -> bytes:
        remaining = self._deadline - time.monotonic()
        if self._late.is_set() or remaining <= 0:
            raise self._timeout()
        try:
            return _readers.submit(read).result(timeout=remaining)
        except TimeoutError:
            self._late.set()
            raise self._timeout() from None

    def _timeout(self) -> ApiError:
        return ApiError(
            408,
            "request_timeout",
            f"The request's body did not arrive within {self._seconds:g} seconds.",
        )


def with_body_deadline(app: WSGIApp, seconds: float = BODY_READ_SECONDS) -> WSGIApp:
    """`app` whose request bodies must arrive within `seconds` of the request reaching it; a
    408 answer also closes the connection (its body was not read to the end)."""

    def app_with_deadline(environ: dict[str, Any], start_response: Callable[..., Any]):
        environ["wsgi.input"] = DeadlineInput(environ["wsgi.input"], seconds)
        return app(environ, partial(_closing_after_timeout, start_response))

    return app_with_deadline


def _closing_after_timeout(
    start_response: Callable[..., Any], status: str, headers: list, exc_info: Any = None
) -> Any:
    if status.startswith("408"):
        headers = [*headers, ("Connection", "close")]
    return start_response(status, headers, exc_info)

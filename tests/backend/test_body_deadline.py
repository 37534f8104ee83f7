"""The body deadline: reads that wait past it answer 408 in the API's error shape, whether the
request's own thread reads (while a slot is free) or a reader thread does."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Iterator

import pytest
from werkzeug.test import EnvironBuilder

from backend.body_deadline import DIRECT_READS, DeadlineInput, with_body_deadline
from backend.errors import ApiError


class Recording(io.BytesIO):
    """A body that is all there at once, noting the size of each read and its thread."""

    def __init__(self, data: bytes, slow_after: int | None = None) -> None:
        super().__init__(data)
        self.asked: list[int] = []
        self.threads: set[int] = set()
        self.slow_after = slow_after

    def read(self, size: int | None = -1) -> bytes:
        self.asked.append(-1 if size is None else size)
        self.threads.add(threading.get_ident())
        if self.slow_after is not None and len(self.asked) == self.slow_after:
            time.sleep(0.05)  # this read had to wait for the client
        return super().read(size)


class Stalled:
    """A body whose client sent nothing: each read waits until the test ends."""

    def __init__(self) -> None:
        self.released = threading.Event()

    def read(self, _size: int = -1) -> bytes:
        self.released.wait(30)
        return b""


class Dripping:
    """A body whose client sends one byte every `interval` seconds."""

    def __init__(self, interval: float) -> None:
        self.interval = interval

    def read(self, size: int = -1) -> bytes:
        time.sleep(self.interval * size)
        return b"a" * size


def slots(free: int = DIRECT_READS) -> threading.Semaphore:
    return threading.Semaphore(free)


@pytest.fixture
def stalled() -> Iterator[Stalled]:
    body = Stalled()
    yield body
    body.released.set()  # let the parked reader thread go


def test_a_body_that_is_there_is_read_whole():
    data = bytes(range(256)) * 1000
    body = DeadlineInput(io.BytesIO(data), seconds=5, direct_reads=slots())
    assert body.read(1000) == data[:1000]
    assert body.read() == data[1000:]
    assert body.read(10) == b""


def test_reads_double_while_the_bytes_are_there_and_start_again_at_one_after_a_wait():
    body = Recording(b"x" * 200, slow_after=4)
    assert DeadlineInput(body, seconds=5, direct_reads=slots()).read(200) == b"x" * 200
    # 1, 2, 4, then 8 had to wait: 1, 2, 4, ... again until the 200 bytes are in
    assert body.asked == [1, 2, 4, 8, 1, 2, 4, 8, 16, 32, 64, 58]


def test_a_body_is_read_on_the_requests_own_thread_while_a_slot_is_free():
    free, body = slots(1), Recording(b"x" * 20)
    assert DeadlineInput(body, seconds=5, direct_reads=free).read(20) == b"x" * 20
    assert body.threads == {threading.get_ident()}
    assert free.acquire(blocking=False), "the slot was not given back"
    taken, body = slots(0), Recording(b"x" * 20)
    assert DeadlineInput(body, seconds=5, direct_reads=taken).read(20) == b"x" * 20
    assert threading.get_ident() not in body.threads  # every slot taken: a reader thread


@pytest.mark.parametrize("free", [1, 0], ids=["own thread", "reader thread"])
def test_a_dripping_body_stops_being_read_at_the_deadline_and_answers_408(free):
    body = DeadlineInput(Dripping(interval=0.05), seconds=0.3, direct_reads=slots(free))
    started = time.monotonic()
    with pytest.raises(ApiError) as raised:
        body.read(1000)
    assert 0.3 <= time.monotonic() - started < 1
    assert (raised.value.status, raised.value.code) == (408, "request_timeout")


def test_a_read_past_the_deadline_raises_408(stalled):
    """A client that sent nothing, once every slot is taken (by clients like it)."""
    body = DeadlineInput(stalled, seconds=0.2, direct_reads=slots(0))
    started = time.monotonic()
    with pytest.raises(ApiError) as raised:
        body.read(10)
    assert 0.2 <= time.monotonic() - started < 2
    assert (raised.value.status, raised.value.code) == (408, "request_timeout")
    with pytest.raises(ApiError):  # no second wait once late
        body.read(10)


def test_the_app_answers_a_late_body_408_in_its_error_shape_and_closes(app, stalled):
    environ = EnvironBuilder(
        method="POST", path="/signin", json={"email": "dana@example.com", "password": "x" * 12}
    ).get_environ()
    environ["wsgi.input"] = stalled
    answered: dict = {}

    def start_response(status, headers, exc_info=None):
        answered.update(status=status, headers=dict(headers))

    chunks = with_body_deadline(app, seconds=0.2, direct_reads=0)(environ, start_response)
    body = json.loads(b"".join(chunks))
    assert answered["status"].startswith("408")
    assert answered["headers"]["Connection"] == "close"
    assert body["error"]["code"] == "request_timeout"
    assert body["error"]["message"] == "The request's body did not arrive within 0.2 seconds."

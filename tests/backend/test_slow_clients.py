"""Slow clients against the real `main.py serve`: 300 connections that send their headers or
their body one byte per second neither starve another client nor stay open past the timeouts
(HEADER_READ_TIMEOUT_SECONDS, BODY_READ_SECONDS)."""

from __future__ import annotations

import http.client
import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from backend.body_deadline import BODY_READ_SECONDS
from backend.granian_server import HEADER_READ_TIMEOUT_SECONDS
from tests.backend.serve_process import ServeProcess, kill_leftover_valkey, serve_environment

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="300 sockets in one select loop"),
]

EACH = 150  # connections dripping headers, and as many dripping a body
HEAD = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + b"a" * 60 + b"\r\n\r\n"
BODY_HEAD = (
    b"POST /register HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    b"Content-Length: 100\r\n\r\n"
)
GRACE = 3  # seconds past the header timeout for the close to arrive
# Past the body deadline: the read then pending waits for a byte or two, and the deadline runs
# from when a request thread took the request, which on a busy machine can be seconds after
# the 150 bodies' connections opened (Granian starts request threads as they are needed).
BODY_GRACE = 10


@dataclass
class Dripper:
    """One connection that sends `drip` one byte per second."""

    drip: bytes
    sock: socket.socket
    opened: float = field(default_factory=time.monotonic)
    answer: bytes = b""
    closed: float | None = None
    sent: int = 0
    last_sent: float = 0.0

    def tick(self) -> None:
        """Read what came back (noting a close), else send the next byte if a second passed."""
        try:
            while chunk := self.sock.recv(4096):
                self.answer += chunk
            self._close()  # recv returned b"": the server closed the connection
            return
        except BlockingIOError:
            pass
        except OSError:
            self._close()
            return
        if time.monotonic() - self.last_sent < 1.0:
            return
        try:
            self.sock.send(self.drip[self.sent : self.sent + 1] or b"a")
            self.sent += 1
            self.last_sent = time.monotonic()
        except BlockingIOError:
            pass
        except OSError:
            self._close()

    def _close(self) -> None:
        self.closed = time.monotonic()
        self.sock.close()


def _open(port: int, head: bytes, drip: bytes) -> Dripper:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(head)
    sock.setblocking(False)
    return Dripper(drip, sock)


@pytest.fixture
def server(tmp_path) -> Iterator[ServeProcess]:
    data_dir = tmp_path / "data"
    # no rate limit may answer the dripped sign-ups before their bodies are read
    env = serve_environment(data_dir, SMARTBRAIN_RATE_LIMITS="off")
    process = ServeProcess(env, tmp_path / "serve.log")
    process.wait_ready()
    yield process
    process.close()
    kill_leftover_valkey(data_dir)


def _health_latencies(port: int, seconds: float) -> list[float]:
    """Seconds per `GET /health` on one keep-alive connection, one every 10 ms."""
    latencies = []
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        started = time.monotonic()
        connection.request("GET", "/health")
        response = connection.getresponse()
        response.read()
        assert response.status == 200
        latencies.append(time.monotonic() - started)
        time.sleep(0.01)
    connection.close()
    return latencies


def test_slow_clients_neither_starve_the_others_nor_stay_open(server):
    port = int(server.url.rsplit(":", 1)[1])
    headers = [_open(port, b"", HEAD) for _ in range(EACH)]
    bodies = [_open(port, BODY_HEAD, b"{" + b"a" * 99) for _ in range(EACH)]
    drippers = headers + bodies
    stop = threading.Event()

    def drip() -> None:
        while not stop.wait(0.1):  # closes are noted within 0.1 s
            for dripper in drippers:
                if dripper.closed is None:
                    dripper.tick()

    dripping = threading.Thread(target=drip, daemon=True)
    dripping.start()
    try:
        latencies = _health_latencies(port, BODY_READ_SECONDS + GRACE)
        deadline = time.monotonic() + BODY_GRACE
        while any(d.closed is None for d in drippers) and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        stop.set()
        dripping.join(5)
        for dripper in drippers:
            if dripper.closed is None:
                dripper.sock.close()

    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99)]
    assert p99 < 0.1, f"GET /health p99 {p99 * 1000:.0f} ms among slow clients"

    for dripper in headers:
        assert dripper.closed is not None, "a connection dripping its headers is still open"
        lasted = dripper.closed - dripper.opened
        assert HEADER_READ_TIMEOUT_SECONDS - 1 <= lasted <= HEADER_READ_TIMEOUT_SECONDS + GRACE
        assert dripper.answer == b""  # closed without an answer: there was no request yet
    for dripper in bodies:
        assert dripper.closed is not None, "a connection dripping its body is still open"
        # Granian sends the answer, and closes, when the read pending at the deadline ends:
        # with the client's next byte or two (backend/body_deadline.py)
        assert dripper.closed - dripper.opened <= BODY_READ_SECONDS + BODY_GRACE
        assert dripper.answer.startswith(b"HTTP/1.1 408 "), dripper.answer[:80]
        assert b'"code":"request_timeout"' in dripper.answer

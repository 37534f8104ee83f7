"""Slow clients against smartbrain-server: does another client still get answers?

Opens --connections sockets, half sending a request head one byte per second, half a
request body one byte per second, while one more client sends `GET /health` every 10 ms for
--seconds. Prints that client's p50/p99, how many of its requests failed, and how many of the
slow connections the server had closed (and after how long) by the end. Set
SMARTBRAIN_BENCH_SERVER=gunicorn to run the same against gunicorn (see harness.py).

    .venv/bin/python bench/slow_clients.py [--connections 300] [--seconds 15]
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import threading
import time

from harness import backend, load_average, percentile

HEAD = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + b"a" * 60 + b"\r\n\r\n"
BODY_HEAD = (
    b"POST /register HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    b"Content-Length: 100\r\n\r\n"
)


class Slow:
    """One connection that sends `drip` one byte per second; notes when the server closes it."""

    def __init__(self, port: int, head: bytes, drip: bytes) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.sendall(head)
        self.sock.setblocking(False)
        self.drip, self.sent, self.opened = drip, 0, time.monotonic()
        self.closed_after: float | None = None

    def tick(self) -> None:
        try:
            if not self.sock.recv(4096):
                self._closed()
                return
        except BlockingIOError:
            pass
        except OSError:
            self._closed()
            return
        try:
            self.sock.send(self.drip[self.sent : self.sent + 1] or b"a")
            self.sent += 1
        except BlockingIOError:
            pass
        except OSError:
            self._closed()

    def _closed(self) -> None:
        self.closed_after = time.monotonic() - self.opened
        self.sock.close()


def health_latencies(port: int, seconds: float) -> tuple[list[float], int]:
    """Milliseconds per `GET /health`, one every 10 ms, and how many failed."""
    latencies, failures = [], 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        started = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            connection.request("GET", "/health")
            failures += connection.getresponse().status != 200
        except OSError:
            failures += 1
        finally:
            connection.close()
        latencies.append((time.monotonic() - started) * 1000)
        time.sleep(0.01)
    return latencies, failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=15)
    args = parser.parse_args()
    server_name = os.environ.get("SMARTBRAIN_BENCH_SERVER", "smartbrain-server")
    print(f"load average before: {load_average()}; server: {server_name}")
    with backend(None, None, bcrypt_rounds=4) as servers:
        port = int(servers[0].base.rsplit(":", 1)[1])
        half = args.connections // 2
        slow = [Slow(port, b"", HEAD) for _ in range(half)]
        slow += [Slow(port, BODY_HEAD, b"{" + b"a" * 99) for _ in range(args.connections - half)]
        stop = threading.Event()

        def drip() -> None:
            while not stop.wait(1.0):
                for connection in slow:
                    if connection.closed_after is None:
                        connection.tick()

        dripping = threading.Thread(target=drip, daemon=True)
        dripping.start()
        latencies, failures = health_latencies(port, args.seconds)
        stop.set()
        dripping.join(5)
        closed = [c.closed_after for c in slow if c.closed_after is not None]
        for connection in slow:
            if connection.closed_after is None:
                connection.sock.close()
    print(
        f"GET /health among {args.connections} slow connections: p50 "
        f"{percentile(latencies, 50):.1f} ms, p99 {percentile(latencies, 99):.1f} ms, "
        f"{failures} failed of {len(latencies)}"
    )
    if closed:
        print(
            f"slow connections closed by the server within {args.seconds:.0f} s: "
            f"{len(closed)} of {len(slow)}, after {min(closed):.1f}–{max(closed):.1f} s"
        )
    else:
        print(f"slow connections closed by the server within {args.seconds:.0f} s: none")
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()

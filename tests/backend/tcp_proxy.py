"""A tiny TCP forwarder on loopback, for taking a real server "down" and bringing it back.

`TcpProxy(upstream)` listens on 127.0.0.1 and pipes every connection to `upstream` (a
(host, port) pair or a unix socket path), counting what clients send (`client_sends`: each
request a client writes arrives as one chunk, so this counts round trips). `stop()` closes
the listening socket and resets every live connection, so clients see the server vanish at
once; `start(port)` listens again on the same port, so clients holding the old address see
it come back.
"""

from __future__ import annotations

import selectors
import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import pytest
from flask import Flask
from redis.connection import parse_url

Address = tuple[str, int] | str


def _connect(upstream: Address) -> socket.socket:
    if isinstance(upstream, str):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    else:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.settimeout(5)
        sock.connect(upstream)
        sock.settimeout(None)
    except OSError:
        sock.close()
        raise
    return sock


def _reset(sock: socket.socket) -> None:
    """Close so the peer gets a connection reset, not an orderly end of stream."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


class TcpProxy:
    """Forward 127.0.0.1:<port> to `upstream`; one background thread while running."""

    def __init__(self, upstream: Address) -> None:
        self._upstream = upstream
        self._port = 0
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None
        self.client_sends = 0

    @property
    def port(self) -> int:
        return self._port

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self, port: int = 0) -> int:
        """Listen on 127.0.0.1:`port` (0 picks one; reuse the old one to come back)."""
        if self._thread is not None:
            raise RuntimeError("the proxy is already running")
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", port))
            listener.listen(64)
        except OSError:
            listener.close()
            raise
        self._port = listener.getsockname()[1]
        self._wake_r, self._wake_w = socket.socketpair()
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._run, args=(listener, self._wake_r), name="tcp-proxy", daemon=True
        )
        self._thread.start()
        return self._port

    def stop(self) -> None:
        """Stop listening and reset every live connection; returns once all are closed."""
        if self._thread is None:
            return
        assert self._wake_r is not None and self._wake_w is not None
        self._stopping.set()
        self._wake_w.send(b"x")  # the loop may have seen the flag already; the byte is harmless
        self._thread.join(10)
        if self._thread.is_alive():
            raise RuntimeError("the proxy did not stop")
        self._thread = None
        # the wake-up pair is closed only here, after the loop has ended
        self._wake_r.close()
        self._wake_w.close()
        self._wake_r = self._wake_w = None

    def close(self) -> None:
        self.stop()

    def __enter__(self) -> TcpProxy:
        if self._thread is None:
            self.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()

    def _run(self, listener: socket.socket, wake: socket.socket) -> None:
        selector = selectors.DefaultSelector()
        selector.register(listener, selectors.EVENT_READ, "accept")
        selector.register(wake, selectors.EVENT_READ, "wake")
        # each side maps to (its peer, whether it is the client's side)
        peers: dict[socket.socket, tuple[socket.socket, bool]] = {}

        def drop(sock: socket.socket) -> None:
            peer, _ = peers.pop(sock)
            peers.pop(peer, None)
            for side in (sock, peer):
                try:
                    selector.unregister(side)
                except (KeyError, ValueError):
                    pass
                _reset(side)

        try:
            while not self._stopping.is_set():
                for key, _events in selector.select():
                    if key.data == "wake":
                        break
                    if key.data == "accept":
                        client, _ = listener.accept()
                        try:
                            server = _connect(self._upstream)
                        except OSError:
                            _reset(client)
                            continue
                        peers[client] = (server, True)
                        peers[server] = (client, False)
                        selector.register(client, selectors.EVENT_READ, "pipe")
                        selector.register(server, selectors.EVENT_READ, "pipe")
                        continue
                    sock = key.fileobj
                    assert isinstance(sock, socket.socket)
                    if sock not in peers:
                        continue  # dropped earlier in this round
                    try:
                        data = sock.recv(65536)
                        if data:
                            peer, from_client = peers[sock]
                            self.client_sends += from_client
                            peer.sendall(data)
                    except OSError:
                        data = b""
                    if not data:
                        drop(sock)
        finally:
            for sock in list(peers):
                if sock in peers:
                    drop(sock)
            selector.close()
            listener.close()


def redis_upstream(redis_url: str) -> tuple[Address, str]:
    """Where the test Redis listens, and a redis:// URL template (`{port}`) for the proxy,
    keeping the user, password and db of `redis_url`."""
    if not redis_url.startswith(("redis://", "unix://")):
        pytest.skip("the forwarder stands in for one plain Redis (not TLS, sentinel or cluster)")
    parts = parse_url(redis_url)
    upstream: Address = parts.get("path") or (
        parts.get("host", "127.0.0.1"),
        parts.get("port", 6379),
    )
    credentials = ""
    if parts.get("username") or parts.get("password"):
        credentials = (
            f"{quote(parts.get('username') or '', safe='')}"
            f":{quote(parts.get('password') or '', safe='')}@"
        )
    return upstream, f"redis://{credentials}127.0.0.1:{{port}}/{parts.get('db', 0)}"


@contextmanager
def app_behind_redis_proxy(database_url: str, redis_url: str) -> Iterator[tuple[TcpProxy, Flask]]:
    """A migrated app whose Redis traffic goes through a TcpProxy, to count or cut it."""
    from backend.migrate import upgrade
    from tests.conftest import app_on

    upstream, url_template = redis_upstream(redis_url)
    upgrade(database_url)
    with (
        TcpProxy(upstream) as proxy,
        app_on(database_url, url_template.format(port=proxy.port)) as app,
    ):
        yield proxy, app

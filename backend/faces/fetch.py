"""Downloading a picture from a link the user gave, without letting the link reach inside.

Each hop (the link, then every redirect, at most MAX_REDIRECTS) is parsed, its host resolved,
and every address checked by the address policy before anything is sent. The connection then
goes to the address that was checked, never to the name, so a second DNS answer cannot swap in
another machine (DNS rebinding); the Host header, TLS SNI and the certificate check still use
the name. The body is read in chunks and abandoned as soon as it passes the size cap.

One deadline bounds the whole fetch, redirects included: every blocking step (connecting, the
TLS handshake, sending, each read of the headers and of the body) may wait only for the time
left, so a server that drips bytes or stalls cannot stretch it. Name resolution is the one
step outside it: the standard library's resolver takes no timeout (resolving an IP literal
or a name from the hosts file is immediate; a slow DNS server can add its own delay).
"""

from __future__ import annotations

import http.client
import io
import ipaddress
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import urllib3
import urllib3.connection
from urllib3.exceptions import HTTPError, NewConnectionError, SSLError
from urllib3.exceptions import TimeoutError as Urllib3Timeout

from backend.faces.addresses import (
    AddressPolicy,
    IPAddress,
    any_address,
    is_public_address,
    resolve,
)
from backend.faces.errors import (
    ImageError,
    ImageTooLarge,
    RemoteTimeout,
    RemoteUnavailable,
    UrlRefused,
)

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_TIMEOUT = 10.0
MAX_REDIRECTS = 5

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_CHUNK_BYTES = 64 * 1024
_HEADERS = {
    "Accept": "image/*",
    # Compressed bodies would be inflated past the size cap before we could count them.
    "Accept-Encoding": "identity",
    "User-Agent": "SmartBrain/1.0",
}
# Characters left as they are when a path or query is percent-encoded for the request line.
_URL_SAFE = "/?&=%:@!$'()*+,;-._~"

_UNREADABLE_LINK = "That link could not be understood."
_NOT_HTTP = "Only http and https links can be used."
_PRIVATE = "That link points to a private or local address, which SmartBrain may not visit."
_NOT_FOUND = "That site could not be found."
_NO_CONNECTION = "Could not connect to that site."
_BAD_TLS = "That site's secure connection could not be verified."
_BROKEN_ANSWER = "That site did not send a complete answer."
_TOO_SLOW = "That site took too long to answer."
_TOO_MANY_REDIRECTS = "That link redirects too many times."


def fetch_image(
    url: str,
    *,
    allow_private: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
    timeout: float = DEFAULT_TIMEOUT,
    address_policy: AddressPolicy | None = None,
) -> bytes:
    """The body of an http(s) link, after redirects.

    allow_private lifts the address rule (for a server that only fetches from its own
    network); address_policy, when given, replaces the rule altogether. timeout bounds the
    whole download, redirects included. Raises UrlRefused (400), ImageTooLarge (413),
    RemoteUnavailable (502) or RemoteTimeout (504).
    """
    policy = address_policy or (any_address if allow_private else is_public_address)
    deadline = _Deadline(timeout)
    for _ in range(MAX_REDIRECTS + 1):
        if deadline.passed:
            raise RemoteTimeout(_TOO_SLOW)
        target = _Target.parse(url)
        addresses = _allowed_addresses(target, policy)
        with _get(target, addresses, deadline) as response:
            location = response.headers.get("Location")
            if response.status in _REDIRECT_STATUSES and location:
                url = urljoin(url, location)
                continue
            if response.status != 200:
                raise RemoteUnavailable(
                    f"That site answered with an error (HTTP {response.status})."
                )
            return _read_capped(response, max_bytes)
    raise RemoteUnavailable(_TOO_MANY_REDIRECTS)


class _Deadline:
    """The moment the whole fetch must be over."""

    def __init__(self, seconds: float) -> None:
        self._end = time.monotonic() + seconds

    @property
    def passed(self) -> bool:
        return time.monotonic() >= self._end

    @property
    def seconds(self) -> float:
        """The seconds left, at least a millisecond (for a first bound; see left())."""
        return max(self._end - time.monotonic(), 0.001)

    def left(self) -> float:
        """The seconds left, for the next blocking step; TimeoutError once none are.

        Raised inside urllib3, the timeout comes back out as one of its timeout errors.
        """
        seconds = self._end - time.monotonic()
        if seconds <= 0:
            raise TimeoutError("the fetch's deadline has passed")
        return seconds


@dataclass(frozen=True)
class _Target:
    """One hop's request: where to connect and what to ask for."""

    scheme: str
    host: str  # ASCII, without IPv6 brackets
    port: int
    path: str  # path and query, percent-encoded

    @classmethod
    def parse(cls, url: str) -> _Target:
        try:
            parts = urlsplit(url.strip())
            port = parts.port
            host = parts.hostname
        except ValueError as error:
            raise UrlRefused(_UNREADABLE_LINK) from error
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS:
            raise UrlRefused(_NOT_HTTP)
        if not host:
            raise UrlRefused(_UNREADABLE_LINK)
        path = quote(parts.path or "/", safe=_URL_SAFE)
        if parts.query:
            path += "?" + quote(parts.query, safe=_URL_SAFE)
        return cls(scheme, _ascii_host(host), port or _DEFAULT_PORTS[scheme], path)

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == _DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


def _ascii_host(host: str) -> str:
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError as error:
        raise UrlRefused(_UNREADABLE_LINK) from error


def _allowed_addresses(target: _Target, policy: AddressPolicy) -> list[IPAddress]:
    """The host's addresses, all of which must pass the policy (a mixed answer is refused)."""
    try:
        addresses = resolve(target.host, target.port)
    except (OSError, UnicodeError) as error:
        raise RemoteUnavailable(_NOT_FOUND) from error
    if not addresses or not all(policy(address) for address in addresses):
        raise UrlRefused(_PRIVATE)
    return addresses


@contextmanager
def _get(
    target: _Target, addresses: list[IPAddress], deadline: _Deadline
) -> Iterator[urllib3.BaseHTTPResponse]:
    """GET the target from the first of its checked addresses that accepts a connection."""
    for address in addresses:
        pool = _pool(target, address, deadline)
        try:
            try:
                response = pool.urlopen(
                    "GET",
                    target.path,
                    headers={**_HEADERS, "Host": target.host_header},
                    redirect=False,
                    retries=False,
                    preload_content=False,
                    decode_content=False,
                    assert_same_host=False,
                )
            except NewConnectionError:
                continue
            try:
                yield response
            finally:
                response.close()
            return
        except HTTPError as error:
            raise _translated(error, deadline) from error
        finally:
            pool.close()
    raise RemoteUnavailable(_NO_CONNECTION)


def _pool(target: _Target, address: IPAddress, deadline: _Deadline) -> urllib3.HTTPConnectionPool:
    # The connections themselves hold every step to the deadline; this is only a first bound.
    timeout = urllib3.Timeout(connect=deadline.seconds, read=deadline.seconds)
    pool: urllib3.HTTPConnectionPool
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            str(address),
            target.port,
            timeout=timeout,
            maxsize=1,
            server_hostname=target.host,
            assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED",
            deadline=deadline,
        )
        pool.ConnectionCls = _BoundedHTTPSConnection
    else:
        pool = urllib3.HTTPConnectionPool(
            str(address), target.port, timeout=timeout, maxsize=1, deadline=deadline
        )
        pool.ConnectionCls = _BoundedConnection
    return pool


class _BoundedConnection(urllib3.connection.HTTPConnection):
    """An HTTP connection whose every blocking step waits only for the deadline's time left.

    A socket timeout bounds one call; a server that answers each call just in time (a byte
    every second, say) would outlast it. So the timeout is set again, to the time left, before
    the connect, the TLS handshake (one call, bounded as a whole), every send and every read.
    """

    def __init__(self, *args: Any, deadline: _Deadline, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline = deadline
        # http.client builds the response with response_class(sock, method=...); a callable
        # that is not a class does as well.
        self.response_class = partial(_BoundedResponse, deadline=deadline)  # type: ignore[assignment]

    def _new_conn(self) -> socket.socket:
        self.timeout = self._deadline.left()
        sock = super()._new_conn()
        sock.settimeout(self._deadline.left())  # what the TLS handshake, if any, may take
        return sock

    def send(self, data: Any) -> None:
        if self.sock is not None:
            self.sock.settimeout(self._deadline.left())
        super().send(data)


class _BoundedHTTPSConnection(_BoundedConnection, urllib3.connection.HTTPSConnection):
    pass


class _BoundedResponse(http.client.HTTPResponse):
    """http.client's response, reading the status line, headers and body within the deadline."""

    def __init__(self, sock: socket.socket, *args: Any, deadline: _Deadline, **kwargs: Any):
        super().__init__(_BoundedSocket(sock, deadline), *args, **kwargs)  # type: ignore[arg-type]


class _BoundedSocket:
    """Stands in for the socket while http.client makes its reader, the one thing it asks."""

    def __init__(self, sock: socket.socket, deadline: _Deadline) -> None:
        self._sock, self._deadline = sock, deadline

    def makefile(self, mode: str) -> io.BufferedReader:
        assert mode == "rb"
        return io.BufferedReader(_BoundedReader(self._sock, self._deadline))


class _BoundedReader(io.RawIOBase):
    """The socket's reader, with the timeout set to the time left before every receive."""

    def __init__(self, sock: socket.socket, deadline: _Deadline) -> None:
        super().__init__()
        self._sock, self._deadline = sock, deadline
        # The socket's own reader keeps the socket open after http.client closes its
        # connection, until the response is closed too.
        self._raw = sock.makefile("rb", buffering=0)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        self._sock.settimeout(self._deadline.left())
        return self._raw.readinto(buffer)

    def close(self) -> None:
        self._raw.close()
        super().close()


def _read_capped(response: urllib3.BaseHTTPResponse, max_bytes: int) -> bytes:
    too_large = ImageTooLarge(
        f"That picture is larger than the {max_bytes / 1_048_576:g} MB limit."
    )
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_large
    body = bytearray()
    while chunk := response.read1(_CHUNK_BYTES):
        body += chunk
        if len(body) > max_bytes:
            raise too_large
    return bytes(body)


def _translated(error: HTTPError, deadline: _Deadline) -> ImageError:
    """The user-facing error for a urllib3 failure."""
    # Past the deadline, whatever broke (urllib3 reports a timeout while sending as a broken
    # connection), the answer took too long.
    if deadline.passed:
        return RemoteTimeout(_TOO_SLOW)
    if isinstance(error, SSLError):
        return RemoteUnavailable(_BAD_TLS)
    # NewConnectionError subclasses the timeout error, but is handled before this is called.
    if isinstance(error, Urllib3Timeout):
        return RemoteTimeout(_TOO_SLOW)
    return RemoteUnavailable(_BROKEN_ANSWER)

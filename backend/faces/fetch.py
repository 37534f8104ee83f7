"""Downloading a picture from a link the user gave, without letting the link reach inside.

Each hop (the link, then every redirect, at most MAX_REDIRECTS) is parsed, its host resolved,
and every address checked by the address policy before anything is sent. The connection then
goes to the address that was checked, never to the name, so a second DNS answer cannot swap in
another machine (DNS rebinding); the Host header, TLS SNI and the certificate check still use
the name. The body is read in chunks and abandoned as soon as it passes the size cap.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import quote, urljoin, urlsplit

import urllib3
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
    deadline = time.monotonic() + timeout
    for _ in range(MAX_REDIRECTS + 1):
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
            return _read_capped(response, max_bytes, deadline)
    raise RemoteUnavailable(_TOO_MANY_REDIRECTS)


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
    target: _Target, addresses: list[IPAddress], deadline: float
) -> Iterator[urllib3.BaseHTTPResponse]:
    """GET the target from the first of its checked addresses that accepts a connection."""
    for address in addresses:
        pool = _pool(target, address, _remaining(deadline))
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
            raise _translated(error) from error
        finally:
            pool.close()
    raise RemoteUnavailable(_NO_CONNECTION)


def _pool(target: _Target, address: IPAddress, seconds: float) -> urllib3.HTTPConnectionPool:
    timeout = urllib3.Timeout(connect=seconds, read=seconds)
    if target.scheme == "https":
        return urllib3.HTTPSConnectionPool(
            str(address),
            target.port,
            timeout=timeout,
            maxsize=1,
            server_hostname=target.host,
            assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED",
        )
    return urllib3.HTTPConnectionPool(str(address), target.port, timeout=timeout, maxsize=1)


def _read_capped(response: urllib3.BaseHTTPResponse, max_bytes: int, deadline: float) -> bytes:
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
        if time.monotonic() > deadline:
            raise RemoteTimeout(_TOO_SLOW)
    return bytes(body)


def _remaining(deadline: float) -> float:
    seconds = deadline - time.monotonic()
    if seconds <= 0:
        raise RemoteTimeout(_TOO_SLOW)
    return seconds


def _translated(error: HTTPError) -> ImageError:
    """The user-facing error for a urllib3 failure."""
    if isinstance(error, SSLError):
        return RemoteUnavailable(_BAD_TLS)
    # NewConnectionError subclasses the timeout error, but is handled before this is called.
    if isinstance(error, Urllib3Timeout):
        return RemoteTimeout(_TOO_SLOW)
    return RemoteUnavailable(_BROKEN_ANSWER)

"""Which network addresses SmartBrain may fetch pictures from.

Without this check, a link could make the server reach machines behind its firewall (SSRF):
its own loopback services, the cloud metadata service at 169.254.169.254, the office network.
Addresses are checked after DNS resolution, so every spelling of a host (127.1, 2130706433,
0x7f000001, 0177.0.0.1, [::ffff:127.0.0.1], localhost) is judged by where it really leads.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
AddressPolicy = Callable[[IPAddress], bool]


def is_public_address(address: IPAddress) -> bool:
    """True for a unicast address on the public internet.

    Refuses loopback, private, shared (CGNAT), link-local, site-local, multicast, reserved,
    documentation and unspecified addresses, and IPv6 addresses that wrap any of those
    (IPv4-mapped ::ffff:0:0/96, 6to4 2002::/16).
    """
    if isinstance(address, ipaddress.IPv6Address):
        wrapped = address.ipv4_mapped or address.sixtofour
        if wrapped is not None and not is_public_address(wrapped):
            return False
        if address.is_site_local:
            return False
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def any_address(address: IPAddress) -> bool:
    """Allows every address: for a SmartBrain that only serves its own machine or network."""
    return True


def resolve(host: str, port: int) -> list[IPAddress]:
    """The addresses a host name (or address literal) leads to, in the resolver's order.

    Raises OSError (socket.gaierror) when the name does not resolve.
    """
    found: list[IPAddress] = []
    for *_, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        address = ipaddress.ip_address(sockaddr[0])
        if address not in found:
            found.append(address)
    return found

"""The address rule on its own: what counts as the public internet."""

from __future__ import annotations

import ipaddress

import pytest

from backend.faces.addresses import is_public_address


@pytest.mark.parametrize(
    "address",
    ["8.8.8.8", "93.184.216.34", "1.1.1.1", "2606:4700:4700::1111", "2a00:1450:4001:80b::200e"],
)
def test_public_addresses_are_allowed(address):
    assert is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "0.0.0.0",
        "10.1.2.3",
        "172.20.0.1",
        "192.168.0.1",
        "169.254.169.254",
        "100.100.100.100",
        "192.0.2.1",
        "224.0.0.251",
        "240.0.0.1",
        "::1",
        "::",
        "::ffff:10.0.0.1",
        "2002:c0a8:0101::1",  # 6to4 wrapping 192.168.1.1
        "64:ff9b::a00:1",  # NAT64 wrapping 10.0.0.1
        "fc00::1",
        "fe80::1",
        "fec0::1",
        "ff02::1",
        "2001:db8::1",
    ],
)
def test_everything_else_is_refused(address):
    assert not is_public_address(ipaddress.ip_address(address))

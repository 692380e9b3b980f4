"""Who sent a webhook: X-Forwarded-For believed only from trusted proxies."""

from __future__ import annotations

from ipaddress import ip_network

import pytest

from paydesk.web.forwarding import allowed, source_address

PROXY = (ip_network("10.0.0.0/8"),)
IAMPORT = (ip_network("52.78.100.19/32"),)


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("52.78.100.19", None, "52.78.100.19"),  # direct
        ("203.0.113.5", "52.78.100.19", "203.0.113.5"),  # untrusted peer: header ignored
        ("10.0.0.2", "52.78.100.19", "52.78.100.19"),  # our proxy names the client
        ("10.0.0.2", "52.78.100.19, 10.0.0.7", "52.78.100.19"),  # two of our proxies
        ("10.0.0.2", "52.78.100.19, 198.51.100.1", "198.51.100.1"),  # spoofed left hop
        ("10.0.0.2", "not-an-ip", "not-an-ip"),
        ("10.0.0.2", " , ", "10.0.0.2"),
        (None, "52.78.100.19", "unknown"),
    ],
)
def test_source_address(peer: str | None, forwarded: str | None, expected: str) -> None:
    assert source_address(peer, forwarded, PROXY) == expected


def test_allow_list() -> None:
    assert allowed("52.78.100.19", IAMPORT)
    assert not allowed("52.78.100.20", IAMPORT)
    assert not allowed("not-an-ip", IAMPORT)
    assert allowed("203.0.113.5", ())  # an empty list checks nothing

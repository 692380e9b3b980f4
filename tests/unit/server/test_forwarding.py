"""Who sent a webhook: X-Forwarded-For believed only from trusted proxies."""

from __future__ import annotations

from ipaddress import ip_network

import pytest
from starlette.requests import Request

from paydesk.web.forwarding import allowed, sender, source_address

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
        # every header line counts, in order: a proxy that appends a second line
        ("10.0.0.2", ["52.78.100.19", "198.51.100.1"], "198.51.100.1"),
        ("10.0.0.2", ["52.78.100.19", "198.51.100.1, 10.0.0.7"], "198.51.100.1"),
        ("10.0.0.2", ["198.51.100.1", "52.78.100.19"], "52.78.100.19"),
        ("10.0.0.2", [], "10.0.0.2"),
    ],
)
def test_source_address(peer: str | None, forwarded: str | list[str] | None, expected: str) -> None:
    assert source_address(peer, forwarded, PROXY) == expected


def _request(peer: str, *forwarded: str) -> Request:
    headers = [(b"x-forwarded-for", line.encode()) for line in forwarded]
    scope = {"type": "http", "method": "POST", "path": "/iamport/webhook", "headers": headers,
             "client": (peer, 40000), "query_string": b""}  # fmt: skip
    return Request(scope)


def test_a_forged_first_line_does_not_pass_the_allow_list() -> None:
    """The two-line bypass: the client writes i'mport's address, our proxy appends the truth."""
    request = _request("10.0.0.2", "52.78.100.19", "198.51.100.1")
    assert sender(request, PROXY) == "198.51.100.1"
    assert not allowed(sender(request, PROXY), IAMPORT)


def test_i_mport_behind_our_proxy_passes() -> None:
    request = _request("10.0.0.2", "52.78.100.19")
    assert allowed(sender(request, PROXY), IAMPORT)
    assert sender(_request("52.78.100.19"), PROXY) == "52.78.100.19"


def test_allow_list() -> None:
    assert allowed("52.78.100.19", IAMPORT)
    assert not allowed("52.78.100.20", IAMPORT)
    assert not allowed("not-an-ip", IAMPORT)
    assert allowed("203.0.113.5", ())  # an empty list checks nothing

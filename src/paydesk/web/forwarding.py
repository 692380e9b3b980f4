"""Who really sent a request: the peer address, or the client a trusted proxy names.

``X-Forwarded-For`` is whatever the sender wrote, so it is believed only when
the direct peer is one of our trusted proxies — and then only up to the first
hop, read from the right, that is not itself a trusted proxy (hops left of it
could have been written by the client). The webhook allow-list checks the
address found here.

Every ``X-Forwarded-For`` line counts, joined in order (RFC 9110 §5.3: several
lines of a list header mean one comma-separated list). A proxy that appends
its own line instead of extending the first would otherwise let a client's
forged first line through.
"""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Network, IPv6Network, ip_address

from starlette.requests import HTTPConnection

__all__ = ["allowed", "sender", "source_address"]

Network = IPv4Network | IPv6Network


def _within(address: str, networks: Sequence[Network]) -> bool:
    try:
        parsed = ip_address(address.strip())
    except ValueError:
        return False
    return any(parsed in network for network in networks)


def source_address(
    peer: str | None,
    forwarded_for: str | Sequence[str] | None,
    trusted_proxies: Sequence[Network],
) -> str:
    """The sender's address; ``unknown`` when the connection has no peer address.

    ``forwarded_for`` is every ``X-Forwarded-For`` line in the order received
    (or one string).
    """
    if not peer:
        return "unknown"
    lines = [forwarded_for] if isinstance(forwarded_for, str) else list(forwarded_for or ())
    if not lines or not _within(peer, trusted_proxies):
        return peer
    hops = [hop.strip() for line in lines for hop in line.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _within(hop, trusted_proxies):
            return hop
    return hops[0] if hops else peer


def allowed(address: str, allow_list: Sequence[Network]) -> bool:
    """Whether ``address`` may deliver webhooks; an empty allow-list allows everyone."""
    return not allow_list or _within(address, allow_list)


def sender(connection: HTTPConnection, trusted_proxies: Sequence[Network]) -> str:
    """The address that sent ``connection``, every ``X-Forwarded-For`` line considered."""
    peer = connection.client.host if connection.client else None
    return source_address(peer, connection.headers.getlist("x-forwarded-for"), trusted_proxies)

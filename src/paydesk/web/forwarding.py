"""Who really sent a request: the peer address, or the client a trusted proxy names.

``X-Forwarded-For`` is whatever the sender wrote, so it is believed only when
the direct peer is one of our trusted proxies — and then only up to the first
hop, read from the right, that is not itself a trusted proxy (hops left of it
could have been written by the client). The webhook allow-list checks the
address found here.
"""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Network, IPv6Network, ip_address

__all__ = ["allowed", "source_address"]

Network = IPv4Network | IPv6Network


def _within(address: str, networks: Sequence[Network]) -> bool:
    try:
        parsed = ip_address(address.strip())
    except ValueError:
        return False
    return any(parsed in network for network in networks)


def source_address(
    peer: str | None, forwarded_for: str | None, trusted_proxies: Sequence[Network]
) -> str:
    """The sender's address; ``unknown`` when the connection has no peer address."""
    if not peer:
        return "unknown"
    if not forwarded_for or not _within(peer, trusted_proxies):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _within(hop, trusted_proxies):
            return hop
    return hops[0] if hops else peer


def allowed(address: str, allow_list: Sequence[Network]) -> bool:
    """Whether ``address`` may deliver webhooks; an empty allow-list allows everyone."""
    return not allow_list or _within(address, allow_list)

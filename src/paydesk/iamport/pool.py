"""The HTTP transport of sync clients made here: httpx's, with a pool that stays cheap.

httpcore 1.0's pool re-examines every pooled connection each time a request
starts or an answer is closed: it asks each idle one whether it has expired
(a ``getpeername`` and a ``poll``), and counts the idle ones once per idle one
(quadratic).  With many calls in flight (threads sharing one ``Iamport``) that
is most of the client's CPU per call, and the cost grows with the number of
connections, so more concurrency bought less throughput.  ``LeanPool`` makes
the same decisions with one pass over attribute checks and asks only the
connection it is about to hand out whether the server has closed it (all of
them at most once a second, so idle connections past their keep-alive are
still closed).

Everything else is httpx's own ``HTTPTransport`` (TLS, timeouts, exception
mapping, HTTP/1.1 and the connection objects).  The transport is used only when
this package makes the ``httpx`` client itself and no proxy is configured in
the environment (``HTTPS_PROXY`` and friends: httpx routes those through its
proxy transports, which stay untouched).  ``AsyncIamport`` has a transport of
its own instead (``http11.py``): on asyncio, httpcore's cost was not only its pool.
"""

from __future__ import annotations

import time
import urllib.request
from typing import Any

import httpcore
import httpx

__all__ = ["SWEEP_EVERY", "lean_transport"]

#: Seconds between full sweeps of the pool for expired idle connections.
SWEEP_EVERY = 1.0


def _assign(pool: Any) -> list[Any]:
    """``_assign_requests_to_connections`` in one pass (see the module docstring).

    Same outcome as httpcore's: closed connections leave the pool, expired and
    surplus idle ones are closed, every queued request gets an available
    connection for its origin, else a new one while under ``max_connections``,
    else one made in place of an idle connection of another origin.

    One difference: an HTTP/1.1 connection is handed to one request at a time.
    httpcore gives an idle connection to every queued request that asks before
    the first of them starts on it (it stays "available" until then); all but one
    then fail with ``ConnectionNotAvailable`` and go round the pool again.  At 50
    in flight that was four extra passes per call, and the calls crowded onto a
    third as many connections.  A connection already assigned to a request that
    has not started is skipped here, as if busy (HTTP/2 pools share as before).
    """
    closing: list[Any] = []
    now = time.monotonic()
    sweep = now - getattr(pool, "_paydesk_swept", 0.0) >= SWEEP_EVERY
    if sweep:
        pool._paydesk_swept = now
    keep: list[Any] = []
    idle = 0
    for connection in pool._connections:
        if connection.is_closed():
            continue
        if connection.is_idle():
            if idle >= pool._max_keepalive_connections or (sweep and connection.has_expired()):
                closing.append(connection)
                continue
            idle += 1
        elif sweep and connection.has_expired():
            closing.append(connection)
            continue
        keep.append(connection)
    connections = pool._connections = keep
    # Connections promised to a request that has not started on them yet (HTTP/1.1).
    shared = getattr(pool, "_http2", False)
    reserved: set[Any] = set()
    if not shared:
        reserved = {r.connection for r in pool._requests if r.connection is not None}
    for pool_request in pool._requests:
        if not pool_request.is_queued():
            continue
        origin = pool_request.request.url.origin
        chosen = None
        # Newest first: the most recently used connection is the least likely to be stale.
        for connection in reversed(connections):
            if connection in reserved or not (
                connection.can_handle_request(origin) and connection.is_available()
            ):
                continue
            if not sweep and connection.has_expired():  # the one check per request
                connections.remove(connection)
                closing.append(connection)
                continue
            chosen = connection
            break
        if chosen is None:
            if len(connections) >= pool._max_connections:
                idle_ones = [c for c in connections if c.is_idle() and c not in reserved]
                if not idle_ones:
                    continue  # stays queued until an answer is closed
                connections.remove(idle_ones[0])
                closing.append(idle_ones[0])
            chosen = pool.create_connection(origin)
            connections.append(chosen)
        pool_request.assign_to_connection(chosen)
        if not shared:
            reserved.add(chosen)
    return closing


class LeanPool(httpcore.ConnectionPool):
    """``httpcore.ConnectionPool`` whose bookkeeping does not grow with its size."""

    def _assign_requests_to_connections(self) -> list[httpcore.ConnectionInterface]:
        return _assign(self)


def _proxied() -> bool:
    """Whether the environment names a proxy (httpx would then mount proxy transports)."""
    return bool(urllib.request.getproxies())


def lean_transport(limits: httpx.Limits) -> httpx.HTTPTransport | None:
    """httpx's default sync transport with ``LeanPool``; None where it does not apply."""
    if _proxied():
        return None
    transport = httpx.HTTPTransport(limits=limits, trust_env=True)
    pool = getattr(transport, "_pool", None)
    if type(pool) is not httpcore.ConnectionPool:
        return None
    pool.__class__ = LeanPool
    return transport

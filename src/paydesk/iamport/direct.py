"""Sending through the transport of a client made here, without ``httpx.Client.send``'s layers.

Per request, ``httpx.Client`` parses the URL twice (once to merge it with a
``base_url`` we never set), merges its headers, cookies and query into new
objects, runs the auth and redirect generators, and then offers every answer
to its cookie jar (wrapping it in ``urllib`` request and ``email`` message
objects) — about 100 µs of CPU per call here, as much as the rest of
``Iamport.payment`` outside the socket and the HTTP/1.1 parser.  For a client
this package made itself none of that can matter:

- it has no ``base_url``, no auth, no event hooks and no default query
  (nothing outside this package holds it; ``direct_transport`` also refuses
  when a proxy in the environment would route some URLs elsewhere);
- it never follows redirects (``ForeignAnswer`` reads a 3xx as it comes);
- i'mport authenticates every request with its bearer token.  Should an answer
  set a cookie all the same, the clients keep it in the ``httpx`` client's jar
  and send every later request through that client, which sends it back.

So the request is built once as ``build_request`` would build it (same URL,
headers in the same order, body and timeout extension: ``ClientCore._direct_request``)
and handed to the transport, which still raises httpx's exceptions (httpcore's
mapped, or ``http11.py``'s own for ``AsyncIamport``);
httpx's own INFO line per request is written the same way.  Clients given an
``httpx`` client (``http=``) always go through it, hooks and all.
"""

from __future__ import annotations

import asyncio
import logging
import time
import urllib.request
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import TypeVar

import httpx

from .http11 import ANSWER_BY, LATE, AsyncHTTP11Transport

__all__ = [
    "GRACE",
    "answer_deadline",
    "answered_by",
    "direct_headers",
    "direct_transport",
    "read_by",
    "send",
    "send_async",
]

Transport = TypeVar("Transport", httpx.BaseTransport, httpx.AsyncBaseTransport)

#: How much later than the call's deadline an async exchange is cut (``answer_deadline``).
GRACE = 0.05

#: httpx's logger: ``Client`` writes one INFO line per request to it; so do we.
httpx_log = logging.getLogger("httpx")


def direct_transport(transport: Transport | None) -> Transport | None:
    """``transport`` if every request of a client made here with it may go to it directly.

    None when there is no transport of ours (httpx chose its own) or the environment
    names a proxy: httpx then mounts proxy transports for some URLs, which only its
    ``Client`` knows how to pick.
    """
    if transport is None or urllib.request.getproxies():
        return None
    return transport


def direct_headers(
    http: httpx.Client | httpx.AsyncClient, ours: Mapping[str, str]
) -> list[tuple[bytes, bytes]]:
    """``http``'s own headers with ``ours`` merged in, as its ``build_request`` merges them."""
    merged = httpx.Headers(http.headers)
    merged.update(ours)
    return merged.raw


def _attach(exc: httpx.HTTPError, request: httpx.Request) -> None:
    """Name the request on a transport error, as ``httpx.Client`` does."""
    if isinstance(exc, httpx.RequestError):
        exc.request = request


def _log(request: httpx.Request, response: httpx.Response) -> None:
    if httpx_log.isEnabledFor(logging.INFO):
        httpx_log.info(
            'HTTP Request: %s %s "%s %d %s"',
            request.method,
            request.url,
            response.http_version,
            response.status_code,
            response.reason_phrase,
        )


def send(
    transport: httpx.BaseTransport, request: httpx.Request, *, within: float | None = None
) -> tuple[httpx.Response, bytes]:
    """The answer to ``request`` and its whole (decoded) body; the connection is released.

    ``within``: seconds the body may take to arrive, from now (the call's deadline). The
    transport's read timeout counts from the last bytes that came, so a body trickling in
    could outlast any deadline; it is checked after each part instead.

    Raises:
        httpx.HTTPError: as ``httpx.Client.send`` would raise it; ``httpx.ReadTimeout``
            when the body is still arriving after ``within``.
    """
    until = None if within is None else time.monotonic() + within
    try:
        response = transport.handle_request(request)
    except httpx.HTTPError as exc:
        _attach(exc, request)
        raise
    response.request = request
    _log(request, response)
    try:
        content = read_by(response, until)
    finally:
        response.close()
    return response, content


def read_by(response: httpx.Response, until: float | None) -> bytes:
    """``response``'s whole (decoded) body, checked after each part against ``until``
    (``time.monotonic()``; None: no check): ``httpx.ReadTimeout`` if it is still arriving."""
    if until is None:
        return response.read()
    parts = []
    for part in response.iter_bytes():
        parts.append(part)
        if time.monotonic() > until:
            raise httpx.ReadTimeout(LATE, request=response.request)
    return b"".join(parts)


async def send_async(
    transport: httpx.AsyncBaseTransport, request: httpx.Request, *, within: float | None = None
) -> tuple[httpx.Response, bytes]:
    """``send`` for an async transport (the answer is closed if the caller is cancelled);
    ``within`` bounds the whole exchange, head and body: ``AsyncHTTP11Transport`` keeps
    that deadline with its read timer (``ANSWER_BY``), any other under ``answered_by``."""
    when = None
    if within is not None:
        if isinstance(transport, AsyncHTTP11Transport):  # no timer of ours to arm and cancel
            request.extensions[ANSWER_BY] = asyncio.get_running_loop().time() + within
        else:
            when = answer_deadline(within)
    try:
        async with answered_by(when, request):
            response = await transport.handle_async_request(request)
            response.request = request
            _log(request, response)
            try:
                content = await response.aread()
            finally:
                await response.aclose()
    except httpx.HTTPError as exc:
        _attach(exc, request)
        raise
    return response, content


def answer_deadline(within: float | None) -> float | None:
    """The event loop's time by which an exchange allowed ``within`` seconds from now
    must be answered: ``GRACE`` later, so that a connect or pool timeout cut to the same
    deadline, which says "not sent", comes first."""
    return None if within is None else asyncio.get_running_loop().time() + within + GRACE


@asynccontextmanager
async def answered_by(when: float | None, request: httpx.Request | None) -> AsyncIterator[None]:
    """The block must end by ``when`` (``answer_deadline``); past it, ``httpx.ReadTimeout``:
    the answer was still arriving. A transport's read timeout counts from the last bytes
    that came, so an answer trickling in could otherwise outlast any deadline."""
    if when is None:
        yield
        return
    try:
        async with asyncio.timeout_at(when):
            yield
    except TimeoutError:
        raise httpx.ReadTimeout(LATE, request=request) from None

"""The request id: one per HTTP request, in every log record made while serving it.

The web app's middleware (``web.request_ids``) accepts a caller's safe
``X-Request-ID`` or makes one, and opens a ``request_scope`` around the
request; ``RequestIdFilter`` copies it onto each log record and
``RequestIdTransport`` sends it on with each call to i'mport, so one id
follows a request through our logs and theirs.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import httpx

__all__ = [
    "REQUEST_ID_HEADER",
    "RequestIdFilter",
    "RequestIdTransport",
    "accepted_request_id",
    "current_request_id",
    "request_scope",
]

REQUEST_ID_HEADER = "X-Request-ID"
# What a caller may choose: short, and nothing a log line or a header could be bent by.
_SAFE = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_current: ContextVar[str | None] = ContextVar("paydesk_request_id", default=None)


def accepted_request_id(offered: str | None) -> str:
    """``offered`` when it is a safe id (1–64 of ``A-Za-z0-9._:-``), else a fresh one."""
    if offered is not None and _SAFE.fullmatch(offered):
        return offered
    return secrets.token_hex(16)  # 32 hex digits, as uuid4().hex, at a third of its cost


def current_request_id() -> str | None:
    """The id of the request being served here, if any."""
    return _current.get()


@contextmanager
def request_scope(request_id: str) -> Iterator[None]:
    """Within the block (and tasks it starts), ``current_request_id()`` is ``request_id``."""
    token = _current.set(request_id)
    try:
        yield
    finally:
        _current.reset(token)


class RequestIdFilter(logging.Filter):
    """Puts ``request_id`` (``None`` outside a request) on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = _current.get()
        return True


class RequestIdTransport(httpx.AsyncBaseTransport):
    """Sends the current request id as ``X-Request-ID`` on each outbound request."""

    def __init__(self, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self._inner = inner or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request_id = _current.get()
        if request_id is not None and REQUEST_ID_HEADER not in request.headers:
            request.headers[REQUEST_ID_HEADER] = request_id
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()

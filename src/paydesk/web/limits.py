"""What a request may carry: body size per surface, JSON nesting, storable text.

- ``BodyLimit`` is a pure ASGI middleware: a body over its surface's limit is
  answered 413 before it is read into memory. A ``Content-Length`` over the
  limit is refused before the app runs at all; a chunked body is counted as it
  streams, and the first chunk past the limit stops it — whatever the app
  then answers is replaced by the 413. ``/iamport/confirm`` gets the
  ``{"reason": ...}`` shape i'mport shows the buyer; every other path a problem
  document.
- ``load_json`` refuses nesting deeper than a limit with a cheap scan of the
  bytes before ``json.loads`` (whose recursion would otherwise end in a
  ``RecursionError`` — a 500).
- ``storable`` escapes what no database text column takes: lone surrogates
  (``"\\ud800"`` in JSON) and NUL, as ``\\ud800`` and ``\\x00``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .problems import PROBLEM_JSON

__all__ = [
    "MAX_JSON_DEPTH",
    "BodyLimit",
    "BodyTooLarge",
    "Surface",
    "TooDeep",
    "load_json",
    "nesting_exceeds",
    "storable",
]

log = logging.getLogger(__name__)

#: No notification, order or product needs more than a handful of levels.
MAX_JSON_DEPTH = 32
_OPEN, _CLOSE, _QUOTE, _BACKSLASH = (b"[", b"{"), (b"]", b"}"), ord('"'), ord("\\")


class BodyTooLarge(Exception):
    """Raised into the app when a streamed body passes its limit."""


class TooDeep(ValueError):
    """A JSON document nests deeper than allowed."""


@dataclass(frozen=True)
class Surface:
    """Paths starting with ``prefix`` accept bodies of at most ``max_body`` bytes."""

    prefix: str
    max_body: int
    reason_shape: bool = False  # answer {"reason": ...} (i'mport's confirm) instead of a problem


class BodyLimit:
    """Refuse request bodies over their surface's limit with 413, before reading them."""

    def __init__(self, app: ASGIApp, surfaces: Sequence[Surface], default: int) -> None:
        self.app = app
        # longest prefix first, so /iamport/confirm wins over /iamport
        self.surfaces = sorted(surfaces, key=lambda s: len(s.prefix), reverse=True)
        self.default = Surface("", default)

    def surface(self, path: str) -> Surface:
        return next((s for s in self.surfaces if path.startswith(s.prefix)), self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        surface = self.surface(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > surface.max_body:
            await self._refuse(scope, surface, send, declared)
            return
        await _Counted(self.app, surface).run(scope, receive, send)

    async def _refuse(self, scope: Scope, surface: Surface, send: Send, size: int) -> None:
        log.warning("%s %s: body of %d bytes refused (limit %d)", scope["method"], scope["path"],
                    size, surface.max_body)  # fmt: skip
        await _send_413(send, surface)


class _Counted:
    """One request whose streamed body is counted against its surface's limit."""

    def __init__(self, app: ASGIApp, surface: Surface) -> None:
        self.app, self.surface, self.limit = app, surface, surface.max_body
        self.received = 0
        self.exceeded = False
        self.started = False

    async def run(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def counted_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                self.received += len(message.get("body", b""))
                if self.received > self.limit:
                    self.exceeded = True
                    raise BodyTooLarge(f"more than {self.limit} bytes")
            return message

        async def guarded_send(message: Message) -> None:
            if self.exceeded and not self.started:
                return  # the app's answer to a cut-off body is replaced by the 413
            self.started = self.started or message["type"] == "http.response.start"
            await send(message)

        with suppress(BodyTooLarge):  # our own signal, raised by counted_receive
            await self.app(scope, counted_receive, guarded_send)
        if self.exceeded and not self.started:
            log.warning("%s %s: streamed body over %d bytes refused", scope["method"],
                        scope["path"], self.limit)  # fmt: skip
            await _send_413(send, self.surface)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


async def _send_413(send: Send, surface: Surface) -> None:
    body: dict[str, Any]
    if surface.reason_shape:
        body, media = {"reason": "request too large"}, "application/json"
    else:
        body = {"type": "about:blank", "title": "Content Too Large", "status": 413,
                "detail": f"The body may be at most {surface.max_body} bytes."}  # fmt: skip
        media = PROBLEM_JSON
    payload = json.dumps(body).encode()
    headers = [(b"content-type", media.encode()), (b"content-length", str(len(payload)).encode()),
               (b"connection", b"close")]  # fmt: skip
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


def nesting_exceeds(document: bytes, limit: int) -> bool:
    """Whether brackets outside strings nest deeper than ``limit`` (no parsing)."""
    if sum(document.count(b) for b in _OPEN) <= limit:
        return False
    opening, closing = {ord(b) for b in _OPEN}, {ord(b) for b in _CLOSE}
    depth, in_string, escaped = 0, False, False
    for byte in document:
        if in_string:
            if escaped:
                escaped = False
            elif byte == _BACKSLASH:
                escaped = True
            elif byte == _QUOTE:
                in_string = False
        elif byte == _QUOTE:
            in_string = True
        elif byte in opening:
            depth += 1
            if depth > limit:
                return True
        elif byte in closing:
            depth -= 1
    return False


def load_json(document: bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` with a nesting limit; invalid UTF-8 is read as U+FFFD.

    Raises ``TooDeep`` past ``max_depth`` and ``ValueError`` for anything that
    is not JSON. Strings may still hold lone surrogates: see ``storable``.
    """
    if nesting_exceeds(document, max_depth):
        raise TooDeep(f"JSON nested deeper than {max_depth} levels")
    return json.loads(document.decode("utf-8", "replace"))


def storable(text: str) -> str:
    """``text`` with lone surrogates and NUL escaped (``\\ud800``, ``\\x00``)."""
    if text.isascii():
        return text.replace("\x00", "\\x00")
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")

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
  ``RecursionError`` — a 500). The callbacks use it, as they store a body first.
- ``JsonDepth`` is the same limit for every other surface (``/api/*``, the shop,
  the admin console): a JSON body nested deeper is answered 400 (a problem
  document) before the framework parses it. It sits inside ``BodyLimit``, so
  the body it reads is already bounded.
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
    "JsonDepth",
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


class JsonDepth:
    """Refuse JSON bodies nested past ``max_depth`` with 400, on every path but ``skip``.

    A body FastAPI would read as JSON (``application/json``, ``*+json``, or no
    content type at all) is read whole, checked with ``nesting_exceeds``, and
    handed on unchanged; any other request passes untouched.
    """

    def __init__(self, app: ASGIApp, skip: str, max_depth: int = MAX_JSON_DEPTH) -> None:
        self.app, self.skip, self.max_depth = app, skip, max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"].startswith(self.skip)
            or not _json_typed(scope)
            or not _has_body(scope)
        ):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                await self.app(scope, _replay([], message, receive), send)
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if nesting_exceeds(body, self.max_depth):
            log.warning("%s %s: JSON nested deeper than %d levels refused", scope["method"],
                        scope["path"], self.max_depth)  # fmt: skip
            await _send_problem(send, 400, "Bad Request",
                                f"JSON nested deeper than {self.max_depth} levels.")  # fmt: skip
            return
        whole = {"type": "http.request", "body": body, "more_body": False}
        await self.app(scope, _replay([whole], None, receive), send)


def _json_typed(scope: Scope) -> bool:
    """Whether FastAPI would parse this request's body as JSON."""
    for name, value in scope["headers"]:
        if name == b"content-type":
            media: bytes = value.split(b";", 1)[0].strip().lower()
            return media == b"application/json" or media.endswith(b"+json")
    return True  # FastAPI reads a body without a content type as JSON


def _has_body(scope: Scope) -> bool:
    """Whether the request announces a body (a ``Content-Length`` above 0, or chunks)."""
    for name, value in scope["headers"]:
        if name == b"transfer-encoding" or (name == b"content-length" and value.strip(b"0 ")):
            return True
    return False


def _replay(messages: list[Message], last: Message | None, receive: Receive) -> Receive:
    """A ``receive`` that gives ``messages`` (then ``last``), and then the real one."""
    queue = [*messages, *([last] if last is not None else [])]

    async def replay() -> Message:
        return queue.pop(0) if queue else await receive()

    return replay


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


async def _send_413(send: Send, surface: Surface) -> None:
    detail = f"The body may be at most {surface.max_body} bytes."
    if surface.reason_shape:
        await _send(send, 413, {"reason": "request too large"}, "application/json")
    else:
        await _send_problem(send, 413, "Content Too Large", detail)


async def _send_problem(send: Send, status: int, title: str, detail: str) -> None:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    await _send(send, status, body, PROBLEM_JSON)


async def _send(send: Send, status: int, body: dict[str, Any], media: str) -> None:
    payload = json.dumps(body).encode()
    headers = [(b"content-type", media.encode()), (b"content-length", str(len(payload)).encode()),
               (b"connection", b"close")]  # fmt: skip
    await send({"type": "http.response.start", "status": status, "headers": headers})
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

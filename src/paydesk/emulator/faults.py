"""Fault injection on the emulated REST API, set through the control API.

Kinds, per route pattern (``fnmatch`` on the path, optional method):

- ``latency``: wait ``delay`` seconds, then answer normally.
- ``error``: answer ``status`` (default 503) without doing anything.
- ``no_answer``: do the work and commit it, then give no answer: ``mode``
  ``hang`` holds the connection for ``delay`` seconds, ``drop`` cuts it.
- ``drop``: do nothing and give no answer (``mode`` as above).
- ``trickle``: do the work and answer, the head at once and the body in
  ``TRICKLE_PARTS`` parts, ``delay`` seconds apart (a slow link or proxy): no read
  waits long, but the whole answer takes ``TRICKLE_PARTS × delay``.

``times`` limits how often a rule fires (None = until removed);
``probability`` makes it fire at random.

ASGI has no message that cuts a connection: a server closes it when the app
fails after starting its answer.  So a dropped answer is half an answer and then
``AnswerDropped``; the server logs that failure as an ERROR with a traceback,
which ``QuietDrops`` turns into one INFO line (it is the fault asked for, not a
failure of the emulator).  ``create_app`` puts it on uvicorn's error logger for
the app's lifetime.
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import logging
import random
from typing import Any, Literal

from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["SERVER_LOGGER", "AnswerDropped", "Fault", "FaultBook", "FaultMiddleware", "QuietDrops"]

#: The logger uvicorn reports an app's failures on.
SERVER_LOGGER = "uvicorn.error"
#: How many parts a ``trickle`` fault sends an answer's body in.
TRICKLE_PARTS = 10


class Fault(BaseModel):
    id: str = ""
    path: str = Field(description="fnmatch pattern on the request path, e.g. /payments/cancel")
    method: str = "*"
    kind: Literal["latency", "error", "no_answer", "drop", "trickle"]
    status: int = 503
    delay: float = 0.0
    mode: Literal["hang", "drop"] = "drop"
    times: int | None = None
    probability: float = 1.0
    fired: int = 0


class FaultBook:
    def __init__(self, rng: random.Random | None = None) -> None:
        self.faults: list[Fault] = []
        self._rng = rng or random.Random()
        self._seq = 0

    def add(self, fault: Fault) -> Fault:
        self._seq += 1
        fault.id = fault.id or f"fault_{self._seq}"
        self.faults.append(fault)
        return fault

    def remove(self, fault_id: str) -> bool:
        before = len(self.faults)
        self.faults = [f for f in self.faults if f.id != fault_id]
        return len(self.faults) != before

    def clear(self) -> None:
        self.faults.clear()

    def match(self, method: str, path: str) -> Fault | None:
        stripped = path.rstrip("/") or "/"
        for fault in self.faults:
            if fault.method not in ("*", method):
                continue
            if not (
                fnmatch.fnmatchcase(path, fault.path) or fnmatch.fnmatchcase(stripped, fault.path)
            ):
                continue
            if fault.times is not None and fault.fired >= fault.times:
                continue
            if fault.probability < 1.0 and self._rng.random() >= fault.probability:
                continue
            fault.fired += 1
            return fault
        return None


async def _swallow(message: Message) -> None:
    return None


class AnswerDropped(Exception):
    """Raised by a fault after half an answer, so that the server cuts the connection."""

    def __init__(self, fault: Fault, method: str, path: str) -> None:
        super().__init__(f"{fault.kind} fault {fault.id}: the answer to {method} {path} is dropped")


class QuietDrops(logging.Filter):
    """Turns the server's ERROR about an ``AnswerDropped`` into an INFO line without traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        dropped = record.exc_info[1] if record.exc_info else None
        if isinstance(dropped, AnswerDropped):
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.msg, record.args = str(dropped), None
            record.exc_info = record.exc_text = None
        return True


async def _give_no_answer(fault: Fault, scope: Scope, send: Send) -> None:
    if fault.mode == "hang":
        await asyncio.sleep(fault.delay or 120.0)
    # Promise a body and send half of it, then fail: the server cuts the
    # connection, which the client sees as "sent, no answer".
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"64")],
        }
    )
    await send({"type": "http.response.body", "body": b'{"code":0,', "more_body": True})
    raise AnswerDropped(fault, scope["method"], scope["path"])


class FaultMiddleware:
    """Applies the ``FaultBook`` to every request outside the excluded prefixes."""

    def __init__(self, app: ASGIApp, book: FaultBook, exclude: tuple[str, ...]) -> None:
        self.app = app
        self.book = book
        self.exclude = exclude

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.exclude):
            await self.app(scope, receive, send)
            return
        fault = self.book.match(scope["method"], scope["path"])
        if fault is None:
            await self.app(scope, receive, send)
            return
        if fault.kind == "latency":
            await asyncio.sleep(fault.delay)
            await self.app(scope, receive, send)
        elif fault.kind == "error":
            await _send_error(fault, send)
        elif fault.kind == "no_answer":
            await self.app(scope, receive, _swallow)
            await _give_no_answer(fault, scope, send)
        elif fault.kind == "trickle":
            await self.app(scope, receive, _trickling(send, fault.delay))
        else:
            await _give_no_answer(fault, scope, send)


def _trickling(send: Send, delay: float) -> Send:
    """``send``, with each body sent in ``TRICKLE_PARTS`` parts ``delay`` seconds apart."""

    async def trickle(message: Message) -> None:
        if message["type"] != "http.response.body" or not message.get("body"):
            await send(message)
            return
        body: bytes = message["body"]
        size = -(-len(body) // TRICKLE_PARTS)  # the last part may be shorter
        parts = [body[i : i + size] for i in range(0, len(body), size)]
        for number, part in enumerate(parts, start=1):
            last = number == len(parts)
            more = message.get("more_body", False) if last else True
            await send({"type": "http.response.body", "body": part, "more_body": more})
            if not last:
                await asyncio.sleep(delay)

    return trickle


async def _send_error(fault: Fault, send: Send) -> None:
    body: dict[str, Any] = {
        "code": -1,
        "message": f"일시적인 오류가 발생했습니다. (injected {fault.status})",
        "response": None,
    }
    raw = json.dumps(body, ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": fault.status,
            "headers": [
                (b"content-type", b"application/json; charset=UTF-8"),
                (b"content-length", str(len(raw)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": raw})

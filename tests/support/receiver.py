"""A merchant server for tests: records every request it gets and answers as scripted.

Serves as webhook receiver, Confirm Process endpoint, ``m_redirect_url``
landing page and merchant shop page (static HTML) at once.  Run it with
``tests.support.servers.serve(receiver.app)``; the test thread reads what
arrived through ``hits`` / ``wait_for`` (thread-safe).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route


@dataclass(frozen=True)
class Hit:
    """One request the merchant server received."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() when it arrived

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    def data(self) -> dict[str, Any]:
        """The body as JSON or form fields, whichever it is."""
        if self.content_type.startswith("application/json"):
            loaded: dict[str, Any] = json.loads(self.body)
            return loaded
        return dict(parse_qsl(self.body.decode()))


@dataclass
class Answer:
    """How to answer one request: status, body, and an optional wait first."""

    status: int = 200
    body: str = "OK"
    delay: float = 0.0
    content_type: str = "text/plain"


@dataclass
class Receiver:
    """The merchant server.  ``pages`` are served as HTML on GET."""

    pages: dict[str, str] = field(default_factory=dict)
    _hits: list[Hit] = field(default_factory=list)
    _script: dict[str, deque[Answer]] = field(default_factory=lambda: defaultdict(deque))
    _default: dict[str, Answer] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def app(self) -> Starlette:
        return Starlette(routes=[Route("/{path:path}", self._handle, methods=["GET", "POST"])])

    # -- scripting ------------------------------------------------------------
    def answer(self, path: str, *answers: Answer, default: Answer | None = None) -> None:
        """Answer the next requests to ``path`` with ``answers`` in order, then ``default``."""
        with self._lock:
            self._script[path].extend(answers)
            if default is not None:
                self._default[path] = default

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()
            self._script.clear()
            self._default.clear()

    # -- reading ----------------------------------------------------------------
    def hits(self, path: str | None = None, method: str | None = None) -> list[Hit]:
        with self._lock:
            return [
                h
                for h in self._hits
                if (path is None or h.path == path) and (method is None or h.method == method)
            ]

    def wait_for(
        self, path: str, count: int = 1, timeout: float = 10.0, method: str = "POST"
    ) -> list[Hit]:
        """Block until ``count`` requests reached ``path``; fail the test otherwise."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.hits(path, method)
            if len(found) >= count:
                return found
            time.sleep(0.02)
        found = self.hits(path, method)
        raise AssertionError(f"expected {count} {method} {path}, got {len(found)}: {found}")

    # -- the app ------------------------------------------------------------------
    async def _handle(self, request: Request) -> Response:
        path = "/" + request.path_params["path"]
        body = await request.body()
        hit = Hit(
            method=request.method,
            path=path,
            query=dict(request.query_params),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=body,
            at=time.monotonic(),
        )
        with self._lock:
            self._hits.append(hit)
            queue = self._script.get(path)
            answer = queue.popleft() if queue else self._default.get(path, Answer())
        if request.method == "GET" and path in self.pages:
            return HTMLResponse(self.pages[path])
        if answer.delay:
            await asyncio.sleep(answer.delay)
        return Response(answer.body, status_code=answer.status, media_type=answer.content_type)

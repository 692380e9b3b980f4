"""A Starlette router that tries only the routes a path's first two segments allow.

Starlette's ``Router`` tries every route's regular expression in order; the
emulator has about 200 of them (control API, window, console, the REST API
with and without a trailing slash), so ``GET /payments/{imp_uid}`` used to
fail some 150 matches before it found its own.  ``SegmentRouter`` indexes the
routes once by the literal text of their first two path segments: a route
whose literal segment differs from the request's cannot match, so it is
skipped; every other route is still asked, in the original order, by its own
``matches``.  Precedence, partial matches (405) and the fallback are
therefore exactly Starlette's; only impossible candidates are left out.
"""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute, Match, Mount, Route, Router
from starlette.types import Receive, Scope, Send

__all__ = ["SegmentRouter"]

_ANY = object()  # a segment that a parameter, a path converter or a mount may fill
_END: None = None  # the path has ended before this segment
_DEPTH = 2


def _route_segments(route: BaseRoute) -> tuple[object, ...]:
    """The literal first segments a route requires (``_ANY`` where it takes anything)."""
    if isinstance(route, Route):
        parts: list[object] = route.path.split("/")[1:]
        open_ended = False
    elif isinstance(route, Mount):  # "/static" matches "/static/..." too
        parts = route.path.split("/")[1:] if route.path else []
        open_ended = True
    else:
        return (_ANY,) * _DEPTH
    segments: list[object] = []
    for part in parts[:_DEPTH]:
        if not isinstance(part, str) or "{" in part:
            break
        segments.append(part)
    else:
        if len(parts) < _DEPTH and not open_ended:
            segments.append(_END)
    return tuple(segments) + (_ANY,) * (_DEPTH - len(segments))


def _request_segments(path: str) -> tuple[str | None, ...]:
    parts = path.split("/", _DEPTH + 1)[1 : _DEPTH + 1]
    return tuple(parts) + (_END,) * (_DEPTH - len(parts))


class _Node:
    """Candidates for one segment position: by literal text, and for any other text."""

    def __init__(self, routes: list[tuple[tuple[object, ...], BaseRoute]], depth: int) -> None:
        self.leaf = depth == _DEPTH
        self.routes = [route for _, route in routes]
        if self.leaf:
            return
        literals = {segs[depth] for segs, _ in routes if segs[depth] is not _ANY}
        self.by_text: dict[object, _Node] = {
            text: _Node([(s, r) for s, r in routes if s[depth] in (text, _ANY)], depth + 1)
            for text in literals
        }
        self.other = _Node([(s, r) for s, r in routes if s[depth] is _ANY], depth + 1)

    def candidates(self, segments: tuple[str | None, ...], depth: int = 0) -> list[BaseRoute]:
        node = self
        while not node.leaf:
            node = node.by_text.get(segments[depth], node.other)
            depth += 1
        return node.routes


class SegmentRouter(Router):
    """``Router`` with the candidate routes looked up by the first two path segments."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._indexed: tuple[int, int] | None = None
        self._root: _Node | None = None

    def _index(self) -> _Node:
        key = (id(self.routes), len(self.routes))
        if self._root is None or self._indexed != key:  # routes were added after start
            self._root = _Node([(_route_segments(r), r) for r in self.routes], 0)
            self._indexed = key
        return self._root

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().app(scope, receive, send)
            return
        if "router" not in scope:
            scope["router"] = self
        path: str = scope["path"]
        root_path: str = scope.get("root_path", "")
        if root_path and path.startswith(root_path):
            path = path[len(root_path) :]
        partial: BaseRoute | None = None
        partial_scope: dict[str, Any] = {}
        for route in self._index().candidates(_request_segments(path)):
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                scope["route"] = route
                scope.update(child_scope)
                await route.handle(scope, receive, send)
                return
            if match is Match.PARTIAL and partial is None:
                partial, partial_scope = route, child_scope
        if partial is not None:
            scope["route"] = partial
            scope.update(partial_scope)
            await partial.handle(scope, receive, send)
            return
        await super().app(scope, receive, send)  # slash redirects and the default, as ever

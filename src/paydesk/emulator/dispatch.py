"""A Starlette router that tries only the routes a path's shape allows.

Starlette's ``Router`` tries every route's regular expression in order; the
emulator has about 200 of them (control API, window, console, the REST API
with and without a trailing slash), so ``GET /payments/{imp_uid}`` used to
fail some 150 matches before it found its own.  ``SegmentRouter`` indexes the
routes once by their number of segments and the literal text of their first
two: a route whose count or literal segment differs from the request's cannot
match, so it is skipped; every other route is still asked, in the original order, by its own
``matches``.  Precedence, partial matches (405) and the fallback are
therefore exactly Starlette's; only impossible candidates are left out.
"""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute, Match, Mount, Route, Router
from starlette.types import Receive, Scope, Send

__all__ = ["SegmentRouter"]

_ANY = object()  # a position that a parameter, a path converter or a mount may fill
_END: None = None  # the path has ended before this segment
_SEGMENTS = 2  # literal segments indexed after the segment count
_DEPTH = 1 + _SEGMENTS


def _route_key(route: BaseRoute) -> tuple[object, ...]:
    """(segment count, first segments) that a request must have to match ``route``.

    ``_ANY`` where the route takes anything: a ``{param}`` never spans a ``/``,
    so a plain route has a fixed number of segments; a ``:path`` converter, a
    mount or any other kind of route has not.
    """
    if isinstance(route, Route):
        parts: list[str] = route.path.split("/")[1:]
        count: object = _ANY if ":path}" in route.path else len(parts)
        open_ended = False
    elif isinstance(route, Mount):  # "/static" matches "/static/..." too
        parts = route.path.split("/")[1:] if route.path else []
        count, open_ended = _ANY, True
    else:
        return (_ANY,) * _DEPTH
    segments: list[object] = []
    for part in parts[:_SEGMENTS]:
        if "{" in part:
            break
        segments.append(part)
    else:
        if len(parts) < _SEGMENTS and not open_ended:
            segments.append(_END)
    return (count, *segments) + (_ANY,) * (_SEGMENTS - len(segments))


def _request_key(path: str) -> tuple[object, ...]:
    parts = path.split("/", _SEGMENTS + 1)[1 : _SEGMENTS + 1]
    return (path.count("/"), *parts) + (_END,) * (_SEGMENTS - len(parts))


class _Node:
    """Candidates for one segment position: by literal text, and for any other text."""

    def __init__(self, routes: list[tuple[tuple[object, ...], BaseRoute]], depth: int) -> None:
        # routes keep their order in every node: precedence is the router's
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

    def candidates(self, key: tuple[object, ...]) -> list[BaseRoute]:
        node, depth = self, 0
        while not node.leaf:
            node = node.by_text.get(key[depth], node.other)
            depth += 1
        return node.routes


class SegmentRouter(Router):
    """``Router`` with the candidate routes looked up by segment count and first segments."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._indexed: tuple[int, int] | None = None
        self._root: _Node | None = None

    def _index(self) -> _Node:
        key = (id(self.routes), len(self.routes))
        if self._root is None or self._indexed != key:  # routes were added after start
            self._root = _Node([(_route_key(r), r) for r in self.routes], 0)
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
        partial_scope: Any = {}
        for route in self._index().candidates(_request_key(path)):
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

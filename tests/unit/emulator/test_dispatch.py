"""The emulator's router finds, for every path, the route Starlette's full scan finds."""

from __future__ import annotations

import re

import pytest
from starlette.routing import BaseRoute, Match, Route

from paydesk.emulator.dispatch import SegmentRouter, _request_key
from paydesk.emulator_factory import build_emulator

ROUTER = build_emulator().router


def first_match(routes: list[BaseRoute], path: str, method: str) -> tuple[object, object]:
    scope = {"type": "http", "path": path, "root_path": "", "method": method}
    partial = None
    for route in routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return route, None
        if match is Match.PARTIAL and partial is None:
            partial = route
    return None, partial


def sample_paths() -> list[tuple[str, str]]:
    paths = []
    for route in ROUTER.routes:
        if isinstance(route, Route):
            concrete = re.sub(r"\{[^}:]+(:path)?\}", "x1", route.path)
            for method in sorted(route.methods or {"GET"}):
                paths.append((concrete, method))
                paths.append((concrete, "PATCH"))  # mostly a 405 (a partial match)
    return [*paths, ("/", "GET"), ("/no/such/thing", "GET"), ("/payments", "GET")]


@pytest.mark.parametrize(("path", "method"), sample_paths())
def test_the_index_never_hides_the_route_a_full_scan_finds(path: str, method: str) -> None:
    router = ROUTER
    assert isinstance(router, SegmentRouter)
    candidates = router._index().candidates(_request_key(path))
    assert first_match(candidates, path, method) == first_match(router.routes, path, method)

"""Every route of the real app belongs to an audience, and its audience's policy holds.

The walk starts from ``app.routes`` of the app ``bootstrap.build_server`` makes,
so a route added tomorrow is either classified here — and then checked — or
fails ``test_every_route_has_an_audience``.

- merchant API (``/api/*``): each operation depends on exactly one scope;
  without a key it answers 401, with a bad or revoked key 401, with a key of
  every *other* scope 403 — each a problem document with ``WWW-Authenticate``.
- gateway callbacks (``/iamport/*``): no API key; the source allow-list and
  the signed ``confirm_url`` guard them (tested in ``test_attacks``).
- admin (``/admin/*``): a page without a session answers 303 to the login page; a
  form (any write) without a session 303 to login, with a session but without
  the session's CSRF token (or with another) 403 — and no table changes.
- shop (``/`` and ``/shop/*``): the buyer's pages, public; every write takes the
  shop's guard (same origin only, the page's CSRF token, rate-limited per address).
- docs (``/docs``, ``/openapi.json``, the assets): public, read-only.
- assets (``/static/*``): public files, read-only.
- metrics (``/metrics``, the ops audience's scrape): listed addresses (loopback by
  default) or the metrics token (tested in ``test_ops``).
- ops (``/healthz``, ``/readyz``): public, GET only, and they tell nothing about
  the setup (no URL, revision or secret).
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi.routing import RouteContext, iter_route_contexts
from sqlalchemy import select
from starlette.routing import BaseRoute, Mount

from paydesk.core.api_keys import Scope
from paydesk.core.clock import SystemClock
from paydesk.services.api_keys import ApiKeys
from paydesk.store import Database
from paydesk.store.migrate import head
from paydesk.store.tables import metadata, staff_sessions
from tests.support.admin import csrf_of, http_login, make_staff

from .conftest import Server

pytestmark = pytest.mark.asyncio

#: path prefix → audience; the longest matching prefix wins.
AUDIENCES = {
    "/api/": "merchant-api",
    "/iamport/": "gateway",
    "/admin": "admin",
    "/docs": "docs",
    "/openapi.json": "docs",
    "/static/": "assets",
    "/shop/": "shop",
    "/metrics": "metrics",
}
#: paths that belong to an audience only as a whole (no prefix match)
EXACT = {"/": "shop", "/healthz": "ops", "/readyz": "ops"}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def audience(path: str) -> str | None:
    if path in EXACT:
        return EXACT[path]
    matches = [prefix for prefix in AUDIENCES if path == prefix or path.startswith(prefix)]
    return AUDIENCES[max(matches, key=len)] if matches else None


def walk(routes: list[BaseRoute]) -> list[tuple[str, set[str], RouteContext]]:
    """(path, methods, route) of every route, through included routers and mounts."""
    found = []
    for route in iter_route_contexts(routes):
        assert route.path is not None, f"a route without a path: {route!r}"
        if isinstance(route.original_route, Mount):
            found.append((route.path + "/", {"GET"}, route))
        else:
            found.append((route.path, set(route.methods or {"GET"}), route))
    return found


def required_scope(route: RouteContext) -> Scope:
    dependant = getattr(route, "dependant", None)
    assert dependant is not None, f"{route.path} is not a FastAPI route"
    names = [d.call.__name__ for d in dependant.dependencies if d.call is not None]
    scopes = [Scope(name.removeprefix("require_")) for name in names if name.startswith("require_")]
    assert len(scopes) == 1, f"{route.path} {route.methods} must need exactly one scope: {names}"
    return scopes[0]


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def api_routes(server: Server) -> list[tuple[str, str, Scope]]:
    operations = []
    for path, methods, route in walk(server.app.routes):
        if audience(path) == "merchant-api":
            operations += [(method, path, required_scope(route)) for method in sorted(methods)]
    return operations


async def test_every_route_has_an_audience(server: Server) -> None:
    unclassified = [path for path, _, _ in walk(server.app.routes) if audience(path) is None]
    assert unclassified == [], (
        f"routes of no known audience (add them to AUDIENCES): {unclassified}"
    )
    audiences = {audience(path) for path, _, _ in walk(server.app.routes)}
    assert {"merchant-api", "gateway", "docs"} <= audiences


async def test_scopes_follow_the_method(server: Server) -> None:
    operations = api_routes(server)
    assert len(operations) >= 8
    for method, path, scope in operations:
        expected = Scope.WRITE if method in WRITES else Scope.READ
        if "/refunds" in path and method in WRITES:  # giving money back (or where to)
            expected = Scope.REFUND
        assert scope is expected, (method, path, scope)


def _assert_refusal(answer: httpx.Response, status: int, what: str) -> None:
    assert answer.status_code == status, (what, answer.status_code, answer.text)
    assert answer.headers["content-type"] == "application/problem+json", what
    assert answer.json()["status"] == status, what
    assert answer.headers["www-authenticate"].startswith("Bearer"), what


async def _call(client: httpx.AsyncClient, method: str, path: str) -> httpx.Response:
    body: dict[str, Any] | None = {} if method in WRITES else None
    return await client.request(method, concrete(path), json=body)


async def test_every_api_route_needs_a_key_with_its_scope(server: Server) -> None:
    revoked = await _revoked_key(server)
    anonymous, bogus = server.client(None), server.client(None, authorization="Bearer pdk_x")
    forged = server.client(None, authorization=f"Bearer pdk_{'0' * 12}_{'A' * 43}")
    wrong_scheme = server.client(None, authorization=f"Basic {server.keys['all']}")
    old = server.client(None, authorization=f"Bearer {revoked}")
    async with anonymous, bogus, forged, wrong_scheme, old:
        for method, path, scope in api_routes(server):
            what = f"{method} {path}"
            for client in (anonymous, bogus, forged, wrong_scheme, old):
                _assert_refusal(await _call(client, method, path), 401, what)
            for other in Scope:
                if other is scope:
                    continue
                async with server.client(other.value) as lacking:
                    answer = await _call(lacking, method, path)
                _assert_refusal(answer, 403, f"{what} with a {other} key")
                assert f'scope="{scope}"' in answer.headers["www-authenticate"]
            async with server.client(scope.value) as allowed:
                answer = await _call(allowed, method, path)
            assert answer.status_code not in (401, 403), (what, answer.text)


async def _revoked_key(server: Server) -> str:
    database = Database(server.database_url)
    try:
        keys = ApiKeys(database, SystemClock())
        made = await keys.create("revoked", list(Scope))
        await keys.revoke(made.record.id)
    finally:
        await database.dispose()
    return made.token


async def test_openapi_declares_the_bearer_scheme_on_every_api_operation(server: Server) -> None:
    async with server.client(None) as http:
        spec = (await http.get("/openapi.json")).json()
    scheme = spec["components"]["securitySchemes"]["ApiKey"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if audience(path) == "merchant-api":
                assert operation["security"] == [{"ApiKey": []}], (method, path)
                problems = {code for code, answer in operation["responses"].items()
                            if "application/problem+json" in answer.get("content", {})}  # fmt: skip
                assert {"401", "403", "422"} <= problems, (method, path, problems)
            else:
                assert "security" not in operation, (method, path)


def admin_routes(server: Server, methods: set[str]) -> list[tuple[str, str]]:
    """(method, path) of every admin route taking one of ``methods`` (the login page aside)."""
    return [(method, path) for path, found, _ in walk(server.app.routes)
            if audience(path) == "admin" and not path.startswith("/admin/login")
            for method in sorted(found & methods)]  # fmt: skip


async def test_admin_pages_redirect_to_login(server: Server) -> None:
    pages = admin_routes(server, {"GET"})
    assert ("GET", "/admin") in pages and ("GET", "/admin/keys") in pages
    async with server.client(None) as http:
        for _, path in pages:
            answer = await http.get(concrete(path), follow_redirects=False)
            assert answer.status_code == 303, path
            assert answer.headers["location"].startswith("/admin/login"), path


async def _snapshot(database_url: str) -> list[tuple[str, list[tuple[Any, ...]]]]:
    """Every row of every table but the sessions (a request may note when one was last seen)."""
    database = Database(database_url)
    try:
        async with database.reading() as uow:
            return [(table.name, [tuple(r) for r in await uow.connection.execute(select(table))])
                    for table in metadata.sorted_tables if table is not staff_sessions]  # fmt: skip
    finally:
        await database.dispose()


async def test_admin_forms_need_a_session_and_its_csrf_token(server: Server) -> None:
    forms = admin_routes(server, WRITES)
    assert ("POST", "/admin/logout") in forms and ("POST", "/admin/keys") in forms
    await make_staff(server.database_url)
    database = Database(server.database_url)
    try:
        made = await ApiKeys(database, SystemClock()).create("kept", [Scope.READ])
    finally:
        await database.dispose()
    async with server.client(None) as anonymous, server.client(None) as staff:
        assert (await http_login(staff)).status_code == 303
        real = csrf_of((await staff.get("/admin")).text)
        before = await _snapshot(server.database_url)
        for method, path in forms:
            what, url = f"{method} {path}", concrete(path).replace("/1/", f"/{made.record.id}/")
            body = {"name": "x", "scopes": "read", "lang": "en", "next": "/admin"}
            answer = await anonymous.request(method, url, data={**body, "csrf_token": real})
            assert answer.status_code == 303, (what, answer.status_code)
            assert answer.headers["location"] == "/admin/login", what
            for token in (None, "", "wrong", real[:-1]):
                sent = body if token is None else {**body, "csrf_token": token}
                answer = await staff.request(method, url, data=sent)
                assert answer.status_code == 403, (what, token, answer.status_code)
            answer = await staff.request(method, url, data=body, headers={"X-CSRF-Token": "x"})
            assert answer.status_code == 403, (what, "header")
        assert await _snapshot(server.database_url) == before
        assert (await staff.get("/admin")).status_code == 200  # the session lived through it


async def test_docs_are_public_and_the_gateway_takes_no_api_key(server: Server) -> None:
    async with server.client(None) as http:
        for path in ("/docs", "/openapi.json"):
            assert (await http.get(path)).status_code == 200, path
        # the gateway callbacks answer for themselves (refusals, never an auth challenge)
        complete = await http.post("/iamport/complete", json={})
        assert complete.status_code == 400 and "www-authenticate" not in complete.headers


def shop_writes(server: Server) -> list[tuple[str, str, RouteContext]]:
    return [(method, path, route) for path, methods, route in walk(server.app.routes)
            if audience(path) == "shop" for method in sorted(methods & WRITES)]  # fmt: skip


async def page_token(client: httpx.AsyncClient) -> str:
    """The CSRF token the shop's home page gives this client's buyer cookie."""
    answer = await client.get("/")
    found = re.search(r'<meta name="csrf-token" content="([^"]+)">', answer.text)
    assert answer.status_code == 200 and found, answer.text[:500]
    return found[1]


async def test_every_shop_write_refuses_cross_site_requests(server: Server) -> None:
    writes = shop_writes(server)
    assert len(writes) >= 4
    for method, path, route in writes:
        dependant = getattr(route, "dependant", None)
        assert dependant is not None, path
        names = [d.call.__name__ for d in dependant.dependencies if d.call is not None]
        assert "shop_write" in names, f"{method} {path} lacks the shop's write guard: {names}"
    strangers = [{"origin": "http://evil.example"}, {"sec-fetch-site": "cross-site"}, {}]
    for headers in strangers:
        async with server.client(None, **headers) as stranger:
            for method, path, _ in writes:
                answer = await stranger.request(method, concrete(path), json={})
                assert answer.status_code == 403, (method, path, headers, answer.text)
                assert answer.headers["content-type"] == "application/problem+json"
    async with server.client(None, origin=server.url) as own_page:  # same origin, no token
        await page_token(own_page)  # the buyer cookie, without sending the token
        for method, path, _ in writes:
            answer = await own_page.request(method, concrete(path), json={})
            assert answer.status_code == 403, (method, path, answer.text)
            assert answer.json()["title"] == "CSRF token missing or wrong"


@pytest.mark.parametrize(
    "server_options", [{"shop_write_burst": 4, "shop_writes_per_minute": 0.01}], indirect=True
)
async def test_every_shop_write_is_rate_limited(server: Server) -> None:
    writes = shop_writes(server)
    assert len(writes) == 4, "one token per write route: change the burst with the routes"
    async with server.client(None, origin=server.url) as page:
        page.headers["x-csrf-token"] = await page_token(page)
        first = [await page.request(m, concrete(p), json={}) for m, p, _ in writes]
        again = [await page.request(m, concrete(p), json={}) for m, p, _ in writes]
    assert all(answer.status_code not in (403, 429) for answer in first), [a.text for a in first]
    assert all(answer.status_code < 500 for answer in first)
    for answer in again:
        assert answer.status_code == 429, answer.text
        assert int(answer.headers["retry-after"]) >= 1


async def test_ops_probes_are_public_get_only_and_reveal_nothing(server: Server) -> None:
    routes = [
        (path, methods) for path, methods, _ in walk(server.app.routes) if audience(path) == "ops"
    ]
    assert {path for path, _ in routes} == {"/healthz", "/readyz"}
    secrets = [server.database_url, "alembic", "postgres", "sqlite", head(), "secret"]
    async with server.client(None) as http:
        for path, methods in routes:
            assert methods <= {"GET", "HEAD"}, (path, methods)
            answer = await http.get(path)
            assert answer.status_code == 200, (path, answer.text)
            assert "www-authenticate" not in answer.headers
            assert not [s for s in secrets if s.lower() in answer.text.lower()], answer.text
            assert (await http.post(path, json={})).status_code == 405, path

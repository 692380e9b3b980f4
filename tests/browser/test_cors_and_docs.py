"""The merchant server in Chromium: CORS from another origin, and ``/docs`` offline.

CORS is off by default. With ``PAYDESK_CORS_ORIGINS`` a page on a listed origin
may call ``/api/orders`` (with an API key) and ``/iamport/complete``; a page on
any other origin, or any other path, is blocked by the browser.

``/docs`` renders with every request to another host aborted: the page needs
nothing but the server itself.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.web.shop import merchant_server
from tests.support.auth import create_key
from tests.support.db import in_thread, sqlite_template
from tests.support.receiver import Receiver
from tests.support.servers import serve

pytestmark = pytest.mark.browser
__all__ = ["sqlite_template"]

PAGE = "<!doctype html><meta charset='utf-8'><title>shop</title><p>a merchant's shop</p>"
FETCHES = """async ([server, key]) => {
  const out = {};
  async function attempt(name, url, init) {
    try { out[name] = (await fetch(url, init)).status; } catch (e) { out[name] = "blocked"; }
  }
  const auth = {"Authorization": "Bearer " + key, "Content-Type": "application/json"};
  await attempt("orders", server + "/api/orders", {method: "POST", headers: auth,
    body: JSON.stringify({items: [{product_id: 999, quantity: 1}]})});
  await attempt("complete", server + "/iamport/complete", {method: "POST",
    headers: {"Content-Type": "application/json"}, body: "{}"});
  await attempt("products", server + "/api/products", {headers: auth});
  return out;
}"""
ALLOWED = {"orders": 422, "complete": 400, "products": "blocked"}
BLOCKED = {"orders": "blocked", "complete": "blocked", "products": "blocked"}


@pytest.fixture
def database_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "paydesk.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(scope="module")
def origins() -> Iterator[tuple[str, str]]:
    """Two shops on two ports: two origins."""
    with serve(Receiver(pages={"/shop": PAGE}).app) as one, \
            serve(Receiver(pages={"/shop": PAGE}).app) as other:  # fmt: skip
        yield one, other


def _fetches(new_page: Callable[..., Any], origin: str, server: str, key: str) -> Any:
    page = new_page()
    page.goto(f"{origin}/shop")
    return page.evaluate(FETCHES, [server, key])


@pytest.mark.parametrize("listed", [True, False], ids=["listed", "off-by-default"])
def test_cross_origin_calls_only_from_listed_origins_and_paths(
    new_page: Callable[..., Any], origins: tuple[str, str], database_url: str, listed: bool
) -> None:
    shop, stranger = origins
    options = {"cors_origins": shop} if listed else {}
    key = in_thread(lambda: asyncio.run(create_key(database_url)))
    with merchant_server(database_url, **options) as server:
        assert _fetches(new_page, shop, server, key) == (ALLOWED if listed else BLOCKED)
        assert _fetches(new_page, stranger, server, key) == BLOCKED


def test_docs_render_with_no_other_host(new_page: Callable[..., Any], database_url: str) -> None:
    with merchant_server(database_url) as server:
        page = new_page()
        elsewhere: list[str] = []

        def only_the_server(route: Any) -> None:
            if route.request.url.startswith(server):
                route.continue_()
            else:
                elsewhere.append(route.request.url)
                route.abort()

        page.route("**/*", only_the_server)
        page.goto(f"{server}/docs")
        page.wait_for_selector(".swagger-ui .info .title")
        assert "paydesk merchant server" in page.inner_text(".swagger-ui .info .title")
        assert page.is_visible("button.authorize")  # the bearer scheme: paste an API key
        page.wait_for_selector('[data-path="/api/products"]')  # the operations are listed
        assert elsewhere == []
        assert page.goto(f"{server}/redoc").status == 404  # FastAPI's CDN page is not served

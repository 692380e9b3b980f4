"""Browser fixtures: Debian's Chromium through Playwright, and a plain merchant shop.

``admin_server`` is the real merchant server with a staff user, for the admin
console's pages (log a page in with ``tests.support.admin.login``).

The shop is a static HTML page on its own port (another origin than the
emulator) whose only link to the emulator is ``<script src=".../v1/iamport.js">``,
exactly what a merchant changes to rehearse against the emulator.  The same
server records the merchant side: webhooks, confirm calls, redirect landings
and a beacon the shop's callback sends (to observe ordering).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.integration.web.shop import merchant_app
from tests.support.admin import create_staff
from tests.support.db import sqlite_template
from tests.support.emulator import DEMO_CODE, EmulatorClient
from tests.support.receiver import Receiver
from tests.support.servers import serve

__all__ = ["AdminServer", "Shop", "sqlite_template"]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)

SHOP_HTML = """<!doctype html>
<html lang="ko">
<head>
  <meta charset="utf-8">
  <title>Plain merchant shop</title>
  <script src="{emulator}/v1/iamport.js"></script>
</head>
<body>
  <h1>A merchant page that knows nothing about paydesk</h1>
  <button id="buy">구매하기</button>
  <button id="verify">본인인증</button>
  <pre id="result"></pre>
  <script>
    IMP.init("imp00000001");
    window.__params = null;
    function done(rsp) {{
      window.__rsp = rsp;
      navigator.sendBeacon("/callback", JSON.stringify(rsp));
      document.getElementById("result").textContent = JSON.stringify(rsp);
    }}
    document.getElementById("buy").addEventListener("click", function () {{
      IMP.request_pay(window.__params, done);
    }});
    document.getElementById("verify").addEventListener("click", function () {{
      IMP.certification(window.__params, done);
    }});
  </script>
</body>
</html>
"""
RETURN_HTML = "<!doctype html><meta charset='utf-8'><title>returned</title><p id='landed'>ok</p>"


@dataclass
class Shop:
    """The merchant shop of one test: its receiver and its URLs."""

    receiver: Receiver
    url: str

    def page_url(self, name: str = "shop") -> str:
        return f"{self.url}/{name}"


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One browser per module: Playwright's sync API holds an event loop while it runs,
    so it must stop before the asyncio tests of other modules start."""
    if not CHROMIUM.exists():
        pytest.skip(
            "browser tests need Debian's Chromium at /usr/bin/chromium (apt install chromium)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(chromium: Any) -> Iterator[Callable[..., Any]]:
    """Open pages in fresh browser contexts (``user_agent=`` for a phone)."""
    contexts: list[Any] = []

    def open_page(**context_options: Any) -> Any:
        context = chromium.new_context(**context_options)
        context.set_default_timeout(15000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: Callable[..., Any]) -> Any:
    return new_page()


@pytest.fixture(scope="session")
def shop_server(emulator_url: str) -> Iterator[Shop]:
    receiver = Receiver(pages={"/shop": SHOP_HTML.format(emulator=emulator_url)})
    receiver.pages["/return"] = RETURN_HTML
    with serve(receiver.app) as url:
        yield Shop(receiver, url)


@pytest.fixture
def shop(shop_server: Shop, emu: EmulatorClient) -> Iterator[Shop]:
    """The page's server; the demo merchant delivers to it ``once`` (these tests count hits).

    The demo merchant's default is the ``realistic`` preset (random copies, jitter),
    put back afterwards.
    """
    shop_server.receiver.reset()
    emu.control("PUT", f"/merchants/{DEMO_CODE}/settings", json={"delivery": "once"})
    yield shop_server
    emu.control("PUT", f"/merchants/{DEMO_CODE}/settings", json={"delivery": "realistic"})
    shop_server.receiver.reset()


@pytest.fixture
def settings(emu: EmulatorClient) -> Iterator[Callable[..., None]]:
    """Change the demo merchant's settings for one test, then restore the defaults."""

    def apply(**changes: Any) -> None:
        emu.control("PUT", f"/merchants/{DEMO_CODE}/settings", json=changes)

    yield apply
    apply(webhook_url=None, webhook_content_type="json", confirm_enabled=True, delivery="realistic")


@dataclass
class AdminServer:
    """A merchant server for admin-console tests, with one staff user (``tests.support.admin``
    ``STAFF_PASSWORD``) named ``admin``."""

    url: str
    database_url: str


@pytest.fixture
def admin_server(sqlite_template: Path, tmp_path: Path) -> Iterator[AdminServer]:
    """The real merchant server over a fresh SQLite copy, i'mport unused (log pages in
    with ``tests.support.admin.login``)."""
    path = tmp_path / "admin.db"
    shutil.copyfile(sqlite_template, path)
    database_url = f"sqlite+aiosqlite:///{path}"
    create_staff(database_url)
    with merchant_app(database_url) as (url, _):
        yield AdminServer(url, database_url)

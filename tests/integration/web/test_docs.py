"""``/docs`` works offline: the page names no other host, and every asset it
references is served by the app itself."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from paydesk.store.migrate import upgrade
from tests.support.db import in_thread

from .shop import merchant_server

ASSET = re.compile(r"""(?:src|href|url)\s*[=:]\s*['"]([^'"]+)['"]""")


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    database = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('docs') / 'paydesk.db'}"
    in_thread(upgrade, database)
    with merchant_server(database) as base:
        yield base


def test_the_page_and_all_it_references_come_from_the_app(url: str) -> None:
    html = httpx.get(url + "/docs")
    assert html.status_code == 200
    assert "text/html" in html.headers["content-type"]
    referenced = ASSET.findall(html.text)
    assert "/openapi.json" in referenced
    assets = [ref for ref in referenced if ref != "/openapi.json"]
    assert len(assets) >= 3, referenced  # script, stylesheet, icon
    assert not re.search(r"https?://", html.text.replace(url, "")), "a URL of another host"
    for ref in referenced:
        assert ref.startswith("/"), ref
        answer = httpx.get(url + ref)
        assert answer.status_code == 200, ref
        assert len(answer.content) > 0, ref


def test_assets_are_the_pinned_swagger_ui_5(url: str) -> None:
    script = httpx.get(f"{url}/docs/assets/swagger-ui-bundle.js")
    assert "javascript" in script.headers["content-type"]
    assert "SwaggerUIBundle" in script.text
    assert httpx.get(f"{url}/docs/assets/missing.js").status_code == 404


def test_the_asset_folder_serves_only_its_own_files(url: str, tmp_path: Path) -> None:
    for probe in ("%2e%2e/%2e%2e/settings.py", "..%2f..%2fpyproject.toml"):
        answer = httpx.get(f"{url}/docs/assets/{probe}")
        assert answer.status_code == 404, probe

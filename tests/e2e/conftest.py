"""Fixtures for the end-to-end tests: a migrated database of each backend, a running shop."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio

from paydesk.bootstrap import build_worker
from tests.support.auth import ALL_SCOPES
from tests.support.db import database_url, postgres_database, sqlite_template
from tests.support.emulator import DEMO_CODE, EmulatorClient
from tests.support.servers import free_port, serve

from .harness import (
    RUNNING,
    WORKER_POLICY,
    ShiftedClock,
    Shop,
    shop_app,
    shop_services,
    shop_settings,
)

__all__ = [
    "database_url",
    "merchant_defaults",
    "postgres_database",
    "shop",
    "shop_options",
    "sqlite_template",
]


@pytest.fixture
def merchant_defaults(emu: EmulatorClient) -> Iterator[None]:
    """Put the demo merchant's webhook settings back after a test changes them.

    The demo merchant delivers ``realistic``ally (duplicates, jitter, either order
    with the browser) and the shop's tests run so; a test that needs one
    deterministic delivery sets it (e.g. ``{"delivery": "once"}``) and uses this.
    """
    yield
    emu.control(
        "PUT",
        f"/merchants/{DEMO_CODE}/settings",
        json={"webhook_url": None, "webhook_content_type": "json", "delivery": "realistic"},
    )


@pytest.fixture
def shop_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Extra ``Settings`` of the shop (parametrize indirectly to change them)."""
    options: dict[str, Any] = getattr(request, "param", {})
    return options


@pytest_asyncio.fixture
async def shop(
    emu: EmulatorClient, emulator_url: str, database_url: str, shop_options: dict[str, Any]
) -> AsyncIterator[Shop]:
    """The merchant server over real HTTP, and a worker the test drives."""
    clock = ShiftedClock()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = shop_settings(database_url, emulator_url, url, **shop_options)
    with serve(shop_app(settings, clock), port=port):
        services = shop_services(settings, clock)
        worker, _ = build_worker(settings, WORKER_POLICY, services)
        key = (await services.api_keys.create("e2e", ALL_SCOPES)).token
        shop = Shop(url, clock, emulator_url, services.store, services, worker, key)
        RUNNING.append(shop)
        try:
            yield shop
        finally:
            RUNNING.remove(shop)
            await shop.http.aclose()
            await services.aclose()

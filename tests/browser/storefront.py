"""The whole merchant app for browser tests: the demo shop on its own port, over a real
database of each backend, paying through the emulator's ``iamport.js``.

``Storefront`` holds the server's URL and an API client (a key of every scope)
the test uses to set up products and plans and to read orders back, as the
merchant would. Webhooks (e.g. a virtual account's deposit) are done inline by
the server (``build_server``), so no worker is needed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from paydesk.bootstrap import build_server
from tests.e2e.harness import shop_services, shop_settings
from tests.support.auth import bearer, create_key
from tests.support.db import database_url, in_thread, postgres_database, sqlite_template
from tests.support.servers import free_port, serve

__all__ = ["Storefront", "database_url", "postgres_database", "sqlite_template", "storefront"]


@dataclass
class Storefront:
    """A running merchant server with the shop, and the merchant's API client."""

    url: str
    api: httpx.Client
    app: FastAPI | None = None  # the server's app (for walks over its routes)

    def product(self, sku: str, *, price: int = 15_000, stock: int = 10, **extra: Any) -> int:
        body = {"sku": sku, "name": f"상품 {sku}", "price": price, "stock": stock, **extra}
        made = self.api.post("/api/products", json=body)
        assert made.status_code == 201, made.text
        product_id: int = made.json()["id"]
        return product_id

    def order(self, merchant_uid: str) -> dict[str, Any]:
        found = self.api.get(f"/api/orders/by-merchant-uid/{merchant_uid}")
        assert found.status_code == 200, found.text
        order: dict[str, Any] = found.json()
        return order

    def orders(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.api.get("/api/orders").json()["items"]
        return items

    def page_of(self, product_id: int) -> str:
        return f"{self.url}/shop/products/{product_id}"


@pytest.fixture
def storefront(database_url: str, emulator_url: str) -> Iterator[Storefront]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = shop_settings(database_url, emulator_url, url)
    app = build_server(settings, shop_services(settings))
    with serve(app, port=port):
        key = in_thread(lambda: asyncio.run(create_key(database_url)))
        with httpx.Client(base_url=url, timeout=30, headers=bearer(key)) as api:
            yield Storefront(url, api, app)

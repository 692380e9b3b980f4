"""Helpers for the merchant-server tests: a running server, orders, confirms."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from paydesk.bootstrap import build_server, build_services
from paydesk.core.clock import Clock, SystemClock
from paydesk.core.money import Money
from paydesk.core.stock import Line
from paydesk.services.ordering import OrderDesk, OrderRequest, PlacedOrder
from paydesk.settings import Settings
from paydesk.store import Database
from tests.support.auth import TEST_SECRET_KEY, bearer, create_key
from tests.support.emulator import DEMO_KEY, DEMO_SECRET
from tests.support.servers import serve


@dataclass
class EmulatorRegistrar:
    """Registers amounts with the emulator's real ``POST /payments/prepare``."""

    http: httpx.AsyncClient
    token: str
    prepared: list[str] = field(default_factory=list)

    @classmethod
    async def connect(cls, base_url: str) -> EmulatorRegistrar:
        http = httpx.AsyncClient(base_url=base_url, timeout=10)
        credentials = {"imp_key": DEMO_KEY, "imp_secret": DEMO_SECRET}
        token = (await http.post("/users/getToken", json=credentials)).json()
        return cls(http, token["response"]["access_token"])

    async def prepare(self, merchant_uid: str, amount: Money) -> None:
        body = {"merchant_uid": merchant_uid, "amount": int(amount.major())}
        headers = {"Authorization": f"Bearer {self.token}"}
        answer = await self.http.post("/payments/prepare", json=body, headers=headers)
        assert answer.status_code == 200 and answer.json()["code"] == 0, answer.text
        self.prepared.append(merchant_uid)

    async def close(self) -> None:
        await self.http.aclose()


#: For servers whose tests never reach i'mport: credentials for a port nothing listens on.
UNUSED_IAMPORT = {
    "PAYDESK_IAMPORT_BASE_URL": "http://127.0.0.1:9",
    "PAYDESK_IAMPORT_KEY": "unused",
    "PAYDESK_IAMPORT_SECRET": "unused",
    "PAYDESK_SECRET_KEY": TEST_SECRET_KEY,
}
UNUSED_IAMPORT_SETTINGS = {
    name.removeprefix("PAYDESK_").lower(): value for name, value in UNUSED_IAMPORT.items()
}


@contextmanager
def merchant_app(
    database_url: str, *, clock: Clock | None = None, port: int | None = None, **settings: Any
) -> Iterator[tuple[str, FastAPI]]:
    """The merchant app on a real socket, with its own ``Database`` on the server's loop."""
    config = Settings(database_url=database_url, **{**UNUSED_IAMPORT_SETTINGS, **settings})
    app = build_server(config, build_services(config, clock=clock))
    with serve(app, port=port) as url:
        yield url, app


@asynccontextmanager
async def merchant_api(
    database_url: str, *, clock: Clock | None = None, **settings: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """``merchant_server``, and a client for it that sends an API key of every scope."""
    with merchant_server(database_url, clock=clock, **settings) as url:
        key = await create_key(database_url)
        async with httpx.AsyncClient(base_url=url, timeout=15, headers=bearer(key)) as http:
            yield http


@contextmanager
def merchant_server(
    database_url: str, *, clock: Clock | None = None, **settings: Any
) -> Iterator[str]:
    """``merchant_app``, when only the URL matters."""
    with merchant_app(database_url, clock=clock, **settings) as (url, _):
        yield url


async def add_product(
    http: httpx.AsyncClient, sku: str, *, stock: int, price: int = 10_000
) -> dict[str, Any]:
    answer = await http.post(
        "/api/products", json={"sku": sku, "name": f"상품 {sku}", "price": price, "stock": stock}
    )
    assert answer.status_code == 201, answer.text
    product: dict[str, Any] = answer.json()
    return product


async def place(desk: OrderDesk, *items: tuple[int, int]) -> PlacedOrder:
    return await desk.place(
        OrderRequest([Line(pid, qty) for pid, qty in items], {"name": "홍길동"})
    )


def order_desk(
    database: Database, registrar: EmulatorRegistrar, clock: Clock | None = None
) -> OrderDesk:
    return OrderDesk(database, clock or SystemClock(), registrar, ttl=timedelta(minutes=30))


def confirm_body(order: PlacedOrder, imp_uid: str, **overrides: Any) -> dict[str, Any]:
    return {
        "imp_uid": imp_uid,
        "merchant_uid": order.merchant_uid,
        "amount": order.amount.amount,
        **overrides,
    }


async def stock_of(
    http: httpx.AsyncClient, product_ids: Sequence[int]
) -> dict[int, dict[str, int]]:
    counts = {}
    for pid in product_ids:
        answer = await http.get(f"/api/products/{pid}")
        counts[pid] = answer.json()["stock"]
    return counts

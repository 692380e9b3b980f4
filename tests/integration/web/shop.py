"""Helpers for the merchant-server tests: a running server, orders, confirms."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx

from paydesk.core.clock import Clock, SystemClock
from paydesk.core.money import Money
from paydesk.core.stock import Line
from paydesk.services.ordering import OrderDesk, OrderRequest, PlacedOrder
from paydesk.settings import Settings
from paydesk.store import Database
from paydesk.web.app import create_app
from tests.support.emulator import DEMO_KEY, DEMO_SECRET
from tests.support.servers import serve


@dataclass
class EmulatorRegistrar:
    """Registers amounts with the emulator's real ``POST /payments/prepare``."""

    base_url: str
    prepared: list[str] = field(default_factory=list)

    async def prepare(self, merchant_uid: str, amount: Money) -> None:
        async with httpx.AsyncClient(base_url=self.base_url, timeout=10) as http:
            token = await http.post(
                "/users/getToken", json={"imp_key": DEMO_KEY, "imp_secret": DEMO_SECRET}
            )
            headers = {"Authorization": token.json()["response"]["access_token"]}
            body = {"merchant_uid": merchant_uid, "amount": int(amount.major())}
            answer = await http.post("/payments/prepare", json=body, headers=headers)
        assert answer.status_code == 200 and answer.json()["code"] == 0, answer.text
        self.prepared.append(merchant_uid)


@contextmanager
def merchant_server(
    database_url: str, *, clock: Clock | None = None, **settings: Any
) -> Iterator[str]:
    """The merchant app on a real socket, with its own ``Database`` on the server's loop."""
    config = Settings(database_url=database_url, **settings)
    app = create_app(settings=config, database=Database(database_url), clock=clock or SystemClock())
    with serve(app) as url:
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

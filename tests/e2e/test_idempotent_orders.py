"""Placing an order again with its ``Idempotency-Key`` returns the same order, registered once.

The emulator counts every ``POST /payments/prepare`` through a do-nothing
fault rule (zero latency), so the test sees how often the amount was
registered at i'mport, not just what the server answered.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.support.emulator import EmulatorClient

from .harness import Shop

pytestmark = pytest.mark.asyncio
PROBLEM = "application/problem+json"


def body(product_id: int, quantity: int = 1) -> dict[str, Any]:
    return {"items": [{"product_id": product_id, "quantity": quantity}],
            "buyer": {"name": "홍길동", "tel": "010-1234-5678"},
            "pay_method": "card", "pg": "html5_inicis"}  # fmt: skip


def registrations(emu: EmulatorClient, fault_id: str) -> int:
    [rule] = [f for f in emu.control("GET", "/faults") if f["id"] == fault_id]
    return int(rule["fired"])


async def test_an_order_placed_twice_with_one_key_is_one_order_registered_once(
    shop: Shop, emu: EmulatorClient
) -> None:
    product = await shop.product("mug", stock=5, price=12_000)
    counter = emu.fault(path="/payments/prepare", method="POST", kind="latency", delay=0)
    key = {"Idempotency-Key": "order-mug-1"}

    first = await shop.http.post("/api/orders", json=body(product["id"]), headers=key)
    again = await shop.http.post("/api/orders", json=body(product["id"]), headers=key)
    assert first.status_code == again.status_code == 201, again.text
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert again.headers["location"] == f"/api/orders/{first.json()['order']['id']}"
    assert registrations(emu, counter["id"]) == 1
    merchant_uid = first.json()["request_pay"]["merchant_uid"]
    prepared = emu.get(f"/payments/prepare/{merchant_uid}").json()["response"]
    assert prepared["amount"] == 12_000

    other = await shop.http.post("/api/orders", json=body(product["id"], 2), headers=key)
    assert (other.status_code, other.headers["content-type"]) == (409, PROBLEM)
    assert other.json()["title"] == "Idempotency key reused"
    assert registrations(emu, counter["id"]) == 1

    listed = (await shop.http.get("/api/orders")).json()["items"]
    assert [o["id"] for o in listed] == [first.json()["order"]["id"]]


async def test_concurrent_placements_with_one_key_make_one_order(
    shop: Shop, emu: EmulatorClient
) -> None:
    product = await shop.product("cup", stock=5, price=8_000)
    counter = emu.fault(path="/payments/prepare", method="POST", kind="latency", delay=0.2)
    key = {"Idempotency-Key": "order-cup-burst"}
    answers = await asyncio.gather(*(
        shop.http.post("/api/orders", json=body(product["id"]), headers=key) for _ in range(6)
    ))  # fmt: skip
    made = [a for a in answers if a.status_code == 201]
    busy = [a for a in answers if a.status_code == 409]
    assert len(made) + len(busy) == 6 and made, [a.text for a in answers]
    assert all(a.json()["title"] == "Request in progress" for a in busy)
    assert len({a.json()["order"]["id"] for a in made}) == 1
    assert registrations(emu, counter["id"]) == 1
    late = await shop.http.post("/api/orders", json=body(product["id"]), headers=key)
    assert late.json()["order"]["id"] == made[0].json()["order"]["id"]
    assert (await shop.stock(product["id"]))["available"] == 5  # nothing held twice

"""The chaos run's simulated buyers and operators, one coroutine per scheduled ``Op``.

Buyers talk to the servers through the network (``Network.url``) and to the
emulator's payment window over plain HTTP, the requests a browser makes
(``tests/support/window_http.py`` does the same for tests). Every write to the
API carries an ``Idempotency-Key`` and is sent again under the same key when
the answer was lost (a server killed mid-request), as a careful client does.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import re
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.chaos_plan import Op

GOOD, DECLINES = "4111-1111-1111-1111", "4000-0000-0000-0002"
_SID = re.compile(r'data-sid="([^"]*)"')
_RSP = re.compile(r'<script type="application/json" id="paydesk-result">(.*?)</script>', re.S)
RETRY = (502, 503, 504)


@dataclass
class World:
    """What the buyers share: clients, the catalogue, and what happened."""

    api: httpx.AsyncClient  # the servers, through the network, with an API key of every scope
    emulator: httpx.AsyncClient
    engine: AsyncEngine
    seed: int
    products: list[dict[str, Any]] = field(default_factory=list)
    plan_id: int = 0
    paid: list[tuple[str, int]] = field(default_factory=list)  # (imp_uid, amount) by card
    counts: Counter[str] = field(default_factory=Counter)
    flash_products: list[int] = field(default_factory=list)

    def rng(self, op: Op) -> random.Random:
        return random.Random(f"{self.seed}:op:{op.number}")

    async def call(
        self,
        method: str,
        path: str,
        *,
        key: str | None = None,
        body: Any = None,
        attempts: int = 12,
    ) -> httpx.Response:
        """One API call, sent again (same key) while no server answered."""
        headers = {"Idempotency-Key": key} if key else {}
        answer: httpx.Response | None = None
        for attempt in range(attempts):
            try:
                answer = await self.api.request(method, path, json=body, headers=headers)
            except httpx.HTTPError:
                answer = None
            if answer is not None and answer.status_code not in RETRY:
                return answer
            await asyncio.sleep(min(0.5 * (attempt + 1), 3.0))  # about 25 s in all
        if answer is None:
            raise RuntimeError(f"{method} {path}: no answer")
        return answer


async def setup(world: World, flash_ops: int) -> None:
    """The catalogue (products of plenty and one flash-sale product per race) and a plan."""
    for i, price in enumerate((12_000, 25_000, 39_000)):
        made = await world.call(
            "POST",
            "/api/products",
            key=f"setup-p{i}",
            body={
                "sku": f"chaos-{i}",
                "name": f"카오스 상품 {i}",
                "price": price,
                "stock": 100_000,
            },
        )
        assert made.status_code in (200, 201), made.text
        world.products.append(made.json())
    for i in range(flash_ops):
        made = await world.call(
            "POST",
            "/api/products",
            key=f"setup-f{i}",
            body={"sku": f"chaos-flash-{i}", "name": f"타임세일 {i}", "price": 9_900, "stock": 3},
        )
        assert made.status_code in (200, 201), made.text
        world.flash_products.append(made.json()["id"])
    plan = await world.call(
        "POST",
        "/api/plans",
        key="setup-plan",
        body={
            "code": "chaos-daily",
            "name": "매일 구독",
            "amount": 4_900,
            "interval_unit": "day",
            "interval_count": 1,
            "dunning_days": [1],
        },
    )
    assert plan.status_code in (200, 201), plan.text
    world.plan_id = plan.json()["id"]


async def place(
    world: World, product_id: int, quantity: int, pay_method: str, pg: str = "html5_inicis"
) -> dict[str, Any] | None:
    body = {
        "items": [{"product_id": product_id, "quantity": quantity}],
        "buyer": {"name": "홍길동", "tel": "010-1234-5678", "email": "buyer@example.com"},
        "pay_method": pay_method,
        "pg": pg,
    }
    answer = await world.call("POST", "/api/orders", key=f"order-{uuid.uuid4().hex}", body=body)
    if answer.status_code != 201:
        world.counts[f"order refused {answer.status_code}"] += 1
        return None
    world.counts["orders placed"] += 1
    placed: dict[str, Any] = answer.json()
    return placed


async def window(world: World, placed: dict[str, Any], form: dict[str, str]) -> dict[str, Any]:
    """Open the payment window for ``placed`` and submit ``form``: the callback's ``rsp``."""
    params = {k: v for k, v in placed["request_pay"].items() if v is not None}
    opened = await world.emulator.post(
        "/window/pay",
        data={
            "imp_code": "imp00000001",
            "params": json.dumps(params, ensure_ascii=False),
            "mode": "modal",
            "origin": "http://merchant.test",
        },
    )
    sid = _SID.search(opened.text)
    if opened.status_code != 200 or not sid:
        return {"status": "window-refused"}
    done = await world.emulator.post(f"/window/{sid.group(1)}/submit", data=form)
    match = _RSP.search(done.text)
    if not match:
        return {"status": "no-result"}
    rsp: dict[str, Any] = json.loads(match.group(1))
    if rsp.get("status") == "failed":
        world.counts[f"window failed: {str(rsp.get('error_msg'))[:60]}"] += 1
    return rsp


async def complete(world: World, rsp: dict[str, Any]) -> None:
    """The browser's completion call (the buyer may also just close the tab)."""
    if rsp.get("imp_uid"):
        with contextlib.suppress(RuntimeError):
            await world.call(
                "POST",
                "/iamport/complete",
                body={"imp_uid": rsp["imp_uid"], "merchant_uid": rsp["merchant_uid"]},
            )


async def card(world: World, op: Op) -> None:
    rng = world.rng(op)
    product = rng.choice(world.products)
    placed = await place(world, product["id"], op.quantity, "card")
    if placed is None:
        return
    rsp = await window(
        world,
        placed,
        {"card_number": GOOD if op.pay else DECLINES, "expiry": "12/30", "card_quota": "0"},
    )
    world.counts[f"card {rsp.get('status')}"] += 1
    if rng.random() < 0.85:
        await complete(world, rsp)
    if rsp.get("status") != "paid":
        return
    amount = int(placed["order"]["amount"])
    world.paid.append((rsp["imp_uid"], amount))
    await asyncio.sleep(rng.uniform(0.2, 3.0))
    await refunds(world, op, placed["order"]["id"], amount, rng)


async def refunds(world: World, op: Op, order_id: int, amount: int, rng: random.Random) -> None:
    path = f"/api/orders/{order_id}/refunds"
    part = max(1, int(amount * op.partial_ratio))

    async def ask(body: dict[str, Any], key: str) -> None:
        try:
            answer = await world.call("POST", path, key=key, body={"reason": "고객 요청", **body})
            world.counts[f"refund answered {answer.status_code}"] += 1
        except RuntimeError:
            world.counts["refund unanswered"] += 1

    if op.refund == "full":
        await ask({}, uuid.uuid4().hex)
    elif op.refund == "partial":
        await ask({"amount": part}, uuid.uuid4().hex)
    elif op.refund == "partial_twice":
        await ask({"amount": part}, uuid.uuid4().hex)
        await ask({"amount": part}, uuid.uuid4().hex)
    elif op.refund == "same_key":
        key = uuid.uuid4().hex
        body = {} if rng.random() < 0.5 else {"amount": part}
        await asyncio.gather(ask(body, key), ask(body, key))
    elif op.refund == "other_keys":
        await asyncio.gather(
            ask({}, uuid.uuid4().hex),
            ask({}, uuid.uuid4().hex),
            ask({"amount": part}, uuid.uuid4().hex),
        )


async def vbank(world: World, op: Op) -> None:
    rng = world.rng(op)
    product = rng.choice(world.products)
    placed = await place(world, product["id"], 1, "vbank")
    if placed is None:
        return
    rsp = await window(world, placed, {"bank_code": "004"})
    world.counts[f"vbank {rsp.get('status')}"] += 1
    await complete(world, rsp)
    if rsp.get("status") != "ready" or not op.pay:
        return
    await asyncio.sleep(rng.uniform(0.5, 5.0))
    answer = await world.emulator.post(f"/_emulator/vbanks/{rsp['imp_uid']}/deposit", json={})
    world.counts[f"vbank deposit {answer.status_code}"] += 1


async def flash(world: World, op: Op) -> None:
    """``op.buyers`` buyers race through the Confirm Process for one product of 3 units."""
    product_id = world.flash_products[(op.number * 7919) % len(world.flash_products)]

    async def one() -> None:
        placed = await place(world, product_id, 1, "card")
        if placed is None:
            return
        rsp = await window(
            world, placed, {"card_number": GOOD, "expiry": "12/30", "card_quota": "0"}
        )
        world.counts[f"flash {rsp.get('status')}"] += 1
        await complete(world, rsp)

    await asyncio.gather(*(one() for _ in range(op.buyers)))


async def subscribe(world: World, op: Op) -> None:
    customer = f"chaos_cust_{world.seed}_{op.number}"
    key = await world.call(
        "POST",
        f"/api/customers/{customer}/billing-key",
        key=f"bk-{customer}",
        body={
            "card_number": GOOD,
            "expiry": "2031-07",
            "birth": "880315",
            "pwd_2digit": "47",
            "pg": "nice",
        },
    )
    world.counts[f"billing key {key.status_code}"] += 1
    if key.status_code not in (200, 201):
        return
    made = await world.call(
        "POST",
        "/api/subscriptions",
        key=f"sub-{customer}",
        body={"plan_id": world.plan_id, "customer_uid": customer},
    )
    world.counts[f"subscribe {made.status_code}"] += 1


async def period(world: World, op: Op) -> None:
    """A billing period ends for every active subscription.

    The servers run on the system clock, which a test cannot move from outside
    the process; the period's end is brought to now instead (as a day passing
    would), and the workers' sweep charges it.
    """
    async with world.engine.begin() as connection:
        moved = await connection.execute(
            text(
                "UPDATE subscriptions SET next_charge_at = now() "
                "WHERE status = 'active' AND next_charge_at > now()"
            )
        )
    world.counts["periods ended"] += moved.rowcount or 0


async def console_cancel(world: World, op: Op) -> None:
    rng = world.rng(op)
    if not world.paid:
        return
    imp_uid, amount = rng.choice(world.paid)
    form = {"reason": "콘솔 취소"}
    if rng.random() < 0.5:
        form["amount"] = str(max(1, int(amount * op.partial_ratio / 2)))
    answer = await world.emulator.post(f"/console/payments/{imp_uid}/cancel", data=form)
    ok = answer.status_code == 303 and "failed" not in answer.headers.get("location", "")
    world.counts["console cancels" if ok else "console cancels refused"] += 1


RUN = {
    "card": card,
    "vbank": vbank,
    "flash": flash,
    "subscribe": subscribe,
    "period": period,
    "console_cancel": console_cancel,
}


async def run_op(world: World, op: Op) -> None:
    try:
        await RUN[op.kind](world, op)
    except Exception as exc:  # a buyer's failure is counted, the run goes on
        world.counts[f"{op.kind} error {type(exc).__name__}"] += 1

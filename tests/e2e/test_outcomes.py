"""Payments that do not simply end paid: failures, late approvals, early webhooks, and
payments we cannot keep (tampered amount, nothing to sell) — refunded automatically.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from paydesk.core.stock import Line
from paydesk.services.iamport_port import IamportPayments
from paydesk.services.ordering import OrderDesk, OrderRequest
from tests.support.emulator import DEMO_CODE, EmulatorClient, seed
from tests.support.window_http import WindowClient

from .harness import Shop, delivered, iamport_client, webhook_jobs_settled

pytestmark = pytest.mark.asyncio
DECLINED = "4000-0000-0000-0002"


def request_pay(placed: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in placed["request_pay"].items() if v is not None}


async def test_a_failed_payment_releases_its_hold_when_the_worker_asks(
    shop: Shop, emu: EmulatorClient, window: WindowClient
) -> None:
    product = await shop.product("cap", stock=1, price=25_000)
    placed = await shop.order((product["id"], 1))
    rsp = window.pay_card(request_pay(placed), card=DECLINED)
    assert rsp["status"] == "failed" and rsp["imp_uid"]
    assert emu.webhooks(rsp["imp_uid"]) == []  # i'mport sends none for a failure
    assert await shop.stock(product["id"]) == {"available": 0, "held": 1, "sold": 0}

    assert await shop.run_worker() == 0  # the hold check is not due yet
    shop.clock.advance(121)
    assert await shop.run_worker() >= 1

    order = await shop.order_state(rsp["merchant_uid"])
    assert (order["status"], order["holding"]) == ("failed", False)
    assert order["payments"][0]["status"] == "failed"
    assert await shop.stock(product["id"]) == {"available": 1, "held": 0, "sold": 0}

    # then the PG approves it after all (a late "paid" webhook): sold from free stock
    emu.control("POST", f"/payments/{rsp['imp_uid']}/late-paid")
    await delivered(emu, rsp["imp_uid"])
    order = await shop.order_state(rsp["merchant_uid"])
    assert (order["status"], order["paid_amount"]) == ("paid", 25_000)
    assert await shop.stock(product["id"]) == {"available": 0, "held": 0, "sold": 1}


@pytest.mark.usefixtures("merchant_defaults")
async def test_a_webhook_before_its_order_is_kept_and_applied_later(
    shop: Shop, emu: EmulatorClient
) -> None:
    # one delivery, no random copy: the test counts the jobs the worker runs
    emu.control("PUT", f"/merchants/{DEMO_CODE}/settings", json={"delivery": "once"})
    product = await shop.product("book", stock=2, price=18_000)
    merchant_uid = "ord_early_webhook_0001"
    payment = seed(emu, merchant_uid=merchant_uid, amount=18_000, notice_url=shop.notice_url)
    await delivered(emu, payment["imp_uid"])
    await webhook_jobs_settled(shop.database)  # its job ran after the answer, and failed
    assert (await shop.http.get(f"/api/payments/{payment['imp_uid']}")).status_code == 404

    client = iamport_client(shop.emulator_url)
    try:
        desk = OrderDesk(shop.database, shop.clock, IamportPayments(client),
                         ttl=timedelta(minutes=30), new_uid=lambda _: merchant_uid)  # fmt: skip
        await desk.place(OrderRequest([Line(product["id"], 1)]))
    finally:
        await client.aclose()
    assert await shop.run_worker() == 0  # backing off
    shop.clock.advance(5)
    assert await shop.run_worker() == 1

    order = await shop.order_state(merchant_uid)
    assert (order["status"], order["paid_amount"]) == ("paid", 18_000)
    assert await shop.stock(product["id"]) == {"available": 1, "held": 0, "sold": 1}


async def test_a_tampered_amount_is_refunded_in_full_and_the_order_flagged(
    shop: Shop, emu: EmulatorClient
) -> None:
    product = await shop.product("watch", stock=1, price=200_000)
    placed = await shop.order((product["id"], 1))
    merchant_uid = placed["request_pay"]["merchant_uid"]
    forged = seed(emu, merchant_uid=merchant_uid, amount=200, notice_url=shop.notice_url)
    await delivered(emu, forged["imp_uid"])

    order = await shop.order_state(merchant_uid)
    assert (order["status"], order["paid_amount"]) == ("flagged", 200)
    [owed] = order["refunds"]
    assert (owed["amount"], owed["origin"], owed["reason"]) == (200, "auto", "amount mismatch")
    assert await shop.stock(product["id"]) == {"available": 1, "held": 0, "sold": 0}

    assert await shop.run_worker() == 1

    at_iamport = emu.get(f"/payments/{forged['imp_uid']}").json()["response"]
    assert (at_iamport["status"], at_iamport["cancel_amount"]) == ("cancelled", 200)
    order = await shop.order_state(merchant_uid)
    assert (order["status"], order["refunded_amount"]) == ("refunded", 200)
    [refund] = order["refunds"]
    assert (refund["state"], refund["checksum"]) == ("succeeded", 200)
    assert refund["cancellation_id"] == at_iamport["cancel_history"][0]["cancellation_id"]


@pytest.mark.parametrize(("stock", "late"), [(0, 0), (3, 1801)], ids=["sold-out", "expired"])
async def test_a_payment_with_nothing_to_sell_is_refunded_automatically(
    shop: Shop, emu: EmulatorClient, stock: int, late: int
) -> None:
    product = await shop.product("sold-out", stock=stock, price=7_000)
    placed = await shop.order((product["id"], 1))
    merchant_uid = placed["request_pay"]["merchant_uid"]
    # an order expires after PAYDESK_ORDER_TTL_SECONDS (1800): the buyer pays after that, on
    # both clocks (expiry is judged at i'mport's paid_at, not when the result reaches us)
    shop.clock.advance(late)
    if late:
        await asyncio.to_thread(emu.advance, late)
    payment = seed(emu, merchant_uid=merchant_uid, amount=7_000, notice_url=shop.notice_url)
    await delivered(emu, payment["imp_uid"])
    assert (await shop.order_state(merchant_uid))["status"] == "flagged"

    assert await shop.run_worker() == 1
    assert await shop.run_worker() == 0  # done for good

    order = await shop.order_state(merchant_uid)
    assert (order["status"], order["refunded_amount"]) == ("refunded", 7_000)
    [refund] = order["refunds"]
    assert (refund["reason"], refund["state"], refund["origin"]) == (
        "no stock",
        "succeeded",
        "auto",
    )
    assert await shop.stock(product["id"]) == {"available": stock, "held": 0, "sold": 0}
    at_iamport = emu.get(f"/payments/{payment['imp_uid']}").json()["response"]
    assert at_iamport["cancel_amount"] == 7_000


async def test_a_test_channel_payment_never_fulfils_an_order(
    shop: Shop, emu: EmulatorClient
) -> None:
    """The checklist's "test mode OFF": a sandbox payment moved no money."""
    product = await shop.product("sneakers", stock=1, price=99_000)
    placed = await shop.order((product["id"], 1))
    merchant_uid = placed["request_pay"]["merchant_uid"]
    test_payment = seed(
        emu, merchant_uid=merchant_uid, amount=99_000, sandbox=True, notice_url=shop.notice_url
    )
    await delivered(emu, test_payment["imp_uid"])

    order = await shop.order_state(merchant_uid)
    assert order["status"] != "paid"
    assert order["paid_amount"] == 0
    assert order["payments"][0]["status"] == "paid"  # i'mport's word, kept as it said it
    assert await shop.stock(product["id"]) == {"available": 1, "held": 0, "sold": 0}

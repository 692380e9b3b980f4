"""Cancels made outside our server (the i'mport console) become local refunds, once each.

The ``cancelled`` webhook is re-verified like any other; the payment's cancel
history is booked by ``cancellation_id``, so a partial cancel, a second one
and the same webhook delivered again each book exactly what is new.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.emulator import EmulatorClient
from tests.support.window_http import WindowClient

from .harness import Shop, delivered

pytestmark = pytest.mark.asyncio


async def paid(shop: Shop, emu: EmulatorClient, window: WindowClient) -> dict[str, Any]:
    product = await shop.product("lamp", stock=5, price=30_000)
    placed = await shop.order((product["id"], 1))
    rsp = window.pay_card({k: v for k, v in placed["request_pay"].items() if v is not None})
    await delivered(emu, rsp["imp_uid"])
    assert (await shop.order_state(rsp["merchant_uid"]))["status"] == "paid"
    return rsp


def console_cancel(emu: EmulatorClient, imp_uid: str, amount: int | None = None) -> None:
    form = {"reason": "고객 요청"} | ({"amount": str(amount)} if amount else {})
    answer = emu.http.post(f"/console/payments/{imp_uid}/cancel", data=form)
    assert answer.status_code == 303, answer.text
    assert "failed" not in answer.headers["location"]


async def test_a_full_console_cancel_becomes_one_refund(
    shop: Shop, emu: EmulatorClient, window: WindowClient
) -> None:
    rsp = await paid(shop, emu, window)

    console_cancel(emu, rsp["imp_uid"])
    await delivered(emu, rsp["imp_uid"], count=2)
    cancelled = [r for r in emu.webhooks(rsp["imp_uid"]) if r["payload"]["status"] == "cancelled"]
    emu.control("POST", f"/webhooks/{cancelled[0]['id']}/resend")
    await delivered(emu, rsp["imp_uid"], count=3)

    order = await shop.order_state(rsp["merchant_uid"])
    assert (order["status"], order["refunded_amount"]) == ("refunded", 30_000)
    [refund] = order["refunds"]
    assert (refund["amount"], refund["origin"], refund["state"]) == (
        30_000,
        "external",
        "succeeded",
    )
    assert refund["cancellation_id"] == cancelled[0]["payload"]["cancellation_id"]
    assert order["payments"][0]["status"] == "cancelled"


async def test_partial_console_cancels_add_up_without_duplicates(
    shop: Shop, emu: EmulatorClient, window: WindowClient
) -> None:
    rsp = await paid(shop, emu, window)

    console_cancel(emu, rsp["imp_uid"], 10_000)
    await delivered(emu, rsp["imp_uid"], count=2)
    order = await shop.order_state(rsp["merchant_uid"])
    assert (order["status"], order["refunded_amount"]) == ("partially_refunded", 10_000)

    console_cancel(emu, rsp["imp_uid"], 5_000)
    await delivered(emu, rsp["imp_uid"], count=3)
    completed = await shop.complete(rsp["imp_uid"], rsp["merchant_uid"])  # same history again
    assert completed.status_code == 200

    order = await shop.order_state(rsp["merchant_uid"])
    assert (order["status"], order["refunded_amount"]) == ("partially_refunded", 15_000)
    assert sorted(r["amount"] for r in order["refunds"]) == [5_000, 10_000]
    assert len({r["cancellation_id"] for r in order["refunds"]}) == 2
    assert order["payments"][0]["cancel_amount"] == 15_000

"""Settlement under reordering: snapshots that arrive late, histories in any order, false claims.

Regressions for the review of [7/12]: each test reproduces the interleaving
that broke the books, against the real emulator and database.
"""

from __future__ import annotations

from typing import Any

import pytest

from paydesk.iamport import Payment
from tests.support.emulator import EmulatorClient, seed
from tests.support.window_http import WindowClient

from .harness import Shop, iamport_client
from .test_cancel import console_cancel, paid

pytestmark = pytest.mark.asyncio


async def snapshot(shop: Shop, imp_uid: str) -> Payment:
    client = iamport_client(shop.emulator_url)
    try:
        return await client.payment(imp_uid)
    finally:
        await client.aclose()


async def refunds_of(shop: Shop, merchant_uid: str) -> list[dict[str, Any]]:
    refunds: list[dict[str, Any]] = (await shop.order_state(merchant_uid))["refunds"]
    return refunds


async def test_a_stale_paid_snapshot_applied_last_does_not_undo_a_console_cancel(
    shop: Shop, emu: EmulatorClient, window: WindowClient
) -> None:
    rsp = await paid(shop, emu, window)
    worker_1_read = await snapshot(shop, rsp["imp_uid"])  # worker 1 fetches "paid" ...
    console_cancel(emu, rsp["imp_uid"])
    worker_2_read = await snapshot(shop, rsp["imp_uid"])  # ... worker 2 fetches "cancelled"
    assert (worker_1_read.status, worker_2_read.status) == ("paid", "cancelled")

    await shop.services.settlement.apply(worker_2_read)  # worker 2 commits first
    await shop.services.settlement.apply(worker_1_read)  # then worker 1's older news

    order = await shop.order_state(rsp["merchant_uid"])
    assert (order["status"], order["refunded_amount"]) == ("refunded", 30_000)
    assert order["payments"][0]["status"] == "cancelled"  # the payment row never regresses
    assert [r["amount"] for r in order["refunds"]] == [30_000]


async def settled_without_webhooks(shop: Shop, emu: EmulatorClient, sku: str) -> dict[str, Any]:
    """A paid order whose later news reaches us only by ``settlement.apply`` (no webhooks)."""
    product = await shop.product(sku, stock=1, price=30_000)
    merchant_uid = (await shop.order((product["id"], 1)))["request_pay"]["merchant_uid"]
    payment = seed(emu, merchant_uid=merchant_uid, amount=30_000)
    await shop.services.settlement.apply(await snapshot(shop, payment["imp_uid"]))
    assert (await shop.order_state(merchant_uid))["status"] == "paid"
    return payment


async def test_a_partial_cancel_reported_while_still_paid_is_booked_as_a_refund(
    shop: Shop, emu: EmulatorClient
) -> None:
    rsp = await settled_without_webhooks(shop, emu, "vase")
    console_cancel(emu, rsp["imp_uid"], 10_000)
    cancelled = await snapshot(shop, rsp["imp_uid"])
    # some PGs keep a partially cancelled payment ``paid``: the same history, status paid
    still_paid = cancelled.model_copy(update={"status": "paid"})
    fresh = await shop.services.settlement.apply(still_paid)
    assert fresh.order.order.refunded.amount == 10_000

    order = await shop.order_state(rsp["merchant_uid"])
    assert (order["status"], order["refunded_amount"]) == ("partially_refunded", 10_000)
    assert order["refunded_amount"] == int(cancelled.cancel_amount)


@pytest.mark.parametrize("newest_first", [True, False], ids=["newest-first", "oldest-first"])
async def test_cancel_entries_without_an_id_are_booked_once_whatever_their_order(
    shop: Shop, emu: EmulatorClient, newest_first: bool
) -> None:
    rsp = await settled_without_webhooks(shop, emu, "rug")
    console_cancel(emu, rsp["imp_uid"], 5_000)
    first = await snapshot(shop, rsp["imp_uid"])
    console_cancel(emu, rsp["imp_uid"], 7_000)
    second = await snapshot(shop, rsp["imp_uid"])

    def anonymous(payment: Payment, reverse: bool) -> Payment:
        entries = [e.model_copy(update={"cancellation_id": None}) for e in payment.cancel_history]
        return payment.model_copy(update={"cancel_history": entries[::-1] if reverse else entries})

    # the history grows at one end: which end is not documented
    await shop.services.settlement.apply(anonymous(first, newest_first))
    await shop.services.settlement.apply(anonymous(second, newest_first))
    await shop.services.settlement.apply(anonymous(second, not newest_first))

    refunds = await refunds_of(shop, rsp["merchant_uid"])
    assert sorted(r["amount"] for r in refunds) == [5_000, 7_000]
    order = await shop.order_state(rsp["merchant_uid"])
    assert order["refunded_amount"] == int(second.cancel_amount) == 12_000


async def test_a_false_completion_during_an_outage_does_not_block_the_real_buyer(
    shop: Shop, emu: EmulatorClient
) -> None:
    product = await shop.product("desk", stock=2, price=20_000)
    x = (await shop.order((product["id"], 1)))["request_pay"]["merchant_uid"]
    y = (await shop.order((product["id"], 1)))["request_pay"]["merchant_uid"]
    b = seed(emu, merchant_uid=y, amount=20_000)  # order Y's payment

    emu.fault(path="/payments/imp_*", method="GET", kind="error", status=503)
    claim = await shop.http.post("/iamport/complete", json={"imp_uid": b["imp_uid"],
                                                           "merchant_uid": x})  # fmt: skip
    assert claim.json()["verification"] == "unverified"
    assert (await shop.order_state(x))["status"] == "unverified"

    emu.control("DELETE", "/faults")
    shop.clock.advance(60)
    assert await shop.run_worker() >= 1

    x_now, y_now = await shop.order_state(x), await shop.order_state(y)
    assert (x_now["status"], x_now["imp_uid"]) == ("pending", None)  # back where it was
    assert y_now["status"] == "paid"
    confirm = await shop.http.post(
        "/iamport/confirm", json={"imp_uid": "imp_real_buyer", "merchant_uid": x,
                                  "amount": 20_000},
    )  # fmt: skip
    assert confirm.status_code == 200, confirm.text  # X's real buyer may pay now

"""Refunds we owe can never be made twice: ``checksum`` on every cancel, and a lookup of
the payment's cancel history before any retry whose first answer was lost.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.emulator import EmulatorClient, seed

from .harness import Shop, delivered

pytestmark = pytest.mark.asyncio


async def owed(shop: Shop, emu: EmulatorClient, *, notify: bool) -> tuple[str, dict[str, Any]]:
    """An order paid 200 instead of 50,000: flagged, a refund of 200 owed."""
    product = await shop.product("ring", stock=1, price=50_000)
    placed = await shop.order((product["id"], 1))
    merchant_uid = placed["request_pay"]["merchant_uid"]
    target = {"notice_url": shop.notice_url} if notify else {}
    payment = seed(emu, merchant_uid=merchant_uid, amount=200, **target)
    if notify:
        await delivered(emu, payment["imp_uid"])
    else:
        body = {"imp_uid": payment["imp_uid"], "merchant_uid": merchant_uid, "status": "paid"}
        assert (await shop.http.post("/iamport/webhook", json=body)).status_code == 200
    assert (await shop.settled(merchant_uid))["status"] == "flagged"
    return merchant_uid, payment


def at_iamport(emu: EmulatorClient, imp_uid: str) -> dict[str, Any]:
    payment: dict[str, Any] = emu.get(f"/payments/{imp_uid}").json()["response"]
    return payment


async def test_a_refund_whose_answer_was_lost_is_reconciled_not_repeated(
    shop: Shop, emu: EmulatorClient
) -> None:
    merchant_uid, payment = await owed(shop, emu, notify=True)
    emu.fault(path="/payments/cancel", method="POST", kind="no_answer", mode="drop", times=1)

    await shop.run_worker()  # the cancel goes through, its answer is lost
    order = await shop.order_state(merchant_uid)
    [refund] = (await shop.http.get(f"/api/orders/{order['id']}/refunds")).json()
    assert [a["classification"] for a in refund["attempts"]][:1] == ["unknown"]
    assert at_iamport(emu, payment["imp_uid"])["cancel_amount"] == 200
    # its follow-up comes due 1-2 s of wall time later (jobs.runner.backoff): on a slow
    # machine the same run_worker may already have run it
    if refund["state"] == "unknown":
        shop.clock.advance(5)
        assert await shop.run_worker() == 1  # re-reads the payment instead of cancelling again
    else:
        assert refund["state"] == "succeeded"

    history = at_iamport(emu, payment["imp_uid"])["cancel_history"]
    assert len(history) == 1
    order = await shop.order_state(merchant_uid)
    assert (order["status"], order["refunded_amount"]) == ("refunded", 200)
    [refund] = order["refunds"]
    assert (refund["state"], refund["cancellation_id"]) == (
        "succeeded",
        history[0]["cancellation_id"],
    )


async def test_a_refund_meanwhile_made_elsewhere_is_not_refunded_again(
    shop: Shop, emu: EmulatorClient
) -> None:
    merchant_uid, payment = await owed(shop, emu, notify=False)
    form = {"amount": "50", "reason": "상담원 부분 환불"}  # in the console; no webhook reaches us
    assert emu.http.post(f"/console/payments/{payment['imp_uid']}/cancel", data=form).is_redirect

    await shop.run_worker()  # our books say 200 left, i'mport's 150: refused by checksum
    refunds = {r["origin"]: r for r in (await shop.order_state(merchant_uid))["refunds"]}
    assert (refunds["auto"]["state"], refunds["auto"]["checksum"]) == ("requested", 200)
    assert (refunds["external"]["amount"], refunds["external"]["state"]) == (50, "succeeded")
    assert at_iamport(emu, payment["imp_uid"])["cancel_amount"] == 50
    shop.clock.advance(5)
    await shop.run_worker()  # books reconciled: the remaining 150 is refunded

    paid_back = at_iamport(emu, payment["imp_uid"])
    assert (paid_back["cancel_amount"], len(paid_back["cancel_history"])) == (200, 2)
    order = await shop.order_state(merchant_uid)
    assert (order["status"], order["refunded_amount"]) == ("refunded", 200)
    refunds = {r["origin"]: r for r in order["refunds"]}
    assert (refunds["external"]["amount"], refunds["auto"]["amount"]) == (50, 150)
    assert (refunds["auto"]["state"], refunds["auto"]["checksum"]) == ("succeeded", 150)

"""When i'mport cannot be asked, or our database cannot take a delivery.

- Verification that cannot reach i'mport (a 5xx, a dropped connection) never
  fails an order: it becomes ``unverified`` and the worker verifies it again,
  with backoff, once i'mport answers.
- A webhook that cannot be stored is answered 5xx, so i'mport delivers it
  again; once storage works the same delivery is taken.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from paydesk.store.inbox import WebhookInbox
from tests.support.emulator import EmulatorClient, seed

from .harness import Shop, delivered

pytestmark = pytest.mark.asyncio


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param({"kind": "error", "status": 503}, id="5xx"),
        pytest.param({"kind": "drop"}, id="no-answer"),
    ],
)
async def test_unreachable_verification_leaves_the_order_unverified_until_the_worker_checks(
    shop: Shop, emu: EmulatorClient, fault: dict[str, object]
) -> None:
    product = await shop.product("chair", stock=1, price=45_000)
    placed = await shop.order((product["id"], 1))
    merchant_uid = placed["request_pay"]["merchant_uid"]
    emu.fault(path="/payments/imp_*", method="GET", **fault)
    payment = seed(emu, merchant_uid=merchant_uid, amount=45_000, notice_url=shop.notice_url)
    [attempt] = await delivered(emu, payment["imp_uid"])
    assert attempt["status"] == 200  # stored: i'mport need not deliver it again

    order = await shop.settled(merchant_uid, within=30)
    assert (order["status"], order["imp_uid"]) == ("unverified", payment["imp_uid"])
    async with shop.database.reading() as uow:
        rows = await WebhookInbox(uow.connection).of_payment(payment["imp_uid"])
    # the demo merchant's realistic delivery may have sent a copy too: each is unverified
    assert rows and {row.outcome for row in rows} <= {"unverified", None}, rows
    assert "unverified" in {row.outcome for row in rows}

    shop.clock.advance(3)
    await shop.run_worker()  # still unreachable: backs off, never fails the order
    assert (await shop.order_state(merchant_uid))["status"] == "unverified"

    emu.control("DELETE", "/faults")
    shop.clock.advance(60)
    assert await shop.run_worker() >= 1

    order = await shop.order_state(merchant_uid)
    assert (order["status"], order["paid_amount"]) == ("paid", 45_000)
    assert await shop.stock(product["id"]) == {"available": 0, "held": 0, "sold": 1}


async def test_a_vbank_verified_after_an_outage_is_pending_again_not_unverified(
    shop: Shop, emu: EmulatorClient
) -> None:
    product = await shop.product("lamp", stock=1, price=52_000)
    placed = await shop.order((product["id"], 1))
    merchant_uid = placed["request_pay"]["merchant_uid"]
    emu.fault(path="/payments/imp_*", method="GET", kind="error", status=503)
    issued = seed(emu, merchant_uid=merchant_uid, amount=52_000, pay_method="vbank",
                  status="ready", notice_url=shop.notice_url)  # fmt: skip
    await delivered(emu, issued["imp_uid"])
    assert (await shop.order_state(merchant_uid))["status"] == "unverified"

    emu.control("DELETE", "/faults")
    shop.clock.advance(60)
    assert await shop.run_worker() >= 1
    order = await shop.order_state(merchant_uid)
    assert order["status"] == "pending"  # i'mport answered "ready": awaiting the deposit
    assert order["payments"][0]["vbank"]["number"] == issued["vbank_num"]

    emu.control("POST", f"/vbanks/{issued['imp_uid']}/deposit")
    await delivered(emu, issued["imp_uid"], count=2)
    order = await shop.order_state(merchant_uid)
    assert (order["status"], order["paid_amount"]) == ("paid", 52_000)


async def test_a_webhook_that_cannot_be_stored_is_answered_503_and_taken_when_redelivered(
    shop: Shop, emu: EmulatorClient
) -> None:
    product = await shop.product("sofa", stock=1, price=300_000)
    placed = await shop.order((product["id"], 1))
    merchant_uid = placed["request_pay"]["merchant_uid"]
    payment = seed(emu, merchant_uid=merchant_uid, amount=300_000)  # no webhook target
    body = {"imp_uid": payment["imp_uid"], "merchant_uid": merchant_uid, "status": "paid"}

    async with shop.database.transaction() as uow:
        await uow.connection.execute(text("ALTER TABLE webhook_inbox RENAME TO inbox_away"))
    try:
        refused = await shop.http.post("/iamport/webhook", json=body)
    finally:
        async with shop.database.transaction() as uow:
            await uow.connection.execute(text("ALTER TABLE inbox_away RENAME TO webhook_inbox"))

    assert refused.status_code == 503
    assert refused.headers["content-type"] == "application/problem+json"
    assert (await shop.order_state(merchant_uid))["status"] == "pending"

    taken = await shop.http.post("/iamport/webhook", json=body)
    assert taken.status_code == 200
    assert (await shop.settled(merchant_uid))["status"] == "paid"

"""The reconciliation sweep end to end: i'mport's listings over HTTP against our books.

Payments are put in the emulator without a ``notice_url`` (``seed``) and
cancelled in its console, so no webhook ever reaches the shop: only the sweep
can find out. Each drift type has its test; one walk has payments cancelled
while it reads, page by page; the worker's periodic job and the API are
checked too.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from paydesk.services.hold_sweep import HoldSweep, SweepPolicy
from paydesk.services.iamport_port import IamportPayments
from paydesk.services.reconciliation import ReconcilePolicy, Reconciler, Walking
from tests.support.emulator import EmulatorClient, seed

from .harness import Shop, deliveries, iamport_client

pytestmark = pytest.mark.asyncio
PROBLEM = "application/problem+json"


async def placed(shop: Shop, sku: str, *, price: int = 10_000) -> dict[str, Any]:
    product = await shop.product(sku, stock=5, price=price)
    order: dict[str, Any] = (await shop.order((product["id"], 1)))["order"]
    return order


def console_cancel(emu: EmulatorClient, imp_uid: str, amount: int | None = None) -> None:
    form = {"reason": "콘솔 취소"} | ({"amount": str(amount)} if amount else {})
    answer = emu.http.post(f"/console/payments/{imp_uid}/cancel", data=form)
    assert answer.status_code == 303, answer.text
    assert "failed" not in answer.headers["location"]


async def paid_locally(shop: Shop, emu: EmulatorClient, sku: str) -> tuple[dict[str, Any], str]:
    """An order paid at i'mport and on our books (through the completion call)."""
    order = await placed(shop, sku)
    imp_uid = seed(emu, merchant_uid=order["merchant_uid"], amount=order["amount"])["imp_uid"]
    assert (await shop.complete(imp_uid, order["merchant_uid"])).status_code == 200
    assert (await shop.order_state(order["merchant_uid"]))["status"] == "paid"
    return order, imp_uid


async def test_a_missed_webhook_is_applied(shop: Shop, emu: EmulatorClient) -> None:
    order = await placed(shop, "missed")
    imp_uid = seed(emu, merchant_uid=order["merchant_uid"], amount=10_000)["imp_uid"]
    assert deliveries(emu, imp_uid) == []  # nobody told the shop

    report = await shop.services.reconciler.run()

    [item] = report.items
    assert (item.drift, item.imp_uid, item.order_id, item.resolved) == (
        "missed", imp_uid, order["id"], True)  # fmt: skip
    state = await shop.order_state(order["merchant_uid"])
    assert (state["status"], state["paid_amount"]) == ("paid", 10_000)
    assert report.reconciliation.counts["missed"] == 1
    again = await shop.services.reconciler.run()  # applied once: nothing drifts any more
    assert again.items == [] and again.reconciliation.checked == 1


async def test_a_payment_without_an_order_is_an_orphan(shop: Shop, emu: EmulatorClient) -> None:
    imp_uid = seed(emu, merchant_uid="not_ours_1", amount=8_800)["imp_uid"]

    report = await shop.services.reconciler.run()

    [item] = report.items
    assert (item.drift, item.merchant_uid, item.order_id, item.resolved) == (
        "orphan", "not_ours_1", None, False)  # fmt: skip
    recorded = (await shop.http.get(f"/api/payments/{imp_uid}")).json()
    assert (recorded["status"], recorded["amount"], recorded["order_id"]) == ("paid", 8_800, None)
    orphans = (await shop.http.get("/api/reconciliations/orphans")).json()
    assert [(o["imp_uid"], o["drift"]) for o in orphans] == [(imp_uid, "orphan")]


async def test_a_console_cancel_of_a_paid_order_is_corrected(
    shop: Shop, emu: EmulatorClient
) -> None:
    full, full_uid = await paid_locally(shop, emu, "full")
    part, part_uid = await paid_locally(shop, emu, "part")
    console_cancel(emu, full_uid)
    console_cancel(emu, part_uid, 2_500)  # "cancelled" too, with 7,500 still paid
    assert deliveries(emu, full_uid) == deliveries(emu, part_uid) == []

    report = await shop.services.reconciler.run()

    drifts = {item.imp_uid: (item.drift, item.iamport_status) for item in report.items}
    assert drifts == {full_uid: ("cancelled_at_iamport", "cancelled"),
                      part_uid: ("cancelled_at_iamport", "cancelled")}  # fmt: skip
    refunded = await shop.order_state(full["merchant_uid"])
    assert (refunded["status"], refunded["refunded_amount"]) == ("refunded", 10_000)
    partly = await shop.order_state(part["merchant_uid"])
    assert (partly["status"], partly["refunded_amount"]) == ("partially_refunded", 2_500)
    [external] = partly["refunds"]
    assert (external["origin"], external["amount"], external["state"]) == (
        "external", 2_500, "succeeded")  # fmt: skip
    assert all(item.resolved for item in report.items)


async def test_a_paid_amount_other_than_the_orders_is_refunded(
    shop: Shop, emu: EmulatorClient
) -> None:
    order = await placed(shop, "tampered")
    imp_uid = seed(emu, merchant_uid=order["merchant_uid"], amount=4_000)["imp_uid"]

    report = await shop.services.reconciler.run()

    [item] = report.items
    assert (item.drift, item.detail["amount"], item.detail["order_amount"]) == (
        "amount_mismatch", 4_000, 10_000)  # fmt: skip
    assert (await shop.order_state(order["merchant_uid"]))["status"] == "flagged"
    await shop.run_worker()  # the refund owed is made
    at_iamport = emu.get(f"/payments/{imp_uid}").json()["response"]
    assert (at_iamport["status"], at_iamport["cancel_amount"]) == ("cancelled", 4_000)
    state = await shop.order_state(order["merchant_uid"])
    assert (state["status"], state["refunded_amount"]) == ("refunded", 4_000)


async def test_a_walk_loses_no_payment_while_others_are_cancelled(
    shop: Shop, emu: EmulatorClient
) -> None:
    product = await shop.product("crowd", stock=40, price=1_000)
    orders: list[dict[str, Any]] = []
    for _ in range(24):
        orders.append((await shop.order((product["id"], 1)))["order"])
        emu.advance(20)  # spread over 8 minutes: several windows of a few pages each
    imp_uids = [seed(emu, merchant_uid=o["merchant_uid"], amount=1_000)["imp_uid"] for o in orders]
    emu.advance(0)
    shop.clock.advance(24 * 20 + 5)
    doomed = set(imp_uids[::3])
    cancelled: list[str] = []

    def meanwhile(walking: Walking) -> None:
        if walking.status == "paid" and walking.seen == 4 and not cancelled:
            for imp_uid in sorted(doomed):
                console_cancel(emu, imp_uid)  # others change while the listing is read
                cancelled.append(imp_uid)

    client = iamport_client(shop.emulator_url)
    try:
        sweeper = Reconciler(shop.database, shop.clock, IamportPayments(client),
                             shop.services.settlement, ReconcilePolicy(page_limit=3))  # fmt: skip
        report = await sweeper.run(progress=meanwhile)
    finally:
        await client.aclose()

    assert sorted(cancelled) == sorted(doomed)
    kept = set(imp_uids) - doomed
    missed = {item.imp_uid for item in report.items if item.drift == "missed"}
    assert kept <= missed  # every payment that stayed paid was read, once
    assert len([i for i in report.items if i.imp_uid in kept]) == len(kept)
    for order, imp_uid in zip(orders, imp_uids, strict=True):
        state = await shop.order_state(order["merchant_uid"])
        if imp_uid in doomed:  # read paid then cancelled, or only cancelled: never kept paid
            assert state["status"] in ("refunded", "failed"), (imp_uid, state)
            assert imp_uid in {item.imp_uid for item in report.items}
        else:
            assert (state["status"], state["imp_uid"]) == ("paid", imp_uid)
    assert report.reconciliation.checked >= len(imp_uids)


async def test_the_worker_sweeps_once_per_interval_and_the_api_reports_it(
    shop: Shop, emu: EmulatorClient
) -> None:
    order = await placed(shop, "periodic")
    seed(emu, merchant_uid=order["merchant_uid"], amount=10_000)
    seed(emu, merchant_uid="stray_order", amount=1_000)
    manual = await shop.services.reconciler.run(since=shop.clock.now() - timedelta(hours=1))
    sweep = HoldSweep(shop.database, shop.clock, SweepPolicy(reconcile_every=timedelta(minutes=10)))

    await sweep.sweep()
    await sweep.sweep()  # a second worker in the same interval enqueues nothing more
    await shop.run_worker()

    listing = (await shop.http.get("/api/reconciliations")).json()
    assert [(r["trigger"], r["status"]) for r in listing] == [
        ("worker", "finished"), ("cli", "finished")]  # fmt: skip
    newest, first = listing
    assert first["id"] == manual.reconciliation.id
    assert first["counts"] == {"orphan": 1, "amount_mismatch": 0, "cancelled_at_iamport": 0,
                               "missed": 1}  # fmt: skip
    assert newest["counts"]["missed"] == 0 and newest["counts"]["orphan"] == 1
    assert newest["range_from"] < first["range_to"]  # it started where the last one ended
    detail = (await shop.http.get(f"/api/reconciliations/{first['id']}")).json()
    assert sorted(i["drift"] for i in detail["items"]) == ["missed", "orphan"]
    assert detail["counts"] == first["counts"]
    paged = (await shop.http.get("/api/reconciliations", params={"before": newest["id"]})).json()
    assert [r["id"] for r in paged] == [first["id"]]

    missing = await shop.http.get("/api/reconciliations/424242")
    assert (missing.status_code, missing.headers["content-type"]) == (404, PROBLEM)
    assert missing.json()["title"] == "Reconciliation not found"
    too_big = await shop.http.get(f"/api/reconciliations/{2**63}")
    assert too_big.status_code == 422

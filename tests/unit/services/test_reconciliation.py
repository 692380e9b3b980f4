"""The reconciliation sweep over the fakes: each drift type, the window, failures, the job."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from paydesk.core.money import Money
from paydesk.core.orders import OrderStatus
from paydesk.core.stock import StockCount
from paydesk.iamport import Payment
from paydesk.services.errors import Unreachable
from paydesk.services.hold_sweep import HoldSweep, SweepPolicy
from paydesk.services.job_kinds import RECONCILE_SWEEP, RUN_REFUND
from paydesk.services.reconciliation import ReconcilePolicy, Reconciler, Walking
from paydesk.store import StockConflict

from .fakes import PAID_AT, payment, server_error
from .mixed_books import assert_mixed_outcome, mixed_books, outcome_of
from .shop import PRICE, T0, Shop

pytestmark = pytest.mark.asyncio


def reconciler(shop: Shop, **policy: object) -> Reconciler:
    return Reconciler(shop.store, shop.clock, shop.iamport, shop.settlement,  # type: ignore[arg-type]
                      ReconcilePolicy(**policy))  # type: ignore[arg-type]  # fmt: skip


async def test_a_missed_webhook_is_applied_and_reported(shop: Shop) -> None:
    pid = await shop.product(5)
    order = await shop.order((pid, 1))
    await shop.held(order, "imp_1")
    shop.says(order, "imp_1")  # paid at i'mport; the webhook never came

    report = await reconciler(shop).run()

    assert await shop.status(order) == OrderStatus.PAID
    assert await shop.stock(pid) == StockCount(4, 0, 1)
    [item] = report.items
    assert (item.drift, item.imp_uid, item.order_id, item.resolved) == (
        "missed", "imp_1", order.id, True)  # fmt: skip
    assert item.detail["order_status_before"] == "held"
    assert "order held -> paid" in item.action
    sweep = report.reconciliation
    assert (sweep.status, sweep.trigger, sweep.checked) == ("finished", "cli", 1)
    assert sweep.counts == {"orphan": 0, "amount_mismatch": 0, "cancelled_at_iamport": 0,
                            "missed": 1}  # fmt: skip


async def test_a_failed_attempt_nobody_told_us_about_releases_its_hold(shop: Shop) -> None:
    pid = await shop.product(5)
    order = await shop.order((pid, 2))
    await shop.held(order, "imp_1")
    shop.says(order, "imp_1", "failed")

    [item] = (await reconciler(shop).run()).items

    assert (item.drift, item.iamport_status) == ("missed", "failed")
    assert await shop.status(order) == OrderStatus.FAILED
    assert await shop.stock(pid) == StockCount(5)


async def test_a_payment_without_an_order_is_recorded_as_an_orphan(shop: Shop) -> None:
    shop.iamport.put(payment("imp_x", "someone_elses", 7_000))
    shop.iamport.put(payment("imp_y", "never_ours", 7_000, "failed"))

    first = await reconciler(shop).run()
    second = await reconciler(shop).run(since=T0 - timedelta(days=1))

    [item] = first.items
    assert (item.drift, item.imp_uid, item.order_id, item.resolved) == (
        "orphan", "imp_x", None, False)  # fmt: skip
    stored = await shop.payment_record("imp_x")
    assert stored is not None and (stored.order_id, stored.amount) == (None, Money(7_000))
    assert await shop.payment_record("imp_y") is None  # a failure moved no money
    assert [i.drift for i in second.items] == ["orphan"]
    orphans = await reconciler(shop).orphans()
    assert [(o.imp_uid, o.reconciliation_id) for o in orphans] == [
        ("imp_x", second.reconciliation.id)]  # fmt: skip


async def test_a_console_cancel_of_a_paid_order_is_booked_as_an_external_refund(
    shop: Shop,
) -> None:
    pid = await shop.product(5)
    full, partial = await shop.order((pid, 1)), await shop.order((pid, 1))
    for placed, imp_uid in ((full, "imp_1"), (partial, "imp_2")):
        await shop.held(placed, imp_uid)
        await shop.settlement.apply(shop.says(placed, imp_uid))
    shop.says(full, "imp_1", "cancelled", cancelled=[("c1", PRICE)])
    shop.says(partial, "imp_2", "paid", cancelled=[("c2", 3_000)])  # still paid at i'mport

    report = await reconciler(shop).run()

    assert sorted((i.imp_uid, i.drift, i.resolved) for i in report.items) == [
        ("imp_1", "cancelled_at_iamport", True), ("imp_2", "cancelled_at_iamport", True)]  # fmt: skip
    refunded, partly = (await shop.record(full)).order, (await shop.record(partial)).order
    assert (refunded.status, refunded.refunded) == (OrderStatus.REFUNDED, Money(PRICE))
    assert (partly.status, partly.refunded) == (OrderStatus.PARTIALLY_REFUNDED, Money(3_000))
    [external] = await shop.refunds("imp_2")
    assert (external.origin, external.amount, external.cancellation_id) == (
        "external", Money(3_000), "c2")  # fmt: skip
    assert report.reconciliation.counts["cancelled_at_iamport"] == 2


async def test_a_paid_amount_other_than_the_orders_flags_it_and_owes_a_refund(
    shop: Shop,
) -> None:
    pid = await shop.product(5)
    order = await shop.order((pid, 1))
    shop.says(order, "imp_1", amount=100)  # tampered, and its webhook lost

    [item] = (await reconciler(shop).run()).items

    assert (item.drift, item.resolved) == ("amount_mismatch", True)
    assert (item.detail["amount"], item.detail["order_amount"]) == (100, PRICE)
    assert await shop.status(order) == OrderStatus.FLAGGED
    [refund] = await shop.refunds("imp_1")
    assert item.detail["refunds_owed"] == [refund.id] and f"refund #{refund.id} owed" in item.action
    assert [job.payload for job in shop.store.jobs(RUN_REFUND)] == [{"refund_id": refund.id}]


async def test_books_that_agree_report_nothing(shop: Shop) -> None:
    pid = await shop.product(5)
    order = await shop.order((pid, 1))
    await shop.held(order, "imp_1")
    await shop.settlement.apply(shop.says(order, "imp_1"))

    report = await reconciler(shop).run()

    assert report.items == [] and report.reconciliation.checked == 1
    assert set(report.reconciliation.counts.values()) == {0}


async def test_progress_is_told_after_every_payment_and_listing(shop: Shop) -> None:
    for n in range(3):
        shop.iamport.put(payment(f"imp_{n}", f"stray_{n}", 1_000))
    told: list[Walking] = []

    await reconciler(shop).run(progress=told.append)

    assert [(w.status, w.seen) for w in told if w.status == "paid"][-1] == ("paid", 3)
    last = told[-1]
    assert (last.statuses_done, last.statuses_total, last.checked, last.drifted) == (3, 3, 3, 3)


async def test_the_window_follows_the_last_finished_sweep(shop: Shop) -> None:
    sweeper = reconciler(shop)
    assert await sweeper.window() == (T0 - timedelta(hours=24), T0)
    await sweeper.run()
    shop.clock.advance(600)
    assert await sweeper.window() == (T0 - timedelta(minutes=5), T0 + timedelta(minutes=10))
    # an old explicit range does not pull the next automatic sweep back
    await sweeper.run(since=T0 - timedelta(days=30), until=T0 - timedelta(days=29))
    assert (await sweeper.window())[0] == T0 - timedelta(minutes=5)
    shop.clock.advance(200 * 86400)
    start, end = await sweeper.window()
    assert end - start == timedelta(days=90)
    earlier = T0 - timedelta(days=3)  # an end before the last sweep's: the day before it
    assert await sweeper.window(until=earlier) == (earlier - timedelta(hours=24), earlier)
    with pytest.raises(ValueError, match="time zone"):
        await sweeper.window(since=T0.replace(tzinfo=None))
    with pytest.raises(ValueError, match="empty"):
        await sweeper.window(since=T0, until=T0)


async def test_an_automatic_sweep_reads_paid_further_back_for_partial_cancels(
    shop: Shop,
) -> None:
    pid = await shop.product(5)
    order = await shop.order((pid, 1))
    await shop.held(order, "imp_1")
    await shop.settlement.apply(shop.says(order, "imp_1"))
    sweeper = reconciler(shop)
    await sweeper.run()
    shop.clock.advance(6 * 3600)  # the payment is 6 hours old, the last sweep 6 hours ago
    await sweeper.run()
    shop.clock.advance(600)
    shop.says(order, "imp_1", "paid", cancelled=[("c1", 1_000)])

    report = await sweeper.run()

    assert report.reconciliation.range_from == T0 + timedelta(hours=6) - timedelta(minutes=5)
    assert [i.drift for i in report.items] == ["cancelled_at_iamport"]
    assert (await shop.record(order)).order.refunded == Money(1_000)


async def test_a_listing_that_fails_midway_stores_a_failed_report(shop: Shop) -> None:
    shop.iamport.put(payment("imp_x", "stray", 1_000))
    sweeper = reconciler(shop)
    await sweeper.run()
    shop.clock.advance(600)
    shop.iamport.fail_next(server_error())

    with pytest.raises(Unreachable, match="reconciliation 2 stopped"):
        await sweeper.run()

    [failed, finished] = await sweeper.reports()
    assert (failed.status, finished.status) == ("failed", "finished")
    assert failed.error is not None and "ServerError" in failed.error
    assert (await sweeper.window())[0] == finished.range_to - timedelta(minutes=5)


async def test_the_hold_sweep_enqueues_one_reconciliation_per_interval(shop: Shop) -> None:
    policy = SweepPolicy(reconcile_every=timedelta(minutes=10))
    sweeps = [HoldSweep(shop.store, shop.clock, policy) for _ in range(2)]  # type: ignore[arg-type]

    for sweep in sweeps:
        await sweep.sweep()
    shop.clock.advance(60)
    await sweeps[0].sweep()
    shop.clock.advance(600)
    await sweeps[1].sweep()

    jobs = shop.store.jobs(RECONCILE_SWEEP)
    assert [job.payload for job in jobs] == [{"trigger": "worker"}] * 2
    assert len({job.dedupe_key for job in jobs}) == 2
    await HoldSweep(shop.store, shop.clock, SweepPolicy()).sweep()  # type: ignore[arg-type]
    assert len(shop.store.jobs(RECONCILE_SWEEP)) == 2  # off unless asked for
    assert PAID_AT == T0  # the fakes' payments fall in the first window


# -- a page of payments read at once ------------------------------------------------------
async def test_a_page_read_at_once_ends_as_one_payment_at_a_time_did(
    caplog: pytest.LogCaptureFixture,
) -> None:
    outcomes = []
    for page_limit in (1, 1000):  # 1: every payment its own page, as the sweep was before
        shop = Shop()
        pids, uids = await mixed_books(shop)
        report = await reconciler(shop, page_limit=page_limit).run()
        outcomes.append(await outcome_of(shop, pids, uids, report))
    one_at_a_time, paged = outcomes
    assert paged == one_at_a_time
    assert_mixed_outcome(paged)
    assert "one at a time" not in caplog.text  # the page's were applied together


class _FailsAfter:
    """The fake i'mport, but its listing breaks after ``count`` payments."""

    def __init__(self, shop: Shop, count: int) -> None:
        self._shop, self._count = shop, count

    def __getattr__(self, name: str) -> object:
        return getattr(self._shop.iamport, name)

    async def walk(self, status: str, **window: object) -> AsyncIterator[Payment]:
        read = 0
        async for found in self._shop.iamport.walk(status, **window):  # type: ignore[arg-type]
            if read == self._count:
                raise server_error()
            read += 1
            yield found


async def test_what_was_read_before_a_listing_broke_is_still_compared(shop: Shop) -> None:
    pid = await shop.product(5)
    orders = [await shop.order((pid, 1)) for _ in range(3)]
    for n, placed in enumerate(orders):
        shop.says(placed, f"imp_{n}")  # all three missed
    sweeper = Reconciler(shop.store, shop.clock, _FailsAfter(shop, 2), shop.settlement,  # type: ignore[arg-type]
                         ReconcilePolicy(page_limit=1000))  # fmt: skip

    with pytest.raises(Unreachable):
        await sweeper.run()

    [failed] = await sweeper.reports()
    assert (failed.status, failed.checked, failed.counts["missed"]) == ("failed", 2, 2)
    report = await sweeper.report(failed.id)
    assert report is not None and sorted(i.imp_uid for i in report.items) == ["imp_0", "imp_1"]
    assert [await shop.status(o) for o in orders] == [OrderStatus.PAID, OrderStatus.PAID,
                                                      OrderStatus.PENDING]  # fmt: skip


async def test_a_page_that_cannot_be_applied_together_is_applied_one_at_a_time(
    shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    pid = await shop.product(5)
    first, broken, third = [await shop.order((pid, 1)) for _ in range(3)]
    await shop.held(broken, "imp_1")
    async with shop.store.transaction() as uow:  # books broken by hand: the held unit is gone
        await uow.products.release(pid, 1, T0)
    for placed, imp_uid in ((first, "imp_0"), (broken, "imp_1"), (third, "imp_2")):
        shop.says(placed, imp_uid)  # all three missed
    sweeper = reconciler(shop, page_limit=1000)

    with pytest.raises(StockConflict):
        await sweeper.run()

    assert "one at a time" in caplog.text
    [failed] = await sweeper.reports()
    assert (failed.status, failed.checked, failed.counts["missed"]) == ("failed", 1, 1)
    report = await sweeper.report(failed.id)
    assert report is not None and [i.imp_uid for i in report.items] == ["imp_0"]
    assert [await shop.status(o) for o in (first, broken, third)] == [
        OrderStatus.PAID, OrderStatus.HELD, OrderStatus.PENDING]  # fmt: skip

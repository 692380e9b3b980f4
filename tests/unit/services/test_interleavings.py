"""Concurrent paths over one payment: reports racing reports, confirms racing settlements.

The in-memory store runs one write transaction at a time and yields to the
event loop on every repository call, so ``asyncio.gather`` interleaves the
services wherever a real database round trip would let another process in.
``after`` forces the one ordering a test is about.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from paydesk.core.confirm import ConfirmCall, Refusal
from paydesk.core.money import Money
from paydesk.core.orders import OrderStatus
from paydesk.core.stock import StockCount
from paydesk.iamport import Payment
from paydesk.services.catalog import ProductChanges
from paydesk.services.confirm import HOLD_CHECK_JOB, ConfirmDesk, ConfirmPolicy
from paydesk.services.ordering import PlacedOrder

from .shop import PRICE, Shop

pytestmark = pytest.mark.asyncio


async def until(condition: Callable[[], bool]) -> None:
    """Let other tasks run until ``condition`` holds."""
    for _ in range(2_000):
        if condition():
            return
        await asyncio.sleep(0.001)
    raise AssertionError("the condition never held")


async def books(shop: Shop, order: PlacedOrder, imp_uid: str, pid: int) -> tuple[Any, ...]:
    record = await shop.record(order)
    refunds = [
        (r.origin, r.state, r.cancellation_id, r.amount) for r in await shop.refunds(imp_uid)
    ]
    return record.order, refunds, await shop.stock(pid)


async def paid_then_partly_cancelled(shop: Shop) -> tuple[PlacedOrder, int, Payment, Payment]:
    pid = await shop.product(5)
    order = await shop.order((pid, 2))
    await shop.held(order, "imp_1")
    paid = shop.says(order, "imp_1")
    cancelled = shop.says(order, "imp_1", "cancelled", cancelled=[("c1", 5_000)])
    return order, pid, paid, cancelled


@pytest.mark.parametrize("newest_first", [False, True])
async def test_two_snapshots_of_one_payment_settle_to_the_same_books(newest_first: bool) -> None:
    shop = Shop()
    order, pid, paid, cancelled = await paid_then_partly_cancelled(shop)
    reports = [cancelled, paid] if newest_first else [paid, cancelled]

    await asyncio.gather(*(shop.settlement.apply(r) for r in reports))

    status, refunds, stock = await books(shop, order, "imp_1", pid)
    assert (status.status, status.paid, status.refunded) == (
        OrderStatus.PARTIALLY_REFUNDED, Money(2 * PRICE), Money(5_000))  # fmt: skip
    assert refunds == [("external", "succeeded", "c1", Money(5_000))]
    assert stock == StockCount(3, 0, 2)


async def test_a_stale_snapshot_does_not_roll_the_stored_payment_back() -> None:
    shop = Shop()
    _, _, paid, cancelled = await paid_then_partly_cancelled(shop)
    await shop.settlement.apply(cancelled)

    await shop.settlement.apply(paid)  # fetched before the cancel, applied after it

    stored = await shop.payment_record("imp_1")
    assert stored is not None
    assert (stored.status, stored.balance) == ("cancelled", Money(2 * PRICE - 5_000))


async def test_a_stale_paid_snapshot_cannot_revive_a_payment_cancelled_in_full() -> None:
    shop = Shop()
    pid = await shop.product(5)
    order = await shop.order((pid, 1))
    await shop.held(order, "imp_1")
    paid = shop.says(order, "imp_1")
    cancelled = shop.says(order, "imp_1", "cancelled", cancelled=[("c1", PRICE)])
    await shop.settlement.apply(cancelled)

    await shop.settlement.apply(paid)

    record = await shop.record(order)
    assert record.order.status != OrderStatus.PAID
    assert (await shop.stock(pid)).sold == 0


async def race_failure_and_retry(settle_first: bool) -> None:
    shop = Shop()
    pid = await shop.product(1)
    order = await shop.order((pid, 1))
    await shop.held(order, "imp_1")
    failed = shop.says(order, "imp_1", "failed")

    if settle_first:
        _, decision = await asyncio.gather(
            shop.settlement.apply(failed), shop.confirm(order, "imp_2")
        )
    else:
        decision, _ = await asyncio.gather(
            shop.confirm(order, "imp_2"), shop.settlement.apply(failed)
        )

    record = await shop.record(order)
    if decision.approved:
        assert (record.order.status, record.order.imp_uid) == (OrderStatus.HELD, "imp_2")
        assert await shop.stock(pid) == StockCount(0, 1, 0)
        assert shop.holds(order.id) == [(pid, 1)]
    else:
        assert decision.refusal == Refusal.PAYMENT_IN_PROGRESS
        assert record.order.status == OrderStatus.FAILED
        assert await shop.stock(pid) == StockCount(1, 0, 0)
    await shop.conserved([pid], [1])


@pytest.mark.parametrize("settle_first", [True, False])
async def test_a_failure_racing_a_new_attempt_leaves_consistent_books(settle_first: bool) -> None:
    await race_failure_and_retry(settle_first)


async def test_a_paid_report_racing_its_own_confirm_sells_exactly_once() -> None:
    for report_first in (True, False):
        shop = Shop()
        pid = await shop.product(2)
        order = await shop.order((pid, 1))
        paid = shop.says(order, "imp_1")
        calls = [shop.settlement.apply(paid), shop.confirm(order, "imp_1")]

        await asyncio.gather(*(calls if report_first else calls[::-1]))

        assert await shop.status(order) == OrderStatus.PAID
        assert await shop.stock(pid) == StockCount(1, 0, 1)
        assert await shop.refunds("imp_1") == []
        await shop.conserved([pid], [2])


async def test_a_confirm_racing_a_restock_never_oversells() -> None:
    shop = Shop()
    pid = await shop.product(2)
    orders = [await shop.order((pid, 1)) for _ in range(6)]

    results = await asyncio.gather(
        *(shop.confirm(o, f"imp_{n}") for n, o in enumerate(orders)),
        shop.catalog.change(pid, ProductChanges(available=1)),
    )

    approved = sum(1 for d in results[:-1] if d.approved)
    count = await shop.stock(pid)
    assert count.held == approved and count.available >= 0
    assert approved in (1, 2, 3)  # before the edit (2, then 1 more set) or after it (1)
    await shop.conserved([pid], [count.total])


@pytest.mark.parametrize("group_commit", [True, False])
async def test_a_replay_decided_by_an_earlier_batch_holds_nothing(group_commit: bool) -> None:
    shop = Shop(group_commit=group_commit)
    pid = await shop.product(0)
    order = await shop.order((pid, 1))
    async with shop.store.transaction():  # keep writers out while both calls look up
        first = asyncio.create_task(shop.confirm(order, "imp_1"))
        await until(lambda: shop.store.waiting_writers == 1)
        restock = asyncio.create_task(shop.catalog.change(pid, ProductChanges(available=1)))
        await until(lambda: shop.store.waiting_writers == 2)
        replay = asyncio.create_task(shop.confirm(order, "imp_1"))
        await asyncio.sleep(0.05)  # the replay reads (no decision yet) and queues its flush

    assert (await first).refusal == Refusal.SOLD_OUT
    await restock
    assert (await replay).refusal == Refusal.SOLD_OUT

    assert await shop.stock(pid) == StockCount(1)
    assert await shop.status(order) == OrderStatus.PENDING
    assert shop.store.jobs(HOLD_CHECK_JOB) == []


async def test_a_refusal_whose_imp_uid_another_process_approved_first_answers_that() -> None:
    # this process's calls gather for 0.4 s (lookup, then batch); another process's do not
    shop = Shop()
    here = ConfirmDesk(shop.store, shop.clock, ConfirmPolicy(window_seconds=0.4))  # type: ignore[arg-type]
    pid = await shop.product(0)
    order = await shop.order((pid, 1))
    call = ConfirmCall("imp_1", order.merchant_uid, Decimal(order.amount.amount))
    # a call in flight alongside is company: this one's batches wait their windows
    beside = asyncio.create_task(here.confirm(ConfirmCall("imp_0", "ord_nobody", Decimal(1)), {}))
    refused_here = asyncio.create_task(here.confirm(call, {}))
    await asyncio.sleep(0.6)  # looked up (sold out), its refusal batch not yet run
    await shop.catalog.change(pid, ProductChanges(available=1))
    assert (await shop.confirm(order, "imp_1")).approved  # elsewhere, committed first

    # the refusal's insert is ignored: the stored decision is the answer, and nothing moves
    assert (await refused_here).approved
    assert (await beside).refusal == Refusal.ORDER_NOT_FOUND
    assert await shop.stock(pid) == StockCount(0, 1)
    assert await shop.status(order) == OrderStatus.HELD

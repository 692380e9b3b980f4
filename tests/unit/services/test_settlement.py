"""Settlement: what i'mport says about a payment, applied to the order, stock and refunds."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from paydesk.core.money import Money
from paydesk.core.orders import OrderStatus
from paydesk.core.outcomes import ReportStatus
from paydesk.core.refund_lifecycle import RefundState
from paydesk.core.stock import StockCount
from paydesk.services.errors import OrderNotFound
from paydesk.services.job_kinds import RUN_REFUND
from paydesk.services.payment_reports import TEST_PAYMENT_REFUSED

from .fakes import payment
from .shop import PRICE, T0, TTL, Shop

pytestmark = pytest.mark.asyncio


async def test_paid_sells_the_held_stock(shop: Shop) -> None:
    pid = await shop.product(5)
    order = await shop.order((pid, 2))
    await shop.held(order, "imp_1")
    assert await shop.stock(pid) == StockCount(3, 2, 0)

    settled = await shop.settlement.apply(shop.says(order, "imp_1"))

    record = await shop.record(order)
    assert settled.order == record
    assert (record.order.status, record.order.paid, record.order.holding) == (
        OrderStatus.PAID, Money(2 * PRICE), False)  # fmt: skip
    assert await shop.stock(pid) == StockCount(3, 0, 2)
    assert shop.holds(order.id, "sold") == [(pid, 2)] and shop.holds(order.id) == []
    stored = await shop.payment_record("imp_1")
    assert stored is not None and (stored.status, stored.order_id, stored.verified_at) == (
        "paid", order.id, T0)  # fmt: skip
    assert settled.refunds_owed == () and shop.store.jobs(RUN_REFUND) == []


async def test_an_amount_mismatch_flags_the_order_and_owes_a_refund_with_its_job(
    shop: Shop,
) -> None:
    pid = await shop.product(5)
    order = await shop.order((pid, 1))
    await shop.held(order, "imp_1")

    settled = await shop.settlement.apply(shop.says(order, "imp_1", amount=100))

    assert await shop.status(order) == OrderStatus.FLAGGED
    assert await shop.stock(pid) == StockCount(5)  # the hold went back: nothing was sold
    (refund,) = await shop.refunds("imp_1")
    assert (refund.origin, refund.state, refund.amount, refund.reason) == (
        "auto", "requested", Money(100), "amount mismatch")  # fmt: skip
    assert settled.refunds_owed == (refund.id,)
    (job,) = shop.store.jobs(RUN_REFUND)
    assert job.payload == {"refund_id": refund.id} and job.state == "queued"


async def test_the_same_mismatch_reported_again_owes_nothing_more(shop: Shop) -> None:
    pid = await shop.product(5)
    order = await shop.order((pid, 1))
    await shop.held(order, "imp_1")
    report = shop.says(order, "imp_1", amount=100)
    await shop.settlement.apply(report)

    again = await shop.settlement.apply(report)

    assert again.refunds_owed == () and len(await shop.refunds("imp_1")) == 1
    assert len(shop.store.jobs(RUN_REFUND)) == 1


async def test_paid_without_a_hold_sells_free_stock(shop: Shop) -> None:
    pid = await shop.product(5)
    order = await shop.order((pid, 2))

    await shop.settlement.apply(shop.says(order, "imp_1"))

    assert await shop.status(order) == OrderStatus.PAID
    assert await shop.stock(pid) == StockCount(3, 0, 2)


async def test_paid_with_no_stock_behind_it_owes_a_refund(shop: Shop) -> None:
    pid = await shop.product(1)
    order = await shop.order((pid, 2))  # never held, and only one unit left

    settled = await shop.settlement.apply(shop.says(order, "imp_1"))

    assert await shop.status(order) == OrderStatus.FLAGGED
    assert await shop.stock(pid) == StockCount(1)
    (refund,) = await shop.refunds("imp_1")
    assert (refund.reason, refund.amount, settled.refunds_owed) == (
        "no stock", order.amount, (refund.id,))  # fmt: skip
    assert [j.payload for j in shop.store.jobs(RUN_REFUND)] == [{"refund_id": refund.id}]


async def test_paid_in_time_but_verified_after_the_time_limit_is_sold(shop: Shop) -> None:
    pid = await shop.product(5)
    order = await shop.order((pid, 2))  # no hold: its confirm never came
    shop.clock.advance((TTL + timedelta(hours=2)).total_seconds())  # i'mport was out of reach

    await shop.settlement.apply(shop.says(order, "imp_1", paid_at=T0 + TTL / 2))

    assert await shop.status(order) == OrderStatus.PAID
    assert await shop.stock(pid) == StockCount(3, 0, 2)
    assert await shop.refunds("imp_1") == []


async def test_paid_after_the_time_limit_owes_a_refund(shop: Shop) -> None:
    pid = await shop.product(5)
    order = await shop.order((pid, 2))
    shop.clock.advance((TTL + timedelta(hours=2)).total_seconds())

    await shop.settlement.apply(shop.says(order, "imp_1", paid_at=T0 + TTL + timedelta(seconds=1)))

    assert await shop.status(order) == OrderStatus.FLAGGED
    assert await shop.stock(pid) == StockCount(5)
    (refund,) = await shop.refunds("imp_1")
    assert refund.amount == order.amount


async def test_a_second_payment_for_a_paid_order_is_refunded(shop: Shop) -> None:
    pid = await shop.product(5)
    order = await shop.order((pid, 1))
    await shop.settlement.apply(shop.says(order, "imp_1"))

    settled = await shop.settlement.apply(shop.says(order, "imp_2"))

    record = await shop.record(order)
    assert (record.order.status, record.order.imp_uid) == (OrderStatus.PAID, "imp_1")
    (refund,) = await shop.refunds("imp_2")
    assert (refund.reason, settled.refunds_owed) == ("duplicate payment", (refund.id,))
    assert await shop.stock(pid) == StockCount(4, 0, 1)


async def test_a_cancellation_is_booked_once_however_often_it_is_reported(shop: Shop) -> None:
    pid = await shop.product(5)
    order = await shop.order((pid, 1))
    await shop.held(order, "imp_1")
    await shop.settlement.apply(shop.says(order, "imp_1"))
    report = shop.says(order, "imp_1", "cancelled", cancelled=[("c1", PRICE)])

    first = await shop.settlement.apply(report)
    after_first = (await shop.record(order), await shop.refunds("imp_1"), shop.store.jobs())
    second = await shop.settlement.apply(report)

    assert [c.cancellation_id for c in first.booked] == ["c1"] and second.booked == ()
    assert (await shop.record(order), await shop.refunds("imp_1"), shop.store.jobs()) == after_first
    record, (refund,), _ = after_first
    assert (record.order.status, record.order.refunded) == (OrderStatus.REFUNDED, Money(PRICE))
    assert (refund.origin, refund.cancellation_id, refund.amount) == (
        "external",
        "c1",
        Money(PRICE),
    )
    assert await shop.stock(pid) == StockCount(4, 0, 1)  # a refund does not restock


async def test_a_partial_cancel_then_the_rest(shop: Shop) -> None:
    pid = await shop.product(5)
    order = await shop.order((pid, 3))
    await shop.held(order, "imp_1")

    await shop.settlement.apply(shop.says(order, "imp_1", "cancelled", cancelled=[("c1", 5_000)]))
    partly = await shop.record(order)
    await shop.settlement.apply(
        shop.says(order, "imp_1", "cancelled", cancelled=[("c1", 5_000), ("c2", 25_000)])
    )

    assert (partly.order.status, partly.order.refunded) == (
        OrderStatus.PARTIALLY_REFUNDED, Money(5_000))  # fmt: skip
    record = await shop.record(order)
    assert (record.order.status, record.order.refunded) == (OrderStatus.REFUNDED, Money(30_000))
    assert [(r.cancellation_id, r.amount.amount) for r in await shop.refunds("imp_1")] == [
        ("c1", 5_000), ("c2", 25_000)]  # fmt: skip
    stored = await shop.payment_record("imp_1")
    assert stored is not None and stored.balance == Money(0)


async def test_a_cancellation_settles_the_refund_we_have_in_flight_only(shop: Shop) -> None:
    pid = await shop.product(5)
    order = await shop.order((pid, 1))
    await shop.held(order, "imp_1")
    await shop.settlement.apply(shop.says(order, "imp_1", amount=PRICE + 1))
    (owed,) = await shop.refunds("imp_1")
    async with shop.store.transaction() as uow:  # our cancel has left (see services.refunds)
        assert await uow.refunds.move(owed.id, [RefundState.REQUESTED], RefundState.SENDING, T0)

    await shop.settlement.apply(
        shop.says(order, "imp_1", "cancelled", amount=PRICE + 1, cancelled=[("c1", PRICE + 1)])
    )

    (refund,) = await shop.refunds("imp_1")
    assert (refund.origin, refund.state, refund.cancellation_id) == ("auto", "succeeded", "c1")
    assert await shop.status(order) == OrderStatus.REFUNDED


async def test_a_console_cancel_before_our_refund_left_is_not_taken_for_ours(shop: Shop) -> None:
    pid = await shop.product(5)
    order = await shop.order((pid, 1))
    await shop.held(order, "imp_1")
    await shop.settlement.apply(shop.says(order, "imp_1", amount=PRICE + 1))

    await shop.settlement.apply(
        shop.says(order, "imp_1", "cancelled", amount=PRICE + 1, cancelled=[("c1", PRICE + 1)])
    )

    ours, console = await shop.refunds("imp_1")
    assert (ours.origin, ours.state, ours.cancellation_id) == ("auto", "requested", None)
    assert (console.origin, console.state, console.cancellation_id) == (
        "external", "succeeded", "c1")  # fmt: skip
    assert await shop.status(order) == OrderStatus.REFUNDED


async def test_failed_releases_the_held_stock(shop: Shop) -> None:
    pid = await shop.product(5)
    order = await shop.order((pid, 2))
    await shop.held(order, "imp_1")

    settled = await shop.settlement.apply(shop.says(order, "imp_1", "failed"))

    assert settled.report.status is ReportStatus.FAILED
    assert await shop.status(order) == OrderStatus.FAILED
    assert await shop.stock(pid) == StockCount(5)
    assert shop.holds(order.id, "released") == [(pid, 2)]
    assert (await shop.confirm(order, "imp_2")).approved  # the buyer may try again


async def test_a_vbank_awaiting_its_deposit_keeps_the_hold(shop: Shop) -> None:
    pid = await shop.product(5)
    order = await shop.order((pid, 1))
    await shop.held(order, "imp_1")

    await shop.settlement.apply(
        shop.says(order, "imp_1", "ready", pay_method="vbank", vbank_num="110-123", vbank_code="04")
    )

    assert await shop.status(order) == OrderStatus.HELD
    assert await shop.stock(pid) == StockCount(4, 1, 0)
    stored = await shop.payment_record("imp_1")
    assert stored is not None and stored.vbank is not None
    assert (stored.status, stored.vbank.number) == ("ready", "110-123")

    await shop.settlement.apply(shop.says(order, "imp_1"))  # the deposit came
    assert await shop.status(order) == OrderStatus.PAID
    assert await shop.stock(pid) == StockCount(4, 0, 1)


async def test_unverified_then_ready_returns_to_held(shop: Shop) -> None:
    pid = await shop.product(5)
    order = await shop.order((pid, 1))
    await shop.held(order, "imp_1")
    await shop.settlement.unverified("imp_1", order.merchant_uid)
    assert await shop.status(order) == OrderStatus.UNVERIFIED

    await shop.settlement.apply(shop.says(order, "imp_1", "ready"))

    assert await shop.status(order) == OrderStatus.HELD
    assert await shop.stock(pid) == StockCount(4, 1, 0)


async def test_unknown_fails_only_the_order_following_that_imp_uid(shop: Shop) -> None:
    pid = await shop.product(5)
    order = await shop.order((pid, 2))
    await shop.held(order, "imp_1")

    untouched = await shop.settlement.unknown("imp_forged", order.merchant_uid)
    assert untouched is not None and untouched.order.status == OrderStatus.HELD
    assert await shop.stock(pid) == StockCount(3, 2, 0)
    assert await shop.settlement.unknown("imp_1", "ord_nope") is None
    assert await shop.settlement.unknown("imp_1", None) is None
    assert await shop.status(order) == OrderStatus.HELD

    failed = await shop.settlement.unknown("imp_1", order.merchant_uid)

    assert failed is not None and failed.order.status == OrderStatus.FAILED
    assert await shop.status(order) == OrderStatus.FAILED
    assert await shop.stock(pid) == StockCount(5)


async def test_a_test_channel_payment_is_refused_by_default(shop: Shop) -> None:
    pid = await shop.product(5)
    order = await shop.order((pid, 1))
    await shop.held(order, "imp_1")

    settled = await shop.settlement.apply(shop.says(order, "imp_1", sandbox=True))

    assert settled.report.fail_reason == TEST_PAYMENT_REFUSED
    assert await shop.status(order) == OrderStatus.FAILED
    assert await shop.stock(pid) == StockCount(5)
    stored = await shop.payment_record("imp_1")
    assert stored is not None and stored.status == "paid"  # i'mport's word is kept as said


async def test_a_test_channel_payment_is_kept_when_accepted() -> None:
    shop = Shop(accept_test_payments=True)
    pid = await shop.product(5)
    order = await shop.order((pid, 1))
    await shop.held(order, "imp_1")

    await shop.settlement.apply(shop.says(order, "imp_1", sandbox=True))

    assert await shop.status(order) == OrderStatus.PAID
    assert await shop.stock(pid) == StockCount(4, 0, 1)


async def test_a_payment_for_an_order_we_do_not_have_changes_nothing(shop: Shop) -> None:
    with pytest.raises(OrderNotFound):
        await shop.settlement.apply(payment("imp_1", "ord_missing", 1000))
    assert await shop.payment_record("imp_1") is None and shop.store.commits == 0


async def test_a_paid_order_ignores_a_late_failure(shop: Shop) -> None:
    pid = await shop.product(5)
    order = await shop.order((pid, 1))
    await shop.held(order, "imp_1")
    await shop.settlement.apply(shop.says(order, "imp_1"))

    await shop.settlement.apply(shop.says(order, "imp_2", "failed"))
    await shop.settlement.unknown("imp_1", order.merchant_uid)

    assert await shop.status(order) == OrderStatus.PAID
    assert await shop.stock(pid) == StockCount(4, 0, 1)


async def test_after_each_settlement_the_books_are_checked_against_the_cancel_amount(
    shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    pid = await shop.product(5)
    order = await shop.order((pid, 1))
    await shop.held(order, "imp_1")
    with caplog.at_level(logging.ERROR, logger="paydesk.services.settlement"):
        await shop.settlement.apply(shop.says(order, "imp_1"))
        agreeing = shop.says(order, "imp_1", "cancelled", cancelled=[("c1", 3_000)])
        await shop.settlement.apply(agreeing)
        assert caplog.records == []  # 3,000 here and at i'mport
        # i'mport's total says more was refunded than its history shows
        differing = agreeing.model_copy(update={"cancel_amount": 5_000,
                                                "cancel_history": [*agreeing.cancel_history]})  # fmt: skip
        await shop.settlement.apply(differing)
    [error] = caplog.records
    assert "imp_1" in error.getMessage() and "books differ" in error.getMessage()
    assert (await shop.record(order)).order.refunded == Money(3_000)

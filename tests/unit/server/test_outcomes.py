"""Reading i'mport's payment snapshots as facts for the state machine (no I/O)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from paydesk.core.lifecycle import (
    HoldGranted,
    PaymentFailed,
    PaymentPaid,
    PaymentPending,
    RefundRecorded,
    apply,
)
from paydesk.core.money import Money
from paydesk.core.orders import Order, OrderStatus
from paydesk.core.outcomes import Cancellation, PaymentReport, ReportStatus, facts, kept
from paydesk.core.stock import Line

PRICE = Money(30_000)
R = ReportStatus


def held() -> Order:
    order = Order.open("ord_1", PRICE, [Line(1, 1)], datetime(2030, 1, 1, tzinfo=UTC))
    return apply(order, HoldGranted("imp_1")).order


def report(
    status: ReportStatus, *cancelled: int, was_paid: bool | None = None, fail_reason: str = ""
) -> PaymentReport:
    history = tuple(Cancellation(f"c{n}", Money(amount)) for n, amount in enumerate(cancelled))
    paid = status != R.FAILED if was_paid is None else was_paid
    return PaymentReport("imp_1", "ord_1", status, PRICE, history, paid, fail_reason)


def test_ready_is_still_pending() -> None:
    assert facts(held(), report(R.READY, was_paid=False)) == (PaymentPending("imp_1"),)


def test_failed_and_paid_are_facts_of_their_own() -> None:
    assert facts(held(), report(R.FAILED, fail_reason="declined")) == (
        PaymentFailed("imp_1", "declined"),
    )
    assert facts(held(), report(R.PAID), stock_available=True) == (
        PaymentPaid("imp_1", PRICE, True),
    )


def test_a_partial_cancel_is_a_payment_then_the_new_refunds_only() -> None:
    partly = report(R.CANCELLED, 10_000, 5_000)
    new = partly.cancellations[1:]
    assert facts(held(), partly, new_cancellations=new) == (
        PaymentPaid("imp_1", PRICE, False),
        RefundRecorded("imp_1", Money(5_000)),
    )
    assert partly.cancelled == Money(15_000) and not partly.fully_cancelled


def test_a_full_cancel_before_the_order_kept_the_payment_ends_the_attempt() -> None:
    whole = report(R.CANCELLED, 30_000)
    [fact] = facts(held(), whole, new_cancellations=whole.cancellations)
    assert isinstance(fact, PaymentFailed)
    after = apply(held(), fact)
    assert after.order.status == OrderStatus.FAILED and not after.order.holding


def test_a_full_cancel_of_a_kept_payment_is_a_refund() -> None:
    paid = apply(held(), PaymentPaid("imp_1", PRICE)).order
    assert kept(paid, "imp_1") and not kept(paid, "imp_2")
    whole = report(R.CANCELLED, 30_000)
    found = facts(paid, whole, new_cancellations=whole.cancellations)
    assert found[-1] == RefundRecorded("imp_1", PRICE)
    order = paid
    for fact in found:
        order = apply(order, fact).order
    assert order.status == OrderStatus.REFUNDED


def test_cancelled_without_ever_being_paid_is_a_failure() -> None:
    assert facts(held(), report(R.CANCELLED, was_paid=False)) == (
        PaymentFailed("imp_1", "cancelled"),
    )


def test_a_report_about_another_order_is_refused() -> None:
    with pytest.raises(ValueError, match="belongs to"):
        facts(held(), replace(report(R.PAID), merchant_uid="ord_2"))

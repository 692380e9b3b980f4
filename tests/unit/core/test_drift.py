"""Drift classification: what a listing's payment says against the order, before applying."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from paydesk.core.drift import Drift, agrees, classify, holds_money
from paydesk.core.money import Money
from paydesk.core.orders import Order, OrderStatus
from paydesk.core.outcomes import Cancellation, PaymentReport, ReportStatus, progress
from paydesk.core.stock import Line

LATER = datetime(2030, 1, 1, tzinfo=UTC)
PAID = ReportStatus.PAID
CANCELLED = ReportStatus.CANCELLED


def order(status: OrderStatus = OrderStatus.PENDING, **fields: object) -> Order:
    opened = Order.open("o1", Money(10_000), [Line(1, 1)], LATER)
    return replace(opened, status=status, **fields)  # type: ignore[arg-type]


def paid_order(status: OrderStatus = OrderStatus.PAID, **fields: object) -> Order:
    values: dict[str, object] = {"imp_uid": "imp_1", "paid": Money(10_000)} | fields
    return order(status, **values)


def report(
    status: ReportStatus = PAID, amount: int = 10_000, cancelled: tuple[int, ...] = ()
) -> PaymentReport:
    entries = tuple(Cancellation(f"c{i}", Money(v)) for i, v in enumerate(cancelled))
    return PaymentReport("imp_1", "o1", status, Money(amount), entries, was_paid=True)


def prog(r: PaymentReport) -> tuple[int, int, int]:
    return progress(r.status, r.cancelled, len(r.cancellations))


def test_money_held_at_iamport_without_an_order_is_an_orphan() -> None:
    for held in (report(), report(cancelled=(3_000,)), report(CANCELLED, cancelled=(3_000,))):
        assert classify(None, held, known=None, fresh=prog(held)) == Drift.ORPHAN
    for gone in (report(CANCELLED, cancelled=(10_000,)), report(ReportStatus.FAILED)):
        assert classify(None, gone, known=None, fresh=prog(gone)) is None
        assert agrees(None, gone)
    assert not agrees(None, report())


def test_a_new_payment_of_another_amount_is_an_amount_mismatch() -> None:
    short = report(amount=9_000)
    assert classify(order(), short, known=None, fresh=prog(short)) == Drift.AMOUNT_MISMATCH
    # the same amount is no mismatch (whether it is a missed webhook depends on applying)
    right = report()
    assert classify(order(), right, known=None, fresh=prog(right)) is None
    # a second payment of an order paid by another is a duplicate, whatever its amount
    other = paid_order(imp_uid="imp_0")
    assert classify(other, short, known=None, fresh=prog(short)) is None


def test_an_order_kept_as_paid_for_another_amount_is_an_amount_mismatch() -> None:
    said = report(amount=12_000)
    assert classify(paid_order(), said, known=prog(said), fresh=prog(said)) == (
        Drift.AMOUNT_MISMATCH
    )
    assert not agrees(paid_order(), said)


def test_refunds_we_booked_that_iamport_never_made_are_an_amount_mismatch() -> None:
    ours = paid_order(status=OrderStatus.PARTIALLY_REFUNDED, refunded=Money(4_000))
    said = report(cancelled=(1_000,))
    assert classify(ours, said, known=prog(said), fresh=prog(said)) == Drift.AMOUNT_MISMATCH
    assert not agrees(ours, said)


def test_a_paid_order_cancelled_at_iamport_in_full_or_in_part() -> None:
    for said in (report(CANCELLED, cancelled=(10_000,)), report(PAID, cancelled=(2_500,))):
        known = prog(report())
        assert classify(paid_order(), said, known=known, fresh=prog(said)) == (
            Drift.CANCELLED_AT_IAMPORT
        )
    partly = paid_order(status=OrderStatus.PARTIALLY_REFUNDED, refunded=Money(2_500))
    more = report(PAID, cancelled=(2_500, 1_000))
    assert classify(partly, more, known=None, fresh=prog(more)) == Drift.CANCELLED_AT_IAMPORT


def test_books_that_agree_show_no_drift_and_a_stale_listing_teaches_nothing() -> None:
    said = report()
    assert classify(paid_order(), said, known=prog(said), fresh=prog(said)) is None
    assert agrees(paid_order(), said)
    newer = report(CANCELLED, cancelled=(10_000,))
    refunded = paid_order(status=OrderStatus.REFUNDED, refunded=Money(10_000))
    assert classify(refunded, said, known=prog(newer), fresh=prog(said)) is None


def test_holds_money_only_while_paid_and_not_cancelled_in_full() -> None:
    assert holds_money(report())
    assert not holds_money(report(CANCELLED, cancelled=(10_000,)))
    never_paid = PaymentReport("imp_1", "o1", CANCELLED, Money(10_000))
    assert not holds_money(never_paid)

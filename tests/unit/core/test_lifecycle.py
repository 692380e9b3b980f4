"""The order/payment state machine, move by move."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from paydesk.core.lifecycle import (
    TRANSITIONS,
    HoldGranted,
    IllegalTransition,
    OrderCancelled,
    PaymentDisowned,
    PaymentFailed,
    PaymentPaid,
    PaymentPending,
    RefundOwed,
    RefundRecorded,
    ReleaseHeldStock,
    SellHeldStock,
    SellStock,
    VerificationFailed,
    apply,
)
from paydesk.core.money import Money
from paydesk.core.orders import Order, OrderStatus
from paydesk.core.refunds import RefundTooLarge
from paydesk.core.stock import Line

S = OrderStatus
PRICE = Money(30_000)


def new_order() -> Order:
    return Order.open("ord_1", PRICE, [Line(1, 1)], datetime(2030, 1, 1, tzinfo=UTC))


def held(imp_uid: str = "imp_1") -> Order:
    return apply(new_order(), HoldGranted(imp_uid)).order


def test_every_status_has_a_row_and_refunded_is_final() -> None:
    assert set(TRANSITIONS) == set(OrderStatus)
    assert TRANSITIONS[S.REFUNDED] == frozenset()


def test_held_then_paid_sells_the_held_stock() -> None:
    order = held()
    assert (order.status, order.holding, order.imp_uid) == (S.HELD, True, "imp_1")
    step = apply(order, PaymentPaid("imp_1", PRICE))
    assert step.order.status == S.PAID
    assert step.order.holding is False
    assert step.order.paid == PRICE
    assert step.effects == (SellHeldStock(),)


def test_held_then_failed_releases_the_stock_and_the_order_can_be_retried() -> None:
    step = apply(held(), PaymentFailed("imp_1", "declined"))
    assert step.order.status == S.FAILED
    assert step.effects == (ReleaseHeldStock(),)
    again = apply(step.order, HoldGranted("imp_2"))
    assert again.order.status == S.HELD and again.order.imp_uid == "imp_2"


def test_communication_error_keeps_the_hold() -> None:
    step = apply(held(), VerificationFailed("imp_1"))
    assert step.order.status == S.UNVERIFIED
    assert step.order.holding is True
    assert step.effects == ()
    paid = apply(step.order, PaymentPaid("imp_1", PRICE))
    assert paid.order.status == S.PAID and paid.effects == (SellHeldStock(),)


def test_wrong_amount_is_flagged_refunded_and_its_hold_released() -> None:
    step = apply(held(), PaymentPaid("imp_1", Money(100)))
    assert step.order.status == S.FLAGGED
    assert step.effects == (ReleaseHeldStock(), RefundOwed("imp_1", Money(100), "amount mismatch"))


@pytest.mark.parametrize(("asked", "paid_escrow"), [(True, False), (False, True)])
def test_escrow_other_than_the_order_asked_is_flagged_like_a_wrong_amount(
    asked: bool, paid_escrow: bool
) -> None:
    order = apply(replace(new_order(), escrow=asked), HoldGranted("imp_1")).order
    step = apply(order, PaymentPaid("imp_1", PRICE, escrow=paid_escrow))
    assert step.order.status == S.FLAGGED and step.order.paid == PRICE
    assert step.effects == (ReleaseHeldStock(), RefundOwed("imp_1", PRICE, "escrow mismatch"))
    kept = apply(order, PaymentPaid("imp_1", PRICE, escrow=asked))
    assert kept.order.status == S.PAID and kept.effects == (SellHeldStock(),)


def test_paid_without_hold_sells_free_stock_or_is_refunded() -> None:
    step = apply(new_order(), PaymentPaid("imp_1", PRICE, stock_available=True))
    assert step.order.status == S.PAID and step.effects == (SellStock(),)
    step = apply(new_order(), PaymentPaid("imp_1", PRICE, stock_available=False))
    assert step.order.status == S.FLAGGED
    assert step.effects == (RefundOwed("imp_1", PRICE, "no stock"),)


def test_payment_for_a_cancelled_order_is_refunded() -> None:
    cancelled = apply(new_order(), OrderCancelled()).order
    step = apply(cancelled, PaymentPaid("imp_1", PRICE, stock_available=True))
    assert step.order.status == S.FLAGGED
    assert step.effects == (RefundOwed("imp_1", PRICE, "order cancelled"),)


def test_duplicates_change_nothing_and_a_second_payment_is_refunded() -> None:
    paid = apply(held(), PaymentPaid("imp_1", PRICE)).order
    assert apply(paid, PaymentPaid("imp_1", PRICE)).order == paid
    assert apply(paid, PaymentPaid("imp_1", PRICE)).effects == ()
    second = apply(paid, PaymentPaid("imp_2", PRICE))
    assert second.order == paid
    assert second.effects == (RefundOwed("imp_2", PRICE, "duplicate payment"),)
    assert apply(paid, PaymentFailed("imp_1")).order == paid


def test_failure_of_another_attempt_does_not_touch_the_held_one() -> None:
    order = held("imp_1")
    assert apply(order, PaymentFailed("imp_other")).order == order
    assert apply(order, VerificationFailed("imp_other")).order == order


def test_refunds_partial_then_full_and_never_more_than_paid() -> None:
    paid = apply(held(), PaymentPaid("imp_1", PRICE)).order
    part = apply(paid, RefundRecorded("imp_1", Money(10_000))).order
    assert part.status == S.PARTIALLY_REFUNDED and part.refunded == Money(10_000)
    with pytest.raises(RefundTooLarge):
        apply(part, RefundRecorded("imp_1", Money(20_001)))
    full = apply(part, RefundRecorded("imp_1", Money(20_000))).order
    assert full.status == S.REFUNDED and full.refunded == PRICE


def test_flagged_stays_flagged_until_fully_refunded() -> None:
    flagged = apply(new_order(), PaymentPaid("imp_1", PRICE)).order
    part = apply(flagged, RefundRecorded("imp_1", Money(1))).order
    assert part.status == S.FLAGGED
    assert apply(part, RefundRecorded("imp_1", PRICE - Money(1))).order.status == S.REFUNDED


def test_forbidden_moves_raise() -> None:
    with pytest.raises(IllegalTransition):
        apply(held(), HoldGranted("imp_2"))
    with pytest.raises(IllegalTransition):
        apply(held(), OrderCancelled())  # the payment may still succeed
    paid = apply(held(), PaymentPaid("imp_1", PRICE)).order
    with pytest.raises(IllegalTransition):
        apply(paid, OrderCancelled())


def test_still_ready_takes_an_unverified_order_back_without_ending_anything() -> None:
    holding = held()
    unverified = apply(holding, VerificationFailed("imp_1")).order
    assert unverified.status == OrderStatus.UNVERIFIED
    step = apply(unverified, PaymentPending("imp_1"))
    assert step.order.status == OrderStatus.HELD
    assert step.order.holding
    assert step.effects == ()
    assert apply(holding, PaymentPending("imp_1")).order == holding  # nothing to learn
    other = apply(unverified, PaymentPending("imp_2"))
    assert other.order.status == OrderStatus.UNVERIFIED


def test_a_disowned_payment_takes_an_order_back_to_where_the_false_claim_found_it() -> None:
    pending = new_order()
    claimed = apply(pending, VerificationFailed("imp_other")).order
    assert (claimed.status, claimed.imp_uid) == (OrderStatus.UNVERIFIED, "imp_other")
    freed = apply(claimed, PaymentDisowned("imp_other"))
    assert (freed.order.status, freed.order.imp_uid, freed.effects) == (
        OrderStatus.PENDING,
        None,
        (),
    )
    assert apply(freed.order, PaymentDisowned("imp_other")).order == freed.order
    mine = apply(pending, VerificationFailed("imp_mine")).order
    assert apply(mine, PaymentDisowned("imp_other")).order == mine  # another payment: no change


def test_a_held_order_disowning_its_own_claim_keeps_its_hold() -> None:
    order = apply(held("imp_1"), VerificationFailed("imp_1")).order
    assert order.status == S.UNVERIFIED
    back = apply(order, PaymentDisowned("imp_1")).order
    assert (back.status, back.holding, back.imp_uid) == (S.HELD, True, "imp_1")

"""The confirm decision: guards, order checks, stock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from paydesk.core.confirm import ConfirmCall, Decision, Guards, Refusal, decide, precheck
from paydesk.core.lifecycle import HoldGranted, PaymentPaid, VerificationFailed, apply
from paydesk.core.money import Money
from paydesk.core.orders import Order
from paydesk.core.stock import Line

NOW = datetime(2030, 1, 1, 12, tzinfo=UTC)
PRICE = Money(50_000)
ORDER = Order.open("ord_1", PRICE, [Line(1, 2), Line(2, 1)], NOW + timedelta(minutes=30))
CALL = ConfirmCall("imp_1", "ord_1", Decimal(50_000))
OPEN = Guards()
ON_SALE = {1: True, 2: True}


def test_approves_and_holds_every_line() -> None:
    decision = decide(CALL, ORDER, {1: 2, 2: 1}, ON_SALE, OPEN, NOW)
    assert decision == Decision("imp_1", None, (Line(1, 2), Line(2, 1)))
    assert decision.approved


def test_older_shape_without_amount_is_checked_by_state_and_stock() -> None:
    old = ConfirmCall("imp_1", "ord_1", None, status="ready")
    assert decide(old, ORDER, {1: 2, 2: 1}, ON_SALE, OPEN, NOW).approved


def test_refusal_reasons() -> None:
    def reason(call=CALL, order=ORDER, stock=None, on_sale=None, guards=OPEN, now=NOW):  # type: ignore[no-untyped-def]
        stock = {1: 2, 2: 1} if stock is None else stock
        return decide(call, order, stock, on_sale or ON_SALE, guards, now).refusal

    assert reason(guards=Guards(sales_open=False)) == Refusal.SALES_CLOSED
    assert reason(order=None) == Refusal.ORDER_NOT_FOUND
    assert reason(call=ConfirmCall("imp_1", "ord_1", Decimal(49_999))) == Refusal.AMOUNT_MISMATCH
    assert reason(call=ConfirmCall("imp_1", "ord_1", Decimal("50000.5"))) == Refusal.AMOUNT_MISMATCH
    assert reason(call=ConfirmCall("imp_1", "ord_1", Decimal("50000.00"))) is None
    assert reason(now=ORDER.expires_at) == Refusal.ORDER_EXPIRED
    assert reason(stock={1: 2, 2: 0}) == Refusal.SOLD_OUT
    assert reason(stock={1: 1, 2: 1}) == Refusal.SOLD_OUT
    assert reason(on_sale={1: True, 2: False}) == Refusal.NOT_ON_SALE
    held = apply(ORDER, HoldGranted("imp_0")).order
    assert reason(order=held) == Refusal.PAYMENT_IN_PROGRESS
    unverified = apply(held, VerificationFailed("imp_0")).order
    assert reason(order=unverified) == Refusal.PAYMENT_IN_PROGRESS
    paid = apply(held, PaymentPaid("imp_0", PRICE)).order
    assert reason(order=paid) == Refusal.NOT_PAYABLE


def test_precheck_needs_no_stock_or_state() -> None:
    held = apply(ORDER, HoldGranted("imp_0")).order
    assert precheck(CALL, held, OPEN, NOW) is None  # state is decide()'s business
    assert precheck(CALL, ORDER, OPEN, NOW + timedelta(hours=1)) == Refusal.ORDER_EXPIRED

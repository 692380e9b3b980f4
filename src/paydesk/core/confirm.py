"""The Confirm Process decision: may i'mport ask the PG to approve this payment?

i'mport calls our ``confirm_url`` right before approval; a 200 lets the payment
go ahead, anything else fails it. The decision is pure: given the call, the
order, the stock we can see and the business guards, approve (and hold the
order's lines) or refuse with a reason the buyer will read in ``fail_reason``.

``precheck`` holds the refusals that depend only on facts that never change
once an order exists (amount, expiry, the kill switch); shells may answer those
without taking any lock. ``decide`` adds the checks that need a consistent view
of the order's state and the stock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from .lifecycle import PAYABLE
from .orders import Order, OrderStatus
from .stock import Line, allocate

__all__ = ["ConfirmCall", "Decision", "Guards", "Refusal", "decide", "precheck"]


class Refusal(StrEnum):
    """Why a confirm is refused; the value is the ``reason`` i'mport shows the buyer."""

    SALES_CLOSED = "sales closed"
    NOT_ON_SALE = "not on sale"
    ORDER_NOT_FOUND = "order not found"
    AMOUNT_MISMATCH = "amount mismatch"
    ORDER_EXPIRED = "order expired"
    NOT_PAYABLE = "order not payable"
    PAYMENT_IN_PROGRESS = "payment in progress"
    SOLD_OUT = "sold out"


@dataclass(frozen=True)
class ConfirmCall:
    """What i'mport sent: ``amount`` in the current shape, ``status`` in the older one."""

    imp_uid: str
    merchant_uid: str
    amount: Decimal | None = None  # in major units as sent (won; dollars for USD)
    status: str | None = None


@dataclass(frozen=True)
class Guards:
    """Business switches checked on every confirm."""

    sales_open: bool = True


@dataclass(frozen=True)
class Decision:
    """Approve (holding ``lines``) or refuse with ``refusal``."""

    imp_uid: str
    refusal: Refusal | None = None
    lines: tuple[Line, ...] = ()

    @property
    def approved(self) -> bool:
        return self.refusal is None


def precheck(
    call: ConfirmCall, order: Order | None, guards: Guards, now: datetime
) -> Refusal | None:
    """Refusals that need no lock: kill switch, unknown order, wrong amount, expiry."""
    if not guards.sales_open:
        return Refusal.SALES_CLOSED
    if order is None:
        return Refusal.ORDER_NOT_FOUND
    if call.amount is not None and call.amount != order.amount.major():
        return Refusal.AMOUNT_MISMATCH
    if order.expired(now):
        return Refusal.ORDER_EXPIRED
    return None


def decide(
    call: ConfirmCall,
    order: Order | None,
    available: Mapping[int, int],
    on_sale: Mapping[int, bool],
    guards: Guards,
    now: datetime,
) -> Decision:
    """The full decision against a consistent snapshot of the order and its products.

    ``available`` maps product id to free units, ``on_sale`` to the product's
    own sales switch. The caller applies an approval's ``lines`` to its snapshot
    before deciding the next call of a batch.
    """
    refusal = precheck(call, order, guards, now)
    if refusal is None and order is not None:
        refusal = _state_refusal(order) or _stock_refusal(order, available, on_sale)
    if refusal is not None or order is None:
        return Decision(call.imp_uid, refusal or Refusal.ORDER_NOT_FOUND)
    return Decision(call.imp_uid, lines=order.lines)


def _state_refusal(order: Order) -> Refusal | None:
    if order.status in PAYABLE:
        return None
    if order.status in (OrderStatus.HELD, OrderStatus.UNVERIFIED):
        return Refusal.PAYMENT_IN_PROGRESS
    return Refusal.NOT_PAYABLE


def _stock_refusal(
    order: Order, available: Mapping[int, int], on_sale: Mapping[int, bool]
) -> Refusal | None:
    if not all(on_sale.get(line.product_id, False) for line in order.lines):
        return Refusal.NOT_ON_SALE
    if allocate(order.lines, available) is None:
        return Refusal.SOLD_OUT
    return None

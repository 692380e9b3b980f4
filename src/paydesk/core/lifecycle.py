"""The order/payment state machine: facts in, a new order and effects out.

Every change to an order's payment state goes through ``apply``. It does no I/O:
the shell turns the returned effects into stock moves and refunds, in the same
transaction that stores the new order. ``TRANSITIONS`` is the whole graph;
``apply`` refuses to take an edge that is not in it.

Rules worth knowing:

- Only an explicit answer from i'mport (``PaymentPaid``/``PaymentFailed``) ends
  a hold. A communication error (``VerificationFailed``) leaves the order
  ``unverified`` with its stock still held; nothing is released on a timer.
  i'mport's answer "still ready" (``PaymentPending``: a vbank awaiting its
  deposit) takes it back to ``held`` (or ``pending``) and ends nothing.
- A paid payment that cannot be fulfilled (wrong amount, escrow or not other
  than the order asked, no stock behind it, a second payment for an order
  already paid) is kept on record and refunded.
- Repeated facts (a duplicate webhook) change nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Final

from .errors import IllegalTransition
from .money import Money
from .orders import Order, OrderStatus
from .refunds import refund_amount

__all__ = [
    "PAYABLE",
    "TRANSITIONS",
    "Effect",
    "Fact",
    "HoldGranted",
    "IllegalTransition",
    "OrderCancelled",
    "PaymentDisowned",
    "PaymentFailed",
    "PaymentPaid",
    "PaymentPending",
    "RefundOwed",
    "RefundRecorded",
    "ReleaseHeldStock",
    "SellHeldStock",
    "SellStock",
    "Transition",
    "VerificationFailed",
    "apply",
    "can_hold",
]

S = OrderStatus

#: Every move an order can make (staying put is always allowed).
TRANSITIONS: Final[Mapping[OrderStatus, frozenset[OrderStatus]]] = {
    S.PENDING: frozenset({S.HELD, S.PAID, S.FLAGGED, S.FAILED, S.UNVERIFIED, S.CANCELLED}),
    S.HELD: frozenset({S.PAID, S.FLAGGED, S.FAILED, S.UNVERIFIED}),
    S.FAILED: frozenset({S.HELD, S.PAID, S.FLAGGED, S.UNVERIFIED, S.CANCELLED}),
    S.UNVERIFIED: frozenset({S.PAID, S.FLAGGED, S.FAILED, S.HELD, S.PENDING}),
    S.CANCELLED: frozenset({S.FLAGGED}),
    S.PAID: frozenset({S.PARTIALLY_REFUNDED, S.REFUNDED}),
    S.PARTIALLY_REFUNDED: frozenset({S.REFUNDED}),
    S.FLAGGED: frozenset({S.REFUNDED}),
    S.REFUNDED: frozenset(),
}

#: Orders a confirm may still hold stock for.
PAYABLE: Final = frozenset({S.PENDING, S.FAILED})
_SETTLED: Final = frozenset({S.PAID, S.PARTIALLY_REFUNDED, S.REFUNDED, S.FLAGGED})
_OPEN: Final = frozenset({S.PENDING, S.HELD, S.FAILED, S.UNVERIFIED})


# -- facts ----------------------------------------------------------------------
@dataclass(frozen=True)
class HoldGranted:
    """The confirm for ``imp_uid`` was approved and stock is held for the order."""

    imp_uid: str


@dataclass(frozen=True)
class PaymentPaid:
    """i'mport says ``imp_uid`` is paid ``amount``.

    ``stock_available``: the order's lines could be sold from free stock right
    now — only consulted when nothing is held for the order. ``escrow``: i'mport
    says it is an escrow payment; it must be what the order asked for.
    """

    imp_uid: str
    amount: Money
    stock_available: bool = False
    escrow: bool = False


@dataclass(frozen=True)
class PaymentFailed:
    """i'mport says ``imp_uid`` failed (or was cancelled before it was paid)."""

    imp_uid: str
    reason: str = ""


@dataclass(frozen=True)
class PaymentPending:
    """i'mport says ``imp_uid`` is still ``ready``: nothing has ended yet."""

    imp_uid: str


@dataclass(frozen=True)
class VerificationFailed:
    """A result for ``imp_uid`` arrived but i'mport could not be asked about it."""

    imp_uid: str


@dataclass(frozen=True)
class PaymentDisowned:
    """i'mport says ``imp_uid`` pays another order: a claim that it paid this one was false."""

    imp_uid: str


@dataclass(frozen=True)
class RefundRecorded:
    """i'mport confirmed a refund of ``amount`` on ``imp_uid``."""

    imp_uid: str
    amount: Money


@dataclass(frozen=True)
class OrderCancelled:
    """The merchant or buyer gave up on an unpaid order."""


Fact = (
    HoldGranted
    | PaymentPaid
    | PaymentPending
    | PaymentFailed
    | VerificationFailed
    | PaymentDisowned
    | RefundRecorded
    | OrderCancelled
)


# -- effects --------------------------------------------------------------------
@dataclass(frozen=True)
class SellHeldStock:
    """Turn the order's held stock into sold stock."""


@dataclass(frozen=True)
class ReleaseHeldStock:
    """Give the order's held stock back to available."""


@dataclass(frozen=True)
class SellStock:
    """Sell the order's lines straight from available stock (there was no hold)."""


@dataclass(frozen=True)
class RefundOwed:
    """``imp_uid`` was paid but cannot be kept: refund ``amount`` and record why."""

    imp_uid: str
    amount: Money
    reason: str


Effect = SellHeldStock | ReleaseHeldStock | SellStock | RefundOwed


@dataclass(frozen=True)
class Transition:
    """The order after a fact, and what the shell must do about it."""

    order: Order
    effects: tuple[Effect, ...] = ()


def can_hold(order: Order) -> bool:
    """Whether a confirm may hold stock for ``order`` (its state allows a new attempt)."""
    return order.status in PAYABLE


def apply(order: Order, fact: Fact) -> Transition:
    """The order after ``fact``; raises ``IllegalTransition`` for a move the graph forbids."""
    result = _decide(order, fact)
    after = result.order.status
    if after != order.status and after not in TRANSITIONS[order.status]:
        raise IllegalTransition(order, fact)
    return result


def _decide(order: Order, fact: Fact) -> Transition:
    match fact:
        case HoldGranted():
            return _hold(order, fact)
        case PaymentPaid():
            return _paid(order, fact)
        case PaymentPending():
            return _pending(order, fact)
        case PaymentFailed():
            return _failed(order, fact)
        case VerificationFailed():
            return _unverified(order, fact)
        case PaymentDisowned():
            return _disowned(order, fact)
        case RefundRecorded():
            return _refunded(order, fact)
        case OrderCancelled():
            return _cancelled(order, fact)


def _hold(order: Order, fact: HoldGranted) -> Transition:
    if not can_hold(order):
        raise IllegalTransition(order, fact)
    return Transition(replace(order, status=S.HELD, imp_uid=fact.imp_uid, holding=True))


def _paid(order: Order, fact: PaymentPaid) -> Transition:
    if order.status in _SETTLED:
        if fact.imp_uid == order.imp_uid:
            return Transition(order)  # the same payment again
        return Transition(order, (RefundOwed(fact.imp_uid, fact.amount, "duplicate payment"),))
    paid = replace(
        order, imp_uid=fact.imp_uid, holding=False, paid=fact.amount,
        refunded=Money.zero(fact.amount.currency),
    )  # fmt: skip
    release = (ReleaseHeldStock(),) if order.holding else ()
    if fact.amount != order.amount or fact.escrow != order.escrow:
        # tampered with (the browser sends request_pay): paid, but not what was ordered
        reason = "amount mismatch" if fact.amount != order.amount else "escrow mismatch"
        owed = RefundOwed(fact.imp_uid, fact.amount, reason)
        return Transition(replace(paid, status=S.FLAGGED), (*release, owed))
    if order.holding:
        return Transition(replace(paid, status=S.PAID), (SellHeldStock(),))
    if fact.stock_available and order.status != S.CANCELLED:
        return Transition(replace(paid, status=S.PAID), (SellStock(),))
    reason = "order cancelled" if order.status == S.CANCELLED else "no stock"
    return Transition(
        replace(paid, status=S.FLAGGED), (RefundOwed(fact.imp_uid, fact.amount, reason),)
    )


def _failed(order: Order, fact: PaymentFailed) -> Transition:
    if order.status not in _OPEN:
        return Transition(order)  # i'mport never fails a paid payment: a stale message
    if order.imp_uid not in (None, fact.imp_uid) and order.status != S.FAILED:
        return Transition(order)  # another attempt failed; the order follows its own
    release = (ReleaseHeldStock(),) if order.holding else ()
    failed = replace(order, status=S.FAILED, imp_uid=fact.imp_uid, holding=False)
    return Transition(failed, release)


def _pending(order: Order, fact: PaymentPending) -> Transition:
    if order.status != S.UNVERIFIED or order.imp_uid != fact.imp_uid:
        return Transition(order)  # nothing to learn: the order already follows its attempt
    return Transition(replace(order, status=S.HELD if order.holding else S.PENDING))


def _unverified(order: Order, fact: VerificationFailed) -> Transition:
    if order.status not in _OPEN or order.status == S.UNVERIFIED:
        return Transition(order)
    if order.status == S.HELD and fact.imp_uid != order.imp_uid:
        return Transition(order)  # the held attempt is still the one to follow
    return Transition(replace(order, status=S.UNVERIFIED, imp_uid=fact.imp_uid))


def _disowned(order: Order, fact: PaymentDisowned) -> Transition:
    if order.status != S.UNVERIFIED or order.imp_uid != fact.imp_uid:
        return Transition(order)  # the order never followed that payment
    if order.holding:  # a hold is granted for the order's own payment: it stays held
        return Transition(replace(order, status=S.HELD))
    return Transition(replace(order, status=S.PENDING, imp_uid=None))  # where the claim found it


def _refunded(order: Order, fact: RefundRecorded) -> Transition:
    if fact.imp_uid != order.imp_uid or order.status not in _SETTLED:
        return Transition(order)  # a refund of a payment the order did not keep
    amount = refund_amount(order.paid, order.refunded, fact.amount)
    refunded = order.refunded + amount
    if refunded == order.paid:
        status = S.REFUNDED
    else:
        status = S.FLAGGED if order.status == S.FLAGGED else S.PARTIALLY_REFUNDED
    return Transition(replace(order, refunded=refunded, status=status))


def _cancelled(order: Order, fact: OrderCancelled) -> Transition:
    if order.status == S.CANCELLED:
        return Transition(order)
    if order.status not in PAYABLE:
        raise IllegalTransition(order, fact)
    return Transition(replace(order, status=S.CANCELLED))

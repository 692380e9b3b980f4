"""Where our books and i'mport disagree about a payment: the reconciliation's drift types.

The reconciliation sweep reads i'mport's listings and, for every payment,
compares what i'mport says with the order on our side *before* applying it
(``classify``), then applies it and checks that the books now agree (``agrees``).
No I/O here: the sweep (``services.reconciliation``) does the reading and the
applying.

Drift types, most serious first (a payment gets at most one):

- ``orphan``: i'mport holds money for a payment no order of ours names.
- ``amount_mismatch``: the amounts disagree: i'mport paid another amount
  than the order's, or our refunded total is not i'mport's cancel amount.
- ``cancelled_at_iamport``: an order we hold as paid was (partly) cancelled
  at i'mport (its console, most likely) and we never heard.
- ``missed``: i'mport knows something newer that changes the order (a
  webhook never arrived).
"""

from __future__ import annotations

from enum import StrEnum

from .orders import Order, OrderStatus
from .outcomes import PaymentReport, Progress, ReportStatus

__all__ = ["Drift", "agrees", "classify", "holds_money"]

_KEPT = frozenset(
    {OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED, OrderStatus.FLAGGED}
)
#: An order that believes its payment is fine (paid, maybe partly refunded).
_BELIEVED_PAID = frozenset({OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED})


class Drift(StrEnum):
    """A kind of disagreement between our books and i'mport."""

    ORPHAN = "orphan"
    AMOUNT_MISMATCH = "amount_mismatch"
    CANCELLED_AT_IAMPORT = "cancelled_at_iamport"
    MISSED = "missed"


def holds_money(report: PaymentReport) -> bool:
    """Whether i'mport holds money for the payment: paid and not cancelled in full."""
    paid = report.status == ReportStatus.PAID or (
        report.status == ReportStatus.CANCELLED and report.was_paid
    )
    return paid and report.cancelled < report.amount


def classify(
    order: Order | None,
    report: PaymentReport,
    *,
    known: Progress | None,
    fresh: Progress,
) -> Drift | None:
    """The drift ``report`` shows against ``order`` before it is applied (``missed`` excepted).

    Args:
        order: the order named by the payment's merchant_uid, None if there is none.
        report: what i'mport says now.
        known: the progress of the payment row we stored, None if there is none.
        fresh: the progress of ``report``'s snapshot.

    ``missed`` depends on what applying changes; see ``missed``.
    """
    if order is None:
        return Drift.ORPHAN if holds_money(report) else None
    if known is not None and fresh < known:
        return None  # ours is newer than the listing: nothing to learn
    if order.imp_uid == report.imp_uid and order.status in _KEPT:
        believed = order.status in _BELIEVED_PAID
        if believed and (order.paid != report.amount or order.amount != report.amount):
            return Drift.AMOUNT_MISMATCH  # we keep it as fine, i'mport says another amount
        if report.cancelled < order.refunded:
            return Drift.AMOUNT_MISMATCH  # we booked refunds i'mport never made
        if believed and report.cancelled > order.refunded:
            return Drift.CANCELLED_AT_IAMPORT
        return None
    settled_elsewhere = order.status in _KEPT  # a second payment: a duplicate, refunded as such
    news = known is None or fresh > known
    if news and not settled_elsewhere and holds_money(report) and report.amount != order.amount:
        return Drift.AMOUNT_MISMATCH
    return None


def agrees(order: Order | None, report: PaymentReport) -> bool:
    """Whether our books now match i'mport for this payment (checked after applying).

    An order that keeps the payment must show i'mport's paid amount and have
    refunded exactly i'mport's cancel amount; a payment the order does not
    keep says nothing about it. A payment without an order agrees only when
    i'mport holds no money for it.
    """
    if order is None:
        return not holds_money(report)
    if order.imp_uid != report.imp_uid or order.status not in _KEPT:
        return True
    return order.paid == report.amount and order.refunded == report.cancelled

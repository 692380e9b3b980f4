"""What i'mport's word about a payment means for an order: the facts to apply, in order.

i'mport reports a payment as a snapshot (status, amount, cancel history); the
state machine in ``lifecycle`` speaks in facts. ``facts`` turns the first into
the second without I/O, so the webhook, the completion call and every worker
job read a snapshot the same way. It is safe to call again with the same
snapshot: only cancellations not yet on our books become refunds, and the
lifecycle ignores a payment it already settled.

Reading rules:

- ``ready`` is still pending (a window open, a vbank awaiting its deposit):
  nothing ends, but an order left ``unverified`` learns that it is pending.
- ``failed`` ends the attempt.
- ``paid`` is a payment; ``cancelled`` is a payment (it was paid) followed by
  its refunds — unless it was cancelled in full before the order kept it,
  which ends the attempt like a failure (the hold is released).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from .lifecycle import Fact, PaymentFailed, PaymentPaid, PaymentPending, RefundRecorded
from .money import Money
from .orders import Order, OrderStatus

__all__ = ["Cancellation", "PaymentReport", "Progress", "ReportStatus", "facts", "kept", "progress"]

_KEPT = frozenset(
    {OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED, OrderStatus.FLAGGED}
)


class ReportStatus(StrEnum):
    """A payment's ``status`` at i'mport."""

    READY = "ready"
    PAID = "paid"
    CANCELLED = "cancelled"
    FAILED = "failed"


@dataclass(frozen=True)
class Cancellation:
    """One entry of the cancel history; ``cancellation_id`` identifies it for good."""

    cancellation_id: str
    amount: Money


@dataclass(frozen=True)
class PaymentReport:
    """A payment as i'mport reported it, in domain terms."""

    imp_uid: str
    merchant_uid: str
    status: ReportStatus
    amount: Money
    cancellations: tuple[Cancellation, ...] = ()
    was_paid: bool = False  # i'mport recorded a payment instant (paid_at)
    fail_reason: str = ""
    escrow: bool = False  # an escrow (구매안전) payment

    @property
    def cancelled(self) -> Money:
        """What was refunded so far."""
        total = Money.zero(self.amount.currency)
        for entry in self.cancellations:
            total += entry.amount
        return total

    @property
    def fully_cancelled(self) -> bool:
        return self.status == ReportStatus.CANCELLED and self.cancelled >= self.amount


#: How far a payment has come at i'mport: it only ever moves forward.
_STAGE: dict[ReportStatus, int] = {
    ReportStatus.READY: 0,
    ReportStatus.FAILED: 1,  # a failed payment may still be approved late (Paymentwall, PayPal)
    ReportStatus.PAID: 2,
    ReportStatus.CANCELLED: 3,
}

#: (refunded so far, cancel entries, stage): compared as a tuple, a later snapshot is never less.
Progress = tuple[int, int, int]


def progress(status: ReportStatus, cancelled: Money, entries: int) -> Progress:
    """Where a snapshot stands; an older snapshot of the same payment compares less.

    Two snapshots of one payment can arrive in any order (two workers, a slow
    answer): applying the older one last would move the order backwards, so
    settlement skips a snapshot whose progress is below the one on record.
    """
    return (cancelled.amount, entries, _STAGE[status])


def kept(order: Order, imp_uid: str) -> bool:
    """Whether ``order`` settled on the payment ``imp_uid`` (kept it, refunded or not)."""
    return order.imp_uid == imp_uid and order.status in _KEPT


def facts(
    order: Order,
    report: PaymentReport,
    *,
    new_cancellations: Iterable[Cancellation] = (),
    stock_available: bool = False,
    expired: str | None = None,
) -> tuple[Fact, ...]:
    """The facts ``report`` establishes for ``order``, to be applied in order.

    ``new_cancellations`` are the entries of the cancel history not yet on our
    books; ``stock_available`` tells whether the order's lines could be sold
    from free stock now (see ``PaymentPaid``). ``expired`` (a reason) says
    the merchant gave up on a ``ready`` payment (a virtual account past its
    deadline, see ``core.vbanks``): it then ends like a failure. Raises
    ``ValueError`` when the report is about another order's payment.
    """
    if report.merchant_uid != order.merchant_uid:
        raise ValueError(f"{report.imp_uid} belongs to {report.merchant_uid}, not this order")
    match report.status:
        case ReportStatus.READY if expired:
            return (PaymentFailed(report.imp_uid, expired),)
        case ReportStatus.READY:
            return (PaymentPending(report.imp_uid),)
        case ReportStatus.FAILED:
            return (PaymentFailed(report.imp_uid, report.fail_reason),)
        case ReportStatus.PAID:  # a partial cancel may be reported while still ``paid``
            paid = PaymentPaid(report.imp_uid, report.amount, stock_available, report.escrow)
            return (
                paid,
                *(RefundRecorded(report.imp_uid, entry.amount) for entry in new_cancellations),
            )
        case ReportStatus.CANCELLED:
            return _cancelled(order, report, tuple(new_cancellations), stock_available)


def _cancelled(
    order: Order,
    report: PaymentReport,
    new: tuple[Cancellation, ...],
    stock_available: bool,
) -> tuple[Fact, ...]:
    if not report.was_paid and not report.cancellations:
        return (PaymentFailed(report.imp_uid, report.fail_reason or "cancelled"),)
    if report.fully_cancelled and not kept(order, report.imp_uid):
        return (PaymentFailed(report.imp_uid, "cancelled in full before it was kept"),)
    paid = PaymentPaid(report.imp_uid, report.amount, stock_available, report.escrow)
    return (paid, *(RefundRecorded(report.imp_uid, entry.amount) for entry in new))

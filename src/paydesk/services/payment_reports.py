"""i'mport's Payment object → our values: the one place that boundary is converted.

The client hands us ``paydesk.iamport.Payment`` (wire model, exact amounts in
major units). The domain wants a ``PaymentReport`` (``Money`` in minor units,
a status enum, cancellations with a stable id); the ``payments`` table wants
its columns. Both come from here, so a wire detail never leaks further in.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import Decimal
from typing import Any

from ..core.money import Money
from ..core.outcomes import Cancellation, PaymentReport, Progress, ReportStatus, progress
from ..iamport import CancelEntry, Payment
from ..store.ledger_records import PaymentRecord, PaymentState
from .errors import UnreadablePayment

__all__ = [
    "TEST_PAYMENT_REFUSED",
    "UnreadablePayment",
    "money_of",
    "payment_columns",
    "report_of",
    "snapshot_progress",
    "stored_progress",
]


def money_of(amount: int | Decimal, currency: str) -> Money:
    """A wire amount in major units as ``Money``; raises ``UnreadablePayment``."""
    try:
        return Money.from_major(Decimal(str(amount)), currency)
    except ValueError as exc:
        raise UnreadablePayment(f"amount {amount} {currency}: {exc}") from exc


TEST_PAYMENT_REFUSED = "test-channel payment, not accepted (PAYDESK_ACCEPT_TEST_PAYMENTS=false)"


def report_of(payment: Payment, *, accept_test_payments: bool = False) -> PaymentReport:
    """The domain's view of ``payment``. Raises ``UnreadablePayment``.

    A payment made on a test channel (``sandbox``) moved no money: unless
    ``accept_test_payments``, it is read as a failed attempt, so it can never
    fulfil an order (the checklist's "test mode OFF", enforced here).
    """
    try:
        status = ReportStatus(payment.status)
    except ValueError as exc:
        raise UnreadablePayment(f"unknown status {payment.status!r}") from exc
    if payment.sandbox and not accept_test_payments:
        return PaymentReport(
            imp_uid=payment.imp_uid,
            merchant_uid=payment.merchant_uid,
            status=ReportStatus.FAILED,
            amount=money_of(payment.amount, payment.currency),
            fail_reason=TEST_PAYMENT_REFUSED,
        )
    cancellations = tuple(
        Cancellation(entry.cancellation_id or _content_key(entry),
                     money_of(entry.amount, payment.currency))
        for entry in payment.cancel_history
    )  # fmt: skip
    return PaymentReport(
        imp_uid=payment.imp_uid,
        merchant_uid=payment.merchant_uid,
        status=status,
        amount=money_of(payment.amount, payment.currency),
        cancellations=cancellations,
        was_paid=payment.paid_at is not None,
        fail_reason=payment.fail_reason or "",
        escrow=bool(payment.escrow),
    )


def _content_key(entry: CancelEntry) -> str:
    """A stable id for a cancel entry i'mport gave none: what it says, not where it stands.

    The history's order is not documented (newest first or last), so a position
    would book one cancel twice and another never; the entry's content does not move.
    """
    when = entry.cancelled_at.isoformat() if entry.cancelled_at else ""
    content = f"{entry.pg_tid or ''}|{when}|{entry.amount}"
    return "content:" + hashlib.sha256(content.encode()).hexdigest()[:48]


def stored_progress(record: PaymentRecord | PaymentState) -> Progress | None:
    """The progress of the payment on record; None for a status the domain does not know."""
    try:
        status = ReportStatus(record.status)
    except ValueError:
        return None
    return progress(status, record.cancelled, record.cancellations)


def snapshot_progress(payment: Payment) -> Progress:
    """The progress of a fresh snapshot (by i'mport's status, even for a refused test payment).

    Raises ``UnreadablePayment`` for a status the domain does not know.
    """
    try:
        status = ReportStatus(payment.status)
    except ValueError as exc:
        raise UnreadablePayment(f"unknown status {payment.status!r}") from exc
    return progress(status, money_of(payment.cancel_amount, payment.currency),
                    len(payment.cancel_history))  # fmt: skip


def payment_columns(payment: Payment, report: PaymentReport, now: datetime) -> dict[str, Any]:
    """The ``payments`` row of ``payment`` as last verified at ``now`` (no order id)."""
    return {
        "imp_uid": payment.imp_uid,
        "merchant_uid": payment.merchant_uid,
        "status": payment.status,  # i'mport's word; the order says what we made of it
        "amount": report.amount.amount,
        "cancel_amount": money_of(payment.cancel_amount, payment.currency).amount,
        "currency": report.amount.currency,
        "pay_method": payment.pay_method,
        "pg_provider": payment.pg_provider,
        "paid_at": payment.paid_at,
        "failed_at": payment.failed_at,
        "cancelled_at": payment.cancelled_at,
        "fail_reason": payment.fail_reason,
        "raw": payment.model_dump(mode="json", by_alias=True),
        "verified_at": now,
        "apply_num": payment.apply_num,
        "pg_tid": payment.pg_tid,
        "vbank_code": payment.vbank_code,
        "vbank_name": payment.vbank_name,
        "vbank_num": payment.vbank_num,
        "vbank_holder": payment.vbank_holder,
        "vbank_date": payment.vbank_date,
    }

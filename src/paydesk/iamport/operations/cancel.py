"""Cancelling (refunding) a payment, always guarded by ``checksum`` (reference §4).

i'mport V1 has no idempotency key.  What makes a refund safe to retry is the
``checksum``: the balance the caller believes is left.  i'mport refuses the
cancel when its own balance differs, so a refund whose answer was lost cannot
be repeated by mistake — *if the retry carries the checksum of the first
attempt*.  Hence:

- a partial cancel (``amount`` given) requires ``checksum``: a balance read
  afresh on each call would let a retry after a lost answer refund again;
- a full cancel may omit it: the balance is read and sent, and a retry after
  a lost answer reads 0 and is refused (``AlreadyCancelled``);
- after ``OutcomeUnknown``, the safe retry is the same call with
  ``checksum=error.checksum`` (``ChecksumMismatch`` then means the first one
  went through).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ..exchange import ApiRequest, Flow, Timeout, merged, timed
from ..models.payment import Payment
from .answers import parse
from .payments import find_payment, find_payments, payment

__all__ = ["cancel", "cancel_request", "pick_attempt"]

Money = int | Decimal
_KEYS = ("imp_uid", "merchant_uid", "amount", "checksum")


def pick_attempt(attempts: list[Payment]) -> Payment | None:
    """The attempt an order's cancel is about, from newest-first ``attempts``.

    The newest one with money left to refund; else the newest cancelled one
    (i'mport will answer "already cancelled"); else the newest.
    """
    refundable = [p for p in attempts if p.status in ("paid", "cancelled") and p.balance > 0]
    cancelled = [p for p in attempts if p.status == "cancelled"]
    return next(iter(refundable or cancelled or attempts), None)


def cancel_request(
    *,
    imp_uid: str | None,
    merchant_uid: str | None,
    checksum: Money,
    amount: Money | None = None,
    **fields: Any,
) -> ApiRequest:
    """The ``POST /payments/cancel`` request; None-valued fields are left out."""
    body = {
        "imp_uid": imp_uid,
        "merchant_uid": merchant_uid,
        "amount": amount,
        "checksum": checksum,
        **fields,
    }
    return ApiRequest(
        "payments.cancel",
        "POST",
        "/payments/cancel",
        body=body,
        keys={k: body[k] for k in _KEYS if body[k] is not None},
    )


def cancel(
    imp_uid: str | None = None,
    *,
    merchant_uid: str | None = None,
    amount: Money | None = None,
    checksum: Money | None = None,
    reason: str | None = None,
    tax_free: Money | None = None,
    vat_amount: Money | None = None,
    refund_holder: str | None = None,
    refund_bank: str | None = None,
    refund_account: str | None = None,
    refund_tel: str | None = None,
    retain_promotion: bool | None = None,
    enable_webhook: bool | None = None,
    requester: str | None = None,
    extra: Mapping[str, Any] | None = None,
    timeout: Timeout | None = None,
) -> Flow[Payment]:
    """Refund a payment fully or partly (``POST /payments/cancel``), with a checksum.

    A partial refund (``amount``) needs ``checksum``: the balance *before* this
    refund, as your books know it.  Keep it with the refund you intend, and
    send the very same ``checksum`` again if you retry after ``OutcomeUnknown``
    (it is ``error.checksum``): i'mport then refuses a refund that already
    happened (``ChecksumMismatch``) instead of refunding twice.

    A full refund may omit ``checksum``: the payment is read first (``GET
    /payments/{imp_uid}``, or the order's refundable attempt by ``merchant_uid``)
    and its balance is sent; the cancel then targets that exact ``imp_uid``.

    Args:
        imp_uid: the payment; wins over ``merchant_uid`` when both are given.
        merchant_uid: the order, when the imp_uid is not known.
        amount: amount to refund; None = everything left.
        checksum: the refundable balance you know (amount − cancelled so far);
            required with ``amount``.
        reason: cancel reason (naverpay requires one).
        tax_free: tax-free part of the refund.
        vat_amount: VAT part of the refund (if VAT was explicit at payment).
        refund_holder: refund account holder (vbank refunds).
        refund_bank: refund account bank code.
        refund_account: refund account number.
        refund_tel: refund holder's phone.
        retain_promotion: keep a promotion discount.
        enable_webhook: have i'mport send the cancel webhook.
        requester: naverpay: ``customer`` or ``admin`` (sent as ``extra.requester``).
        extra: other documented body fields, sent as given.
        timeout: this call's timeout (seconds or ``httpx.Timeout``).

    Returns:
        The updated Payment (``status`` ``cancelled``; compare ``cancel_amount``).

    Raises:
        ValueError: neither imp_uid nor merchant_uid, or ``amount`` without ``checksum``.
        NotFound: no such payment.
        AlreadyCancelled: nothing left to refund.
        ChecksumMismatch: i'mport's balance differs from the checksum: re-read.
        CancelAmountExceeded: more than the balance was asked.
        PaymentNotCancellable: any other refusal (the PG's reason in ``message``).
        OutcomeUnknown: no answer: the refund may have happened — reconcile by
            reading the payment, or retry with ``checksum=error.checksum``
            (``keys`` hold imp_uid, amount and checksum).
    """
    if not imp_uid and not merchant_uid:
        raise ValueError("give imp_uid or merchant_uid")
    if amount is not None and checksum is None:
        raise ValueError(
            "a partial cancel needs checksum= (the balance before this refund); a balance "
            "read afresh would let a retry after a lost answer refund twice"
        )
    fields = {
        "reason": reason,
        "tax_free": tax_free,
        "vat_amount": vat_amount,
        "refund_holder": refund_holder,
        "refund_bank": refund_bank,
        "refund_account": refund_account,
        "refund_tel": refund_tel,
        "retain_promotion": retain_promotion,
        "enable_webhook": enable_webhook,
        "extra": {"requester": requester} if requester else None,
    }
    return timed(_cancel(imp_uid, merchant_uid, amount, checksum, merged(fields, extra)), timeout)


def _cancel(
    imp_uid: str | None,
    merchant_uid: str | None,
    amount: Money | None,
    checksum: Money | None,
    fields: dict[str, Any],
) -> Flow[Payment]:
    if checksum is None:
        current = yield from _current(imp_uid, merchant_uid)
        imp_uid, checksum = current.imp_uid, current.balance
    request = cancel_request(
        imp_uid=imp_uid, merchant_uid=merchant_uid, amount=amount, checksum=checksum, **fields
    )
    envelope = yield request
    return parse(Payment, envelope)


def _current(imp_uid: str | None, merchant_uid: str | None) -> Flow[Payment]:
    if imp_uid:  # the cancel endpoint does not hide test-channel payments; neither may we
        return (yield from payment(imp_uid, include_sandbox=True))
    assert merchant_uid is not None
    page = yield from find_payments(merchant_uid, limit=100)
    chosen = pick_attempt(page.payments)
    if chosen is None:  # i'mport answers 404 rather than an empty page; be safe anyway
        return (yield from find_payment(merchant_uid))
    return chosen

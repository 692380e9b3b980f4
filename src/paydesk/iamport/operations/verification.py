"""Checking a payment the browser reported, before fulfilling the order.

The browser's word is not proof: the imp_uid must exist, belong to this order,
be paid, and for the amount expected.  The answer is a ``Verification`` with
a ``verdict``, not a bool, because each failure calls for a different action
(a forged request, an underpayment, a vbank still awaiting its deposit...).
A communication error is not a verdict: it raises ``NotSent``/``OutcomeUnknown``.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from ..errors import NotFound
from ..exchange import Flow, Timeout, timed
from ..models.money import Money
from ..models.payment import Payment
from .payments import payment

__all__ = ["Verdict", "Verification", "judge", "verify_payment"]


class Verdict(StrEnum):
    """What the check concluded."""

    OK = "ok"
    AMOUNT_MISMATCH = "amount_mismatch"
    MERCHANT_UID_MISMATCH = "merchant_uid_mismatch"
    NOT_PAID = "not_paid"
    UNKNOWN = "unknown"


class Verification(BaseModel):
    """The verdict, the payment it is about (None if unknown) and its status."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    verdict: Verdict
    imp_uid: str
    payment: Payment | None = None
    expected: Money
    status: str | None = None

    @property
    def ok(self) -> bool:
        """True only for ``Verdict.OK``."""
        return self.verdict is Verdict.OK


def judge(found: Payment, expected: Money, merchant_uid: str) -> Verdict:
    """The verdict on a payment i'mport returned.

    A payment of another order is a forgery whatever its state; a wrong amount
    is reported before the status, so a tampered vbank is not mistaken for one
    merely awaiting its deposit.
    """
    if found.merchant_uid != merchant_uid:
        return Verdict.MERCHANT_UID_MISMATCH
    if found.price != expected:
        return Verdict.AMOUNT_MISMATCH
    if found.status != "paid":
        return Verdict.NOT_PAID
    return Verdict.OK


def verify_payment(
    imp_uid: str,
    expected_amount: int | Decimal,
    merchant_uid: str,
    currency: str = "KRW",
    *,
    include_sandbox: bool = False,
    timeout: Timeout | None = None,
) -> Flow[Verification]:
    """Check that ``imp_uid`` is a paid payment of ``merchant_uid`` for the expected money.

    Args:
        imp_uid: the id the browser (or webhook) reported.
        expected_amount: what the order costs.
        merchant_uid: the order id.
        currency: the order's currency.
        include_sandbox: accept payments made on test channels (development only;
            in production a test-channel payment must not fulfil an order).

    Returns:
        A ``Verification``: ``ok``, ``amount_mismatch``, ``merchant_uid_mismatch``,
        ``not_paid`` (see ``status``: ``ready`` may be a vbank awaiting deposit) or
        ``unknown`` (i'mport does not know the imp_uid: forged or test-channel).

    Raises:
        NotSent, OutcomeUnknown: the lookup failed; no verdict could be reached.
    """
    expected = Money(expected_amount, currency)
    return timed(_verify(imp_uid, expected, merchant_uid, include_sandbox), timeout)


def _verify(
    imp_uid: str, expected: Money, merchant_uid: str, include_sandbox: bool
) -> Flow[Verification]:
    try:
        found = yield from payment(imp_uid, include_sandbox=include_sandbox)
    except NotFound:
        return Verification(verdict=Verdict.UNKNOWN, imp_uid=imp_uid, expected=expected)
    return Verification(
        verdict=judge(found, expected, merchant_uid),
        imp_uid=imp_uid,
        payment=found,
        expected=expected,
        status=found.status,
    )

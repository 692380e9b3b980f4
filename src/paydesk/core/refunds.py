"""Refund limits: never give back more than was paid minus what was already refunded.

i'mport V1 has no idempotency key, so every cancel carries a ``checksum``: the
refundable balance we believe is left. If i'mport's own balance differs (an
earlier cancel succeeded without us hearing), it refuses instead of refunding
twice. Both numbers come from here.
"""

from __future__ import annotations

from .errors import RefundTooLarge
from .money import Money

__all__ = ["RefundTooLarge", "checksum", "refund_amount", "refundable"]


def refundable(paid: Money, refunded: Money) -> Money:
    """What can still be refunded of a payment."""
    left = paid - refunded
    if left.amount < 0:
        raise ValueError(f"refunded {refunded} exceeds paid {paid}")
    return left


def checksum(paid: Money, refunded: Money) -> Money:
    """The ``checksum`` to send with the next cancel: our view of the refundable balance."""
    return refundable(paid, refunded)


def refund_amount(paid: Money, refunded: Money, requested: Money | None) -> Money:
    """The amount to refund: ``requested``, or everything left when it is ``None``.

    Raises ``RefundTooLarge`` for more than is left and ``ValueError`` for a
    non-positive request or when nothing is left.
    """
    left = refundable(paid, refunded)
    amount = left if requested is None else requested
    if not amount.is_positive():
        raise ValueError("nothing to refund" if requested is None else "refund must be positive")
    if amount > left:
        raise RefundTooLarge(amount, left)
    return amount

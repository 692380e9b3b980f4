"""What a failed cancel means: the client's error → one of the refund taxonomy's classes.

| class | examples | what happens next |
|---|---|---|
| not-sent | connection refused, DNS, a pool timeout | ``requested`` again; retried with backoff |
| unknown | no answer, a 5xx on the write | ``unknown``; the payment is re-read before anything else |
| rejected-retryable | a PG's temporary failure, the books differed (checksum) | ``requested``; retried (after a re-read) |
| needs-input | a virtual account's refund account is missing, or only the holder's phone | ``needs_refund_account`` (``needs_refund_tel`` when i'mport names ``refund_tel`` alone) until the merchant supplies it |
| rejected-permanent | already cancelled, over the balance, a PG rule | ``failed`` (after a re-read) |

Messages are i'mport's own (reference §10); nothing outside this module
matches Korean text.
"""

from __future__ import annotations

from ..core.refund_lifecycle import Classification
from ..iamport import (
    AlreadyCancelled,
    ApiError,
    CancelAmountExceeded,
    ChecksumMismatch,
    IamportError,
    NotSent,
    RefundAccountRequired,
)

__all__ = ["BOOKS_DIFFER", "classify"]

#: Refusals that mean our books and i'mport's differ: re-read the payment first.
BOOKS_DIFFER: tuple[type[ApiError], ...] = (
    ChecksumMismatch,
    AlreadyCancelled,
    CancelAmountExceeded,
)

_NEEDS_INPUT = (
    "환불계좌",
    "refund_holder",
    "refund_bank",
    "refund_account",
    "refund_tel",
    "예금주",
)
_TEMPORARY = ("일시적", "잠시 후", "점검", "요청할 수 없습니다", "timeout", "시간 초과")


def classify(error: IamportError) -> Classification:
    """The class of the answer ``error`` stands for (see the table above)."""
    if isinstance(error, NotSent):
        return Classification.NOT_SENT
    if isinstance(error, ChecksumMismatch):
        return Classification.REJECTED_RETRYABLE  # re-read, then send with a fresh checksum
    if isinstance(error, AlreadyCancelled | CancelAmountExceeded):
        return Classification.REJECTED_PERMANENT
    if error.reconcile:  # no answer, a proxy's page, a 5xx on the write: it may have happened
        return Classification.UNKNOWN
    if isinstance(error, RefundAccountRequired):
        return Classification.NEEDS_INPUT
    message = str(error)
    if any(word in message for word in _NEEDS_INPUT):
        return Classification.NEEDS_INPUT
    if any(word in message for word in _TEMPORARY):
        return Classification.REJECTED_RETRYABLE
    if isinstance(error, ApiError):
        return Classification.REJECTED_PERMANENT
    return Classification.UNKNOWN  # anything else: assume the worst and look it up

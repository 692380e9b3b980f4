"""A refund of ours, from request to outcome: the state machine that makes refunding twice impossible.

i'mport V1 has no idempotency key, so safety comes from the order of writes:

- a refund is ``requested`` with its amount reserved against the balance (the
  reservation and the balance check happen under the order's lock);
- before a cancel leaves, the refund becomes ``sending`` (committed first), so a
  process that dies mid-call leaves a refund that must be reconciled, never one
  that looks unsent;
- an answer that never came (``unknown``) is reconciled before anything else:
  the payment is re-read and its cancel history booked; only a refund that is
  provably not there goes back to ``requested`` and is sent again, with a fresh
  checksum;
- at most one cancel per payment is in flight (``sending`` or ``unknown``), so
  the checksum sent is the exact balance and a cancellation that appears in
  the history belongs to that one refund.

Every write is conditional on the state it came from: two runs of one refund
cannot overwrite each other's outcome.

    requested ──send──▶ sending ──succeeded──▶ succeeded
        ▲                 │ ├──lost──────────▶ unknown ──reconciled: absent──▶ requested
        │                 │ ├──not sent / retryable──▶ requested
        │                 │ ├──needs input──▶ needs_refund_account ──input given──▶ requested
        │                 │ │             └─────▶ needs_refund_tel ──────tel given──▶ requested
        │                 │ └──permanent────▶ failed
        └──────────────── unknown ──reconciled: booked──▶ succeeded

Terminal: ``succeeded``, ``failed``. An operator may also ``dismiss`` a
refund that is not in flight (it becomes ``failed`` with the operator's reason).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final

__all__ = [
    "IN_FLIGHT",
    "OPEN",
    "REFUND_MOVES",
    "WAITING",
    "Classification",
    "RefundState",
    "after_attempt",
    "can_move",
]


class RefundState(StrEnum):
    """Where a refund of ours stands."""

    REQUESTED = "requested"  # reserved against the balance, not sent (or safely re-sendable)
    SENDING = "sending"  # a cancel may have left: reconcile before anything else
    UNKNOWN = "unknown"  # a cancel left and its answer was lost
    NEEDS_REFUND_ACCOUNT = "needs_refund_account"  # i'mport needs more (a vbank's refund account)
    NEEDS_REFUND_TEL = "needs_refund_tel"  # the PG needs the holder's phone only (old smartro)
    SUCCEEDED = "succeeded"  # a cancellation in i'mport's history is booked to it
    FAILED = "failed"  # refused for good (or dismissed); nothing was refunded


class Classification(StrEnum):
    """What one cancel attempt's answer means (recorded on the attempt)."""

    SUCCEEDED = "succeeded"
    REJECTED_PERMANENT = "rejected-permanent"  # over the balance, a PG rule, already cancelled
    REJECTED_RETRYABLE = "rejected-retryable"  # a temporary PG failure
    NEEDS_INPUT = "needs-input"  # e.g. the refund account of a virtual account
    NOT_SENT = "not-sent"  # provably never left: retry
    UNKNOWN = "unknown"  # may have been refunded: reconcile first


S = RefundState

#: Every move a refund can make (staying put is always allowed).
REFUND_MOVES: Final[Mapping[RefundState, frozenset[RefundState]]] = {
    S.REQUESTED: frozenset(
        {S.SENDING, S.NEEDS_REFUND_ACCOUNT, S.NEEDS_REFUND_TEL, S.SUCCEEDED, S.FAILED}
    ),
    S.SENDING: frozenset(
        {S.SUCCEEDED, S.UNKNOWN, S.REQUESTED, S.NEEDS_REFUND_ACCOUNT, S.NEEDS_REFUND_TEL, S.FAILED}
    ),
    S.UNKNOWN: frozenset({S.SUCCEEDED, S.REQUESTED}),
    S.NEEDS_REFUND_ACCOUNT: frozenset({S.REQUESTED, S.SUCCEEDED, S.FAILED}),
    S.NEEDS_REFUND_TEL: frozenset({S.REQUESTED, S.SUCCEEDED, S.FAILED}),
    S.SUCCEEDED: frozenset(),
    S.FAILED: frozenset(),
}

#: Refunds waiting for the merchant's input: nothing runs them until it is given.
WAITING: Final = frozenset({S.NEEDS_REFUND_ACCOUNT, S.NEEDS_REFUND_TEL})
#: Refunds that still hold their amount against the payment's balance.
OPEN: Final = frozenset({S.REQUESTED, S.SENDING, S.UNKNOWN, *WAITING})
#: Refunds whose cancel may be at i'mport now: one per payment at a time.
IN_FLIGHT: Final = frozenset({S.SENDING, S.UNKNOWN})

_AFTER: Final[Mapping[Classification, RefundState]] = {
    Classification.SUCCEEDED: S.SUCCEEDED,
    Classification.REJECTED_PERMANENT: S.FAILED,
    Classification.REJECTED_RETRYABLE: S.REQUESTED,
    Classification.NEEDS_INPUT: S.NEEDS_REFUND_ACCOUNT,
    Classification.NOT_SENT: S.REQUESTED,
    Classification.UNKNOWN: S.UNKNOWN,
}


def can_move(before: RefundState, after: RefundState) -> bool:
    """Whether the graph allows ``before`` → ``after``."""
    return before == after or after in REFUND_MOVES[before]


def after_attempt(classification: Classification) -> RefundState:
    """The state a ``sending`` refund moves to once its attempt is classified."""
    return _AFTER[classification]

"""The subscription state machine: facts in, a new subscription and effects out.

Shaped like ``lifecycle`` (orders): every change goes through ``apply``, which
does no I/O and refuses an edge that ``TRANSITIONS`` does not list. The shell
(``services.subscriptions``) loads the subscription under its row lock, applies
the facts it learnt, stores the result and carries out the effects in the same
transaction.

Periods: the first charge starts period 1 at the moment it is paid (the
*anchor*); period *n* ends ``n`` intervals after the anchor, so monthly periods
keep their day of the month instead of drifting (Jan 31 → Feb 28 → Mar 31).
The next charge is due when the current period ends.

Dunning: a failed charge is retried after each delay of ``Dunning.retry_after``
(counted from the first failure of that charge, e.g. 1, 3 and 7 days); the
subscription stays ``active`` meanwhile. After the final failure it becomes
``past_due``: nothing is charged until the billing key is replaced
(``KeyReplaced``), which makes the charge due at once. A charge paid after
``past_due`` starts a new anchor: the time without service is not billed.

Cancellation: ``CancelNow`` ends it at once; ``CancelAtPeriodEnd`` lets the
paid period run out and charges nothing more (a subscription with no paid
period, in dunning or past due, has nothing to run out: it ends at once).
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final, Literal

from .errors import DomainError

__all__ = [
    "DUE",
    "OPEN_CHARGES",
    "TRANSITIONS",
    "AskForNewCard",
    "CancelAtPeriodEnd",
    "CancelNow",
    "ChargeFailed",
    "ChargePaid",
    "ChargeState",
    "Dunning",
    "Effect",
    "Fact",
    "IllegalSubscriptionMove",
    "Interval",
    "KeyReplaced",
    "PeriodEnded",
    "StopScheduledCharges",
    "Subscription",
    "SubscriptionStatus",
    "Transition",
    "apply",
    "due_action",
]


class SubscriptionStatus(StrEnum):
    ACTIVE = "active"  # paid up, or retrying a failed charge (``failures`` > 0)
    PAST_DUE = "past_due"  # every retry failed: waiting for a new card
    CANCELLED = "cancelled"  # ended; nothing more is charged


class ChargeState(StrEnum):
    """One attempt to charge a period (one merchant_uid)."""

    SENDING = "sending"  # recorded, the charge is (about to be) on its way
    UNKNOWN = "unknown"  # sent, no answer: look it up by merchant_uid before anything else
    SCHEDULED = "scheduled"  # registered with i'mport's scheduler; its webhook will tell
    PAID = "paid"
    FAILED = "failed"  # declined (or i'mport refused to try)
    VOID = "void"  # never happened (not sent, not found, schedule revoked)
    CANCELLED = "cancelled"  # paid, then refunded at i'mport


#: Charge states whose outcome is still awaited.
OPEN_CHARGES: Final = frozenset({ChargeState.SENDING, ChargeState.UNKNOWN, ChargeState.SCHEDULED})

Unit = Literal["day", "month"]


class IllegalSubscriptionMove(DomainError):
    """The fact makes no sense for the subscription's current state."""

    def __init__(self, subscription: Subscription, fact: Fact) -> None:
        super().__init__(
            f"{type(fact).__name__} is not allowed for a {subscription.status} subscription"
        )
        self.subscription = subscription
        self.fact = fact


@dataclass(frozen=True)
class Interval:
    """How long a period lasts: ``count`` days or months."""

    unit: Unit
    count: int

    def __post_init__(self) -> None:
        if self.unit not in ("day", "month") or not 1 <= self.count <= 366:
            raise ValueError(f"bad interval {self.count} {self.unit}")

    def after(self, anchor: datetime, periods: int) -> datetime:
        """The instant ``periods`` intervals after ``anchor`` (month ends clamp, never drift)."""
        if self.unit == "day":
            return anchor + timedelta(days=self.count * periods)
        months = anchor.month - 1 + self.count * periods
        year, month = anchor.year + months // 12, months % 12 + 1
        day = min(anchor.day, calendar.monthrange(year, month)[1])
        return anchor.replace(year=year, month=month, day=day)


@dataclass(frozen=True)
class Dunning:
    """When a failed charge is tried again: delays after its first failure."""

    retry_after: tuple[timedelta, ...] = (timedelta(days=1), timedelta(days=3), timedelta(days=7))

    @classmethod
    def days(cls, days: Sequence[int]) -> Dunning:
        if any(d <= 0 for d in days) or list(days) != sorted(set(days)):
            raise ValueError("dunning days must be positive and increasing")
        return cls(tuple(timedelta(days=d) for d in days))


@dataclass(frozen=True)
class Subscription:
    """Where a subscription stands (the plan's terms travel with it)."""

    status: SubscriptionStatus
    interval: Interval
    dunning: Dunning
    period: int = 0  # periods paid in all; the current period's number
    anchor: datetime | None = None  # start of the current run of periods
    cycles: int = 0  # periods paid since ``anchor``
    next_charge_at: datetime | None = None  # None: nothing to charge (past due, cancelled)
    failures: int = 0  # failed attempts at the charge now due
    dunning_since: datetime | None = None  # the first of those failures
    cancel_at_period_end: bool = False
    cancelled_at: datetime | None = None

    @classmethod
    def start(cls, interval: Interval, dunning: Dunning, now: datetime) -> Subscription:
        """A new subscription whose first charge is due at once."""
        return cls(SubscriptionStatus.ACTIVE, interval, dunning, next_charge_at=now)

    @property
    def period_start(self) -> datetime | None:
        if self.anchor is None or self.cycles == 0:
            return None
        return self.interval.after(self.anchor, self.cycles - 1)

    @property
    def period_end(self) -> datetime | None:
        """Paid through this instant (None before the first paid period)."""
        if self.anchor is None or self.cycles == 0:
            return None
        return self.interval.after(self.anchor, self.cycles)

    @property
    def retrying(self) -> bool:
        return self.status == SubscriptionStatus.ACTIVE and self.failures > 0


# -- facts ----------------------------------------------------------------------
@dataclass(frozen=True)
class ChargePaid:
    """The charge for period ``period`` was paid at ``at``."""

    period: int
    at: datetime


@dataclass(frozen=True)
class ChargeFailed:
    """The charge for period ``period`` was declined at ``at``."""

    period: int
    at: datetime
    reason: str = ""


@dataclass(frozen=True)
class KeyReplaced:
    """The customer's billing key now points at another card."""

    at: datetime


@dataclass(frozen=True)
class CancelNow:
    at: datetime


@dataclass(frozen=True)
class CancelAtPeriodEnd:
    at: datetime


@dataclass(frozen=True)
class PeriodEnded:
    """The paid period ran out while the subscription was set to end with it."""

    at: datetime


Fact = ChargePaid | ChargeFailed | KeyReplaced | CancelNow | CancelAtPeriodEnd | PeriodEnded


# -- effects --------------------------------------------------------------------
@dataclass(frozen=True)
class AskForNewCard:
    """Every retry failed: the customer must replace the billing key."""

    reason: str


@dataclass(frozen=True)
class StopScheduledCharges:
    """Nothing more is to be charged: revoke charges registered with i'mport's scheduler."""


Effect = AskForNewCard | StopScheduledCharges


@dataclass(frozen=True)
class Transition:
    subscription: Subscription
    effects: tuple[Effect, ...] = ()


S = SubscriptionStatus

#: Every move a subscription can make (staying put is always allowed).
TRANSITIONS: Final[Mapping[SubscriptionStatus, frozenset[SubscriptionStatus]]] = {
    S.ACTIVE: frozenset({S.PAST_DUE, S.CANCELLED}),
    S.PAST_DUE: frozenset({S.ACTIVE, S.CANCELLED}),
    S.CANCELLED: frozenset(),
}

#: What the charge desk does with a subscription at a given instant.
DUE = Literal["charge", "end", "wait"]


def due_action(subscription: Subscription, now: datetime) -> DUE:
    """``charge`` (a charge is due), ``end`` (the period ran out and it was set to end), or ``wait``."""
    at = subscription.next_charge_at
    if subscription.status == S.CANCELLED or at is None or at > now:
        return "wait"
    if subscription.cancel_at_period_end:
        return "end"
    return "charge"


def apply(subscription: Subscription, fact: Fact) -> Transition:
    """The subscription after ``fact``; raises ``IllegalSubscriptionMove`` for a forbidden move."""
    result = _decide(subscription, fact)
    after = result.subscription.status
    if after != subscription.status and after not in TRANSITIONS[subscription.status]:
        raise IllegalSubscriptionMove(subscription, fact)
    return result


def _decide(sub: Subscription, fact: Fact) -> Transition:
    match fact:
        case ChargePaid():
            return _paid(sub, fact)
        case ChargeFailed():
            return _failed(sub, fact)
        case KeyReplaced():
            return _key_replaced(sub, fact)
        case CancelNow():
            return _cancel(sub, fact.at)
        case CancelAtPeriodEnd():
            return _cancel_at_period_end(sub, fact)
        case PeriodEnded():
            return _period_ended(sub, fact)


def _paid(sub: Subscription, fact: ChargePaid) -> Transition:
    if fact.period != sub.period + 1:
        return Transition(sub)  # that period is paid already (a repeated report)
    if sub.status == S.CANCELLED:
        raise IllegalSubscriptionMove(sub, fact)
    if sub.anchor is None or sub.status == S.PAST_DUE:
        anchor, cycles = fact.at, 1  # a new run of periods starts when it is paid
    else:
        anchor, cycles = sub.anchor, sub.cycles + 1
    paid = replace(
        sub, status=S.ACTIVE, period=fact.period, anchor=anchor, cycles=cycles,
        failures=0, dunning_since=None,
    )  # fmt: skip
    return Transition(replace(paid, next_charge_at=paid.period_end))


def _failed(sub: Subscription, fact: ChargeFailed) -> Transition:
    if fact.period != sub.period + 1 or sub.status != S.ACTIVE:
        return Transition(sub)  # a stale report: that charge is no longer the one due
    failures = sub.failures + 1
    since = sub.dunning_since or fact.at
    retries = sub.dunning.retry_after
    if failures <= len(retries):
        retry_at = max(since + retries[failures - 1], fact.at)
        return Transition(
            replace(sub, failures=failures, dunning_since=since, next_charge_at=retry_at)
        )
    past_due = replace(
        sub, status=S.PAST_DUE, failures=failures, dunning_since=since, next_charge_at=None
    )
    return Transition(past_due, (AskForNewCard(fact.reason),))


def _key_replaced(sub: Subscription, fact: KeyReplaced) -> Transition:
    if sub.status == S.PAST_DUE or sub.retrying:
        return Transition(replace(sub, next_charge_at=fact.at))  # try the new card at once
    return Transition(sub)


def _cancel(sub: Subscription, at: datetime) -> Transition:
    if sub.status == S.CANCELLED:
        return Transition(sub)
    cancelled = replace(sub, status=S.CANCELLED, next_charge_at=None, cancelled_at=at)
    return Transition(cancelled, (StopScheduledCharges(),))


def _cancel_at_period_end(sub: Subscription, fact: CancelAtPeriodEnd) -> Transition:
    if sub.status == S.CANCELLED or sub.cancel_at_period_end:
        return Transition(sub)
    end = sub.period_end
    if sub.status != S.ACTIVE or sub.retrying or end is None or end <= fact.at:
        return _cancel(sub, fact.at)  # no paid time left to run out
    ending = replace(sub, cancel_at_period_end=True, next_charge_at=end)
    return Transition(ending, (StopScheduledCharges(),))


def _period_ended(sub: Subscription, fact: PeriodEnded) -> Transition:
    end = sub.period_end
    if not sub.cancel_at_period_end or end is None or fact.at < end:
        return Transition(sub)
    return _cancel(sub, end)

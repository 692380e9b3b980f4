"""When a webhook is due and what one delivery attempt leads to (reference §5).

Pure decisions for the delivery engine (``courier``): the first attempt
waits for the policy's delay plus jitter; a 2xx answer delivers it (and may
schedule the duplicate copy a "duplicate delivery" policy asks for); a network
error or a 5xx is retried only under the ``retry`` policy, up to
``max_retries`` times ``retry_interval`` apart; anything else fails it.
Times are gateway-clock seconds.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

from ..gateway.merchants import DeliveryPolicy
from ..gateway.records import WebhookRecord

__all__ = ["Step", "after_attempt", "delivered", "first_due", "regular_attempts", "retryable"]


@dataclass(frozen=True, slots=True)
class Step:
    """The record's state after an attempt, and when to try again (None: never)."""

    state: Literal["pending", "delivered", "failed"]
    next_at: float | None = None
    duplicate_at: float | None = None


def first_due(policy: DeliveryPolicy, now: float, rng: random.Random) -> float:
    """When the first attempt of a webhook created (or released) at ``now`` is due."""
    jitter = rng.uniform(0.0, policy.jitter) if policy.jitter else 0.0
    return now + policy.delay + jitter


def delivered(status: int | None) -> bool:
    """The merchant took the webhook (the checklist asks for 200; any 2xx counts)."""
    return status is not None and 200 <= status < 300


def retryable(status: int | None, error: str | None) -> bool:
    """i'mport re-sends on network errors and 5xx answers only."""
    return error is not None or (status is not None and status >= 500)


def regular_attempts(record: WebhookRecord) -> int:
    """Attempts made by the schedule itself (not manual resends, not duplicates)."""
    return sum(1 for a in record.attempts if not a.manual and not a.duplicate)


def after_attempt(
    policy: DeliveryPolicy,
    record: WebhookRecord,
    status: int | None,
    error: str | None,
    now: float,
    rng: random.Random,
) -> Step:
    """What a scheduled attempt (already appended to ``record.attempts``) leads to."""
    if delivered(status):
        return Step("delivered", duplicate_at=_duplicate_at(policy, record, now, rng))
    if (
        policy.mode == "retry"
        and retryable(status, error)
        and regular_attempts(record) <= policy.max_retries
    ):
        return Step("pending", next_at=now + policy.retry_interval)
    return Step("failed")


def _duplicate_at(
    policy: DeliveryPolicy, record: WebhookRecord, now: float, rng: random.Random
) -> float | None:
    if policy.duplicate_probability <= 0 or any(a.duplicate for a in record.attempts):
        return None
    if rng.random() >= policy.duplicate_probability:
        return None
    return now + (rng.uniform(0.0, policy.jitter) if policy.jitter else 0.0)

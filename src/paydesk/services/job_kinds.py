"""The kinds of background work the merchant server leaves in the jobs table.

Services enqueue them in the same transaction as the state change that calls
for them; ``paydesk.jobs`` maps each kind to its handler. The hold check is
enqueued by the confirm desk (``services.confirm``) and reused by the sweep.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from ..store import NewJob
from .confirm import HOLD_CHECK_JOB

__all__ = [
    "HOLD_CHECK",
    "LEGACY_AUTO_REFUND",
    "PROCESS_WEBHOOK",
    "REVERIFY_PAYMENT",
    "RUN_REFUND",
    "refund_job",
]

#: Verify and apply one stored webhook delivery; payload ``{"inbox_id"}``.
PROCESS_WEBHOOK: Final = "webhook.process"
#: Ask i'mport again about a payment we could not verify; ``{"imp_uid", "merchant_uid"}``.
REVERIFY_PAYMENT: Final = "payment.reverify"
#: Ask i'mport for the outcome of a payment stock is held for; ``{"imp_uid", "merchant_uid"}``.
HOLD_CHECK: Final = HOLD_CHECK_JOB
#: Bring a refund of ours (owed, or asked for by the merchant) closer to an outcome; ``{"refund_id"}``.
RUN_REFUND: Final = "refund.run"
#: The same, as enqueued before merchant refunds existed (still run).
LEGACY_AUTO_REFUND: Final = "refund.auto"


def refund_job(refund_id: int, now: datetime, attempts: int, *, key: str | None = None) -> NewJob:
    """The job that runs refund ``refund_id`` (one per refund unless ``key`` says otherwise)."""
    return NewJob(RUN_REFUND, {"refund_id": refund_id}, now,
                  dedupe_key=key or f"{RUN_REFUND}:{refund_id}", max_attempts=attempts)  # fmt: skip

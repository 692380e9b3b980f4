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
from .subscriptions import SUBSCRIPTION_CHARGE

__all__ = [
    "HOLD_CHECK",
    "LEGACY_AUTO_REFUND",
    "PROCESS_WEBHOOK",
    "RECONCILE_SWEEP",
    "REVERIFY_PAYMENT",
    "RUN_REFUND",
    "SUBSCRIPTION_CHARGE",
    "VBANK_EXPIRE",
    "VBANK_NOTIFY",
    "refund_job",
    "vbank_expire_job",
    "vbank_notice_job",
]

#: Verify and apply one stored webhook delivery; payload ``{"inbox_id"}``.
PROCESS_WEBHOOK: Final = "webhook.process"
#: Ask i'mport again about a payment we could not verify; ``{"imp_uid", "merchant_uid"}``.
REVERIFY_PAYMENT: Final = "payment.reverify"
#: Ask i'mport for the outcome of a payment stock is held for; ``{"imp_uid", "merchant_uid"}``.
HOLD_CHECK: Final = HOLD_CHECK_JOB
#: Bring a refund of ours (owed, or asked for by the merchant) closer to an outcome; ``{"refund_id"}``.
RUN_REFUND: Final = "refund.run"
#: Send an issued virtual account to its payer (once per account); ``{"imp_uid"}``.
VBANK_NOTIFY: Final = "vbank.notify"
#: Give up on an unpaid virtual account past its deadline: revoke it (optionally) and
#: release its hold; ``{"imp_uid", "merchant_uid"}``.
VBANK_EXPIRE: Final = "vbank.expire"
#: The same, as enqueued before merchant refunds existed (still run).
LEGACY_AUTO_REFUND: Final = "refund.auto"
#: Compare i'mport's listings since the last sweep with our books; ``{"trigger": "worker"}``.
RECONCILE_SWEEP: Final = "reconcile.sweep"


def refund_job(refund_id: int, now: datetime, attempts: int, *, key: str | None = None) -> NewJob:
    """The job that runs refund ``refund_id`` (one per refund unless ``key`` says otherwise)."""
    return NewJob(RUN_REFUND, {"refund_id": refund_id}, now,
                  dedupe_key=key or f"{RUN_REFUND}:{refund_id}", max_attempts=attempts)  # fmt: skip


def vbank_notice_job(imp_uid: str, now: datetime, attempts: int = 10) -> NewJob:
    """The one job that sends virtual account ``imp_uid`` to its payer."""
    return NewJob(VBANK_NOTIFY, {"imp_uid": imp_uid}, now,
                  dedupe_key=f"{VBANK_NOTIFY}:{imp_uid}", max_attempts=attempts)  # fmt: skip


def vbank_expire_job(
    imp_uid: str, merchant_uid: str, now: datetime, *, key: str, attempts: int = 10
) -> NewJob:
    """A job that expires virtual account ``imp_uid`` (``key``: its dedupe key)."""
    return NewJob(VBANK_EXPIRE, {"imp_uid": imp_uid, "merchant_uid": merchant_uid}, now,
                  dedupe_key=key, max_attempts=attempts)  # fmt: skip

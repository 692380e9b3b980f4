"""Which service does which kind of job: the worker's dispatch table.

Each handler reads its job's payload and calls one idempotent service method;
raising means "try again later" (the queue backs off), returning means done.
A ``services.errors.TryLater`` is the normal "not yet" and is logged without
a traceback.
"""

from __future__ import annotations

from ..services.container import Services
from ..services.job_kinds import (
    HOLD_CHECK,
    LEGACY_AUTO_REFUND,
    PROCESS_WEBHOOK,
    RECONCILE_SWEEP,
    REVERIFY_PAYMENT,
    RUN_REFUND,
    SUBSCRIPTION_CHARGE,
    VBANK_EXPIRE,
    VBANK_NOTIFY,
)
from ..store import JobRecord
from .runner import Handler

__all__ = ["job_handlers"]


def job_handlers(services: Services) -> dict[str, Handler]:
    """The handler of every job kind the services enqueue."""

    async def process_webhook(job: JobRecord) -> object:
        return await services.webhooks.process(int(job.payload["inbox_id"]))

    async def recheck(job: JobRecord) -> object:
        merchant_uid = job.payload.get("merchant_uid")
        return await services.verifier.recheck(
            str(job.payload["imp_uid"]), str(merchant_uid) if merchant_uid else None
        )

    async def run_refund(job: JobRecord) -> object:
        return await services.refunds.run(int(job.payload["refund_id"]))

    async def notify_vbank(job: JobRecord) -> object:
        return await services.vbanks.notify(str(job.payload["imp_uid"]))

    async def expire_vbank(job: JobRecord) -> object:
        return await services.vbanks.expire(str(job.payload["imp_uid"]))

    async def reconcile(job: JobRecord) -> object:
        report = await services.reconciler.run(trigger=str(job.payload.get("trigger", "worker")))
        return report.reconciliation.counts

    async def advance_subscription(job: JobRecord) -> object:
        return await services.subscriptions.advance(int(job.payload["subscription_id"]))

    return {
        SUBSCRIPTION_CHARGE: advance_subscription,
        PROCESS_WEBHOOK: process_webhook,
        REVERIFY_PAYMENT: recheck,
        HOLD_CHECK: recheck,
        RUN_REFUND: run_refund,
        LEGACY_AUTO_REFUND: run_refund,
        VBANK_NOTIFY: notify_vbank,
        VBANK_EXPIRE: expire_vbank,
        RECONCILE_SWEEP: reconcile,
    }

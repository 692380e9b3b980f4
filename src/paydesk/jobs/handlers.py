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
    REVERIFY_PAYMENT,
    RUN_REFUND,
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

    return {
        PROCESS_WEBHOOK: process_webhook,
        REVERIFY_PAYMENT: recheck,
        HOLD_CHECK: recheck,
        RUN_REFUND: run_refund,
        LEGACY_AUTO_REFUND: run_refund,
    }

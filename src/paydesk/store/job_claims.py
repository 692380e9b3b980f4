"""Claiming one particular job, for work done inline right after its enqueue.

The webhook endpoint enqueues a ``process`` job with the inbox row, then does
the work at once. To keep the worker and the endpoint from both doing it, the
endpoint claims that very job first, exactly as a worker would (a lease in the
jobs table); whoever wins the claim does the work, and finishes the job through
``JobQueue.complete``/``fail`` like any other.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection

from .jobs import lease_values
from .records import JobRecord
from .tables import jobs

__all__ = ["claim_keyed"]


async def claim_keyed(
    connection: AsyncConnection, dedupe_key: str, worker: str, now: datetime, lease: timedelta
) -> JobRecord | None:
    """Lease the queued job with ``dedupe_key`` to ``worker``; None if it is not queued."""
    statement = (
        update(jobs)
        .where(jobs.c.dedupe_key == dedupe_key, jobs.c.state == "queued")
        .values(**lease_values(worker, now, lease))
        .returning(jobs)
    )
    row = (await connection.execute(statement)).first()
    return JobRecord.from_row(row) if row else None

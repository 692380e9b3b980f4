"""What is waiting, counted: the numbers behind the operational gauges of ``/metrics``.

Each is a ``COUNT`` (or ``MIN``) over an indexed column or a small set of
rows, cheap enough to run on every scrape (and ``services.telemetry`` caches
them for a few seconds anyway). They are read from the database, not from a
process's memory, so every server reports the whole system's backlog.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Column, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from .tables import jobs, orders, payments, reconciliations, refunds, webhook_inbox

__all__ = ["Backlog", "BacklogCounts"]

#: Order states that wait on i'mport's word (held: confirmed, no outcome yet).
WAITING_ORDERS = ("held", "unverified", "flagged")
#: Refund states without a final answer from i'mport.
WAITING_REFUNDS = ("requested", "sending", "unknown", "needs_refund_account", "needs_refund_tel")


@dataclass(frozen=True)
class Backlog:
    """Counts of everything still waiting, at one moment."""

    orders: dict[str, int] = field(default_factory=dict)  # status -> orders
    unknown_payments: int = 0
    refunds: dict[str, int] = field(default_factory=dict)  # state -> refunds
    jobs_retrying: int = 0  # queued again after a failed attempt
    jobs_dead: int = 0  # the dead-letter list
    webhooks_unprocessed: int = 0
    oldest_unprocessed_webhook: datetime | None = None
    drift: dict[str, int] = field(default_factory=dict)  # of the last finished reconciliation
    last_reconciled: datetime | None = None


class BacklogCounts:
    """The counts, inside the caller's (read) transaction."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    async def backlog(self) -> Backlog:
        """Every count of ``Backlog``."""
        retrying, dead = await self._jobs()
        waiting, oldest = await self._inbox()
        drift, reconciled = await self._drift()
        return Backlog(
            orders=await self._grouped(orders.c.status, WAITING_ORDERS),
            unknown_payments=await self._unknown_payments(),
            refunds=await self._grouped(refunds.c.state, WAITING_REFUNDS),
            jobs_retrying=retrying,
            jobs_dead=dead,
            webhooks_unprocessed=waiting,
            oldest_unprocessed_webhook=oldest,
            drift=drift,
            last_reconciled=reconciled,
        )

    async def _grouped(self, column: Column[str], states: tuple[str, ...]) -> dict[str, int]:
        query = select(column, func.count()).where(column.in_(states)).group_by(column)
        counted = {str(state): int(n) for state, n in await self._db.execute(query)}
        return {state: counted.get(state, 0) for state in states}

    async def _unknown_payments(self) -> int:
        query = select(func.count()).select_from(payments).where(payments.c.status == "unknown")
        return int((await self._db.execute(query)).scalar_one())

    async def _jobs(self) -> tuple[int, int]:
        retrying = and_(jobs.c.state == "queued", jobs.c.last_error.is_not(None))
        query = select(
            func.coalesce(func.sum(case((retrying, 1), else_=0)), 0),
            func.coalesce(func.sum(case((jobs.c.state == "dead", 1), else_=0)), 0),
        ).where(jobs.c.state.in_(("queued", "dead")))
        row = (await self._db.execute(query)).one()
        return int(row[0]), int(row[1])

    async def _inbox(self) -> tuple[int, datetime | None]:
        waiting = and_(webhook_inbox.c.processed_at.is_(None), webhook_inbox.c.outcome.is_(None))
        query = select(func.count(), func.min(webhook_inbox.c.received_at)).where(waiting)
        row = (await self._db.execute(query)).one()
        return int(row[0]), row[1]

    async def _drift(self) -> tuple[dict[str, int], datetime | None]:
        query = (
            select(reconciliations.c.counts, reconciliations.c.finished_at)
            .where(reconciliations.c.status == "finished")
            .order_by(reconciliations.c.range_to.desc(), reconciliations.c.id.desc())
            .limit(1)
        )
        row = (await self._db.execute(query)).first()
        if row is None:
            return {}, None
        return {str(k): int(v) for k, v in dict(row[0]).items()}, row[1]

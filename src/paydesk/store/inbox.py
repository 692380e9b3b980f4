"""The webhook inbox: every delivery i'mport (or anyone) made, stored verbatim first.

A webhook is answered 200 only once its row — and the job that will process
it — are committed, so nothing i'mport told us is lost between the answer and
the processing. The row keeps the delivery as it came (headers, raw body,
source address) for audits, plus what the processing made of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from .ledger_records import InboxRecord
from .tables import webhook_inbox

__all__ = ["Delivery", "WebhookInbox"]

MAX_ERROR_CHARS = 2000


@dataclass(frozen=True)
class Delivery:
    """A webhook request as received, with the fields we could read from it."""

    received_at: datetime
    source_ip: str
    headers: Mapping[str, str]
    body: bytes
    imp_uid: str | None = None
    merchant_uid: str | None = None
    status: str | None = None


class WebhookInbox:
    """Stored deliveries, inside the caller's transaction."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    async def add(self, delivery: Delivery, *, outcome: str | None = None) -> int:
        """Store a delivery; with ``outcome`` it is stored as already dealt with."""
        values = {
            "received_at": delivery.received_at, "source_ip": delivery.source_ip[:45],
            "headers": dict(delivery.headers), "body": delivery.body,
            "imp_uid": _clip(delivery.imp_uid, 32), "merchant_uid": _clip(delivery.merchant_uid, 40),
            "status": _clip(delivery.status, 16), "outcome": outcome,
            "processed_at": delivery.received_at if outcome else None,
        }  # fmt: skip
        result = await self._db.execute(
            insert(webhook_inbox).values(values).returning(webhook_inbox.c.id)
        )
        return int(result.scalar_one())

    async def get(self, inbox_id: int) -> InboxRecord | None:
        query = select(webhook_inbox).where(webhook_inbox.c.id == inbox_id)
        row = (await self._db.execute(query)).first()
        return InboxRecord.from_row(row) if row else None

    async def of_payment(self, imp_uid: str) -> list[InboxRecord]:
        query = (
            select(webhook_inbox)
            .where(webhook_inbox.c.imp_uid == imp_uid)
            .order_by(webhook_inbox.c.id)
        )
        return [InboxRecord.from_row(r) for r in await self._db.execute(query)]

    async def failed(self, *, limit: int = 500) -> list[InboxRecord]:
        """Deliveries with no outcome yet or an error noted, oldest first (for a replay)."""
        query = (
            select(webhook_inbox)
            .where(or_(webhook_inbox.c.outcome.is_(None), webhook_inbox.c.error.is_not(None)))
            .order_by(webhook_inbox.c.id)
            .limit(limit)
        )
        return [InboxRecord.from_row(r) for r in await self._db.execute(query)]

    async def finish(self, inbox_id: int, outcome: str, now: datetime) -> None:
        """Record what processing made of the delivery."""
        statement = update(webhook_inbox).where(webhook_inbox.c.id == inbox_id)
        await self._db.execute(statement.values(processed_at=now, outcome=outcome, error=None))

    async def note(self, inbox_id: int, error: str) -> None:
        """Record why processing has to wait (the delivery stays unprocessed)."""
        statement = update(webhook_inbox).where(webhook_inbox.c.id == inbox_id)
        await self._db.execute(statement.values(error=error[:MAX_ERROR_CHARS]))


def _clip(value: str | None, size: int) -> str | None:
    return value[:size] if value else None

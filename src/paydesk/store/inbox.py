"""The webhook inbox: every delivery i'mport (or anyone) made, stored verbatim first.

A webhook is answered 200 only once its row — and the job that will process
it — are committed, so nothing i'mport told us is lost between the answer and
the processing. The row keeps the delivery as it came (headers, raw body,
source address) for audits, plus what the processing made of it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

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
    #: bytes received; differs from ``len(body)`` when the body was not kept (a refusal)
    body_size: int | None = None


def _row(delivery: Delivery, outcome: str | None) -> dict[str, Any]:
    return {
        "received_at": delivery.received_at, "source_ip": delivery.source_ip[:45],
        "headers": dict(delivery.headers), "body": delivery.body,
        "body_size": len(delivery.body) if delivery.body_size is None else delivery.body_size,
        "imp_uid": _clip(delivery.imp_uid, 32), "merchant_uid": _clip(delivery.merchant_uid, 40),
        "status": _clip(delivery.status, 16), "outcome": outcome,
        "processed_at": delivery.received_at if outcome else None,
    }  # fmt: skip


#: Built once (a statement and its cache key cost 40–150 µs to build): the intake adds on
#: every batch. Its ids come back in the order given, so it stays on SQLAlchemy.
_ADD = insert(webhook_inbox).returning(webhook_inbox.c.id, sort_by_parameter_order=True)


class WebhookInbox:
    """Stored deliveries, inside the caller's transaction."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    async def add(self, delivery: Delivery, *, outcome: str | None = None) -> int:
        """Store a delivery; with ``outcome`` it is stored as already dealt with."""
        (inbox_id,) = await self.add_many([(delivery, outcome)])
        return inbox_id

    async def add_many(self, items: Sequence[tuple[Delivery, str | None]]) -> list[int]:
        """Store deliveries (each with its ``outcome``, as ``add``); their ids, in order.

        One ``INSERT … RETURNING`` for all of them (SQLAlchemy's "insertmanyvalues",
        ids sorted back to the order given), with one compiled statement: a
        statement built per row cost the group-committed webhook intake more than
        the database did (its values walked for a cache key on every delivery).
        """
        if not items:
            return []
        rows = [_row(delivery, outcome) for delivery, outcome in items]
        result = await self._db.execute(_ADD, rows)
        return [int(inbox_id) for inbox_id in result.scalars()]

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

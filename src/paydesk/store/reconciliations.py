"""The ``reconciliations`` and ``reconciliation_items`` tables: sweeps and their drift reports.

A sweep is stored when it starts (``running``), its drifted payments as they
are found, and its counts when it ends (``finished`` or ``failed``). The next
automatic sweep starts where the newest finished one ended. Orphans (money at
i'mport for no order of ours) stay listable across sweeps: the newest item of
each orphaned imp_uid.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from .tables import reconciliation_items, reconciliations

__all__ = [
    "MAX_ERROR_CHARS",
    "DriftItem",
    "NewDriftItem",
    "ReconciliationBook",
    "ReconciliationRecord",
]

MAX_ERROR_CHARS = 2000


@dataclass(frozen=True)
class ReconciliationRecord:
    """One sweep: its range, where it stands, and how many items of each drift type."""

    id: int
    trigger: str
    status: str  # running | finished | failed
    range_from: datetime
    range_to: datetime
    started_at: datetime
    finished_at: datetime | None
    checked: int
    counts: dict[str, int]
    error: str | None

    @classmethod
    def from_row(cls, row: Any) -> ReconciliationRecord:
        m = row._mapping
        return cls(
            id=m["id"], trigger=m["trigger"], status=m["status"], range_from=m["range_from"],
            range_to=m["range_to"], started_at=m["started_at"], finished_at=m["finished_at"],
            checked=m["checked"], counts={str(k): int(v) for k, v in dict(m["counts"]).items()},
            error=m["error"],
        )  # fmt: skip


@dataclass(frozen=True)
class NewDriftItem:
    """A drifted payment to add to a sweep's report."""

    drift: str
    imp_uid: str
    merchant_uid: str
    order_id: int | None
    iamport_status: str
    detail: Mapping[str, Any]
    action: str
    resolved: bool


@dataclass(frozen=True)
class DriftItem:
    """A drifted payment of a report."""

    id: int
    reconciliation_id: int
    drift: str
    imp_uid: str
    merchant_uid: str
    order_id: int | None
    iamport_status: str
    detail: dict[str, Any]
    action: str
    resolved: bool
    created_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> DriftItem:
        m = row._mapping
        return cls(
            id=m["id"], reconciliation_id=m["reconciliation_id"], drift=m["drift"],
            imp_uid=m["imp_uid"], merchant_uid=m["merchant_uid"], order_id=m["order_id"],
            iamport_status=m["iamport_status"], detail=dict(m["detail"]), action=m["action"],
            resolved=bool(m["resolved"]), created_at=m["created_at"],
        )  # fmt: skip


class ReconciliationBook:
    """Sweeps and their items, inside the caller's transaction."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    async def start(
        self, trigger: str, range_from: datetime, range_to: datetime, now: datetime
    ) -> int:
        """Record a sweep that starts now; returns its id."""
        values = {
            "trigger": trigger[:16], "status": "running", "range_from": range_from,
            "range_to": range_to, "started_at": now, "checked": 0, "counts": {},
        }  # fmt: skip
        result = await self._db.execute(
            insert(reconciliations).values(values).returning(reconciliations.c.id)
        )
        return int(result.scalar_one())

    async def add_item(self, reconciliation_id: int, item: NewDriftItem, now: datetime) -> int:
        """Add a drifted payment to the sweep's report; returns the item's id."""
        result = await self._db.execute(
            insert(reconciliation_items)
            .values(_item_values(reconciliation_id, item, now))
            .returning(reconciliation_items.c.id)
        )
        return int(result.scalar_one())

    async def add_items(
        self, reconciliation_id: int, items: Sequence[NewDriftItem], now: datetime
    ) -> None:
        """``add_item`` for several drifted payments, in one statement (kept in that order)."""
        if items:
            await self._db.execute(insert(reconciliation_items),
                                   [_item_values(reconciliation_id, item, now) for item in items])  # fmt: skip

    async def finish(
        self,
        reconciliation_id: int,
        *,
        status: str,
        checked: int,
        counts: Mapping[str, int],
        now: datetime,
        error: str | None = None,
    ) -> None:
        """Record how the sweep ended (``finished`` or ``failed``) and its counts."""
        statement = update(reconciliations).where(reconciliations.c.id == reconciliation_id)
        await self._db.execute(
            statement.values(
                status=status,
                checked=checked,
                counts=dict(counts),
                finished_at=now,
                error=error[:MAX_ERROR_CHARS] if error else None,
            )
        )

    async def get(self, reconciliation_id: int) -> ReconciliationRecord | None:
        query = select(reconciliations).where(reconciliations.c.id == reconciliation_id)
        row = (await self._db.execute(query)).first()
        return ReconciliationRecord.from_row(row) if row else None

    async def listing(
        self, *, limit: int = 50, before: int | None = None
    ) -> list[ReconciliationRecord]:
        """Sweeps newest first (by id), ``limit`` of them, those with an id below ``before``."""
        query = select(reconciliations)
        if before is not None:
            query = query.where(reconciliations.c.id < before)
        rows = await self._db.execute(query.order_by(reconciliations.c.id.desc()).limit(limit))
        return [ReconciliationRecord.from_row(r) for r in rows]

    async def last_finished(self) -> ReconciliationRecord | None:
        """The finished sweep that reached furthest (the greatest ``range_to``)."""
        query = (
            select(reconciliations)
            .where(reconciliations.c.status == "finished")
            .order_by(reconciliations.c.range_to.desc(), reconciliations.c.id.desc())
            .limit(1)
        )
        row = (await self._db.execute(query)).first()
        return ReconciliationRecord.from_row(row) if row else None

    async def items(self, reconciliation_id: int) -> list[DriftItem]:
        """The sweep's drifted payments, in the order they were found."""
        query = (
            select(reconciliation_items)
            .where(reconciliation_items.c.reconciliation_id == reconciliation_id)
            .order_by(reconciliation_items.c.id)
        )
        return [DriftItem.from_row(r) for r in await self._db.execute(query)]

    async def orphans(self, *, limit: int = 100) -> list[DriftItem]:
        """The newest orphan item of each orphaned imp_uid, newest first."""
        newest = (
            select(func.max(reconciliation_items.c.id))
            .where(reconciliation_items.c.drift == "orphan")
            .group_by(reconciliation_items.c.imp_uid)
        )
        query = (
            select(reconciliation_items)
            .where(reconciliation_items.c.id.in_(newest))
            .order_by(reconciliation_items.c.id.desc())
            .limit(limit)
        )
        return [DriftItem.from_row(r) for r in await self._db.execute(query)]


def _item_values(reconciliation_id: int, item: NewDriftItem, now: datetime) -> dict[str, Any]:
    return {
        "reconciliation_id": reconciliation_id, "drift": item.drift, "imp_uid": item.imp_uid,
        "merchant_uid": item.merchant_uid, "order_id": item.order_id,
        "iamport_status": item.iamport_status, "detail": dict(item.detail),
        "action": item.action, "resolved": item.resolved, "created_at": now,
    }  # fmt: skip

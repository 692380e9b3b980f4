"""Escrow deliveries: the shipment registered at i'mport and the buyer's decision.

One row per escrow payment (``imp_uid``). A row is made by the first of: our
delivery registration, or an ``Inicis.Escrow.Changed`` event (a delivery
registered in i'mport's console shows up that way). The status only moves
forward in time: the service compares ``status_changed_at`` first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from .dialects import insert_or_ignore
from .tables import escrow_deliveries

__all__ = ["EscrowBook", "EscrowRecord", "Shipment"]


@dataclass(frozen=True)
class Shipment:
    """A delivery as registered at i'mport."""

    company: str
    invoice: str
    sent_at: datetime
    sender: Mapping[str, Any]
    receiver: Mapping[str, Any]
    applied_at: datetime | None


@dataclass(frozen=True)
class EscrowRecord:
    imp_uid: str
    order_id: int | None
    shipment: Shipment | None
    status: str
    status_code: str | None
    status_changed_at: datetime | None
    denied_reason: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Row[Any]) -> EscrowRecord:
        m = row._mapping
        shipment = None
        if m["company"] is not None:
            shipment = Shipment(m["company"], m["invoice"], m["sent_at"], m["sender"] or {},
                                m["receiver"] or {}, m["applied_at"])  # fmt: skip
        return cls(
            imp_uid=m["imp_uid"], order_id=m["order_id"], shipment=shipment, status=m["status"],
            status_code=m["status_code"], status_changed_at=m["status_changed_at"],
            denied_reason=m["denied_reason"], created_at=m["created_at"],
            updated_at=m["updated_at"],
        )  # fmt: skip


class EscrowBook:
    """Escrow rows, inside the caller's transaction."""

    def __init__(self, connection: AsyncConnection, dialect: str) -> None:
        self._db = connection
        self._dialect = dialect

    async def get(self, imp_uid: str) -> EscrowRecord | None:
        query = select(escrow_deliveries).where(escrow_deliveries.c.imp_uid == imp_uid)
        row = (await self._db.execute(query)).first()
        return EscrowRecord.from_row(row) if row else None

    async def listing(self, *, limit: int = 50, offset: int = 0) -> list[EscrowRecord]:
        """Escrow rows, the latest changed first, one page at a time."""
        table = escrow_deliveries
        query = (
            select(table)
            .order_by(table.c.updated_at.desc(), table.c.imp_uid)
            .limit(limit)
            .offset(offset)
        )
        return [EscrowRecord.from_row(r) for r in await self._db.execute(query)]

    async def put_shipment(
        self,
        imp_uid: str,
        order_id: int | None,
        shipment: Shipment,
        initial_status: str,
        now: datetime,
    ) -> EscrowRecord:
        """Store the shipment (a new row starts at ``initial_status``; a status stays)."""
        values = {
            "company": shipment.company, "invoice": shipment.invoice,
            "sent_at": shipment.sent_at, "sender": dict(shipment.sender),
            "receiver": dict(shipment.receiver), "applied_at": shipment.applied_at,
            "updated_at": now,
        }  # fmt: skip
        await self._upsert(imp_uid, order_id, values, initial_status, now)
        found = await self.get(imp_uid)
        assert found is not None
        return found

    async def set_status(
        self,
        imp_uid: str,
        order_id: int | None,
        status: str,
        code: str | None,
        changed_at: datetime | None,
        denied_reason: str | None,
        now: datetime,
    ) -> EscrowRecord:
        """Record the escrow's status (the caller decided it is newer)."""
        values = {"status": status, "status_code": code, "status_changed_at": changed_at,
                  "denied_reason": denied_reason, "updated_at": now}  # fmt: skip
        await self._upsert(imp_uid, order_id, values, status, now)
        found = await self.get(imp_uid)
        assert found is not None
        return found

    async def _upsert(
        self, imp_uid: str, order_id: int | None, values: dict[str, Any], status: str,
        now: datetime,
    ) -> None:  # fmt: skip
        """Insert the row, or (when it exists, also when a concurrent writer just made it)
        update it: a registration and its event webhook may race."""
        table = escrow_deliveries
        row = {"imp_uid": imp_uid, "order_id": order_id, "status": status, "created_at": now,
               **values}  # fmt: skip
        made = await self._db.execute(insert_or_ignore(table, self._dialect).values(row))
        if not getattr(made, "rowcount", 0):
            await self._db.execute(update(table).where(table.c.imp_uid == imp_uid).values(values))

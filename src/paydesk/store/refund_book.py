"""The ``refunds`` table: refunds we owe, and every cancellation i'mport reports.

Two kinds of row share the table:

- ``origin = auto``: a refund we decided to make (a payment we cannot keep).
  It starts ``requested``, becomes ``unknown`` when a cancel got no answer,
  and ``succeeded`` once a cancellation in i'mport's history is matched to it.
- ``origin = external``: a cancellation we found in a payment's cancel
  history that no refund of ours accounts for (a console cancel, say).

``cancellation_id`` is unique, so a cancellation is booked at most once
however many webhooks, completions and lookups report it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..core.money import Money
from ..core.outcomes import Cancellation
from .ledger_records import RefundRecord
from .tables import refunds

__all__ = ["OPEN_STATES", "RefundBook"]

#: States of a refund of ours whose cancellation is not booked yet.
OPEN_STATES = ("requested", "unknown")
_EXTERNAL_REASON = "cancelled at i'mport"
MAX_ERROR_CHARS = 2000


class RefundBook:
    """Refunds, inside the caller's transaction (which holds the order's lock)."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    async def get(self, refund_id: int) -> RefundRecord | None:
        row = (await self._db.execute(select(refunds).where(refunds.c.id == refund_id))).first()
        return RefundRecord.from_row(row) if row else None

    async def of_payment(self, imp_uid: str) -> list[RefundRecord]:
        query = select(refunds).where(refunds.c.imp_uid == imp_uid).order_by(refunds.c.id)
        return [RefundRecord.from_row(r) for r in await self._db.execute(query)]

    async def of_order(self, order_id: int) -> list[RefundRecord]:
        query = select(refunds).where(refunds.c.order_id == order_id).order_by(refunds.c.id)
        return [RefundRecord.from_row(r) for r in await self._db.execute(query)]

    async def book(
        self,
        order_id: int | None,
        imp_uid: str,
        cancellations: Sequence[Cancellation],
        now: datetime,
    ) -> list[Cancellation]:
        """Book the cancellations not booked yet; returns those (in history order).

        A new cancellation settles an open refund of ours for the same amount
        (our cancel whose answer we may have lost); otherwise it is booked as
        an external refund.
        """
        rows = await self.of_payment(imp_uid)
        known = {r.cancellation_id for r in rows if r.cancellation_id}
        waiting = [r for r in rows if r.state in OPEN_STATES and r.cancellation_id is None]
        booked = []
        for entry in cancellations:
            if entry.cancellation_id in known:
                continue
            match = next((r for r in waiting if r.amount == entry.amount), None)
            if match is not None:
                waiting.remove(match)
                await self._settle(match.id, entry.cancellation_id, now)
            else:
                await self._external(order_id, imp_uid, entry, now)
            known.add(entry.cancellation_id)
            booked.append(entry)
        return booked

    async def owe(
        self, order_id: int | None, imp_uid: str, amount: Money, reason: str, now: datetime
    ) -> int | None:
        """Record a refund we must make; None if one of ours is already open or done."""
        for row in await self.of_payment(imp_uid):
            if row.origin == "auto" and row.state != "failed":
                return None
        values = {
            "order_id": order_id, "imp_uid": imp_uid, "amount": amount.amount,
            "currency": amount.currency, "reason": reason, "state": "requested",
            "origin": "auto", "created_at": now, "updated_at": now,
        }  # fmt: skip
        result = await self._db.execute(insert(refunds).values(values).returning(refunds.c.id))
        return int(result.scalar_one())

    async def mark(
        self,
        refund_id: int,
        state: str,
        now: datetime,
        *,
        checksum: int | None = None,
        error: str | None = None,
    ) -> None:
        """Move one of our refunds to ``state`` (with the checksum sent, or the last error)."""
        values: dict[str, object] = {"state": state, "updated_at": now}
        if checksum is not None:
            values["checksum"] = checksum
        if error is not None:
            values["last_error"] = error[:MAX_ERROR_CHARS]
        await self._db.execute(update(refunds).where(refunds.c.id == refund_id).values(values))

    async def resize(self, refund_id: int, amount: Money, now: datetime) -> None:
        """Lower an open refund to what is left to refund (others refunded part of it)."""
        statement = update(refunds).where(refunds.c.id == refund_id)
        await self._db.execute(statement.values(amount=amount.amount, updated_at=now))

    async def _settle(self, refund_id: int, cancellation_id: str, now: datetime) -> None:
        statement = update(refunds).where(refunds.c.id == refund_id)
        await self._db.execute(
            statement.values(cancellation_id=cancellation_id, state="succeeded", updated_at=now)
        )

    async def _external(
        self, order_id: int | None, imp_uid: str, entry: Cancellation, now: datetime
    ) -> None:
        values = {
            "order_id": order_id, "imp_uid": imp_uid, "amount": entry.amount.amount,
            "currency": entry.amount.currency, "reason": _EXTERNAL_REASON, "state": "succeeded",
            "origin": "external", "cancellation_id": entry.cancellation_id,
            "created_at": now, "updated_at": now,
        }  # fmt: skip
        await self._db.execute(insert(refunds).values(values))

"""Cash receipts: of i'mport payments (``cash_receipts``) and of outside sales
(``external_receipts``), two tables that are never mixed.

``kind`` picks the table: ``"payment"`` (keyed by the payment's imp_uid) or
``"external"`` (keyed by the sale's merchant_uid). ``live_key`` holds that key
while the receipt is live (``core.receipts.LIVE``) and is unique, so a second
live receipt of one payment or sale is refused by the database itself
(``Conflict``), whatever races. Every state change is conditional on the state
it comes from (``move``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Row, Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..core.money import Money
from ..core.receipts import LIVE, ReceiptState
from .tables import cash_receipts, external_receipts

__all__ = ["NewReceipt", "ReceiptBook", "ReceiptKind", "ReceiptQuery", "ReceiptRecord", "live_key"]

ReceiptKind = Literal["payment", "external"]
MAX_ERROR_CHARS = 2000
_TABLES: dict[str, Table] = {"payment": cash_receipts, "external": external_receipts}


def live_key(key: str, state: str) -> str | None:
    """The ``live_key`` of a receipt of ``key`` in ``state``."""
    return key if ReceiptState(state) in LIVE else None


@dataclass(frozen=True)
class ReceiptRecord:
    """A cash receipt as we know it; ``key`` is the imp_uid or the merchant_uid."""

    id: int
    kind: ReceiptKind
    key: str
    state: str
    type: str
    identifier_type: str
    identifier_masked: str
    currency: str
    amount: Money | None
    vat: Money | None
    tax_free: Money | None
    apply_num: str | None
    receipt_tid: str | None
    receipt_url: str | None
    applied_at: datetime | None
    cancelled_at: datetime | None
    last_error: str | None
    requested_by: str | None
    created_at: datetime
    updated_at: datetime
    order_id: int | None = None  # payment receipts
    name: str | None = None  # external receipts, with the rest below
    requested_amount: Money | None = None
    pg: str | None = None
    pay_method: str | None = None

    @classmethod
    def from_row(cls, row: Row[Any], kind: ReceiptKind) -> ReceiptRecord:
        m = row._mapping
        currency = m["currency"]

        def money(column: str) -> Money | None:
            value = m[column]
            return None if value is None else Money(value, currency)

        common: dict[str, Any] = {
            "id": m["id"], "kind": kind, "state": m["state"], "type": m["type"],
            "identifier_type": m["identifier_type"], "identifier_masked": m["identifier_masked"],
            "currency": currency, "amount": money("amount"), "vat": money("vat"),
            "tax_free": money("tax_free"), "apply_num": m["apply_num"],
            "receipt_tid": m["receipt_tid"], "receipt_url": m["receipt_url"],
            "applied_at": m["applied_at"], "cancelled_at": m["cancelled_at"],
            "last_error": m["last_error"], "requested_by": m["requested_by"],
            "created_at": m["created_at"], "updated_at": m["updated_at"],
        }  # fmt: skip
        if kind == "payment":
            return cls(key=m["imp_uid"], order_id=m["order_id"], **common)
        return cls(key=m["merchant_uid"], name=m["name"], pg=m["pg"], pay_method=m["pay_method"],
                   requested_amount=money("requested_amount"), **common)  # fmt: skip


@dataclass(frozen=True)
class NewReceipt:
    """A receipt about to be asked of i'mport (state ``issuing``)."""

    kind: ReceiptKind
    key: str
    type: str
    identifier_type: str
    identifier_masked: str
    currency: str = "KRW"
    tax_free: int | None = None
    requested_by: str | None = None
    order_id: int | None = None
    name: str | None = None
    requested_amount: int | None = None
    pg: str | None = None
    pay_method: str | None = None

    def values(self, now: datetime) -> dict[str, Any]:
        state = ReceiptState.ISSUING.value
        values: dict[str, Any] = {
            "live_key": live_key(self.key, state), "state": state, "type": self.type,
            "identifier_type": self.identifier_type, "identifier_masked": self.identifier_masked,
            "currency": self.currency, "tax_free": self.tax_free,
            "requested_by": self.requested_by, "created_at": now, "updated_at": now,
        }  # fmt: skip
        if self.kind == "payment":
            return {**values, "imp_uid": self.key, "order_id": self.order_id}
        return {**values, "merchant_uid": self.key, "name": self.name,
                "requested_amount": self.requested_amount, "pg": self.pg,
                "pay_method": self.pay_method}  # fmt: skip


@dataclass(frozen=True)
class ReceiptQuery:
    """Filters of a receipt search (None matches anything); newest first, paged by id."""

    key: str | None = None  # imp_uid / merchant_uid
    state: str | None = None
    identifier_type: str | None = None
    since: datetime | None = None  # created at or after
    until: datetime | None = None  # created before
    before: int | None = None  # ids below this one
    limit: int = 50


class ReceiptBook:
    """Both kinds of receipt, inside the caller's transaction."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    async def add(self, new: NewReceipt, now: datetime) -> ReceiptRecord:
        """Record a receipt being issued; ``Conflict`` if one of its key is live already."""
        table = _TABLES[new.kind]
        result = await self._db.execute(insert(table).values(new.values(now)).returning(table.c.id))
        found = await self.get(new.kind, int(result.scalar_one()))
        assert found is not None
        return found

    async def get(self, kind: ReceiptKind, receipt_id: int) -> ReceiptRecord | None:
        table = _TABLES[kind]
        row = (await self._db.execute(select(table).where(table.c.id == receipt_id))).first()
        return ReceiptRecord.from_row(row, kind) if row else None

    async def live(self, kind: ReceiptKind, key: str) -> ReceiptRecord | None:
        """The live receipt of a payment or sale, if any."""
        table = _TABLES[kind]
        row = (await self._db.execute(select(table).where(table.c.live_key == key))).first()
        return ReceiptRecord.from_row(row, kind) if row else None

    async def move(
        self,
        kind: ReceiptKind,
        receipt_id: int,
        key: str,
        sources: Iterable[str],
        target: str,
        values: Mapping[str, Any],
        now: datetime,
    ) -> bool:
        """Move a receipt from one of ``sources`` to ``target`` (with ``values``); False if not there."""
        table = _TABLES[kind]
        changes = {**values, "state": target, "live_key": live_key(key, target), "updated_at": now}
        if changes.get("last_error"):
            changes["last_error"] = str(changes["last_error"])[:MAX_ERROR_CHARS]
        statement = (
            update(table)
            .where(table.c.id == receipt_id, table.c.state.in_(list(sources)))
            .values(changes)
        )
        result = await self._db.execute(statement)
        return bool(getattr(result, "rowcount", 0))

    async def search(self, kind: ReceiptKind, query: ReceiptQuery) -> list[ReceiptRecord]:
        """Receipts matching every filter given, newest first."""
        table = _TABLES[kind]
        key_column = table.c.imp_uid if kind == "payment" else table.c.merchant_uid
        statement = select(table)
        if query.key is not None:
            statement = statement.where(key_column == query.key)
        if query.state is not None:
            statement = statement.where(table.c.state == query.state)
        if query.identifier_type is not None:
            statement = statement.where(table.c.identifier_type == query.identifier_type)
        if query.since is not None:
            statement = statement.where(table.c.created_at >= query.since)
        if query.until is not None:
            statement = statement.where(table.c.created_at < query.until)
        if query.before is not None:
            statement = statement.where(table.c.id < query.before)
        statement = statement.order_by(table.c.id.desc()).limit(query.limit)
        return [ReceiptRecord.from_row(r, kind) for r in await self._db.execute(statement)]

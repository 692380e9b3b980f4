"""The ``payments`` table: every payment as we last verified it with i'mport.

One row per ``imp_uid``, overwritten by each verification (the latest i'mport
answer is also kept verbatim in ``raw``). Lookups by the ids a support desk is
given — merchant_uid, approval number, PG transaction id — and a filtered,
paged search for the merchant API.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, literal_column, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Select

from ..core.money import Money
from .ledger_records import PaymentRecord, PaymentState
from .tables import payments

__all__ = ["PaymentBook", "PaymentQuery", "PaymentState"]

#: Keys per ``IN (...)``: well below SQLite's and asyncpg's limits on bound parameters.
_IN_BATCH = 1_000


@dataclass(frozen=True)
class PaymentQuery:
    """Filters of a payment search; ``None`` matches anything."""

    status: str | None = None
    pay_method: str | None = None
    merchant_uid: str | None = None
    apply_num: str | None = None
    pg_tid: str | None = None
    order_id: int | None = None
    since: datetime | None = None  # created at or after
    until: datetime | None = None  # created before
    limit: int = 50
    offset: int = 0


class PaymentBook:
    """Verified payments, inside the caller's transaction."""

    def __init__(self, connection: AsyncConnection, dialect: str) -> None:
        self._db = connection
        self._dialect = dialect

    async def put(self, columns: Mapping[str, Any], order_id: int | None, now: datetime) -> None:
        """Insert the payment or overwrite what we knew of it (keyed by ``imp_uid``)."""
        values = {**columns, "order_id": order_id, "created_at": now, "updated_at": now}
        insert = (postgresql.insert if self._dialect == "postgresql" else sqlite.insert)(payments)
        changed = {k: v for k, v in values.items() if k not in ("imp_uid", "created_at")}
        statement = insert.values(values).on_conflict_do_update(
            index_elements=[payments.c.imp_uid], set_=changed
        )
        await self._db.execute(statement)

    async def put_many(
        self, rows: Sequence[tuple[Mapping[str, Any], int | None]], now: datetime
    ) -> None:
        """``put`` for several payments (columns, order id) in one statement; an imp_uid
        given twice ends as its last row."""
        if not rows:
            return
        last = {columns["imp_uid"]: (columns, order_id) for columns, order_id in rows}
        values = [{**columns, "order_id": order_id, "created_at": now, "updated_at": now}
                  for columns, order_id in last.values()]  # fmt: skip
        insert = (postgresql.insert if self._dialect == "postgresql" else sqlite.insert)(payments)
        changed = {k: insert.excluded[k] for k in values[0] if k not in ("imp_uid", "created_at")}
        statement = insert.on_conflict_do_update(index_elements=[payments.c.imp_uid], set_=changed)
        await self._db.execute(statement, values)

    async def get(self, imp_uid: str) -> PaymentRecord | None:
        row = (
            await self._db.execute(select(payments).where(payments.c.imp_uid == imp_uid))
        ).first()
        return PaymentRecord.from_row(row) if row else None

    async def many(self, imp_uids: Iterable[str]) -> dict[str, PaymentRecord]:
        """The payments on record among ``imp_uids``, by imp_uid (one query per 1,000)."""
        wanted = sorted(set(imp_uids))
        found: dict[str, PaymentRecord] = {}
        for start in range(0, len(wanted), _IN_BATCH):
            chosen = payments.c.imp_uid.in_(wanted[start : start + _IN_BATCH])
            for row in await self._db.execute(select(payments).where(chosen)):
                record = PaymentRecord.from_row(row)
                found[record.imp_uid] = record
        return found

    async def states(self, imp_uids: Iterable[str]) -> dict[str, PaymentState]:
        """What a comparison with i'mport needs of the payments on record among ``imp_uids``
        (status, cancelled amount, cancel entries), by imp_uid: read without decoding
        ``raw`` (its cancel history is counted by the database)."""
        wanted = sorted(set(imp_uids))
        if self._dialect == "postgresql":
            history = "raw -> 'cancel_history'"
            entries = (f"CASE WHEN json_typeof({history}) = 'array' "
                       f"THEN json_array_length({history}) ELSE 0 END")  # fmt: skip
        else:  # 0 for a value that is not an array, NULL when there is none
            entries = "coalesce(json_array_length(raw, '$.cancel_history'), 0)"
        columns: tuple[Any, ...] = (payments.c.imp_uid, payments.c.status, payments.c.cancel_amount,
                   payments.c.currency, literal_column(entries).label("entries"))  # fmt: skip
        found: dict[str, PaymentState] = {}
        for start in range(0, len(wanted), _IN_BATCH):
            chosen = payments.c.imp_uid.in_(wanted[start : start + _IN_BATCH])
            for r in await self._db.execute(select(*columns).where(chosen)):
                found[r.imp_uid] = PaymentState(r.status, Money(r.cancel_amount, r.currency),
                                                int(r.entries or 0))  # fmt: skip
        return found

    async def search(self, query: PaymentQuery) -> tuple[list[PaymentRecord], int]:
        """One page of matching payments, newest first, and how many match in all."""
        selection = _filtered(select(payments), query)
        counted = _filtered(select(func.count()).select_from(payments), query)
        total = int((await self._db.execute(counted)).scalar_one())
        page = selection.order_by(payments.c.created_at.desc(), payments.c.imp_uid.desc())
        rows = await self._db.execute(page.limit(query.limit).offset(query.offset))
        return [PaymentRecord.from_row(r) for r in rows], total


def _filtered(statement: Select[Any], query: PaymentQuery) -> Select[Any]:
    equal = {
        payments.c.status: query.status,
        payments.c.pay_method: query.pay_method,
        payments.c.merchant_uid: query.merchant_uid,
        payments.c.apply_num: query.apply_num,
        payments.c.pg_tid: query.pg_tid,
        payments.c.order_id: query.order_id,
    }
    for column, value in equal.items():
        if value is not None:
            statement = statement.where(column == value)
    if query.since is not None:
        statement = statement.where(payments.c.created_at >= query.since)
    if query.until is not None:
        statement = statement.where(payments.c.created_at < query.until)
    return statement

"""Orders, their lines and their stock holds.

An order row carries the domain ``Order``'s payment state (see
``records.order_values``); ``stock_holds`` records which units of which product
are held, sold or released for it, and for which ``imp_uid``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..core.money import Money
from ..core.orders import Order, OrderStatus
from ..core.stock import Line
from . import driver
from .driver import KeyedRead, read
from .records import OrderRecord, order_values, tax_values
from .tables import order_items, orders, stock_holds

__all__ = ["OrderQuery", "OrderRepository"]

#: Keys per ``IN (...)``: well below SQLite's and asyncpg's limits on bound parameters.
_IN_BATCH = 1_000
#: The columns of an order's payment state (``records.order_values``).
_PAYMENT_STATE = (orders.c.merchant_uid, orders.c.status, orders.c.amount, orders.c.currency,
                  orders.c.paid_amount, orders.c.refunded_amount, orders.c.paid_currency,
                  orders.c.imp_uid, orders.c.holding, orders.c.expires_at, orders.c.escrow)  # fmt: skip


#: The confirm's reads, through the driver (``store.driver``): they run on every batch.
_CONFIRM_STATES = KeyedRead((orders.c.id, *_PAYMENT_STATE), orders.c.merchant_uid, orders.c.id)
_LOCKED_STATES = replace(_CONFIRM_STATES, lock=True)
_LINES = KeyedRead(
    (order_items.c.order_id, order_items.c.product_id, order_items.c.quantity),
    order_items.c.order_id,
    order_items.c.id,
)


def _payment_state(r: Any, lines: tuple[Line, ...] = ()) -> Order:
    """The order of a row of ``_PAYMENT_STATE``, with ``lines`` (by default none)."""
    currency, paid_currency = r.currency, r.paid_currency
    return Order(
        merchant_uid=r.merchant_uid, amount=Money(r.amount, currency), lines=lines,
        expires_at=r.expires_at, paid=Money(r.paid_amount, paid_currency),
        refunded=Money(r.refunded_amount, paid_currency), status=OrderStatus(r.status),
        imp_uid=r.imp_uid, holding=r.holding, escrow=bool(r.escrow),
    )  # fmt: skip


@dataclass(frozen=True)
class OrderQuery:
    """Filters of an order search; ``None`` matches anything. Newest first, by id.

    Paging is by key (``before``: the last id of the previous page), so orders
    placed or changed during a walk never shift a page: nothing is skipped or
    seen twice.
    """

    status: str | None = None
    pay_method: str | None = None
    pg: str | None = None
    since: datetime | None = None  # created at or after
    until: datetime | None = None  # created before
    before: int | None = None  # ids below this one
    limit: int = 50


class OrderRepository:
    """Orders with their lines and holds, inside one transaction."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    async def add(
        self,
        order: Order,
        *,
        name: str,
        unit_prices: Mapping[int, Money],
        buyer: Mapping[str, Any],
        pay_method: str | None,
        pg: str | None,
        now: datetime,
        tax_free: Money | None = None,
        vat_amount: Money | None = None,
    ) -> int:
        """Store a new order and its lines; returns the order id."""
        values = {**order_values(order), "merchant_uid": order.merchant_uid, "name": name,
                  "buyer": dict(buyer), "pay_method": pay_method, "pg": pg,
                  "created_at": now, "updated_at": now, **tax_values(tax_free, vat_amount)}  # fmt: skip
        order_id = int(
            (
                await self._db.execute(insert(orders).values(values).returning(orders.c.id))
            ).scalar_one()
        )
        items = [
            {"order_id": order_id, "product_id": line.product_id, "quantity": line.quantity,
             "unit_price": unit_prices[line.product_id].amount}
            for line in order.lines
        ]  # fmt: skip
        await self._db.execute(insert(order_items), items)
        return order_id

    async def get(self, merchant_uid: str, *, lock: bool = False) -> OrderRecord | None:
        found = await self.many([merchant_uid], lock=lock)
        return found.get(merchant_uid)

    async def many(
        self, merchant_uids: Iterable[str], *, lock: bool = False
    ) -> dict[str, OrderRecord]:
        """Orders by merchant_uid; ``lock`` takes their row locks in ascending id order."""
        query = (
            select(orders)
            .where(orders.c.merchant_uid.in_(set(merchant_uids)))
            .order_by(orders.c.id)
        )
        if lock:
            query = query.with_for_update()
        rows = list(await self._db.execute(query))
        ids = [r.id for r in rows]
        items = await self._items(ids)
        return {
            r.merchant_uid: OrderRecord.from_rows(r, items[i])
            for r, i in zip(rows, ids, strict=True)
        }

    async def confirm_states(self, merchant_uids: Iterable[str]) -> dict[str, tuple[int, Order]]:
        """Orders by merchant_uid, as their id and payment state with their lines, read
        without locks: what the Confirm Process decides on (``services.confirm``). Only
        those columns are read and built (no name, buyer, prices or tax parts): in a
        rush this read runs once per confirm, and building whole records was a third
        of the server's time on a sold-out flood. Ordered by id, as ``many``: without
        the ``ORDER BY`` the bench's 2× overload on PostgreSQL answered its slowest
        confirm after 6–9 s in three runs of four (1 s or less with it, five of five);
        not understood, and the one-join lookup tried before showed the same."""
        rows = await read(self._db, _CONFIRM_STATES, list(set(merchant_uids)))
        if not rows:
            return {}
        lines: dict[int, list[Line]] = defaultdict(list)
        for item in await read(self._db, _LINES, [r.id for r in rows]):
            lines[item.order_id].append(Line(item.product_id, item.quantity))
        return {r.merchant_uid: (r.id, _payment_state(r, tuple(lines[r.id]))) for r in rows}

    async def payment_states(self, merchant_uids: Iterable[str]) -> dict[str, Order]:
        """The orders' payment state by merchant_uid, their lines left empty (not read):
        for comparing many orders with i'mport at once (the reconciliation sweep), where
        the order's record, lines and buyer are not needed. Never to be saved back."""
        wanted = sorted(set(merchant_uids))
        found: dict[str, Order] = {}
        for start in range(0, len(wanted), _IN_BATCH):
            query = select(*_PAYMENT_STATE).where(
                orders.c.merchant_uid.in_(wanted[start : start + _IN_BATCH])
            )
            for r in await self._db.execute(query):
                found[r.merchant_uid] = _payment_state(r)
        return found

    async def locked_states(self, merchant_uids: Iterable[str]) -> dict[str, tuple[int, Order]]:
        """Lock the orders (ascending id, as ``many(lock=True)``) and read their ids and
        payment state, lines left empty (not read): for a caller that already has their
        lines, which never change once the order is added (the confirm batch). To be saved
        back only with the lines put back."""
        rows = await read(self._db, _LOCKED_STATES, list(set(merchant_uids)))
        return {r.merchant_uid: (r.id, _payment_state(r)) for r in rows}

    async def search(self, query: OrderQuery) -> list[OrderRecord]:
        """One page of matching orders, newest (highest id) first."""
        conditions = [
            column == value
            for column, value in (
                (orders.c.status, query.status),
                (orders.c.pay_method, query.pay_method),
                (orders.c.pg, query.pg),
            )
            if value is not None
        ]
        if query.since is not None:
            conditions.append(orders.c.created_at >= query.since)
        if query.until is not None:
            conditions.append(orders.c.created_at < query.until)
        if query.before is not None:
            conditions.append(orders.c.id < query.before)
        selection = select(orders).where(*conditions).order_by(orders.c.id.desc())
        rows = list(await self._db.execute(selection.limit(query.limit)))
        items = await self._items([r._mapping["id"] for r in rows])
        return [OrderRecord.from_rows(r, items[r._mapping["id"]]) for r in rows]

    async def merchant_uid_of(self, order_id: int) -> str | None:
        """The merchant_uid of order ``order_id``, or None if there is no such order."""
        query = select(orders.c.merchant_uid).where(orders.c.id == order_id)
        found = (await self._db.execute(query)).scalar_one_or_none()
        return str(found) if found is not None else None

    async def save(self, order_id: int, order: Order, now: datetime) -> None:
        """Store the order's new payment state."""
        await self.save_many([(order_id, order)], now)

    async def save_many(self, changes: Sequence[tuple[int, Order]], now: datetime) -> None:
        """Store several orders' new payment state in one round trip."""
        if not changes:
            return
        rows = [{"id": oid, **order_values(order), "updated_at": now} for oid, order in changes]
        await driver.update(self._db, orders, orders.c.id, rows)

    async def add_holds(
        self, holds: Sequence[tuple[int, str, Sequence[Line]]], now: datetime
    ) -> None:
        """Record held stock: ``(order_id, imp_uid, lines)`` per order."""
        rows = [
            {"order_id": order_id, "product_id": line.product_id, "imp_uid": imp_uid,
             "quantity": line.quantity, "state": "held", "created_at": now, "updated_at": now}
            for order_id, imp_uid, lines in holds
            for line in lines
        ]  # fmt: skip
        if rows:
            await driver.insert(self._db, stock_holds, rows)

    async def end_holds(self, order_id: int, state: str, now: datetime) -> list[Line]:
        """Mark the order's held lines ``sold`` or ``released``; returns what they held."""
        held = stock_holds.c.state == "held"
        query = select(stock_holds.c.product_id, stock_holds.c.quantity).where(
            stock_holds.c.order_id == order_id, held
        )
        lines = [Line(r.product_id, r.quantity) for r in await self._db.execute(query)]
        statement = update(stock_holds).where(stock_holds.c.order_id == order_id, held)
        await self._db.execute(statement.values(state=state, updated_at=now))
        return lines

    async def _items(self, order_ids: Sequence[int]) -> dict[int, list[Row[Any]]]:
        grouped: dict[int, list[Row[Any]]] = defaultdict(list)
        if not order_ids:
            return grouped
        query = (
            select(order_items)
            .where(order_items.c.order_id.in_(order_ids))
            .order_by(order_items.c.id)
        )
        for row in await self._db.execute(query):
            grouped[row.order_id].append(row)
        return grouped

"""The catalog table: products, prices and the three stock counters.

Stock moves are conditional updates (``... WHERE stock_available >= n``) that
report whether they happened, so the database — not a read made earlier — is
the arbiter even when several processes share it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from ..core.money import Money
from .driver import KeyedRead, move, read
from .errors import Conflict, StockConflict
from .records import ProductRecord
from .tables import products

__all__ = ["ProductRepository", "StockConflict"]

_COUNTERS = {
    "available": products.c.stock_available,
    "held": products.c.stock_held,
    "sold": products.c.stock_sold,
}

#: Read through the driver (``store.driver``): the confirm reads its products on every batch.
_BY_ID = KeyedRead(tuple(products.c), products.c.id, products.c.id)
_LOCKED_BY_ID = replace(_BY_ID, lock=True)


class ProductRepository:
    """Products and their stock, inside one transaction."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    async def add(
        self,
        *,
        sku: str,
        name: str,
        price: Money,
        stock: int,
        on_sale: bool,
        now: datetime,
        tax_free: bool = False,
        card_quota: Sequence[int] | None = None,
    ) -> ProductRecord:
        values = {
            "sku": sku, "name": name, "price": price.amount, "currency": price.currency,
            "on_sale": on_sale, "stock_available": stock, "stock_held": 0, "stock_sold": 0,
            "created_at": now, "updated_at": now, "tax_free": tax_free,
            "card_quota": None if card_quota is None else list(card_quota),
        }  # fmt: skip
        try:
            async with self._db.begin_nested():  # a savepoint: the caller's transaction lives on
                statement = insert(products).values(values).returning(products)
                row = (await self._db.execute(statement)).one()
        except IntegrityError as exc:
            raise Conflict(f"SKU {sku!r} is taken") from exc
        return ProductRecord.from_row(row)

    async def get(self, product_id: int, *, lock: bool = False) -> ProductRecord | None:
        found = await self.many([product_id], lock=lock)
        return found[0] if found else None

    async def many(self, ids: Iterable[int], *, lock: bool = False) -> list[ProductRecord]:
        """Products by id, ascending; ``lock`` takes their row locks (PostgreSQL) in that order."""
        query = _LOCKED_BY_ID if lock else _BY_ID
        rows = await read(self._db, query, sorted(set(ids)))
        return [ProductRecord.from_row(r) for r in rows]

    async def listing(self, *, limit: int = 100, after: int = 0) -> list[ProductRecord]:
        query = select(products).where(products.c.id > after).order_by(products.c.id).limit(limit)
        return [ProductRecord.from_row(r) for r in await self._db.execute(query)]

    async def change(self, product_id: int, values: dict[str, Any], now: datetime) -> None:
        """Overwrite plain columns (name, price, currency, on_sale, stock_available, tax_free,
        card_quota)."""
        statement = update(products).where(products.c.id == product_id)
        await self._db.execute(statement.values(**values, updated_at=now))

    async def hold(self, product_id: int, quantity: int, now: datetime) -> None:
        """Move ``quantity`` from available to held; raises ``StockConflict`` if short."""
        await self._move(product_id, quantity, now, "available", "held")

    async def release(self, product_id: int, quantity: int, now: datetime) -> None:
        """Give held units back to available."""
        await self._move(product_id, quantity, now, "held", "available")

    async def sell_held(self, product_id: int, quantity: int, now: datetime) -> None:
        """Held units were paid for."""
        await self._move(product_id, quantity, now, "held", "sold")

    async def sell(self, product_id: int, quantity: int, now: datetime) -> None:
        """Paid units that had no hold, taken straight from available."""
        await self._move(product_id, quantity, now, "available", "sold")

    async def _move(
        self, product_id: int, quantity: int, now: datetime, source: str, target: str
    ) -> None:
        src, dst = _COUNTERS[source], _COUNTERS[target]
        key, stamp = (products.c.id, product_id), (products.c.updated_at, now)
        short = f"product {product_id}: fewer than {quantity} {source} units"
        await move(self._db, products, key, src, dst, quantity, stamp, lambda: StockConflict(short))

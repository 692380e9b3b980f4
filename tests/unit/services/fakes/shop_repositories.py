"""In-memory products, orders (with lines and stock holds) and confirm decisions.

Same method names, arguments and return values as ``store.products``,
``store.orders`` and ``store.decisions``; ``lock=True`` is accepted and means
nothing, because the in-memory store runs one write transaction at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from paydesk.core.money import Money
from paydesk.core.orders import Order
from paydesk.core.stock import Line
from paydesk.store import Conflict, DecisionRecord, NewDecision, OrderRecord, ProductRecord
from paydesk.store.errors import StockConflict
from paydesk.store.records import order_values, tax_values

from .tables import Access, FakeRow, as_json, aware, check

__all__ = ["InMemoryDecisions", "InMemoryOrders", "InMemoryProducts"]

_COUNTERS = {"available": "stock_available", "held": "stock_held", "sold": "stock_sold"}


def _product(row: Mapping[str, Any]) -> ProductRecord:
    return ProductRecord.from_row(FakeRow(row))  # type: ignore[arg-type]


def _check_product(row: Mapping[str, Any]) -> None:
    check(row["price"] >= 0, "price")
    for column in _COUNTERS.values():
        check(row[column] >= 0, column)


class InMemoryProducts:
    """``ProductRepository`` over dicts."""

    def __init__(self, access: Access) -> None:
        self._access = access

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
        tables = await self._access.step(write=True)
        if any(row["sku"] == sku for row in tables.products.values()):
            raise Conflict(f"SKU {sku!r} is taken")
        row = {
            "sku": sku, "name": name, "price": price.amount, "currency": price.currency,
            "on_sale": on_sale, "stock_available": stock, "stock_held": 0, "stock_sold": 0,
            "created_at": aware(now), "updated_at": aware(now), "tax_free": tax_free,
            "card_quota": None if card_quota is None else as_json(list(card_quota)),
        }  # fmt: skip
        try:
            _check_product(row)
        except Conflict as exc:  # the real one reports any refused insert this way
            raise Conflict(f"SKU {sku!r} is taken") from exc
        row["id"] = tables.new_id("products")
        tables.products[row["id"]] = row
        return _product(row)

    async def get(self, product_id: int, *, lock: bool = False) -> ProductRecord | None:
        found = await self.many([product_id], lock=lock)
        return found[0] if found else None

    async def many(self, ids: Iterable[int], *, lock: bool = False) -> list[ProductRecord]:
        tables = await self._access.step()
        wanted = sorted(set(ids))
        return [_product(tables.products[i]) for i in wanted if i in tables.products]

    async def listing(self, *, limit: int = 100, after: int = 0) -> list[ProductRecord]:
        tables = await self._access.step()
        ids = sorted(i for i in tables.products if i > after)[:limit]
        return [_product(tables.products[i]) for i in ids]

    async def change(self, product_id: int, values: dict[str, Any], now: datetime) -> None:
        tables = await self._access.step(write=True)
        row = tables.products.get(product_id)
        if row is None:
            return
        changed = {**row, **values, "updated_at": aware(now)}
        _check_product(changed)
        row.update(changed)

    async def hold(self, product_id: int, quantity: int, now: datetime) -> None:
        await self._move(product_id, quantity, now, "available", "held")

    async def release(self, product_id: int, quantity: int, now: datetime) -> None:
        await self._move(product_id, quantity, now, "held", "available")

    async def sell_held(self, product_id: int, quantity: int, now: datetime) -> None:
        await self._move(product_id, quantity, now, "held", "sold")

    async def sell(self, product_id: int, quantity: int, now: datetime) -> None:
        await self._move(product_id, quantity, now, "available", "sold")

    async def _move(
        self, product_id: int, quantity: int, now: datetime, source: str, target: str
    ) -> None:
        tables = await self._access.step(write=True)
        row = tables.products.get(product_id)
        src, dst = _COUNTERS[source], _COUNTERS[target]
        if row is None or row[src] < quantity:
            raise StockConflict(f"product {product_id}: fewer than {quantity} {source} units")
        moved = {**row, src: row[src] - quantity, dst: row[dst] + quantity}
        _check_product(moved)
        row.update(moved, updated_at=aware(now))


class InMemoryOrders:
    """``OrderRepository`` over dicts: orders, their lines and their stock holds."""

    def __init__(self, access: Access) -> None:
        self._access = access

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
        tables = await self._access.step(write=True)
        if any(row["merchant_uid"] == order.merchant_uid for row in tables.orders.values()):
            raise Conflict(f"UNIQUE constraint failed: orders.merchant_uid {order.merchant_uid}")
        items = [
            {"product_id": line.product_id, "quantity": line.quantity,
             "unit_price": unit_prices[line.product_id].amount}
            for line in order.lines
        ]  # fmt: skip
        for item in items:
            tables.require("products", item["product_id"])
            check(item["quantity"] > 0, "quantity")
        order_id = tables.new_id("orders")
        tables.orders[order_id] = {
            **order_values(order), "id": order_id, "merchant_uid": order.merchant_uid,
            "name": name, "buyer": as_json(dict(buyer)), "pay_method": pay_method, "pg": pg,
            "expires_at": aware(order.expires_at), "created_at": aware(now),
            "updated_at": aware(now), **tax_values(tax_free, vat_amount),
        }  # fmt: skip
        for item in items:
            item_id = tables.new_id("order_items")
            tables.order_items[item_id] = {**item, "id": item_id, "order_id": order_id}
        return order_id

    async def get(self, merchant_uid: str, *, lock: bool = False) -> OrderRecord | None:
        found = await self.many([merchant_uid], lock=lock)
        return found.get(merchant_uid)

    async def many(
        self, merchant_uids: Iterable[str], *, lock: bool = False
    ) -> dict[str, OrderRecord]:
        tables = await self._access.step()
        wanted = set(merchant_uids)
        found: dict[str, OrderRecord] = {}
        for order_id in sorted(tables.orders):
            row = tables.orders[order_id]
            if row["merchant_uid"] in wanted:
                items = [
                    FakeRow(tables.order_items[i])
                    for i in sorted(tables.order_items)
                    if tables.order_items[i]["order_id"] == order_id
                ]
                found[row["merchant_uid"]] = OrderRecord.from_rows(FakeRow(row), items)  # type: ignore[arg-type]
        return found

    async def payment_states(self, merchant_uids: Iterable[str]) -> dict[str, Order]:
        found = await self.many(merchant_uids)
        return {uid: replace(record.order, lines=()) for uid, record in found.items()}

    async def confirm_states(self, merchant_uids: Iterable[str]) -> dict[str, tuple[int, Order]]:
        found = await self.many(merchant_uids)
        return {uid: (record.id, record.order) for uid, record in found.items()}

    async def locked_states(self, merchant_uids: Iterable[str]) -> dict[str, tuple[int, Order]]:
        found = await self.many(merchant_uids, lock=True)
        return {uid: (record.id, replace(record.order, lines=())) for uid, record in found.items()}

    async def merchant_uid_of(self, order_id: int) -> str | None:
        tables = await self._access.step()
        row = tables.orders.get(order_id)
        return str(row["merchant_uid"]) if row else None

    async def save(self, order_id: int, order: Order, now: datetime) -> None:
        await self.save_many([(order_id, order)], now)

    async def save_many(self, changes: Sequence[tuple[int, Order]], now: datetime) -> None:
        tables = await self._access.step(write=True)
        for order_id, order in changes:
            row = tables.orders.get(order_id)
            if row is not None:
                values = order_values(order)
                row.update(values, expires_at=aware(values["expires_at"]), updated_at=aware(now))

    async def add_holds(
        self, holds: Sequence[tuple[int, str, Sequence[Line]]], now: datetime
    ) -> None:
        tables = await self._access.step(write=True)
        for order_id, imp_uid, lines in holds:
            tables.require("orders", order_id)
            for line in lines:
                tables.require("products", line.product_id)
                hold_id = tables.new_id("stock_holds")
                tables.stock_holds[hold_id] = {
                    "id": hold_id, "order_id": order_id, "product_id": line.product_id,
                    "imp_uid": imp_uid, "quantity": line.quantity, "state": "held",
                    "created_at": aware(now), "updated_at": aware(now),
                }  # fmt: skip

    async def end_holds(self, order_id: int, state: str, now: datetime) -> list[Line]:
        tables = await self._access.step(write=True)
        ended: list[Line] = []
        for hold_id in sorted(tables.stock_holds):
            row = tables.stock_holds[hold_id]
            if row["order_id"] == order_id and row["state"] == "held":
                ended.append(Line(row["product_id"], row["quantity"]))
                row.update(state=state, updated_at=aware(now))
        return ended


class InMemoryDecisions:
    """``DecisionRepository`` over dicts: the first decision of an imp_uid wins."""

    def __init__(self, access: Access) -> None:
        self._access = access

    async def get(self, imp_uid: str) -> DecisionRecord | None:
        found = await self.many([imp_uid])
        return found.get(imp_uid)

    async def many(self, imp_uids: Iterable[str]) -> dict[str, DecisionRecord]:
        tables = await self._access.step()
        rows = tables.confirm_decisions
        return {
            uid: DecisionRecord.from_row(FakeRow(rows[uid]))  # type: ignore[arg-type]
            for uid in set(imp_uids)
            if uid in rows
        }

    async def add_new(self, decisions: Iterable[NewDecision], now: datetime) -> set[str]:
        tables = await self._access.step(write=True)
        inserted = set()
        for decision in decisions:
            values = decision.values(now)
            if values["imp_uid"] in tables.confirm_decisions:
                continue  # INSERT ... ON CONFLICT DO NOTHING
            tables.require("orders", values["order_id"])
            values.update(request=as_json(values["request"]), decided_at=aware(now))
            tables.confirm_decisions[values["imp_uid"]] = values
            inserted.add(values["imp_uid"])
        return inserted

"""Rows ↔ domain values: the one place the storage boundary is converted.

Repositories return these records (or ``paydesk.core`` values) and never raw
rows, so a column rename stays inside ``store``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row

from ..core.confirm import Refusal
from ..core.money import Money
from ..core.orders import Order, OrderStatus
from ..core.stock import Line, StockCount

__all__ = [
    "DecisionRecord",
    "JobRecord",
    "OrderRecord",
    "ProductRecord",
    "order_values",
]


@dataclass(frozen=True)
class ProductRecord:
    """A catalog entry with its stock counters."""

    id: int
    sku: str
    name: str
    price: Money
    on_sale: bool
    stock: StockCount
    created_at: datetime
    updated_at: datetime
    tax_free: bool = False  # tax-exempt (면세)
    card_quota: tuple[int, ...] | None = None  # installment months offered; None = the setting

    @classmethod
    def from_row(cls, row: Row[Any]) -> ProductRecord:
        m = row._mapping
        quota = m["card_quota"]
        return cls(
            id=m["id"], sku=m["sku"], name=m["name"], price=Money(m["price"], m["currency"]),
            on_sale=m["on_sale"],
            stock=StockCount(m["stock_available"], m["stock_held"], m["stock_sold"]),
            created_at=m["created_at"], updated_at=m["updated_at"],
            tax_free=bool(m["tax_free"]),
            card_quota=None if quota is None else tuple(int(v) for v in quota),
        )  # fmt: skip


@dataclass(frozen=True)
class OrderRecord:
    """A stored order: the domain ``Order`` plus what only the shop needs."""

    id: int
    order: Order
    name: str
    buyer: dict[str, Any] = field(default_factory=dict)
    pay_method: str | None = None
    pg: str | None = None
    unit_prices: dict[int, Money] = field(default_factory=dict)
    tax_free: Money | None = None  # the tax-free part the order was paid with
    vat_amount: Money | None = None  # explicit VAT; None = i'mport's 1/11

    @classmethod
    def from_rows(cls, row: Row[Any], items: Sequence[Row[Any]]) -> OrderRecord:
        m = row._mapping
        currency = m["currency"]
        rows = [i._mapping for i in items]
        lines = tuple(Line(i["product_id"], i["quantity"]) for i in rows)
        order = Order(
            merchant_uid=m["merchant_uid"], amount=Money(m["amount"], currency), lines=lines,
            expires_at=m["expires_at"], paid=Money(m["paid_amount"], m["paid_currency"]),
            refunded=Money(m["refunded_amount"], m["paid_currency"]),
            status=OrderStatus(m["status"]), imp_uid=m["imp_uid"], holding=m["holding"],
            escrow=bool(m["escrow"]),
        )  # fmt: skip
        prices = {i["product_id"]: Money(i["unit_price"], currency) for i in rows}

        def money(column: str) -> Money | None:
            return None if m[column] is None else Money(m[column], currency)

        return cls(m["id"], order, m["name"], dict(m["buyer"]), m["pay_method"], m["pg"], prices,
                   money("tax_free"), money("vat_amount"))  # fmt: skip


def tax_values(tax_free: Money | None, vat_amount: Money | None) -> dict[str, Any]:
    """The columns of an order's tax parts (set once, when it is placed)."""
    return {
        "tax_free": None if tax_free is None else tax_free.amount,
        "vat_amount": None if vat_amount is None else vat_amount.amount,
    }


def order_values(order: Order) -> dict[str, Any]:
    """The columns an order's payment state occupies (for inserts and updates)."""
    return {
        "status": order.status.value,
        "amount": order.amount.amount,
        "currency": order.amount.currency,
        "paid_amount": order.paid.amount,
        "refunded_amount": order.refunded.amount,
        "paid_currency": order.paid.currency,
        "imp_uid": order.imp_uid,
        "holding": order.holding,
        "expires_at": order.expires_at,
        "escrow": order.escrow,  # set when placed; never changes
    }


@dataclass(frozen=True)
class DecisionRecord:
    """A confirm decision as stored, so a replay gets the same answer."""

    imp_uid: str
    merchant_uid: str
    order_id: int | None
    refusal: Refusal | None
    decided_at: datetime

    @property
    def approved(self) -> bool:
        return self.refusal is None

    @classmethod
    def from_row(cls, row: Row[Any]) -> DecisionRecord:
        m = row._mapping
        refusal = None if m["approved"] else Refusal(m["reason"])
        return cls(m["imp_uid"], m["merchant_uid"], m["order_id"], refusal, m["decided_at"])


@dataclass(frozen=True)
class JobRecord:
    """A claimed job: what to do, with which payload, on which attempt."""

    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int
    locked_until: datetime

    @classmethod
    def from_row(cls, row: Row[Any]) -> JobRecord:
        m = row._mapping
        return cls(m["id"], m["kind"], dict(m["payload"]), m["attempts"], m["max_attempts"],
                   m["locked_until"])  # fmt: skip

"""What the worker's periodic sweep looks for: payments we are still waiting to hear about.

- Stock held for a payment with no outcome yet (no webhook, no completion):
  the worker asks i'mport, since i'mport sends no webhook when a payment fails.
- Virtual accounts still unpaid past their deadline (``vbank_date``) with
  stock held for them: i'mport sends nothing when one expires.
- Orders left ``unverified`` (a result arrived while i'mport was unreachable)
  whose re-verification job gave up or was lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from ..core.orders import OrderStatus
from .tables import orders, payments, stock_holds

__all__ = ["Awaited", "Sweeps"]


@dataclass(frozen=True)
class Awaited:
    """A payment attempt whose outcome an order is waiting for."""

    order_id: int
    merchant_uid: str
    imp_uid: str


class Sweeps:
    """The sweep's queries, inside one transaction."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    async def stale_holds(self, held_before: datetime) -> list[Awaited]:
        """Payments with stock still held for them since before ``held_before``."""
        query = (
            select(stock_holds.c.order_id, orders.c.merchant_uid, stock_holds.c.imp_uid)
            .join(orders, orders.c.id == stock_holds.c.order_id)
            .where(stock_holds.c.state == "held", stock_holds.c.created_at < held_before)
            .distinct()
            .order_by(stock_holds.c.order_id)
        )
        rows = await self._db.execute(query)
        return [Awaited(r.order_id, r.merchant_uid, r.imp_uid) for r in rows]

    async def unverified_orders(self) -> list[Awaited]:
        """Orders waiting for a result to be checked with i'mport."""
        query = (
            select(orders.c.id, orders.c.merchant_uid, orders.c.imp_uid)
            .where(orders.c.status == OrderStatus.UNVERIFIED.value, orders.c.imp_uid.is_not(None))
            .order_by(orders.c.id)
        )
        return [Awaited(r.id, r.merchant_uid, r.imp_uid) for r in await self._db.execute(query)]

    async def expired_vbanks(self, due_before: datetime) -> list[Awaited]:
        """Unpaid virtual accounts due before ``due_before`` that stock is still held for.

        "Unpaid" is i'mport's word as last verified: the payment row is a
        ``ready`` vbank. Its hold is what makes it matter.
        """
        query = (
            select(stock_holds.c.order_id, orders.c.merchant_uid, stock_holds.c.imp_uid)
            .join(orders, orders.c.id == stock_holds.c.order_id)
            .join(payments, payments.c.imp_uid == stock_holds.c.imp_uid)
            .where(
                stock_holds.c.state == "held",
                payments.c.pay_method == "vbank",
                payments.c.status == "ready",
                payments.c.vbank_date.is_not(None),
                payments.c.vbank_date < due_before,
            )
            .distinct()
            .order_by(stock_holds.c.order_id)
        )
        rows = await self._db.execute(query)
        return [Awaited(r.order_id, r.merchant_uid, r.imp_uid) for r in rows]

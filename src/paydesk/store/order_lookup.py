"""Finding an order by its numeric id (the repository keys orders by merchant_uid)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from .tables import orders

__all__ = ["merchant_uid_of"]


async def merchant_uid_of(connection: AsyncConnection, order_id: int) -> str | None:
    """The merchant_uid of order ``order_id``, or None if there is no such order."""
    query = select(orders.c.merchant_uid).where(orders.c.id == order_id)
    found = (await connection.execute(query)).scalar_one_or_none()
    return str(found) if found is not None else None

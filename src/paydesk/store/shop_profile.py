"""What the shop has actually been selling with: PGs and methods of its orders and billing
keys, and the installment offers of its products.

``paydesk doctor`` checks the channels and PG rules for what the shop offers; when
``PAYDESK_SHOP_METHODS`` does not say, this is where it looks.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from .tables import billing_keys, orders, products

__all__ = ["ProductOffer", "ShopProfile"]


@dataclass(frozen=True)
class ProductOffer:
    """A product on sale, its price and its own installment months (None = the setting)."""

    name: str
    price: int
    currency: str
    card_quota: tuple[int, ...] | None


class ShopProfile:
    """Read-only views over orders, billing keys and products."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    async def pay_choices(self) -> set[tuple[str | None, str]]:
        """Every (pg, pay_method) orders were placed with (pg None: i'mport's default)."""
        query = select(orders.c.pg, orders.c.pay_method).distinct()
        rows = await self._db.execute(query.where(orders.c.pay_method.is_not(None)))
        return {(pg, str(method)) for pg, method in rows}

    async def billing_pgs(self) -> set[str]:
        """The PGs of the billing keys issued so far."""
        query = select(billing_keys.c.pg_provider).distinct()
        rows = await self._db.execute(query.where(billing_keys.c.pg_provider.is_not(None)))
        return {str(pg) for (pg,) in rows}

    async def card_offers(self, limit: int = 500) -> list[ProductOffer]:
        """Products on sale, with their own installment months."""
        query = (
            select(products.c.name, products.c.price, products.c.currency, products.c.card_quota)
            .where(products.c.on_sale)
            .order_by(products.c.id)
            .limit(limit)
        )
        return [
            ProductOffer(name, int(price), currency,
                         None if quota is None else tuple(int(m) for m in quota))
            for name, price, currency, quota in await self._db.execute(query)
        ]  # fmt: skip

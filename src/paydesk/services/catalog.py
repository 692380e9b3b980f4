"""The catalog: products with a price and stock, created and changed through the API.

Changing a product's stock sets how many units are *available*; units already
held for payments or sold are never touched by a catalog edit. The edit takes
the product's row lock, so it cannot interleave with a confirm batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..core.clock import Clock
from ..core.money import Money
from ..store import Conflict, ProductRecord, UnitOfWork, UnitsOfWork
from .errors import DuplicateSku, ProductNotFound

__all__ = ["Catalog", "DuplicateSku", "NewProduct", "ProductChanges", "ProductNotFound"]


@dataclass(frozen=True)
class NewProduct:
    """A product to add; ``stock`` units start out available."""

    sku: str
    name: str
    price: Money
    stock: int
    on_sale: bool = True
    tax_free: bool = False  # tax-exempt (면세): its lines are the order's tax-free part
    card_quota: tuple[int, ...] | None = None  # installment months offered; None = the setting


@dataclass(frozen=True)
class ProductChanges:
    """Fields to change; ``None`` leaves a field as it is."""

    name: str | None = None
    price: Money | None = None
    available: int | None = None
    on_sale: bool | None = None
    tax_free: bool | None = None
    card_quota: tuple[int, ...] | None = None
    clear_card_quota: bool = False  # back to the merchant's setting


class Catalog:
    """Catalog use cases over a ``UnitsOfWork``."""

    def __init__(self, database: UnitsOfWork, clock: Clock) -> None:
        self._db = database
        self._clock = clock

    async def add(self, product: NewProduct) -> ProductRecord:
        """Add a product. Raises ``DuplicateSku`` if the SKU is taken."""
        async with self._db.transaction() as uow:
            return await self.add_in(uow, product)

    async def add_in(self, uow: UnitOfWork, product: NewProduct) -> ProductRecord:
        """``add`` inside the caller's transaction (e.g. with an idempotency key)."""
        try:
            return await uow.products.add(
                sku=product.sku, name=product.name, price=product.price,
                stock=product.stock, on_sale=product.on_sale, now=self._clock.now(),
                tax_free=product.tax_free, card_quota=product.card_quota,
            )  # fmt: skip
        except Conflict as exc:
            raise DuplicateSku(product.sku) from exc

    async def change(self, product_id: int, changes: ProductChanges) -> ProductRecord:
        """Apply ``changes`` under the product's row lock. Raises ``ProductNotFound``."""
        async with self._db.transaction() as uow:
            return await self.change_in(uow, product_id, lambda _: changes)

    async def change_in(
        self,
        uow: UnitOfWork,
        product_id: int,
        changes: Callable[[ProductRecord], ProductChanges],
    ) -> ProductRecord:
        """``change`` inside the caller's transaction (e.g. with an idempotency key).

        ``changes`` is made from the product as locked (a new price keeps its
        currency unless one is given). Raises ``ProductNotFound``.
        """
        current = await uow.products.get(product_id, lock=True)
        if current is None:
            raise ProductNotFound(product_id)
        values = _columns(changes(current))
        if values:
            await uow.products.change(product_id, values, self._clock.now())
        changed = await uow.products.get(product_id)
        assert changed is not None
        return changed

    async def get(self, product_id: int) -> ProductRecord:
        """One product. Raises ``ProductNotFound``."""
        async with self._db.reading() as uow:
            found = await uow.products.get(product_id)
        if found is None:
            raise ProductNotFound(product_id)
        return found

    async def listing(self, *, limit: int = 100, after: int = 0) -> list[ProductRecord]:
        """Products by ascending id, ``limit`` at a time, starting after id ``after``."""
        async with self._db.reading() as uow:
            return await uow.products.listing(limit=limit, after=after)


def _columns(changes: ProductChanges) -> dict[str, object]:
    values: dict[str, object] = {}
    if changes.name is not None:
        values["name"] = changes.name
    if changes.price is not None:
        values |= {"price": changes.price.amount, "currency": changes.price.currency}
    if changes.available is not None:
        values["stock_available"] = changes.available
    if changes.on_sale is not None:
        values["on_sale"] = changes.on_sale
    if changes.tax_free is not None:
        values["tax_free"] = changes.tax_free
    if changes.card_quota is not None or changes.clear_card_quota:
        values["card_quota"] = None if changes.clear_card_quota else list(changes.card_quota or ())
    return values

"""``/api/products``: create, change, read and list the catalog.

The API schemas live here, with their conversion to and from the service's
values; prices are integers in the currency's smallest unit (won, cents).
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from ...core.money import EXPONENTS, Money
from ...services.catalog import (
    DuplicateSku,
    NewProduct,
    ProductChanges,
    ProductNotFound,
)
from ...services.idempotency import Answer
from ...store import ProductRecord, UnitOfWork
from ..deps import ServicesDep
from ..idempotency import IdempotentDep
from ..problems import Problem

__all__ = ["ProductIn", "ProductOut", "ProductPatch", "router"]

Currency = Annotated[str, Field(pattern="^(" + "|".join(EXPONENTS) + ")$")]
Sku = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Units = Annotated[int, Field(ge=0, le=2**31 - 1)]
Price = Annotated[int, Field(ge=0, le=2**53)]


class ProductIn(BaseModel):
    """A new product."""

    model_config = ConfigDict(extra="forbid")

    sku: Sku
    name: Name
    price: Price
    currency: Currency = "KRW"
    stock: Units = Field(description="Units available for sale.")
    on_sale: bool = True


class ProductPatch(BaseModel):
    """Fields to change; omitted fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    price: Price | None = None
    currency: Currency | None = None
    stock: Units | None = Field(default=None, description="New number of available units.")
    on_sale: bool | None = None


class StockOut(BaseModel):
    available: int
    held: int
    sold: int


class ProductOut(BaseModel):
    """A product with its stock: available + held + sold = everything stocked."""

    id: int
    sku: str
    name: str
    price: int
    currency: str
    on_sale: bool
    stock: StockOut
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, record: ProductRecord) -> ProductOut:
        stock = StockOut(available=record.stock.available, held=record.stock.held,
                         sold=record.stock.sold)  # fmt: skip
        return cls(id=record.id, sku=record.sku, name=record.name, price=record.price.amount,
                   currency=record.price.currency, on_sale=record.on_sale, stock=stock,
                   created_at=record.created_at, updated_at=record.updated_at)  # fmt: skip


class ProductPage(BaseModel):
    items: list[ProductOut]
    next_after: int | None = Field(description="Pass as `after` for the next page.")


def _changes(patch: ProductPatch, current: ProductRecord) -> ProductChanges:
    price = None
    if patch.price is not None or patch.currency is not None:
        amount = current.price.amount if patch.price is None else patch.price
        price = Money(amount, patch.currency or current.price.currency)
    return ProductChanges(
        name=patch.name, price=price, available=patch.stock, on_sale=patch.on_sale
    )


router = APIRouter(prefix="/api/products", tags=["products"])


@router.post("", status_code=201, response_model=ProductOut)
async def create_product(body: ProductIn, services: ServicesDep, idem: IdempotentDep) -> Any:
    """Add a product. Send an `Idempotency-Key` to make retries safe."""
    new = NewProduct(body.sku, body.name, Money(body.price, body.currency), body.stock,
                     body.on_sale)  # fmt: skip

    async def action(uow: UnitOfWork) -> Answer:
        try:
            record = await services.catalog.add_in(uow, new)
        except DuplicateSku as exc:
            raise Problem(409, "Duplicate SKU", f"SKU {body.sku!r} is taken.") from exc
        return Answer(201, ProductOut.of(record).model_dump(mode="json"))

    return await idem.in_transaction(
        body.model_dump(), action, location=lambda made: f"/api/products/{made['id']}"
    )


@router.get("", response_model=ProductPage)
async def list_products(
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    after: Annotated[int, Query(ge=0)] = 0,
) -> ProductPage:
    """Products by ascending id."""
    records = await services.catalog.listing(limit=limit, after=after)
    next_after = records[-1].id if len(records) == limit else None
    return ProductPage(items=[ProductOut.of(r) for r in records], next_after=next_after)


@router.get("/{product_id}", response_model=ProductOut)
async def get_product(product_id: int, services: ServicesDep) -> ProductOut:
    """One product."""
    return ProductOut.of(await _found(services.catalog.get(product_id)))


@router.patch("/{product_id}", response_model=ProductOut)
async def change_product(product_id: int, body: ProductPatch, services: ServicesDep) -> ProductOut:
    """Change a product; `stock` sets the available units (held and sold stay)."""
    catalog = services.catalog
    current = await _found(catalog.get(product_id))
    return ProductOut.of(await _found(catalog.change(product_id, _changes(body, current))))


async def _found(lookup: Awaitable[ProductRecord]) -> ProductRecord:
    try:
        record = await lookup
    except ProductNotFound as exc:
        raise Problem(404, "Product not found", f"No product has id {exc.args[0]}.") from exc
    return record

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
from ..auth import AUTH_RESPONSES, READ, WRITE
from ..deps import ServicesDep
from ..idempotency import IdempotentDep
from ..problems import Problem, problem_responses
from .inputs import NO_NUL, After, JsonBool, JsonInt, RowId

__all__ = ["ProductIn", "ProductOut", "ProductPatch", "router"]

Currency = Annotated[str, Field(pattern="^(" + "|".join(EXPONENTS) + ")$")]
Sku = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]
Name = Annotated[str, Field(min_length=1, max_length=200, pattern=NO_NUL)]
Units = Annotated[JsonInt, Field(ge=0, le=2**31 - 1)]
Price = Annotated[JsonInt, Field(ge=0, le=2**53)]
Quota = Annotated[
    list[Annotated[JsonInt, Field(ge=2, le=36)]],
    Field(max_length=35, description="Installment months offered for card payments "
          "(`display.card_quota`): `[]` lump sum only; null = the merchant's setting."),
]  # fmt: skip


class ProductIn(BaseModel):
    """A new product."""

    model_config = ConfigDict(extra="forbid")

    sku: Sku
    name: Name
    price: Price
    currency: Currency = "KRW"
    stock: Units = Field(description="Units available for sale.")
    on_sale: JsonBool = True
    tax_free: JsonBool = Field(default=False, description="Tax-exempt (면세).")
    card_quota: Quota | None = None


class ProductPatch(BaseModel):
    """Fields to change; omitted fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    price: Price | None = None
    currency: Currency | None = None
    stock: Units | None = Field(default=None, description="New number of available units.")
    on_sale: JsonBool | None = None
    tax_free: JsonBool | None = None
    card_quota: Quota | None = Field(default=None, description="null: the merchant's setting.")


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
    tax_free: bool
    card_quota: list[int] | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, record: ProductRecord) -> ProductOut:
        stock = StockOut(available=record.stock.available, held=record.stock.held,
                         sold=record.stock.sold)  # fmt: skip
        return cls(id=record.id, sku=record.sku, name=record.name, price=record.price.amount,
                   currency=record.price.currency, on_sale=record.on_sale, stock=stock,
                   tax_free=record.tax_free,
                   card_quota=None if record.card_quota is None else list(record.card_quota),
                   created_at=record.created_at, updated_at=record.updated_at)  # fmt: skip


class ProductPage(BaseModel):
    items: list[ProductOut]
    next_after: int | None = Field(description="Pass as `after` for the next page.")


def _changes(patch: ProductPatch, current: ProductRecord) -> ProductChanges:
    price = None
    if patch.price is not None or patch.currency is not None:
        amount = current.price.amount if patch.price is None else patch.price
        price = Money(amount, patch.currency or current.price.currency)
    quota = patch.card_quota
    return ProductChanges(
        name=patch.name, price=price, available=patch.stock, on_sale=patch.on_sale,
        tax_free=patch.tax_free, card_quota=None if quota is None else _months(quota),
        clear_card_quota="card_quota" in patch.model_fields_set and quota is None,
    )  # fmt: skip


def _months(quota: list[int]) -> tuple[int, ...]:
    return tuple(sorted(set(quota)))


router = APIRouter(prefix="/api/products", tags=["products"],
                   responses=AUTH_RESPONSES | problem_responses(400, 422))  # fmt: skip


@router.post("", status_code=201, response_model=ProductOut, dependencies=[WRITE],
             responses=problem_responses(409, 413))  # fmt: skip
async def create_product(body: ProductIn, services: ServicesDep, idem: IdempotentDep) -> Any:
    """Add a product. Send an `Idempotency-Key` to make retries safe."""
    quota = None if body.card_quota is None else _months(body.card_quota)
    new = NewProduct(body.sku, body.name, Money(body.price, body.currency), body.stock,
                     body.on_sale, body.tax_free, quota)  # fmt: skip

    async def action(uow: UnitOfWork) -> Answer:
        try:
            record = await services.catalog.add_in(uow, new)
        except DuplicateSku as exc:
            raise Problem(409, "Duplicate SKU", f"SKU {body.sku!r} is taken.") from exc
        return Answer(201, ProductOut.of(record).model_dump(mode="json"))

    return await idem.in_transaction(
        body.model_dump(), action, location=lambda made: f"/api/products/{made['id']}"
    )


@router.get("", response_model=ProductPage, dependencies=[READ])
async def list_products(
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    after: After = 0,
) -> ProductPage:
    """Products by ascending id."""
    records = await services.catalog.listing(limit=limit, after=after)
    next_after = records[-1].id if len(records) == limit else None
    return ProductPage(items=[ProductOut.of(r) for r in records], next_after=next_after)


@router.get("/{product_id}", response_model=ProductOut, dependencies=[READ],
            responses=problem_responses(404))  # fmt: skip
async def get_product(product_id: RowId, services: ServicesDep) -> ProductOut:
    """One product."""
    return ProductOut.of(await _found(services.catalog.get(product_id)))


@router.patch("/{product_id}", response_model=ProductOut, dependencies=[WRITE],
              responses=problem_responses(404, 409, 413))  # fmt: skip
async def change_product(
    product_id: RowId, body: ProductPatch, services: ServicesDep, idem: IdempotentDep
) -> Any:
    """Change a product; `stock` sets the available units (held and sold stay).

    Send an `Idempotency-Key` to make a retry safe: the same key answers the
    first change again instead of applying it a second time.
    """

    async def action(uow: UnitOfWork) -> Answer:
        changing = services.catalog.change_in(uow, product_id, lambda now: _changes(body, now))
        return Answer(200, ProductOut.of(await _found(changing)).model_dump(mode="json"))

    return await idem.in_transaction(body.model_dump(mode="json", exclude_unset=True), action)


async def _found(lookup: Awaitable[ProductRecord]) -> ProductRecord:
    try:
        record = await lookup
    except ProductNotFound as exc:
        raise Problem(404, "Product not found", f"No product has id {exc.args[0]}.") from exc
    return record

"""``/`` and ``/shop/products/{id}``: the catalogue with live stock, and a product's checkout.

Stock is read from our books at each request (``/shop/stock`` gives the same
numbers as JSON, for the page's small refresh). A product's checkout page
offers the pay methods of ``methods.METHODS``; an age-gated product first asks
for identity verification (``IMP.certification``) unless the buyer's verified
identity is old enough.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, JSONResponse

from ...core.identity import age_on
from ...services.card_options import installments
from ...services.container import Services
from ...services.errors import NotOnRecord, ProductNotFound
from ...services.identity import korean_today
from ...store import ProductRecord
from ..deps import ServicesDep, SettingsDep
from ..schemas import MAX_ID
from .buyer import buyer_id, customer_ref
from .methods import METHODS, PG_LABELS
from .rendering import page
from .wording import won

__all__ = ["ProductCard", "router"]

router = APIRouter(include_in_schema=False)
LOW_STOCK = 5  # "N개 남음" below this
INSTALLMENT_MINIMUM = 50_000  # KRW: the card window offers installments from here (§7.2)


@dataclass(frozen=True)
class ProductCard:
    """A product as the shop shows it."""

    id: int
    name: str
    price: str
    amount: int
    available: int
    on_sale: bool
    min_age: int | None

    @property
    def sold_out(self) -> bool:
        return self.available <= 0 or not self.on_sale

    @property
    def low(self) -> bool:
        return 0 < self.available <= LOW_STOCK


async def _cards(services: Services, products: list[ProductRecord]) -> list[ProductCard]:
    cards = []
    for product in products:
        min_age = await services.identities.age_gate(product.id)
        cards.append(ProductCard(product.id, product.name, won(product.price),
                                 product.price.amount, product.stock.available,
                                 product.on_sale, min_age))  # fmt: skip
    return cards


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, services: ServicesDep) -> HTMLResponse:
    """The catalogue: every product on sale with its stock, and the subscription plans."""
    products = [p for p in await services.catalog.listing(limit=100) if p.on_sale]
    plans = [p for p in await services.subscriptions.plans() if p.active]
    return page(request, "index.html", products=await _cards(services, products),
                plans=[(p, won(p.price)) for p in plans])  # fmt: skip


@router.get("/shop/stock")
async def stock(services: ServicesDep) -> JSONResponse:
    """Each product's available units (the catalogue page refreshes from this)."""
    products = await services.catalog.listing(limit=100)
    return JSONResponse(
        {
            "products": [
                {"id": p.id, "available": p.stock.available, "on_sale": p.on_sale} for p in products
            ]
        },
        headers={"Cache-Control": "no-store"},
    )


@router.get("/shop/products/{product_id}", response_class=HTMLResponse)
async def product_page(
    request: Request,
    product_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    services: ServicesDep,
    settings: SettingsDep,
) -> HTMLResponse:
    """A product's checkout: quantity, pay method and PG, buyer; identity first if gated."""
    try:
        product = await services.catalog.get(product_id)
    except ProductNotFound:
        return page(request, "missing.html", 404, what="상품")
    card = (await _cards(services, [product]))[0]
    quota = installments([product], settings.card_quota)
    return page(request, "product.html", product=card,
                methods=list(METHODS.values()), pg_labels=PG_LABELS,
                quota=_quota_label(quota, product.price.amount),
                identity=await _identity(request, services, card.min_age),
                iamport_js=settings.iamport_js())  # fmt: skip


async def _identity(request: Request, services: Services, min_age: int | None) -> dict[str, Any]:
    """Whether the buyer's verified identity lets them buy a product for ``min_age``+."""
    buyer = buyer_id(request)
    if min_age is None:
        return {"needed": False}
    if buyer is None:
        return {"needed": True, "verified": False}
    try:
        identity = await services.identities.customer(customer_ref(buyer))
    except NotOnRecord:
        return {"needed": True, "verified": False}
    today = korean_today(services.clock.now())
    born = identity.birth_date
    old_enough = born is not None and age_on(born, today) >= min_age
    return {"needed": True, "verified": True, "old_enough": old_enough}


def _quota_label(quota: tuple[int, ...] | None, amount: int) -> str:
    if amount < INSTALLMENT_MINIMUM:
        return "일시불 (할부는 5만원 이상)"
    if quota is None:
        return "일시불, 2~12개월 할부"
    if not quota:
        return "일시불만 가능"
    return "일시불, " + ", ".join(f"{m}개월" for m in quota) + " 할부"
